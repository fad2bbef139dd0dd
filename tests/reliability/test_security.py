"""Security checks: each database role can do what its service needs and nothing more; no password
or API key reaches a log line or an archived file; hostile command-line arguments are refused as
inputs before anything connects anywhere."""
from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import psycopg2
import pytest

from tests.crawl.conftest import AUTHKEY, FIRST, LAST, crawl, crawl_env
from tests.loader.streams import daily_price, envelope_bytes, produce

pytestmark = pytest.mark.integration
ROOT = Path(__file__).parents[2]


def _refused(url: str, statement: str) -> str | None:
    """The error class if the role may not run ``statement`` (rolled back either way), else None."""
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(statement)
        return None
    except psycopg2.Error as exc:
        return type(exc).__name__
    finally:
        conn.rollback()
        conn.close()


ROW = ("INSERT INTO if_stock_daily_price (code, trade_date, close, volume, halted, source, run_id, extracted_at) "
       "VALUES ('005930', '2026-01-02', 1, 1, true, 's', 'r', now())")
MOVER = ("INSERT INTO if_top_mover (trade_date, list, rank, code, r, direction, open, close, volume, n_valid) "
         "VALUES ('2026-01-02', 'abs', 1, '005930', 0.1, 'up', 1, 1.1, 100, 10)")


GRANTS = [
    ("analyst", "SELECT count(*) FROM if_stock_daily_price", True),
    ("analyst", "SELECT count(*) FROM v_top_movers_media", True),
    ("analyst", ROW, False),
    ("analyst", "UPDATE m_stock SET name = 'x'", False),
    ("analyst", "DELETE FROM if_board_post", False),
    ("analyst", "TRUNCATE if_fx_rate", False),
    ("analyst", "CREATE TABLE public.mine (x int)", False),
    ("analyst", "CREATE VIEW public.v_mine AS SELECT 1", False),
    ("analyst", MOVER, False),
    ("loader", ROW, True),
    ("loader", "CREATE TEMP TABLE staging (x int)", True),  # its staging tables
    ("loader", "DROP TABLE m_stock", False),
    ("loader", "ALTER TABLE m_stock ADD COLUMN x int", False),
    ("loader", "ALTER TABLE if_dead_letter DROP COLUMN reason", False),
    ("loader", "CREATE TABLE public.mine (x int)", False),
    ("loader", "TRUNCATE if_stock_daily_price", False),
    ("loader", "DELETE FROM if_dead_letter", False),
    ("loader", "SELECT rolpassword FROM pg_authid", False),
    ("loader", "SELECT passwd FROM pg_shadow", False),
    ("loader", "SELECT pg_read_file('postgresql.conf')", False),
    ("loader", "COPY if_stock_daily_price TO '/tmp/out.csv'", False),
    ("loader", "UPDATE if_financial_statement_change SET value = 0", False),
    ("loader", MOVER, False),
    ("ml", MOVER, True),
    ("ml", "DELETE FROM if_media_influence_daily", True),
    ("ml", ROW, False),
    ("ml", "UPDATE m_stock SET name = 'x'", False),
    ("ml", "DELETE FROM if_board_post", False),
    ("ml", "CREATE TABLE public.mine (x int)", False),
    ("ml", "DROP TABLE if_top_mover", False),
    ("ml", "SELECT rolpassword FROM pg_authid", False),
]


def test_given_each_role_when_it_runs_the_statements_of_the_table_then_only_what_its_service_needs_is_allowed(database):
    wrong = []
    for role, statement, allowed in GRANTS:
        refused = _refused(database[role], statement)
        if allowed and refused is not None:
            wrong.append(f"{role} could not: {statement} ({refused})")
        if not allowed and refused != "InsufficientPrivilege":
            wrong.append(f"{role} was not refused: {statement} ({refused})")
    assert wrong == []


def _secrets(settings) -> dict[str, str]:
    """Every password in the connection settings, and the Eximbank key."""
    found = {"KOREAEXIM_AUTHKEY": AUTHKEY}
    for name in ("DATABASE_URL", "DATABASE_ADMIN_URL", "ANALYST_DATABASE_URL", "ML_DATABASE_URL"):
        url = os.environ.get(name) or ""
        if urlsplit(url).password:
            found[name] = unquote(urlsplit(url).password)
    for name, value in (("loader", settings.database_url), ("admin", settings.database_admin_url)):
        if value is not None and urlsplit(value.get_secret_value()).password:
            found[name] = unquote(urlsplit(value.get_secret_value()).password)
    return {name: value for name, value in found.items() if len(value) >= 6}


