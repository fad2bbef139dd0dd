"""``insertcoin serve``: the read API (/api, OpenAPI at /docs) and the dashboard (/), reading as
the analyst role (ANALYST_DATABASE_URL, else DATABASE_URL)."""
from __future__ import annotations

import argparse
import logging

log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes (default 1)")
    parser.add_argument("--pool", type=int, default=8,
                        help="database connections per worker (default 8; sets API_POOL_SIZE)")
    parser.add_argument("--no-auth", action="store_true",
                        help="serve /api without API keys (local use only; default: keys from API_KEYS)")


def app_from_environment():
    """The app as configured by the environment (uvicorn's factory, also in each worker process:
    settings are read afresh, so `run`'s changes to the environment apply)."""
    from services.api.app import create_app
    from shared.settings import Settings

    settings = Settings()
    url = (settings.analyst_database_url or settings.database_url).get_secret_value()
    raw = settings.api_keys.get_secret_value() if settings.api_keys else ""
    keys = frozenset(k.strip() for k in raw.split(",") if k.strip()) or None
    return create_app(url, keys, settings.api_rate_limit, settings.api_pool_size)


def run(args: argparse.Namespace) -> int:
    import os

    import uvicorn

    from shared.settings import get_settings

    settings = get_settings()
    if args.no_auth:
        os.environ["API_KEYS"] = ""             # the factory then leaves /api open
    elif not settings.api_keys or not settings.api_keys.get_secret_value().strip():
        log.error("API_KEYS is not set: set it (comma-separated keys) or pass --no-auth")
        return 2
    if settings.analyst_database_url is None:
        log.warning("ANALYST_DATABASE_URL is not set: reading as DATABASE_URL's role")
    os.environ["API_POOL_SIZE"] = str(args.pool)
    uvicorn.run("services.api.cli:app_from_environment", factory=True, host=args.host,
                port=args.port, workers=args.workers, log_level="warning", access_log=False)
    return 0
