"""Alembic environment: plain SQL migrations, URL from the environment."""
from alembic import context
from sqlalchemy import create_engine, pool

from shared.settings import get_settings


def _url() -> str:
    if context.config.attributes.get("url"):
        return context.config.attributes["url"]
    settings = get_settings()
    secret = settings.database_admin_url or settings.database_url
    return secret.get_secret_value()


def run_migrations_online() -> None:
    url = _url().replace("postgresql://", "postgresql+psycopg2://", 1)
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=None, transaction_per_migration=True)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    context.configure(url=_url(), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
