"""A scored database shared by the API, dashboard and watchlist tests: a small simulated world
(board posts leading the movers by a day), its truth records loaded, scored by the ML worker and
given pre-open watchlists for its last trading days, each scored against its day's movers."""
from __future__ import annotations

import datetime as dt
import uuid

import psycopg2

from ml.cli import score_range
from ml.scoring import ScoringConfig
from shared import stack
from tests.truth import load_truth

START, END = dt.date(2025, 1, 1), dt.date(2025, 4, 30)
CONFIG = ScoringConfig(window=250, min_train=30, step=21, n_perm=399, n_boot=200, seed=0)
WATCH_DAYS = 6
STOCKS = 40


def build(folder):
    from services.replay.effects import Effect, EffectsConfig
    from services.replay.simulate import build_world

    build_world(folder, stocks=STOCKS, start=START, end=END, seed=3,
                effects=EffectsConfig(movers_per_day=6, effects=[Effect(medium="board", lag=1)]))
    return folder


def create_database(stack_env: dict[str, str]) -> tuple[dict[str, str], callable]:
    """A freshly migrated database; (urls per role, drop function)."""
    from tests.conftest import _with_db

    name = f"test_{uuid.uuid4().hex[:10]}"
    server = _with_db(stack_env["DATABASE_ADMIN_URL"], "postgres")
    admin = psycopg2.connect(server)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE {name}")
    admin.close()
    urls = {"admin": _with_db(stack_env["DATABASE_ADMIN_URL"], name),
            "analyst": _with_db(stack_env["ANALYST_DATABASE_URL"], name),
            "ml": _with_db(stack_env["ML_DATABASE_URL"], name)}
    stack.migrate(urls["admin"])

    def drop():  # a connection of its own: the suite may have restarted PostgreSQL meanwhile
        admin = psycopg2.connect(server)
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()
    return urls, drop


def fill(urls: dict[str, str], world) -> list[dt.date]:
    """Load the world, score it, make and score watchlists of its last WATCH_DAYS trading days
    (the one of the last day left unscored, as on a morning before the evening's scoring).
    Returns the watchlist days."""
    from services.watchlist.cli import make
    from services.watchlist.store import score_watchlist

    load_truth(world / "truth", urls["admin"])
    score_range(urls["ml"], START, END, CONFIG)
    with psycopg2.connect(urls["ml"]) as conn, conn.cursor() as cur:
        cur.execute("SELECT DISTINCT trade_date FROM if_top_mover ORDER BY 1 DESC LIMIT %s", (WATCH_DAYS,))
        days = sorted(r[0] for r in cur.fetchall())
    for day in days:
        make(urls["ml"], day, top=5, window=250)
    conn = psycopg2.connect(urls["ml"])
    try:
        for day in days[:-1]:
            score_watchlist(conn, day)
    finally:
        conn.close()
    return days
