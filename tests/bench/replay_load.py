"""Bounded loopback load generator for the replay site: keep-alive HTTP/1.1 GETs over a mix of
endpoints, N connections for T seconds; prints requests/second.

    python tests/bench/replay_load.py --world /tmp/wbig --port 18960 --seconds 10 --connections 32
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


async def main_async(args) -> None:
    mix = paths(args.world, 5000)
    counts = [0, 0]
    start = time.perf_counter()
    await asyncio.gather(*(client(args.host, args.port, mix, start + args.seconds, counts)
                           for _ in range(args.connections)))
    took = time.perf_counter() - start
    print(json.dumps({"requests": counts[0], "seconds": round(took, 2), "rps": round(counts[0] / took),
                      "mb_per_s": round(counts[1] / took / 1e6, 1), "connections": args.connections}))


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--world", type=Path, required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=18960)
    p.add_argument("--seconds", type=float, default=10)
    p.add_argument("--connections", type=int, default=32)
    asyncio.run(main_async(p.parse_args()))
