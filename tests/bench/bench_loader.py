"""Loader throughput: N daily_price records through Kafka and the loader into PostgreSQL, beside a
raw COPY of the same rows into the same table and a plain executemany, all in one run.

    .venv/bin/python tests/bench/bench_loader.py [--records 1000000] [--executemany 50000] [--decoders N]

Needs the local stack (`insertcoin stack up`). Prints a Markdown table for docs/BENCHMARKS.md.
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import psycopg2

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from services.loader.tables import SPECS  # noqa: E402
from services.loader.writer import copy_text, row_values  # noqa: E402
from shared import stack  # noqa: E402
from shared.broker import ensure_topics  # noqa: E402
from shared.settings import Settings  # noqa: E402
from tests.conftest import _with_db, subprocess_env  # noqa: E402
from tests.loader.streams import daily_price, envelope_bytes, produce  # noqa: E402


def fresh_database(env: dict[str, str]) -> dict[str, str]:
    name = f"bench_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(_with_db(env["DATABASE_ADMIN_URL"], "postgres"))
    admin.autocommit = True
    admin.cursor().execute(f"CREATE DATABASE {name}")
    admin.close()
    urls = {"admin": _with_db(env["DATABASE_ADMIN_URL"], name), "loader": _with_db(env["DATABASE_URL"], name)}
    stack.migrate(urls["admin"])
    return urls | {"name": name}


def drop_database(env, name):
    admin = psycopg2.connect(_with_db(env["DATABASE_ADMIN_URL"], "postgres"))
    admin.autocommit = True
    admin.cursor().execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin.close()


def tree_rss_kib(pid: int) -> int:
    """Resident memory of a process and all its descendants (the loader and its decoders), in KiB."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            with open(f"/proc/{current}/status") as status:
                total += next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    todo += map(int, children.read().split())
        except (FileNotFoundError, ProcessLookupError, StopIteration):
            continue
    return total


def run_loader(settings: Settings, expected: int, decoders: int | None) -> tuple[float, int]:
    """Seconds from start to the last row, and the peak resident memory of the loader's process
    tree (sampled every 50 ms) in KiB."""
    started = time.monotonic()
    extra = [] if decoders is None else ["--decoders", str(decoders)]
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([sys.executable, "-m", "shared.cli", "load", "--until-idle",
                                 "--idle-seconds", "0.5", "--batch-seconds", "0.5", "--batch-size", "50000", *extra],
                                env=subprocess_env(settings, LOG_LEVEL="WARNING"),
                                stdout=subprocess.DEVNULL, stderr=err)
        peak = [0]

        def sample() -> None:
            while proc.poll() is None:
                peak[0] = max(peak[0], tree_rss_kib(proc.pid))
                time.sleep(0.05)

        sampler = threading.Thread(target=sample)
        sampler.start()
        proc.wait()
        elapsed = time.monotonic() - started - 0.5  # the idle wait (one empty --batch-seconds) is not loading
        sampler.join()
        if proc.returncode != 0:
            err.seek(0)
            raise SystemExit(err.read().decode()[-3000:])
    with psycopg2.connect(settings.database_url.get_secret_value()) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM if_stock_daily_price")
        assert cur.fetchone()[0] == expected
    return elapsed, peak[0]


def raw_copy(url: str, rows: list[tuple]) -> float:
    spec = SPECS["daily_price"]
    payload = copy_text(rows)  # formatted before the clock starts
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("TRUNCATE if_stock_daily_price")
        conn.commit()
        started = time.monotonic()
        cur.copy_expert(f"COPY if_stock_daily_price ({', '.join(spec.all_columns)}) FROM STDIN",
                        io.StringIO(payload))
        conn.commit()
        return time.monotonic() - started


def executemany(url: str, rows: list[tuple]) -> float:
    spec = SPECS["daily_price"]
    cols = ", ".join(spec.all_columns)
    marks = ", ".join(["%s"] * len(spec.all_columns))
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("TRUNCATE if_stock_daily_price")
        conn.commit()
        started = time.monotonic()
        cur.executemany(f"INSERT INTO if_stock_daily_price ({cols}) VALUES ({marks}) "
                        f"ON CONFLICT (code, trade_date) DO NOTHING", rows)
        conn.commit()
        return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--executemany", type=int, default=50_000)
    parser.add_argument("--decoders", type=int, default=None, help="the loader's --decoders (default: its own)")
    args = parser.parse_args()
    env = stack.up()
    db = fresh_database(env)
    prefix = f"bench{uuid.uuid4().hex[:6]}."
    ensure_topics(env["KAFKA_BOOTSTRAP_SERVERS"], prefix)
    settings = Settings(database_url=db["loader"], kafka_bootstrap_servers=env["KAFKA_BOOTSTRAP_SERVERS"],
                        kafka_topic_prefix=prefix, _env_file=None)
    try:
        # Records are made on the fly and not kept: the loader is started from this process, and a
        # child's peak RSS counts the parent's pages it started with.
        started = time.monotonic()
        produce(settings, (envelope_bytes(daily_price(i), "bench") for i in range(args.records)))
        produce_s = time.monotonic() - started

        load_s, peak_kib = run_loader(settings, args.records, args.decoders)
        at = dt.datetime(2026, 11, 21, tzinfo=dt.timezone.utc)  # as in envelope_bytes: the same rows
        rows = [row_values(daily_price(i), source="test", run_id="bench", extracted_at=at)
                for i in range(args.records)]
        copy_s = raw_copy(db["admin"], rows)
        many_s = executemany(db["admin"], rows[: args.executemany])
    finally:
        drop_database(env, db["name"])
    n = args.records
    loader_rate, copy_rate, many_rate = n / load_s, n / copy_s, args.executemany / many_s
    print(f"| path | records | seconds | records/s | vs raw COPY |")
    print(f"|---|---:|---:|---:|---:|")
    print(f"| loader (Kafka -> validate -> COPY, or COPY staging + upsert -> commit offsets) | {n:,} | {load_s:.1f} | {loader_rate:,.0f} | {loader_rate / copy_rate:.2f} |")
    print(f"| raw COPY into the table | {n:,} | {copy_s:.1f} | {copy_rate:,.0f} | 1.00 |")
    print(f"| plain executemany INSERT | {args.executemany:,} | {many_s:.1f} | {many_rate:,.0f} | {many_rate / copy_rate:.2f} |")
    decoders = "default" if args.decoders is None else args.decoders
    print(f"\nloader peak RSS (process and decoders, --decoders {decoders}): {peak_kib / 1024:.0f} MiB; "
          f"producing the records took {produce_s:.1f} s")


if __name__ == "__main__":
    main()
