"""Local stack figures: time from `insertcoin stack up` to a broker that accepts a produce and a
database that answers (jars cached), cold (fresh data dirs) and warm (existing data dirs), and the
memory both servers hold idle (PSS, so shared pages are not counted twice).

    .venv/bin/python tests/bench/bench_stack.py

Uses its own STACK_DIR and ports, so a running stack is not disturbed. Baseline, measured in the
same run: a bare JVM start (`java -version`), the floor under any broker start on this machine.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
IC = [sys.executable, "-m", "shared.cli"]


def pss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except FileNotFoundError:
        pass
    return 0


def tree(root_pid: int) -> list[int]:
    pids, frontier = [root_pid], [root_pid]
    while frontier:
        parent = frontier.pop()
        out = subprocess.run(["pgrep", "-P", str(parent)], capture_output=True, text=True).stdout.split()
        kids = [int(p) for p in out]
        pids += kids
        frontier += kids
    return pids


def produce_and_query(env: dict[str, str]) -> None:
    import psycopg2
    from kafka import KafkaProducer

    producer = KafkaProducer(bootstrap_servers=env["KAFKA_BOOTSTRAP_SERVERS"], acks="all")
    producer.send(env["KAFKA_TOPIC_PREFIX"] + "crawl_run", b"ping").get(timeout=30)
    producer.close()
    with psycopg2.connect(env["DATABASE_URL"]) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM m_medium")
        assert cur.fetchone()[0] == 5


def stack_env(env: dict[str, str]) -> dict[str, str]:
    out = subprocess.run([*IC, "stack", "env"], env=env, capture_output=True, text=True, check=True).stdout
    result = {}
    for line in out.splitlines():
        key, _, value = line.removeprefix("export ").partition("=")
        result[key] = value.strip("'")
    return result


def timed_up(env: dict[str, str]) -> float:
    started = time.monotonic()
    subprocess.run([*IC, "stack", "up"], env=env, check=True, capture_output=True)
    conn = stack_env(env) | {"KAFKA_TOPIC_PREFIX": env["KAFKA_TOPIC_PREFIX"]}
    produce_and_query(conn)
    return time.monotonic() - started


def main() -> None:
    sys.path.insert(0, str(ROOT))
    workdir = Path(tempfile.mkdtemp(prefix="bench-stack-"))
    os.chmod(workdir, 0o755)
    env = dict(os.environ, STACK_DIR=str(workdir / "stack"), STACK_PG_PORT="56432",
               STACK_KAFKA_PORT="60092", KAFKA_TOPIC_PREFIX="insertcoin.", LOG_LEVEL="WARNING",
               PYTHONPATH=str(ROOT))
    jvm_started = time.monotonic()
    subprocess.run(["java", "-version"], capture_output=True, check=True)
    jvm = time.monotonic() - jvm_started
    try:
        cold = timed_up(env)
        subprocess.run([*IC, "stack", "down"], env=env, check=True, capture_output=True)
        warm = timed_up(env)
        time.sleep(20)  # idle
        kafka_pid = int((workdir / "stack" / "kafka" / "kafka.pid").read_text())
        pg_pid = int((workdir / "stack" / "pg" / "data" / "postmaster.pid").read_text().split()[0])
        kafka_mib = sum(pss_kib(p) for p in tree(kafka_pid)) / 1024
        pg_mib = sum(pss_kib(p) for p in tree(pg_pid)) / 1024
    finally:
        subprocess.run([*IC, "stack", "down"], env=env, capture_output=True)
        shutil.rmtree(workdir, ignore_errors=True)
    print("| measure | value | goal |")
    print("|---|---:|---:|")
    print(f"| `stack up` -> produce acked + query answered, cold (initdb, format, migrate) | {cold:.1f} s | < 30 s |")
    print(f"| same, warm (data dirs exist) | {warm:.1f} s | < 30 s |")
    print(f"| baseline: bare JVM start (`java -version`) | {jvm:.2f} s | |")
    print(f"| warm start / bare JVM start | {warm / jvm:.1f}x | |")
    print(f"| idle memory, Kafka broker (PSS) | {kafka_mib:.0f} MiB | |")
    print(f"| idle memory, PostgreSQL (PSS, all backends) | {pg_mib:.0f} MiB | |")
    print(f"| idle memory, both | {(kafka_mib + pg_mib) / 1024:.2f} GiB | < 1.5 GiB |")


if __name__ == "__main__":
    main()
