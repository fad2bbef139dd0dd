"""Crawler figures for docs/BENCHMARKS.md ("Crawlers"): per crawler, pages per second against the
replay site with politeness off beside ``scrapy bench`` in the same run; requests per new record
in an incremental daily run vs the minimum possible; peak memory (max RSS) per crawl process.

Usage: .venv/bin/python tests/bench/bench_crawlers.py [--stocks 120]   (needs the local stack)
"""
from __future__ import annotations

import argparse
import datetime as dt
import math
import re
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

import orjson
from kafka import KafkaProducer

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from services.replay.effects import EffectsConfig  # noqa: E402
from services.replay.simulate import build_world  # noqa: E402
from shared import stack  # noqa: E402
from shared.broker import delete_topics, ensure_topics  # noqa: E402
from shared.settings import Settings  # noqa: E402
from shared.topics import BOOKMARKS, topic_for  # noqa: E402
from tests.crawl.conftest import crawl_env, read_stream  # noqa: E402
from tests.replay.conftest import Served  # noqa: E402

FIRST, LAST = dt.date(2026, 9, 1), dt.date(2026, 9, 30)


def scrapy_bench(seconds: int = 10) -> float:
    out = subprocess.run([sys.executable, "-m", "scrapy", "bench", "-s", f"CLOSESPIDER_TIMEOUT={seconds}"],
                         capture_output=True, text=True, cwd=tempfile.gettempdir()).stderr
    pages = int(re.search(r"'response_received_count': (\d+)", out).group(1))
    elapsed = float(re.search(r"'elapsed_time_seconds': ([\d.]+)", out).group(1))
    return pages / elapsed


def timed_crawl(env: dict, service: str, *args: str) -> tuple[int, float, int]:
    """(exit code, wall seconds, peak RSS in MB of the crawl process)."""
    cmd = ["/usr/bin/time", "-f", "MAXRSS=%M", sys.executable, "-m", "shared.cli", "crawl", service, *args]
    started = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - started
    rss = int(re.search(r"MAXRSS=(\d+)", done.stderr).group(1)) // 1024
    if done.returncode:
        print(done.stderr[-1500:], file=sys.stderr)
    return done.returncode, seconds, rss


def last_run(settings: Settings, service: str) -> dict:
    return [e["record"] for e in read_stream(settings, "crawl_run") if e["record"]["service"] == service][-1]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stocks", type=int, default=120)
    args = parser.parse_args()
    env_stack = stack.up()
    prefix = f"bench{uuid.uuid4().hex[:6]}."
    ensure_topics(env_stack["KAFKA_BOOTSTRAP_SERVERS"], prefix)
    settings = Settings(kafka_bootstrap_servers=env_stack["KAFKA_BOOTSTRAP_SERVERS"], kafka_topic_prefix=prefix,
                        database_url=env_stack["DATABASE_URL"], _env_file=None)
    work = Path(tempfile.mkdtemp(prefix="bench_crawl_"))
    build_world(work / "world", stocks=args.stocks, start=FIRST, end=LAST, seed=11,
                effects=EffectsConfig(movers_per_day=3), posts_per_day=1.0)
    server = Served(["--world", str(work / "world")], env={"REPLAY_KOREAEXIM_AUTHKEY": "crawl-test-key"})
    try:
        env = crawl_env(settings, server.base, work / "archive", CRAWL_TIMEOUT="30")
        bench_before = scrapy_bench()
        print(f"scrapy bench (before the crawls): {bench_before:.0f} pages/s")
        before = (LAST - dt.timedelta(days=1)).isoformat()
        days = ("--from", FIRST.isoformat(), "--to", before)
        plan = [("stockcode", ()), ("stockreport", days), ("stockdebate", days), ("financialreport", ()),
                ("news", days), ("fear-greed", days), ("fx", days)]
        rows = []
        for service, extra in plan:
            code, seconds, rss = timed_crawl(env, service, *extra)
            run = last_run(settings, service)
            took = (dt.datetime.fromisoformat(run["finished_at"]) - dt.datetime.fromisoformat(run["started_at"])).total_seconds()
            rows.append((service, code, run["pages"], took, run["pages"] / took, rss))
        # The machine is shared: scrapy bench before and after the crawls, their mean is the baseline.
        bench_after = scrapy_bench()
        baseline = (bench_before + bench_after) / 2
        print(f"scrapy bench (after the crawls): {bench_after:.0f} pages/s; baseline {baseline:.0f} pages/s")
        for service, code, pages, took, rate, rss in rows:
            print(f"{service:16} exit={code} pages={pages:5d} crawl={took:6.2f}s "
                  f"{rate:7.1f} pages/s ({rate / baseline:.2f}x bench) rss={rss} MB")

        # Incremental daily run for the last day. The board gets bookmarks as a daily run left them
        # the day before (the newest post before LAST), so only LAST's posts are new.
        posts = [orjson.loads(l) for l in (work / "world" / "truth" / "board_post.jsonl").read_bytes().splitlines()]
        codes = sorted({p["code"] for p in posts} | {orjson.loads(l)["code"] for l in
                       (work / "world" / "truth" / "stock_listing.jsonl").read_bytes().splitlines()})
        older = {}
        for p in posts:
            if p["posted_at"][:10] < LAST.isoformat():
                older[p["code"]] = max(older.get(p["code"], 0), int(p["post_id"]))
        new_posts = Counter(p["code"] for p in posts if p["posted_at"][:10] == LAST.isoformat())
        producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers)
        for code in codes:
            producer.send(topic_for(BOOKMARKS, prefix), key=f"stockdebate:{code}".encode(),
                          value=orjson.dumps({"newest": str(older.get(code, 0)), "since": FIRST.isoformat()}))
        producer.flush()
        producer.close()
        day = LAST.isoformat()
        daily = [("stockreport", ("--from", day, "--to", day), None),
                 # one page per board (+ one per further 100 new posts), and the reactions of the
                 # new posts, 100 per request across boards
                 ("stockdebate", (), sum(max(1, math.ceil(new_posts[c] / 100)) for c in codes)
                  + math.ceil(sum(new_posts.values()) / 100)),
                 ("news", ("--date", day), None), ("fx", ("--date", day), None),
                 ("fear-greed", ("--date", day), None)]
        print("\nincremental daily run (last day):")
        for service, extra, minimum in daily:
            code, _, _ = timed_crawl({**env, "CRAWL_PROGRESS": "off"}, service, *extra)
            run = last_run(settings, service)
            if minimum is None:  # one request per stock/index, per page of the day, or per day
                minimum = {"stockreport": len(codes) + 2, "news": 16, "fx": 1, "fear-greed": 1}[service]
            ratio = run["requests"] / minimum
            print(f"{service:16} exit={code} requests={run['requests']:4d} new records={run['records']:5d} "
                  f"minimum requests={minimum:4d} -> {ratio:.2f}x; requests/record="
                  f"{run['requests'] / max(run['records'], 1):.3f}")
    finally:
        server.stop()
        delete_topics(env_stack["KAFKA_BOOTSTRAP_SERVERS"], prefix)
    print(f"\nbench process max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
