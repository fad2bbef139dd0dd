"""Figures of `insertcoin serve` and `insertcoin watchlist` (docs/BENCHMARKS.md, "Read API,
dashboard and watchlist"), on a simulated world loaded into a fresh database of the local stack:

1. the world's truth loaded and scored (`score_range`, the year);
2. the watchlist of the last day computed for every stock (load + features + fit + rank + store),
   then lists for the last --lists days made and scored, for the track record;
3. locust, headless, --users users for --seconds: the API (movers, influence, timeline); then the
   same queries straight on PostgreSQL from as many threads over the API's pool size (the baseline);
4. dashboard pages in Chromium (/usr/bin/chromium): load event after navigation start.

    .venv/bin/insertcoin simulate --stocks 2800 --from 2025-01-01 --to 2025-12-31 --seed 1 --out var/bench-api-world
    flock /tmp/insertcoin-bench.lock .venv/bin/python tests/bench/bench_api.py --world var/bench-api-world
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psycopg2

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from ml.cli import score_range  # noqa: E402
from ml.scoring import ScoringConfig  # noqa: E402
from shared import stack  # noqa: E402
from tests.api.conftest import start_server, stop_server  # noqa: E402
from tests.api.world import create_database  # noqa: E402
from tests.truth import load_truth  # noqa: E402


def locust(kind: str, host: str, users: int, seconds: int, env: dict, out: Path) -> dict:
    prefix = out / kind
    subprocess.run([str(Path(sys.executable).with_name("locust")), "-f", str(ROOT / "tests/bench/locust_api.py"),
                    kind, "--headless", "-u", str(users), "-r", str(users), "--run-time", f"{seconds}s",
                    "--host", host, "--csv", str(prefix), "--only-summary", "--stop-timeout", "5"],
                   env={**os.environ, **env}, check=False, capture_output=True, timeout=seconds + 120)
    rows = {}
    with open(f"{prefix}_stats.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            rows[row["Name"]] = {"requests": int(row["Request Count"]), "failures": int(row["Failure Count"]),
                                 "p50": float(row["50%"]), "p95": float(row["95%"]), "p99": float(row["99%"]),
                                 "rps": float(row["Requests/s"])}
    return rows


def timed_users(calls: dict, users: int, seconds: float, wait: tuple[float, float]) -> dict[str, list[float]]:
    """``users`` threads, each calling a random one of ``calls`` then waiting ``wait`` seconds, for
    ``seconds``: the milliseconds of every call, per name."""
    import random
    import threading

    deadline = time.monotonic() + seconds
    times: dict[str, list[float]] = {name: [] for name in calls}
    lock = threading.Lock()

    def user():
        names = list(calls)
        while time.monotonic() < deadline:
            name = random.choice(names)
            start = time.perf_counter()
            calls[name]()
            with lock:
                times[name].append((time.perf_counter() - start) * 1000)
            time.sleep(random.uniform(*wait))

    threads = [threading.Thread(target=user) for _ in range(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return times


def percentile(values: list[float], q: float) -> float | None:
    values = sorted(values)
    return round(values[min(len(values) - 1, int(q * len(values)))], 1) if values else None


def sql_baseline(url: str, users: int, seconds: int, days: list, codes: list[str],
                 wait: tuple[float, float]) -> dict:
    """The API's own queries (services.api.queries, the same rows) from ``users`` threads sharing
    a pool of as many connections as the API's (8), for ``seconds``: what PostgreSQL and the
    driver take without HTTP, FastAPI and JSON."""
    import random

    from services.api import queries
    from services.api.db import Database

    db = Database(url, 8)

    def timeline():
        code = random.choice(codes)
        stock = queries.stock_and_last_day(db, code)
        end = stock["last_day"]
        queries.timeline(db, code, stock["name"], end - dt.timedelta(days=90), end)

    calls = {"movers": lambda: (lambda d: queries.movers(db, d, d, "abs", None, 100, None))(random.choice(days)),
             "influence": lambda: queries.influence(db, "month", "2025-01", "2025-12", None, None, 200, None),
             "timeline": timeline}
    times = timed_users(calls, users, seconds, wait)
    db.close()
    return {name: {"requests": len(v), "p50": percentile(v, 0.5), "p95": percentile(v, 0.95),
                   "p99": percentile(v, 0.99), "rps": round(len(v) / seconds, 1)} for name, v in times.items()}


def page_ready(base: str, paths: list[str], rounds: int) -> dict:
    from playwright.sync_api import sync_playwright

    from shared.settings import get_settings

    out = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=get_settings().chromium_path, headless=True)
        page = browser.new_page()
        for path in paths:
            times = []
            for _ in range(rounds + 1):
                page.goto(base + path, wait_until="load")
                times.append(page.evaluate("performance.timing.loadEventEnd - performance.timing.navigationStart"))
            times = sorted(times[1:])                              # the first load warms the server
            out[path] = {"median_ms": statistics.median(times), "max_ms": max(times), "rounds": rounds}
        browser.close()
    return out


def setup(urls: dict[str, str], world: Path, lists: int, report: dict) -> None:
    """Load the world, score it, time the last day's watchlist, make and score earlier lists."""
    from services.watchlist.cli import make
    from services.watchlist.store import score_watchlist

    t0 = time.perf_counter()
    report["rows"] = load_truth(world / "truth", urls["admin"])
    report["load_s"] = round(time.perf_counter() - t0, 1)
    with psycopg2.connect(urls["admin"]) as conn, conn.cursor() as cur:
        cur.execute("ANALYZE")
        cur.execute("SELECT min(trade_date), max(trade_date) FROM if_stock_daily_price")
        first, last = cur.fetchone()
    report["score"] = score_range(urls["ml"], first, last, ScoringConfig())
    print(json.dumps(report, default=str), flush=True)
    days = _days(urls, lists)
    watchlist, seconds = make(urls["ml"], days[-1], 10, 250)
    report["watchlist"] = {"day": days[-1], "stocks_ranked": watchlist.n_ranked, "seconds": round(seconds, 2)}
    print(json.dumps(report["watchlist"], default=str), flush=True)
    conn = psycopg2.connect(urls["ml"])
    for day in days[:-1]:
        make(urls["ml"], day, 10, 250)
        score_watchlist(conn, day)
    conn.close()
    with psycopg2.connect(urls["admin"]) as conn, conn.cursor() as cur:
        cur.execute("ANALYZE")


