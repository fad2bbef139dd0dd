"""Structured JSON logs: one object per line, always carrying the service name and run id."""
from __future__ import annotations

import datetime as dt
import logging
import sys

import orjson

_CONTEXT: dict[str, str] = {"service": "insertcoin", "run_id": "-"}
_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.timezone.utc).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
            **_CONTEXT,
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _RESERVED})
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


class LibraryChatter(logging.Filter):
    """Scrapy's and Twisted's INFO lines (versions, settings, middleware lists, stats dumps) are
    start-up and shutdown chatter: logged at DEBUG, so they show only with ``LOG_LEVEL=DEBUG``.
    The handler keeps ``level`` itself, whatever a library does to the loggers' levels."""

    CHATTY = ("scrapy", "twisted", "scrapy-playwright", "scrapy_playwright")

    def __init__(self, level: int):
        super().__init__()
        self.level = level

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.INFO and record.name.split(".")[0] in self.CHATTY:
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return record.levelno >= self.level


def configure(service: str, run_id: str = "-", level: str = "INFO") -> None:
    """Send JSON logs to stderr, tagged with ``service`` and ``run_id``."""
    _CONTEXT.update(service=service, run_id=run_id)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(LibraryChatter(logging.getLevelName(level.upper())))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("kafka", "scrapy", "urllib3", "asyncio", "filelock", "matplotlib", "alembic"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


def bind(**context: str) -> None:
    """Add fields (e.g. a new run id) to every later log line."""
    _CONTEXT.update(context)
