"""What the statement history trigger (migration 0003) costs the loader's write path.

    flock /tmp/insertcoin-bench.lock .venv/bin/python tests/bench/bench_financial_history.py [--stocks 500]

In a fresh database of the local stack, as the loader role through ``write_records``: a backfill
of ``--stocks`` x 112 statement rows (fresh keys: the straight COPY), then a crawl that revises
every estimate row (staging upsert; 2 of 7 periods are estimates, 32 of 112 rows change), then the same crawl again
(nothing changes). Each step runs with the trigger disabled (the baseline) and enabled, in turn,
in the same run; best of ``--repeat`` wall times.
"""
from __future__ import annotations

import argparse
import sys
import time
import uuid
from urllib.parse import urlsplit, urlunsplit

import psycopg2

from services.loader.writer import write_records
from shared import stack
from shared.records import FinancialStatement

METRICS = ("revenue", "operating_income", "net_income", "operating_margin", "net_margin", "roe",
           "debt_ratio", "quick_ratio", "reserve_ratio", "eps", "bps", "dps", "per", "pbr",
           "dividend_yield", "payout_ratio")
PERIODS = (("annual", ("2022-12", "2023-12", "2024-12")), ("quarter", ("2024-12", "2025-03", "2025-06", "2025-09")))
ESTIMATE = {("annual", "2024-12"), ("quarter", "2025-09")}


def statements(stocks: int, bump: float) -> list[FinancialStatement]:
    """``stocks`` companies x 7 periods x 16 metrics (= 112 rows each); estimates move by ``bump``."""
    out = []
    for i in range(stocks):
        code = f"{i:06d}"
        for kind, periods in PERIODS:
            for period in periods:
                est = (kind, period) in ESTIMATE
                for j, metric in enumerate(METRICS):
                    out.append(FinancialStatement(code=code, period_type=kind, period=period, metric=metric,
                                                  is_estimate=est, value=100.0 + j + (bump if est else 0.0),
                                                  unit="KRW_100M"))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stocks", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    def with_db(url: str, db: str) -> str:
        return urlunsplit(urlsplit(url)._replace(path=f"/{db}"))

    env = stack.urls()
    backfill, revised = statements(args.stocks, 0.0), statements(args.stocks, 1.5)
    best: dict[tuple[str, str], float] = {}
    for _ in range(args.repeat):
        for trigger in ("disabled", "enabled"):
            name = f"histbench_{uuid.uuid4().hex[:6]}"
            server = psycopg2.connect(with_db(env["DATABASE_ADMIN_URL"], "postgres"))
            server.autocommit = True
            server.cursor().execute(f"CREATE DATABASE {name}")
            try:
                stack.migrate(with_db(env["DATABASE_ADMIN_URL"], name))
                with psycopg2.connect(with_db(env["DATABASE_ADMIN_URL"], name)) as admin, admin.cursor() as cur:
                    cur.execute(f"ALTER TABLE if_financial_statement {trigger[:-1].upper()} "
                                "TRIGGER tr_financial_statement_change")
                admin.close()
                with psycopg2.connect(with_db(env["DATABASE_URL"], name)) as loader:
                    for step, records in (("backfill", backfill), ("revise", revised), ("unchanged", revised)):
                        t0 = time.perf_counter()
                        write_records(loader, records, source="bench", run_id=step)
                        loader.commit()
                        took = time.perf_counter() - t0
                        best[(step, trigger)] = min(best.get((step, trigger), took), took)
                loader.close()
            finally:
                server.cursor().execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
                server.close()
    rows = len(backfill)
    print(f"{rows:,} statement rows ({args.stocks} stocks), best of {args.repeat}, wall seconds "
          "(write_records, incl. building the rows' COPY text)")
    print("| step | trigger disabled | trigger enabled | ratio |")
    print("|---|---|---|---|")
    for step in ("backfill", "revise", "unchanged"):
        off, on = best[(step, "disabled")], best[(step, "enabled")]
        print(f"| {step} | {off:.3f} | {on:.3f} | {on / off:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
