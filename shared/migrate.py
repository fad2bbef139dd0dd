"""``insertcoin migrate``: apply the database migrations as the owner role (DATABASE_ADMIN_URL),
then give the service roles the passwords found in the environment (LOADER_DB_PASSWORD,
ANALYST_DB_PASSWORD, ML_DB_PASSWORD), so no password is ever written in the repo."""
from __future__ import annotations

import argparse

from shared.settings import get_settings

ROLE_PASSWORDS = {"insertcoin_loader": "loader_db_password",
                  "insertcoin_analyst": "analyst_db_password",
                  "insertcoin_ml": "ml_db_password"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", help="database URL (default: DATABASE_ADMIN_URL, else DATABASE_URL)")


def set_role_passwords(url: str, settings) -> list[str]:
    """ALTER ROLE ... PASSWORD for each service role whose password is in the settings."""
    import psycopg2

    changed = []
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        for role, field in ROLE_PASSWORDS.items():
            secret = getattr(settings, field)
            if secret is not None:
                cur.execute(f"ALTER ROLE {role} LOGIN PASSWORD %s", (secret.get_secret_value(),))
                changed.append(role)
    return changed


def run(args: argparse.Namespace) -> int:
    from shared.stack import migrate

    settings = get_settings()
    url = args.url or (settings.database_admin_url or settings.database_url).get_secret_value()
    migrate(url)
    changed = set_role_passwords(url, settings)
    print(f"migrations applied; passwords set for: {', '.join(changed) or 'no role'}")
    return 0
