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


def configure(service: str, run_id: str = "-", level: str = "INFO") -> None:
    """Send JSON logs to stderr, tagged with ``service`` and ``run_id``."""
    _CONTEXT.update(service=service, run_id=run_id)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("kafka", "scrapy", "urllib3", "asyncio", "filelock", "matplotlib", "alembic"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


def bind(**context: str) -> None:
    """Add fields (e.g. a new run id) to every later log line."""
    _CONTEXT.update(context)
