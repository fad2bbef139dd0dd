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
from shared.cli import day
from shared.errors import DEFAULT_WAIT, EXIT_USAGE, UserError, wait_for_postgres

log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    when = parser.add_mutually_exclusive_group(required=True)
    when.add_argument("--date", type=day, help="score one trading day (YYYY-MM-DD) (default: none)")
    when.add_argument("--from", dest="start", type=day, help="first day to score, with --to (default: none)")
    when.add_argument("--latest", action="store_true",
                      help="score the latest day with prices (default: off)")
    parser.add_argument("--to", dest="end", type=day, help="last day, with --from (default: none)")
    parser.add_argument("--url", help="database URL (default: ML_DATABASE_URL, else DATABASE_URL)")
    parser.add_argument("--window", type=int, default=250, help="training days per refit (default: %(default)s)")
    parser.add_argument("--min-train", type=int, default=60,
                        help="days before the first scored day (default: %(default)s)")
    parser.add_argument("--step", type=int, default=21, help="days scored per refit (default: %(default)s)")
    parser.add_argument("--permutations", type=int, default=99,
                        help="permutations per significance test (default: %(default)s)")
    parser.add_argument("--bootstrap", type=int, default=1000,
                        help="bootstrap resamples per confidence interval (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    parser.add_argument("--wait", type=float, default=DEFAULT_WAIT,
                        help="seconds PostgreSQL may take to answer (default: %(default)s)")


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


def _span(start: dt.date, end: dt.date) -> str:
    return f"on {start} ({start:%A})" if start == end else f"from {start} to {end}"


def asked_range(args: argparse.Namespace) -> tuple[dt.date | None, dt.date | None]:
    """(start, end) of --date or --from/--to; (None, None) for --latest."""
    if args.latest:
        return None, None
    if args.date:
        return args.date, args.date
    if args.end is None:
        raise UserError("--from needs --to", EXIT_USAGE)
    if args.end < args.start:
        raise UserError(f"--to {args.end} is before --from {args.start}", EXIT_USAGE)
    return args.start, args.end


def scorable_range(url: str, start: dt.date | None, end: dt.date | None) -> tuple[dt.date, dt.date] | None:
    """The range to score: ``start``..``end``, or the latest day with prices (``start`` None).
    None when the range holds no KRX session (nothing to score); a :class:`UserError` when it
    holds sessions whose prices are not loaded."""
    from shared.crawling.days import krx_sessions

    conn = dataset.connect(url)
    try:
        with conn.cursor() as cur:
            if start is None:
                cur.execute("SELECT max(trade_date) FROM if_stock_daily_price")
                start = end = cur.fetchone()[0]
                if start is None:
                    raise UserError("no daily prices loaded: nothing to score (crawl stockreport and load first)")
                return start, end
            cur.execute("SELECT count(*) FROM if_stock_daily_price WHERE trade_date BETWEEN %s AND %s",
                        (start, end))
            if cur.fetchone()[0]:
                return start, end
    finally:
        conn.close()
    sessions = krx_sessions(start, end)
    if not sessions:
        return None
    raise UserError(f"no daily prices loaded {_span(start, end)} ({len(sessions)} KRX session(s)): crawl them "
                    f"(`insertcoin crawl stockreport --from {sessions[0]} --to {sessions[-1]}`) and load them "
                    "(`insertcoin load --until-idle`) first")


def run(args: argparse.Namespace) -> int:
    from shared import logs, records

    logs.bind(run_id=records.new_run_id())      # every log line of this scoring run carries its id
    start, end = asked_range(args)
    url = database_url(args.url)
    wait_for_postgres(url, args.wait)
    scored = scorable_range(url, start, end)
    if scored is None:
        print(f"no KRX session {_span(start, end)}: nothing to score")
        return 0
    start, end = scored
    config = ScoringConfig(window=args.window, min_train=args.min_train, step=args.step,
                           n_perm=args.permutations, n_boot=args.bootstrap, seed=args.seed)
    result = score_range(url, start, end, config)
    log.debug("scored", extra={"from": start.isoformat(), "to": end.isoformat(), **result})
    rows = ", ".join(f"{table} {count}" for table, count in result["rows"].items())
    print(f"scored {_span(start, end)} in {result['seconds']['total']} s: {rows or 'no rows'}")
    return 0