def _days(urls: dict[str, str], n: int) -> list[dt.date]:
    with psycopg2.connect(urls["admin"]) as conn, conn.cursor() as cur:
        cur.execute("SELECT DISTINCT trade_date FROM if_top_mover ORDER BY 1 DESC LIMIT %s", (n,))
        return sorted(r[0] for r in cur.fetchall())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--world", type=Path, help="world to load into a fresh database")
    parser.add_argument("--database", help="a database kept by an earlier --keep run: skip the setup")
    parser.add_argument("--keep", action="store_true", help="keep the database (its name is printed)")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--lists", type=int, default=10, help="watchlists made and scored for the track")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers of the API")
    parser.add_argument("--wait", default="0.5,1.5",
                        help="each user's think time between requests, min,max seconds (0,0: flat out)")
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "bench-api")
    args = parser.parse_args()
    if not (args.world or args.database):
        parser.error("give --world or --database")
    args.out.mkdir(parents=True, exist_ok=True)
    env = stack.up()
    if args.database:
        from tests.conftest import _with_db

        urls = {"admin": _with_db(env["DATABASE_ADMIN_URL"], args.database),
                "analyst": _with_db(env["ANALYST_DATABASE_URL"], args.database),
                "ml": _with_db(env["ML_DATABASE_URL"], args.database)}
        drop = None
    else:
        urls, drop = create_database(env)
    report: dict = {"world": str(args.world), "users": args.users, "wait": args.wait,
                    "seconds": args.seconds, "workers": args.workers, "database": urls["admin"].rsplit("/", 1)[1],
                    "load_average_before": os.getloadavg()}
    try:
        if drop is not None:
            setup(urls, args.world, args.lists, report)
        days = _days(urls, args.lists)
        with psycopg2.connect(urls["admin"]) as conn, conn.cursor() as cur:
            cur.execute("SELECT code FROM m_stock ORDER BY code")
            codes = [r[0] for r in cur.fetchall()]
            cur.execute("SELECT code FROM if_watchlist WHERE trade_date = %s AND rank = 1", (days[-1],))
            top = cur.fetchone()[0]
        if args.workers > 1:
            proc, base = _server_with_workers(urls["analyst"], args.workers)
        else:
            proc, base = start_server(urls["analyst"], API_RATE_LIMIT="100000000")
        try:
            bench_env = {"BENCH_DAYS": ",".join(d.isoformat() for d in days), "BENCH_CODES": ",".join(codes),
                         "BENCH_API_KEY": "test-key-1", "BENCH_WAIT": args.wait}
            report["locust"] = {"api": locust("ApiUser", base, args.users, args.seconds, bench_env, args.out)}
            wait = tuple(float(x) for x in args.wait.split(","))
            report["sql"] = sql_baseline(urls["analyst"], args.users, args.seconds, days, codes, wait)
            report["pages"] = page_ready(base, ["/dashboard", f"/stocks/{top}", "/watchlist"], 10)
        finally:
            stop_server(proc)
        report["load_average_after"] = os.getloadavg()
    finally:
        if drop is not None and not args.keep:
            drop()
    (args.out / "report.json").write_text(json.dumps(report, default=str, indent=1))
    print(json.dumps({k: report.get(k) for k in ("database", "watchlist", "locust", "sql", "pages",
                                                 "load_average_before", "load_average_after")},
                     default=str, indent=1))
    return 0


def _server_with_workers(analyst_url: str, workers: int):
    from tests.api.conftest import free_port
    import urllib.request

    port = free_port()
    environ = {**os.environ, "ANALYST_DATABASE_URL": analyst_url, "API_KEYS": "test-key-1",
               "API_RATE_LIMIT": "100000000"}
    proc = subprocess.Popen([sys.executable, "-m", "shared.cli", "serve", "--port", str(port), "--workers",
                             str(workers)], cwd=ROOT, env=environ)
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            urllib.request.urlopen(f"{base}/api/health", timeout=2)
            return proc, base
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("serve did not start")


if __name__ == "__main__":
    sys.exit(main())
