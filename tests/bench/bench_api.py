"""Figures of `insertcoin serve` and `insertcoin watchlist` (docs/BENCHMARKS.md, "Read API,
dashboard and watchlist"), on a simulated world loaded into a fresh database of the local stack:

1. the world's truth loaded and scored (`score_range`, the year);
2. the watchlist of the last day computed for every stock (load + features + fit + rank + store),
   then lists for the last --lists days made and scored, for the track record;
3. locust, headless, --users users for --seconds each: the API (movers, influence, timeline) and
   the same queries straight on PostgreSQL, one run after the other on the same data;
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

from ml import dataset  # noqa: E402
from ml.cli import score_range  # noqa: E402
from ml.scoring import ScoringConfig  # noqa: E402
from shared import stack  # noqa: E402
from tests.api.conftest import start_server, stop_server  # noqa: E402
from tests.api.world import create_database  # noqa: E402


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--world", type=Path, required=True)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--lists", type=int, default=20, help="watchlists made and scored for the track")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers of the API")
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "bench-api")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    env = stack.up()
    urls, drop = create_database(env)
    report: dict = {"world": str(args.world)}
    try:
        t0 = time.perf_counter()
        counts = dataset.load_truth(args.world / "truth", urls["admin"])
        report["rows"] = {k: v for k, v in counts.items()}
        report["load_s"] = round(time.perf_counter() - t0, 1)
        with psycopg2.connect(urls["admin"]) as conn, conn.cursor() as cur:
            cur.execute("ANALYZE")
            cur.execute("SELECT min(trade_date), max(trade_date) FROM if_stock_daily_price")
            first, last = cur.fetchone()
        report["score"] = score_range(urls["ml"], first, last, ScoringConfig())
        print(json.dumps(report, default=str), flush=True)

        from services.watchlist.cli import make
        from services.watchlist.store import score_watchlist

        with psycopg2.connect(urls["ml"]) as conn, conn.cursor() as cur:
            cur.execute("SELECT DISTINCT trade_date FROM if_top_mover ORDER BY 1 DESC LIMIT %s", (args.lists,))
            days = sorted(r[0] for r in cur.fetchall())
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
            cur.execute("SELECT code FROM m_stock ORDER BY code")
            codes = [r[0] for r in cur.fetchall()]

        proc, base = start_server(urls["analyst"], API_RATE_LIMIT="100000000")
        if args.workers > 1:
            stop_server(proc)
            proc, base = _server_with_workers(urls["analyst"], args.workers)
        try:
            bench_env = {"BENCH_DAYS": ",".join(d.isoformat() for d in days), "BENCH_CODES": ",".join(codes),
                         "BENCH_API_KEY": "test-key-1", "BENCH_DATABASE_URL": urls["analyst"]}
            report["locust"] = {"api": locust("ApiUser", base, args.users, args.seconds, bench_env, args.out),
                                "sql": locust("SqlUser", base, args.users, args.seconds, bench_env, args.out)}
            report["pages"] = page_ready(base, ["/", f"/stocks/{watchlist.rows['code'].iloc[0]}", "/watchlist"], 10)
        finally:
            stop_server(proc)
    finally:
        drop()
    (args.out / "report.json").write_text(json.dumps(report, default=str, indent=1))
    print(json.dumps({k: report[k] for k in ("watchlist", "locust", "pages")}, default=str, indent=1))
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
