"""``insertcoin score``: find each day's top movers and score every medium's influence on both
clocks, replacing the scored dates' (and periods') rows.

Rolling scores are computed for whole months and years: scoring any date of a year rescores the
year's months and the year itself, using up to ``--window`` trading days of history before it.
"""
from __future__ import annotations

import argparse
import datetime as dt
import logging
import resource
import time

from ml import dataset, disclosures
from ml.features import build_panel, price_matrices, top_movers
from ml.scoring import ScoringConfig, daily_scores, mover_activity, rolling_scores

log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    when = parser.add_mutually_exclusive_group(required=True)
    when.add_argument("--date", type=dt.date.fromisoformat, help="score one trading day")
    when.add_argument("--from", dest="start", type=dt.date.fromisoformat, help="first day to score")
    when.add_argument("--latest", action="store_true", help="score the latest day with prices")
    parser.add_argument("--to", dest="end", type=dt.date.fromisoformat, help="last day (with --from)")
    parser.add_argument("--url", help="database URL (default ML_DATABASE_URL, else DATABASE_URL)")
    parser.add_argument("--window", type=int, default=250, help="training days per refit")
    parser.add_argument("--min-train", type=int, default=60, help="days before the first scored day")
    parser.add_argument("--step", type=int, default=21, help="days scored per refit")
    parser.add_argument("--permutations", type=int, default=99)
    parser.add_argument("--bootstrap", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)


def database_url(explicit: str | None) -> str:
    """--url, else ML_DATABASE_URL, else DATABASE_URL."""
    from shared.settings import get_settings

    if explicit:
        return explicit
    settings = get_settings()
    secret = settings.ml_database_url or settings.database_url
    return secret.get_secret_value()


def load_range(conn, start: dt.date, end: dt.date, history_days: int):
    """Every frame build_panel needs, from ``history_days`` trading days before the year of
    ``start`` up to ``end``."""
    year_start = dt.date(start.year, 1, 1)
    with conn.cursor() as cur:
        cur.execute("SELECT DISTINCT trade_date FROM if_stock_daily_price WHERE trade_date < %s "
                    "ORDER BY 1 DESC LIMIT %s", (year_start, history_days + 25))
        earlier = [r[0] for r in cur.fetchall()]
    first = min(earlier) if earlier else year_start
    last = dt.date(end.year, 12, 31)
    since = dt.datetime.combine(first - dt.timedelta(days=5), dt.time(), dt.timezone.utc)
    until = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), dt.timezone.utc)
    return dict(prices=dataset.load_prices(conn, first, last), stocks=dataset.load_stocks(conn),
                board=dataset.load_board(conn, since, until),
                news=dataset.load_news(conn, first - dt.timedelta(days=5), last),
                events=dataset.load_financial_events(conn, since, until),
                disclosures=disclosures.load(conn, since, until),
                fear_greed=dataset.load_fear_greed(conn, first - dt.timedelta(days=10), last),
                fx=dataset.load_fx(conn, first - dt.timedelta(days=10), last))


def score_range(url: str, start: dt.date, end: dt.date, config: ScoringConfig) -> dict:
    """Load, score and write [start, end]; returns rows written and timings."""
    from ml.store import replace_scores

    t0 = time.perf_counter()
    conn = dataset.connect(url)
    try:
        frames = load_range(conn, start, end, config.window)
        t_load = time.perf_counter()
        panel = build_panel(**frames)
        t_features = time.perf_counter()
        movers = top_movers(price_matrices(frames["prices"]), frames["prices"])
        movers = mover_activity(panel, movers)
        daily = daily_scores(panel)
        lo, hi = (dt.datetime.combine(d, dt.time()) for d in (start, end))
        in_range = lambda f, col="trade_date": f[(f[col] >= lo) & (f[col] <= hi)]  # noqa: E731
        influence, pca = rolling_scores(panel, config)
        years = {str(y) for y in range(start.year, end.year + 1)}
        keep = lambda f: f[f["period"].str[:4].isin(years)] if len(f) else f  # noqa: E731
        t_model = time.perf_counter()
        written = replace_scores(conn, start, end, in_range(movers), in_range(daily), keep(influence),
                                 keep(pca))
    finally:
        conn.close()
    t_end = time.perf_counter()
    return {"rows": written, "seconds": {"load": round(t_load - t0, 2),
                                         "features": round(t_features - t_load, 2),
                                         "model": round(t_model - t_features, 2),
                                         "write": round(t_end - t_model, 2),
                                         "total": round(t_end - t0, 2)},
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def run(args: argparse.Namespace) -> int:
    from shared import logs, records

    logs.bind(run_id=records.new_run_id())      # every log line of this scoring run carries its id
    url = database_url(args.url)
    if args.latest:
        conn = dataset.connect(url)
        with conn.cursor() as cur:
            cur.execute("SELECT max(trade_date) FROM if_stock_daily_price")
            latest = cur.fetchone()[0]
        conn.close()
        if latest is None:
            log.error("no daily prices loaded: nothing to score")
            return 1
        start = end = latest
    elif args.date:
        start = end = args.date
    else:
        if args.end is None:
            raise SystemExit("insertcoin score: --from needs --to")
        start, end = args.start, args.end
        if end < start:
            raise SystemExit(f"insertcoin score: --to {end} is before --from {start}")
    config = ScoringConfig(window=args.window, min_train=args.min_train, step=args.step,
                           n_perm=args.permutations, n_boot=args.bootstrap, seed=args.seed)
    result = score_range(url, start, end, config)
    log.info("scored", extra={"from": start.isoformat(), "to": end.isoformat(), **result})
    print(result)
    return 0
