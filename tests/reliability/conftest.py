"""The reliability suite (issue 13): a profile that sets its size, a database that survives the
suite's own PostgreSQL restarts, and the figures each test measures.

``RELIABILITY_PROFILE=fast`` (the default, in ``make test``) keeps the suite to a few minutes;
``full`` (``make bench-reliability``) runs the counts of docs/RELIABILITY.md. Every test writes
what it measured to ``var/reliability/<test>.json``."""
from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg2
import pytest

from shared import stack
from tests.conftest import _with_db
from tests.crawl.conftest import crawl_world, replay  # noqa: F401 - the crawl tests' world and server, once

ROOT = Path(__file__).parents[2]


@dataclass(frozen=True)
class Profile:
    name: str
    records: int            # exactly-once: records produced over the run
    kills: int              # loader kill -9s
    broker_restarts: int
    postgres_restarts: int  # alternately fast and immediate


PROFILES = {
    "fast": Profile("fast", records=24_000, kills=3, broker_restarts=1, postgres_restarts=2),
    "full": Profile("full", records=127_000, kills=10, broker_restarts=3, postgres_restarts=3),
}


@pytest.fixture(scope="session")
def profile() -> Profile:
    name = os.environ.get("RELIABILITY_PROFILE", "fast")
    if name not in PROFILES:
        raise pytest.UsageError(f"RELIABILITY_PROFILE={name!r}: one of {', '.join(PROFILES)}")
    return PROFILES[name]


def _admin(stack_env: dict[str, str]):
    deadline = time.monotonic() + 60
    while True:  # (right after one of the suite's restarts PostgreSQL may still be starting)
        try:
            conn = psycopg2.connect(_with_db(stack_env["DATABASE_ADMIN_URL"], "postgres"))
            conn.autocommit = True
            return conn
        except psycopg2.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


@pytest.fixture
def database(stack_env) -> dict[str, str]:
    """Like the suite-wide fixture, but holds no connection open across the test: the test
    restarts PostgreSQL."""
    name = f"rel_{uuid.uuid4().hex[:10]}"
    admin = _admin(stack_env)
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE {name}")
    admin.close()
    urls = {"admin": _with_db(stack_env["DATABASE_ADMIN_URL"], name),
            "loader": _with_db(stack_env["DATABASE_URL"], name),
            "analyst": _with_db(stack_env["ANALYST_DATABASE_URL"], name),
            "ml": _with_db(stack_env["ML_DATABASE_URL"], name)}
    stack.migrate(urls["admin"])
    yield urls
    admin = _admin(stack_env)
    with admin.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin.close()


@pytest.fixture
def figures(request, profile):
    """A dict the test fills with what it measured; written out when the test ends."""
    found: dict = {"profile": profile.name, "test": request.node.name}
    yield found
    out = ROOT / "var" / "reliability"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{request.node.name}.json").write_text(json.dumps(found, indent=2, default=str) + "\n")

