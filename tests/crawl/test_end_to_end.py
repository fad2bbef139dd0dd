"""End to end: the seven crawlers against a simulated world -> Kafka -> loader -> PostgreSQL, and
every table equals the world's ground truth, record for record and column for column."""
from __future__ import annotations

import datetime as dt
import time

import psycopg2
import pytest

from services.loader.consumer import Loader
from services.loader.tables import SPECS
from shared.streams import MODELS
from tests.crawl.conftest import FIRST, LAST, crawl, runs, start_crawl, truth

pytestmark = pytest.mark.integration

#: Every stream the world has a truth for.
TRUTH_STREAMS = ("stock_listing", "sector", "stock_sector", "stock_valuation", "daily_price", "board_post",
                 "news_rank", "financial_statement", "fear_greed", "fx_rate")
DAY = dt.timedelta(days=1)


def _table(settings, stream: str) -> dict[str, dict]:
    spec = SPECS[stream]
    model = MODELS[stream]
    with psycopg2.connect(settings.database_url.get_secret_value()) as conn, conn.cursor() as cur:
        cur.execute(f"SELECT {', '.join(spec.columns)} FROM {spec.table}")
        rows = [dict(zip(spec.columns, row)) for row in cur.fetchall()]
    records = [model.model_validate(row) for row in rows]
    return {r.key(): r.model_dump(mode="json") for r in records}


def _expected(world, stream: str) -> dict[str, dict]:
    model = MODELS[stream]
    rows = truth(world, stream)
    records = [model.model_validate(row) for row in rows]
    return {r.key(): r.model_dump(mode="json") for r in records}


def test_given_a_simulated_world_when_all_seven_crawl_and_the_loader_runs_then_tables_equal_the_truth(
        settings, crawl_world, env_for):
    env = env_for()
    listing = crawl(env, "stockcode")
    assert listing.code == 0, listing.stderr[-2000:]
    # Listings from Naver and KIND land in one batch: the loader must merge them column by column.
    Loader(settings, batch_seconds=0.5).run(until_idle=True, idle_seconds=1.0)
    days = ("--from", FIRST.isoformat(), "--to", LAST.isoformat())
    jobs = {
        "stockreport": days,
        "stockdebate": ("--from", (FIRST - 4 * DAY).isoformat(), "--to", LAST.isoformat()),
        "financialreport": (),
        "news": ("--from", (FIRST - DAY).isoformat(), "--to", LAST.isoformat()),
        "fear-greed": days,
        "fx": days,
    }
    procs = {service: start_crawl(env, service, *args) for service, args in jobs.items()}
    for service, proc in procs.items():
        _, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, f"{service} exited {proc.returncode}: {err.decode()[-2000:]}"

    Loader(settings, batch_seconds=0.5).run(until_idle=True, idle_seconds=1.0)

    for stream in TRUTH_STREAMS:
        expected, loaded = _expected(crawl_world, stream), _table(settings, stream)
        missing = sorted(set(expected) - set(loaded))
        extra = sorted(set(loaded) - set(expected))
        assert not missing and not extra, f"{stream}: {len(missing)} missing (e.g. {missing[:3]}), " \
                                          f"{len(extra)} unexpected (e.g. {extra[:3]})"
        for key, want in expected.items():
            got = loaded[key]
            diff = {f: (want[f], got[f]) for f in want if want[f] != got[f]}
            assert not diff, f"{stream} {key}: (truth, table) differ in {diff}"

    finished = {r["service"]: r for r in runs(settings, "stockcode") + [
        r for s in jobs for r in runs(settings, s)]}
    assert set(finished) == {"stockcode", *jobs}
    for service, run in finished.items():
        assert run["status"] == "succeeded" and run["errors"] == 0, (service, run)
        assert run["records"] > 0 and run["pages"] == run["requests"], (service, run)
