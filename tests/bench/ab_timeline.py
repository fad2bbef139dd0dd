"""The stock timeline's queries before and after they became one statement, side by side in the
same run: ``users`` threads share a pool of 8 connections (as the API does) and each call picks
the old or the new way at random, so both see the same machine. Prints p50/p95/p99 in ms.

    .venv/bin/python tests/bench/ab_timeline.py --database-url URL --old-queries /tmp/old_queries.py
(``git show 4b23d89:services/api/queries.py > /tmp/old_queries.py``; URL: a database of
``bench_api.py --keep``.)"""
from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from services.api import queries as new  # noqa: E402
from services.api.db import Database  # noqa: E402
from tests.bench.bench_api import percentile, timed_users  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--old-queries", type=Path, required=True, help="services/api/queries.py of the old tree")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=30)
    args = parser.parse_args()
    spec = importlib.util.spec_from_file_location("old_queries", args.old_queries)
    old = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(old)
    db = Database(args.database_url, 8)
    codes = [r["code"] for r in db.rows("SELECT code FROM m_stock")]

    def old_way(code):
        stock = old.stock(db, code)
        end = old.last_price_day(db, code)
        old.timeline(db, code, stock["name"], end - dt.timedelta(days=90), end)

    def new_way(code):
        stock = new.stock_and_last_day(db, code)
        end = stock["last_day"]
        new.timeline(db, code, stock["name"], end - dt.timedelta(days=90), end)

    ways = {"old (8 statements)": old_way, "new (2 statements)": new_way}
    load_before = os.getloadavg()
    times = timed_users({name: (lambda way=way: way(random.choice(codes))) for name, way in ways.items()},
                        args.users, args.seconds, (0.5, 1.5))
    db.close()
    print(json.dumps({"load_average_before": load_before, "load_average_after": os.getloadavg(),
                      **{name: {"calls": len(v), "p50": percentile(v, .5), "p95": percentile(v, .95),
                                "p99": percentile(v, .99)} for name, v in times.items()}}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
