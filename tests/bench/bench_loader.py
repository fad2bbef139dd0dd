"""Loader throughput: N daily_price records through Kafka and the loader into PostgreSQL, beside a
raw COPY of the same rows into the same table and a plain executemany, all in one run. The topic is
produced once; the loader (a new consumer group each time, into a fresh database) and the raw COPY
then take turns for --rounds rounds, and the table gives the medians (a single raw COPY on a
shared 2-core machine varied from 3.4 s to 6.0 s for the same million rows).

Each envelope has its own ``extracted_at``, as the crawlers write them. The loader is timed two
ways: its loading (from its first partition assignment to its last offset commit, as the loader
reports it), and its whole run (from the command's start to that last commit, on the machine's
monotonic clock), which adds the start-up: interpreter, imports, connections and the group join. The raw COPY is timed from an open connection with
its payload ready.

    .venv/bin/python tests/bench/bench_loader.py [--records 1000000] [--executemany 50000] [--decoders N[,M]] [--rounds 3]

Needs the local stack (`insertcoin stack up`). Prints a Markdown table for docs/BENCHMARKS.md.
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import statistics
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
from shared.broker import delete_topics, ensure_topics  # noqa: E402
from shared.settings import Settings  # noqa: E402
from tests.conftest import _with_db, subprocess_env  # noqa: E402
from tests.loader.streams import EXTRACTED_AT, daily_price, envelope_bytes, produce  # noqa: E402


def extracted_at(i: int) -> dt.datetime:
    """The i-th record's extraction time: crawlers stamp each record as they publish it."""
    return EXTRACTED_AT + dt.timedelta(microseconds=37 * i)


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


def run_loader(settings: Settings, expected: int, decoders: int | None) -> tuple[float, float, list[int]]:
    """Seconds of loading (as the loader reports it) and of the whole run, and the resident
    memory of the loader's process tree in KiB, sampled every 50 ms."""
    started = time.monotonic()
    extra = ["--group-id", f"bench-{uuid.uuid4().hex[:8]}"]
    extra += [] if decoders is None else ["--decoders", str(decoders)]
    clocks = Path(tempfile.mkdtemp()) / "clocks.json"
    extra += ["--clocks-file", str(clocks)]
    with tempfile.TemporaryFile() as err, tempfile.TemporaryFile() as out:
        proc = subprocess.Popen([sys.executable, "-m", "shared.cli", "load", "--until-idle",
                                 "--idle-seconds", "0.5", "--batch-seconds", "0.5", "--batch-size", "50000", *extra],
                                env=subprocess_env(settings, LOG_LEVEL="WARNING"),
                                stdout=out, stderr=err)
        samples: list[int] = []

        def sample() -> None:
            while proc.poll() is None:
                samples.append(tree_rss_kib(proc.pid))
                time.sleep(0.05)

        sampler = threading.Thread(target=sample)
        sampler.start()
        proc.wait()
        sampler.join()
        if proc.returncode != 0:
            err.seek(0)
            raise SystemExit(err.read().decode()[-3000:])
        summary = json.loads(clocks.read_text())
        loading, elapsed = summary["loading_seconds"], summary["monotonic"]["committed"] - started
    with psycopg2.connect(settings.database_url.get_secret_value()) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM if_stock_daily_price")
        assert cur.fetchone()[0] == expected
    return loading, elapsed, samples


def raw_copy(url: str, rows: list[tuple]) -> float:
    spec = SPECS["daily_price"]
    payload = copy_text(rows).encode()  # formatted and encoded before the clock starts
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("TRUNCATE if_stock_daily_price")
        conn.commit()
        started = time.monotonic()
        cur.copy_expert(f"COPY if_stock_daily_price ({', '.join(spec.all_columns)}) FROM STDIN",
                        io.BytesIO(payload), size=len(payload))
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
    parser.add_argument("--decoders", default=None,
                        help="the loader's --decoders (default: its own); a comma list (0,2) compares "
                             "them, each round running each in turn")
    parser.add_argument("--rounds", type=int, default=3,
                        help="loader runs and raw COPYs, interleaved; the table gives the medians")
    args = parser.parse_args()
    configs = [None] if args.decoders is None else [int(d) for d in args.decoders.split(",")]
    env = stack.up()
    prefix = f"bench{uuid.uuid4().hex[:6]}."
    ensure_topics(env["KAFKA_BOOTSTRAP_SERVERS"], prefix)
    try:
        run_rounds(args, configs, env, prefix)
    finally:
        delete_topics(env["KAFKA_BOOTSTRAP_SERVERS"], prefix)


