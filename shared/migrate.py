"""``insertcoin migrate``: apply the database migrations as the owner role (DATABASE_ADMIN_URL),
then give the service roles the passwords found in the environment (LOADER_DB_PASSWORD,
ANALYST_DB_PASSWORD, ML_DB_PASSWORD), so no password is ever written in the repo."""
from __future__ import annotations

import argparse

from shared.errors import DEFAULT_WAIT, wait_for_postgres
from shared.settings import get_settings

ROLE_PASSWORDS = {"insertcoin_loader": "loader_db_password",
                  "insertcoin_analyst": "analyst_db_password",
                  "insertcoin_ml": "ml_db_password"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", help="database URL (default: DATABASE_ADMIN_URL, else DATABASE_URL)")
    parser.add_argument("--wait", type=float, default=DEFAULT_WAIT,
                        help="seconds PostgreSQL may take to answer (default: %(default)s)")


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


def ensure_metabase_database(url: str, password: str) -> None:
    """Metabase keeps its own state (users, dashboards) in a database and role of its own."""
    import psycopg2

    conn = psycopg2.connect(url)
    conn.autocommit = True  # CREATE DATABASE cannot run in a transaction
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_roles WHERE rolname = 'metabase'")
        verb = "ALTER" if cur.fetchone() else "CREATE"
        cur.execute(f"{verb} ROLE metabase LOGIN PASSWORD %s", (password,))
        cur.execute("SELECT 1 FROM pg_database WHERE datname = 'metabase'")
        if cur.fetchone() is None:
            cur.execute("GRANT metabase TO CURRENT_USER")  # RDS: the owner must be a member
            cur.execute("CREATE DATABASE metabase OWNER metabase")
    conn.close()


def run(args: argparse.Namespace) -> int:
    from shared.stack import migrate

    settings = get_settings()
    url = args.url or (settings.database_admin_url or settings.database_url).get_secret_value()
    wait_for_postgres(url, args.wait)
    migrate(url)
    changed = set_role_passwords(url, settings)
    if settings.metabase_db_password is not None:
        ensure_metabase_database(url, settings.metabase_db_password.get_secret_value())
        changed.append("metabase")
    print(f"migrations applied; passwords set for: {', '.join(changed) or 'no role'}")
    return 0
