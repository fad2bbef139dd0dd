"""Shared fixtures: the real local stack (PostgreSQL + Kafka), a fresh database per test, and
topic prefixes that keep tests from seeing each other's messages."""
from __future__ import annotations

import os
import uuid
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import pytest

from shared import stack
from shared.settings import Settings


@pytest.fixture(scope="session")
def stack_env() -> dict[str, str]:
    """Bring the local stack up (idempotent) and return its connection settings."""
    return stack.up()


def _with_db(url: str, dbname: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{dbname}"))


@pytest.fixture
def database(stack_env) -> dict[str, str]:
    """A freshly migrated database of its own; URLs per role (admin, loader, analyst, ml)."""
    name = f"test_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(_with_db(stack_env["DATABASE_ADMIN_URL"], "postgres"))
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE {name}")
    urls = {
        "admin": _with_db(stack_env["DATABASE_ADMIN_URL"], name),
        "loader": _with_db(stack_env["DATABASE_URL"], name),
        "analyst": _with_db(stack_env["ANALYST_DATABASE_URL"], name),
        "ml": _with_db(stack_env["ML_DATABASE_URL"], name),
    }
    stack.migrate(urls["admin"])
    yield urls
    with admin.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin.close()


@pytest.fixture
def topic_prefix(stack_env) -> Iterator[str]:
    """A topic prefix of this test's own, with every fleet topic created under it (and deleted
    after: a broker that keeps every test's partitions runs out of heap over a few suites)."""
    from shared.broker import delete_topics, ensure_topics

    prefix = f"t{uuid.uuid4().hex[:8]}."
    ensure_topics(stack_env["KAFKA_BOOTSTRAP_SERVERS"], prefix)
    yield prefix
    delete_topics(stack_env["KAFKA_BOOTSTRAP_SERVERS"], prefix)


@pytest.fixture
def settings(stack_env, database, topic_prefix) -> Settings:
    """Settings pointing at the stack, this test's database (loader role) and topics."""
    return Settings(database_url=database["loader"], database_admin_url=database["admin"],
                    kafka_bootstrap_servers=stack_env["KAFKA_BOOTSTRAP_SERVERS"],
                    kafka_topic_prefix=topic_prefix, _env_file=None)


def subprocess_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment a child process (loader, crawler) needs to see the same stack."""
    env = dict(os.environ)
    env.update(DATABASE_URL=settings.database_url.get_secret_value(),
               KAFKA_BOOTSTRAP_SERVERS=settings.kafka_bootstrap_servers,
               KAFKA_TOPIC_PREFIX=settings.kafka_topic_prefix, **extra)
    return env