def run_rounds(args, configs: list[int | None], env: dict[str, str], prefix: str) -> None:
    started = time.monotonic()
    produce(Settings(kafka_bootstrap_servers=env["KAFKA_BOOTSTRAP_SERVERS"], kafka_topic_prefix=prefix, _env_file=None),
            (envelope_bytes(daily_price(i), "bench", extracted_at(i)) for i in range(args.records)))
    produce_s = time.monotonic() - started
    rows = [row_values(daily_price(i), source="test", run_id="bench", extracted_at=extracted_at(i))
            for i in range(args.records)]  # the same rows

    loads = {c: [] for c in configs}
    processes = {c: [] for c in configs}
    copies = {c: [] for c in configs}
    memory = {c: [] for c in configs}
    for round_ in range(args.rounds):
        for config in configs:
            # Each run: a fresh database, the whole topic read again by a new consumer group, then
            # a raw COPY of the same rows into the same (emptied) table.
            db = fresh_database(env)
            try:
                settings = Settings(database_url=db["loader"], kafka_bootstrap_servers=env["KAFKA_BOOTSTRAP_SERVERS"],
                                    kafka_topic_prefix=prefix, _env_file=None)
                load_s, process_s, rss_kib = run_loader(settings, args.records, config)
                loads[config].append(load_s)
                processes[config].append(process_s)
                memory[config].append(rss_kib)
                copies[config].append(raw_copy(db["admin"], rows))
                if round_ == args.rounds - 1 and config == configs[-1]:
                    many_s = executemany(db["admin"], rows[: args.executemany])
            finally:
                drop_database(env, db["name"])
    n = args.records
    all_copies = [c for runs in copies.values() for c in runs]
    copy_s = statistics.median(all_copies)
    copy_rate, many_rate = n / copy_s, args.executemany / many_s
    print(f"| path | records | seconds (median of {args.rounds}) | records/s | vs raw COPY |")
    print(f"|---|---:|---:|---:|---:|")
    for config in configs:
        name = "" if config is None else f", --decoders {config}"
        for what, runs in (("loading", loads[config]), ("whole run, with start-up", processes[config])):
            took = statistics.median(runs)
            print(f"| loader{name}: {what} (Kafka -> validate -> COPY, or COPY staging + upsert -> commit offsets) | "
                  f"{n:,} | {took:.2f} | {n / took:,.0f} | {n / took / copy_rate:.2f} |")
    print(f"| raw COPY into the table | {n:,} | {copy_s:.2f} | {copy_rate:,.0f} | 1.00 |")
    print(f"| plain executemany INSERT (once) | {args.executemany:,} | {many_s:.1f} | {many_rate:,.0f} | {many_rate / copy_rate:.2f} |")
    print()
    for config in configs:
        decoders = "default" if config is None else config
        print(f"--decoders {decoders}, rounds (loading s, whole run s / raw COPY s after it = ratios): " + ", ".join(
            f"{load:.2f}, {whole:.2f} / {copy:.2f} = {copy / load:.2f}, {copy / whole:.2f}"
            for load, whole, copy in zip(loads[config], processes[config], copies[config])))
        # the second half of each run: past start-up, how the memory behaves under steady load
        steady = sorted(s for rss in memory[config] for s in rss[len(rss) // 2:] if s) or [0]
        peak = max((s for rss in memory[config] for s in rss), default=0)
        print(f"  loader RSS (process and decoders): peak {peak / 1024:.0f} MiB; second half of each run: "
              f"median {steady[len(steady) // 2] / 1024:.0f} MiB, range {steady[0] / 1024:.0f}-{steady[-1] / 1024:.0f} MiB")
    print(f"producing the records took {produce_s:.1f} s")


if __name__ == "__main__":
    main()
