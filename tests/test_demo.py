"""``make demo`` (infra/demo.sh), scaled down: two worlds in a row, and the second's tables hold
exactly its own world (its own database and topic prefix, so no rows or bookmarks of the first)."""
from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import orjson
import psycopg2
import pytest

from shared.broker import delete_topics
from tests.replay.conftest import _free_port

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[1]
FROM, TO = "2026-09-14", "2026-09-30"


def _demo(out: Path, seed: int) -> tuple[str, str]:
    env = {**os.environ, "DEMO_STOCKS": "40", "DEMO_FROM": FROM, "DEMO_TO": TO, "DEMO_SEED": str(seed),
           "DEMO_PORT": str(_free_port()), "DEMO_OUT": str(out)}
    done = subprocess.run(["bash", "infra/demo.sh"], cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    return done.stdout, done.stderr


def _truth(world: Path, stream: str) -> list[dict]:
    return [orjson.loads(line) for line in (world / "truth" / f"{stream}.jsonl").read_bytes().splitlines()]


def _rows(url: str, query: str) -> set[tuple]:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute(query)
        return set(cur.fetchall())


def test_given_two_demo_worlds_in_a_row_when_the_second_has_run_then_its_tables_hold_only_its_own_world(
        stack_env, tmp_path):
    worlds = []
    try:
        for seed in (7, 8):
            stdout, _ = _demo(tmp_path, seed)
            world = re.search(r"world (\S+): database (\S+), topics (\S+)\*", stdout)
            assert world, stdout[:500]
            worlds.append(world.groups())
            # a line per step, and the answer and report at the end
            assert re.search(r"^  crawl stockcode +ok +\d+s$", stdout, re.M) and "report: " in stdout
        (first, first_db, _), (second, second_db, prefix) = worlds
        assert first != second and first_db != second_db
        url = re.sub(r"/[^/]+$", f"/{second_db}", stack_env["ANALYST_DATABASE_URL"])
        truth = tmp_path / "worlds" / second / "world"
        assert _rows(url, "SELECT code FROM m_stock") == {(r["code"],) for r in _truth(truth, "stock_listing")}
        assert _rows(url, "SELECT code, trade_date::text FROM if_stock_daily_price") == {
            (r["code"], r["trade_date"]) for r in _truth(truth, "daily_price")}
        assert _rows(url, "SELECT post_id FROM if_board_post") == {
            (r["post_id"],) for r in _truth(truth, "board_post") if r["posted_at"][:10] <= TO}
        assert (tmp_path / "report").resolve() == (tmp_path / "worlds" / second / "report").resolve()
        assert any((tmp_path / "worlds" / second / "archive").rglob("*.gz"))  # its archive in its own folder
    finally:
        admin = psycopg2.connect(re.sub(r"/[^/]+$", "/postgres", stack_env["DATABASE_ADMIN_URL"]))
        admin.autocommit = True
        with admin.cursor() as cur:
            for _, db, prefix in worlds:
                cur.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
                delete_topics(stack_env["KAFKA_BOOTSTRAP_SERVERS"], prefix)
        admin.close()
