"""Bounded loopback load generator for the replay site: keep-alive HTTP/1.1 GETs over a mix of
endpoints, N connections for T seconds; prints requests/second.

    python tests/bench/replay_load.py --world /tmp/wbig --port 18960 --seconds 10 --connections 32

``--vs-crawler`` (needs the local stack): in one run, start ``insertcoin replay serve`` on the
world, crawl the fastest crawlers with politeness off the way tests/bench/bench_crawlers.py does
(a 120-security world, CRAWL_POLITE=0), then load the server for ``--seconds`` twice (the first
pass fills the body cache) and print the server's req/s as a multiple of the best crawler's
requests/s (crawl_run.requests over its own duration).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from pathlib import Path

FLAGS = "isHolderOnly=false&excludesItemNews=false&isItemNewsOnly=false&isCleanbotPassedOnly=false"


def paths(world: Path, n: int, seed: int = 1) -> list[str]:
    """A mix like a crawl: charts, discussion pages, integration/finance, market value, Nate, FX."""
    rng = random.Random(seed)
    listing = json.loads((world / "listing.json").read_text())
    days = json.loads((world / "world.json").read_text())["krx_days"]
    codes = [s["code"] for s in listing]
    mix = []
    for _ in range(n):
        code, day = rng.choice(codes), rng.choice(days).replace("-", "")
        mix.append(rng.choice([
            f"/chart/domestic/item/{code}/day?startDateTime={days[0].replace('-', '')}0000&endDateTime={day}0000",
            f"/api/community/discussion/posts/by-item?discussionType=domesticStock&itemCode={code}&{FLAGS}&pageSize=100",
            f"/api/stock/{code}/integration", f"/api/stock/{code}/finance/quarter",
            f"/api/stocks/marketValue/KOSPI?page={rng.randint(1, 10)}&pageSize=100",
            f"/rank/interest?sc=eco&p=day&date={day}",
            f"/site/program/financial/exchangeJSON?authkey=bench&searchdate={day}&data=AP01",
        ]))
    return mix


async def client(host: str, port: int, mix: list[str], stop: float, counts: list[int]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    i = random.randrange(len(mix))
    while time.perf_counter() < stop:
        path = mix[i % len(mix)]
        i += 1
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: bench\r\n\r\n".encode())
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(next(l.split(b":")[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")))
        await reader.readexactly(length)
        counts[0] += 1
        counts[1] += length
    writer.close()


async def main_async(args) -> dict:
    mix = paths(args.world, 5000)
    counts = [0, 0]
    start = time.perf_counter()
    await asyncio.gather(*(client(args.host, args.port, mix, start + args.seconds, counts)
                           for _ in range(args.connections)))
    took = time.perf_counter() - start
    result = {"requests": counts[0], "seconds": round(took, 2), "rps": round(counts[0] / took),
              "mb_per_s": round(counts[1] / took / 1e6, 1), "connections": args.connections}
    print(json.dumps(result))
    return result


def vs_crawler(args) -> None:
    import datetime as dt
    import sys
    import tempfile
    import uuid
    root = Path(__file__).resolve().parents[2]
    sys.path.insert(0, str(root))
    from services.replay.effects import EffectsConfig
    from services.replay.simulate import build_world
    from shared import stack
    from shared.broker import delete_topics, ensure_topics
    from shared.settings import Settings
    from tests.bench.bench_crawlers import FIRST, LAST, last_run, timed_crawl
    from tests.crawl.conftest import crawl_env
    from tests.replay.conftest import Served

    env_stack = stack.up()
    prefix = f"bench{uuid.uuid4().hex[:6]}."
    ensure_topics(env_stack["KAFKA_BOOTSTRAP_SERVERS"], prefix)
    settings = Settings(kafka_bootstrap_servers=env_stack["KAFKA_BOOTSTRAP_SERVERS"], kafka_topic_prefix=prefix,
                        database_url=env_stack["DATABASE_URL"], _env_file=None)
    work = Path(tempfile.mkdtemp(prefix="bench_replay_"))
    build_world(work / "world", stocks=120, start=FIRST, end=LAST, seed=11,
                effects=EffectsConfig(movers_per_day=3), posts_per_day=1.0)
    small = Served(["--world", str(work / "world")], env={"REPLAY_KOREAEXIM_AUTHKEY": "crawl-test-key"})
    best = (None, 0.0)
    try:
        env = crawl_env(settings, small.base, work / "archive", CRAWL_TIMEOUT="30")
        days = ("--from", FIRST.isoformat(), "--to", (LAST - dt.timedelta(days=1)).isoformat())
        for service, extra in (("stockcode", ()), ("stockreport", days), ("fx", days)):
            code, _, _ = timed_crawl(env, service, *extra)
            run = last_run(settings, service)
            took = (dt.datetime.fromisoformat(run["finished_at"]) - dt.datetime.fromisoformat(run["started_at"])).total_seconds()
            rate = run["requests"] / took
            print(json.dumps({"crawler": service, "exit": code, "requests": run["requests"], "seconds": round(took, 2),
                              "requests_per_s": round(rate, 1)}))
            best = max(best, (service, rate), key=lambda b: b[1])
    finally:
        small.stop()
        delete_topics(env_stack["KAFKA_BOOTSTRAP_SERVERS"], prefix)
    big = Served(["--world", str(args.world), *(["--workers", str(args.workers)] if args.workers > 1 else [])])
    try:
        args.port = big.port
        for label in ("cold", "warm"):
            counts = asyncio.run(main_async(args))
            print(json.dumps({"pass": label, **counts}))
    finally:
        big.stop()
    print(json.dumps({"fastest_crawler": best[0], "crawler_requests_per_s": round(best[1], 1),
                      "server_rps": counts["rps"], "multiple": round(counts["rps"] / best[1], 1)}))


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--world", type=Path, required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=18960)
    p.add_argument("--seconds", type=float, default=10)
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--workers", type=int, default=1, help="with --vs-crawler: server processes")
    p.add_argument("--vs-crawler", action="store_true", help="measure the fastest crawler in the same run")
    parsed = p.parse_args()
    vs_crawler(parsed) if parsed.vs_crawler else asyncio.run(main_async(parsed))
