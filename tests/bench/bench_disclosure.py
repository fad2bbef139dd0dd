"""Disclosure figures for docs/BENCHMARKS.md ("Disclosures"): requests per day's full list against
the pages it needs, seconds per request at DART's politeness (against the same crawl with
politeness off, in the same run) and the year's backfill time they imply, and the share of rows
resolved to a stock code (simulated world; captured list.json).

Usage: .venv/bin/python tests/bench/bench_disclosure.py [--stocks 1500]   (needs the local stack)
"""
from __future__ import annotations

import argparse
import datetime as dt
import math
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from services.replay.effects import EffectsConfig  # noqa: E402
from services.replay.simulate import build_world  # noqa: E402
from shared import stack  # noqa: E402
from shared.broker import delete_topics, ensure_topics  # noqa: E402
from shared.crawling.config import SOURCES  # noqa: E402
from shared.parsers import Response, parse  # noqa: E402
from shared.settings import Settings  # noqa: E402
from tests.bench.bench_crawlers import last_run, timed_crawl  # noqa: E402
from tests.crawl.conftest import crawl_env  # noqa: E402
from tests.replay.conftest import Served  # noqa: E402

FIRST, LAST = dt.date(2026, 9, 14), dt.date(2026, 9, 20)       # a week, weekend included
KEY = "bench-opendart-key"
CAPTURE = ROOT / "tests/parsers/fixtures/opendart-list_2023-01-01_02-08_pc100_real"
#: OpenDART, measured elsewhere: one 3-month window held 54,716 filings (CONTRACTS-media.md §1)
QUARTER_ROWS, QUARTER_DAYS, QUARTER_BUSINESS_DAYS = 54_716, 92, 64


def _crawl_seconds(run: dict) -> float:
    """The crawl's own time (crawl_run started_at -> finished_at), without the process start."""
    return (dt.datetime.fromisoformat(run["finished_at"]) - dt.datetime.fromisoformat(run["started_at"])).total_seconds()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stocks", type=int, default=1500)
    args = parser.parse_args()
    env_stack = stack.up()
    prefix = f"bench{uuid.uuid4().hex[:6]}."
    ensure_topics(env_stack["KAFKA_BOOTSTRAP_SERVERS"], prefix)
    settings = Settings(kafka_bootstrap_servers=env_stack["KAFKA_BOOTSTRAP_SERVERS"], kafka_topic_prefix=prefix,
                        database_url=env_stack["DATABASE_URL"], _env_file=None)
    work = Path(tempfile.mkdtemp(prefix="bench_disclosure_"))
    build_world(work / "world", stocks=args.stocks, start=FIRST, end=LAST, seed=11,
                effects=EffectsConfig(movers_per_day=3), posts_per_day=0.05)
    truth = [orjson.loads(line) for line in (work / "world/truth/disclosure.jsonl").read_bytes().splitlines()]
    per_day = Counter(r["receipt_date"] for r in truth)
    days = [FIRST + dt.timedelta(days=i) for i in range((LAST - FIRST).days + 1)]
    needed = sum(max(1, math.ceil(per_day.get(d.isoformat(), 0) / 100)) for d in days)
    server = Served(["--world", str(work / "world")], env={"REPLAY_OPENDART_API_KEY": KEY})
    try:
        env = crawl_env(settings, server.base, work / "archive", OPENDART_API_KEY=KEY, CRAWL_TIMEOUT="30")
        code, seconds, _ = timed_crawl(env, "disclosure", "--from", FIRST.isoformat(), "--to", LAST.isoformat())
        run = last_run(settings, "disclosure")
        print(f"world: {args.stocks} stocks, {len(truth)} filings over {len(days)} days "
              f"({', '.join(f'{d:%a} {per_day.get(d.isoformat(), 0)}' for d in days)})")
        print(f"requests per full list: exit={code} requests={run['requests']} list pages needed={needed} "
              f"+ corpCode.xml + /main.do = {needed + 2}; records={run['records']}")
        resolved = 1 - run["detail"]["unresolved"] / max(run["records"], 1)
        print(f"simulated rows resolved to a stock code: {resolved:.1%} "
              f"(unresolved {run['detail']['unresolved']}, of which listed {run['detail']['unresolved_listed']})")
        base_rate = run["requests"] / _crawl_seconds(run)
        polite = {**env, "CRAWL_POLITE": "1"}
        polite.pop("CRAWL_DELAY", None)
        code, _, _ = timed_crawl(polite, "disclosure", "--from", FIRST.isoformat(), "--to", LAST.isoformat(),
                                 "--force")
        prun = last_run(settings, "disclosure")
        polite_seconds = _crawl_seconds(prun)
        per_request = polite_seconds / prun["requests"]
        print(f"politeness off: {_crawl_seconds(run):.2f} s for {run['requests']} requests ({base_rate:.1f}/s; crawl_run "
              f"started_at to finished_at, process start excluded); DART politeness (concurrency {SOURCES['dart'].concurrency}, delay "
              f"{SOURCES['dart'].delay} s randomised 0.5-1.5x, AutoThrottle): exit={code} {polite_seconds:.2f} s for "
              f"{prun['requests']} requests = {per_request:.2f} s/request "
              f"({per_request * base_rate:.1f}x the unpolite run's per-request time)")
        # Scrapy keys download slots by host name, DOWNLOAD_SLOTS by host:port: on the loopback replay the
        # per-source delay does not apply and the slot runs at AutoThrottle's start delay; on
        # dart.fss.or.kr (no port) it is DART's 1.0 s. Per request = delay + what the crawl adds.
        effective = 0.5
        overhead = per_request - effective
        at_dart = SOURCES["dart"].delay + overhead
        busy = math.ceil(QUARTER_ROWS / QUARTER_BUSINESS_DAYS / 100)
        year_requests = 250 * busy + 115 * 1 + 2
        print(f"per request on the replay: {per_request:.2f} s = delay {effective} s (AutoThrottle's start delay: the "
              f"replay's host:port slot misses DOWNLOAD_SLOTS) + {overhead:.2f} s; at DART's {SOURCES['dart'].delay} s: "
              f"{at_dart:.2f} s/request")
        print(f"a year's backfill at real volume: {QUARTER_ROWS} filings / {QUARTER_BUSINESS_DAYS} business days "
              f"-> {busy} pages a business day, 1 a weekend or holiday day: {year_requests} requests x "
              f"{at_dart:.2f} s = {year_requests * at_dart / 60:.0f} min (plus DART's own response time per page)")
    finally:
        server.stop()
        delete_topics(env_stack["KAFKA_BOOTSTRAP_SERVERS"], prefix)
    rows = parse("opendart-list", Response(body=next(CAPTURE.glob("response.*")).read_bytes(),
                                           url="https://opendart.fss.or.kr/api/list.json"))
    listed = sum(r.market is not None for r in rows)
    print(f"captured list.json (100 rows, 2023-02-08): {sum(r.stock_code is not None for r in rows)} rows with a "
          f"stock code = {sum(r.stock_code is not None for r in rows) / len(rows):.0%}; {listed} with a market "
          f"(Y/K/N), all of them with a stock code: {all(r.stock_code for r in rows if r.market)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
