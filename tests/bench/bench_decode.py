"""A decoder's CPU per record: ``decode_batch`` (validate + COPY text) on 50,000 daily_price envelopes,
best of 7, in CPU microseconds a record. ``--crawler-stamps`` gives every envelope its own
``extracted_at``, as crawlers write them (the loader bench's envelopes share one).

    .venv/bin/python tests/bench/bench_decode.py [--crawler-stamps] [--tree PATH]

``--tree`` runs another checkout's decoder (say a ``git worktree`` of an older commit) for an A/B
comparison in the same run: alternate the two a few times, as the machine's speed drifts.
"""
from __future__ import annotations

import argparse
import datetime as dt
import gc
import sys
import time
from pathlib import Path

parser = argparse.ArgumentParser()
parser.add_argument("--crawler-stamps", action="store_true")
parser.add_argument("--tree", default=str(Path(__file__).resolve().parents[2]))
parser.add_argument("--records", type=int, default=50_000)
args = parser.parse_args()
sys.path.insert(0, args.tree)

import orjson  # noqa: E402

from services.loader.decode import decode_batch  # noqa: E402
from tests.loader.streams import daily_price, envelope_bytes  # noqa: E402

gc.freeze()
gc.set_threshold(200_000, 50, 100)  # as in a decoder process
messages = [envelope_bytes(daily_price(i), "bench") for i in range(args.records)]
keys = [key for key, _ in messages]
values = [value for _, value in messages]
if args.crawler_stamps:
    start = dt.datetime(2026, 11, 21, tzinfo=dt.timezone.utc)

    def restamped(i: int, value: bytes) -> bytes:
        envelope = orjson.loads(value)
        envelope["extracted_at"] = orjson.dumps(start + dt.timedelta(microseconds=37 * i),
                                                option=orjson.OPT_UTC_Z).decode().strip('"')
        return orjson.dumps(envelope)

    values = [restamped(i, value) for i, value in enumerate(values)]
assert not decode_batch("daily_price", keys, values).refused
best = float("inf")
for _ in range(7):
    started = time.process_time()
    decode_batch("daily_price", keys, values)
    best = min(best, time.process_time() - started)
print(f"{best / args.records * 1e6:.2f} us a record ({args.tree})")