def test_given_a_load_and_crawls_that_fail_and_succeed_when_they_log_and_archive_then_no_secret_appears(
        settings, crawl_world, replay, tmp_path):
    secrets = _secrets(settings)
    assert {"KOREAEXIM_AUTHKEY", "loader"} <= set(secrets)
    # a loader that logs at DEBUG, with a dead letter and a good record
    produce(settings, [(b"bad", b"{not json"), envelope_bytes(daily_price(1))])
    env = crawl_env(settings, replay.base, tmp_path / "archive", LOG_LEVEL="DEBUG")
    loader = subprocess.run([sys.executable, "-m", "shared.cli", "load", "--until-idle", "--idle-seconds", "1"],
                            env=env, capture_output=True, timeout=180, cwd=ROOT)
    assert loader.returncode == 0, loader.stderr.decode()[-2000:]
    outputs = {"loader": loader.stdout + loader.stderr}
    # a crawl with the key in its URLs, one with a wrong key, one whose database/broker is gone
    done = crawl(env, "fx", "--from", FIRST.isoformat(), "--to", LAST.isoformat())
    assert done.code == 0, done.stderr[-1500:]
    outputs["fx crawl"] = done.stderr.encode()
    wrong = crawl(env | {"KOREAEXIM_AUTHKEY": AUTHKEY + "-wrong"}, "fx", "--date", LAST.isoformat())
    outputs["fx crawl, wrong key"] = wrong.stderr.encode()
    broken = subprocess.run([sys.executable, "-m", "shared.cli", "load", "--until-idle", "--idle-seconds", "1"],
                            env=env | {"DATABASE_URL": settings.database_url.get_secret_value().replace(
                                f":{settings.stack_pg_port}/", ":1/")}, capture_output=True, timeout=180, cwd=ROOT)
    assert broken.returncode != 0
    outputs["loader, database unreachable"] = broken.stdout + broken.stderr
    archived = list((tmp_path / "archive").rglob("*"))
    files = [f for f in archived if f.is_file()]
    assert files, "the crawl archived nothing to check"
    for f in files:
        data = f.read_bytes()
        outputs[str(f)] = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
    leaks = [f"{name} in {where}" for where, text in outputs.items() for name, value in secrets.items()
             if value.encode() in text]
    assert leaks == []


HOSTILE = [
    ["crawl", "stockreport", "--codes", "005930';DROP TABLE m_stock;--"],
    ["crawl", "stockdebate", "--codes", "$(rm -rf /)"],
    ["crawl", "stockreport", "--date", "2026-01-01';DROP TABLE m_stock;--"],
    ["crawl", "news", "--from", "2026-01-01 OR 1=1", "--to", "2026-01-02"],
    ["crawl", "stockreport", "--shard", "1/0;DROP"],
    ["score", "--date", "x'); DROP TABLE if_top_mover;--"],
    ["score", "--from", "2026-01-01' OR '1'='1", "--to", "2026-01-02"],
    ["report", "--from", "2026-01-01", "--to", "2026-01-02;DROP TABLE m_stock", "--out", "/tmp/x"],
    ["simulate", "--stocks", "10;DROP", "--from", "2026-01-01", "--to", "2026-01-02", "--seed", "1", "--out", "/tmp/x"],
    ["crawl", "'; DROP TABLE m_stock; --"],
    ["load", "--batch-size", "1; DROP TABLE m_stock"],
]


@pytest.mark.parametrize("argv", HOSTILE, ids=lambda argv: " ".join(argv)[:60])
def test_given_a_hostile_argument_when_the_cli_runs_then_it_is_refused_before_any_connection(argv, tmp_path):
    # The database and broker settings point at a closed port: only a refusal at parsing exits 2.
    env = dict(os.environ, DATABASE_URL="postgresql://nobody:nothing@127.0.0.1:1/none",
               DATABASE_ADMIN_URL="postgresql://nobody:nothing@127.0.0.1:1/none",
               ML_DATABASE_URL="postgresql://nobody:nothing@127.0.0.1:1/none",
               KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:1", ARCHIVE_DIR=str(tmp_path))
    done = subprocess.run([sys.executable, "-m", "shared.cli", *argv], env=env, capture_output=True,
                          timeout=60, cwd=ROOT)
    assert done.returncode == 2, done.stderr.decode()[-1500:]
    refusal = done.stderr.decode()
    assert refusal.count("\n") == 1 and ": argument " in refusal, refusal[-500:]  # one line naming the argument
