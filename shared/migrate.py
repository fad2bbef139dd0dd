"""``insertcoin migrate``: apply the database migrations (as the owner role, DATABASE_ADMIN_URL)."""
from __future__ import annotations

import argparse

from shared.settings import get_settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", help="database URL (default: DATABASE_ADMIN_URL, else DATABASE_URL)")


def run(args: argparse.Namespace) -> int:
    from shared.stack import migrate

    settings = get_settings()
    url = args.url or (settings.database_admin_url or settings.database_url).get_secret_value()
    migrate(url)
    print("migrations applied")
    return 0
