"""``insertcoin watchlist``: before the open, rank every stock on its overnight media and send the
top N (``if_watchlist``, Telegram, a JSON webhook); with ``--score``, score a past day's list
against that day's top movers (``if_watchlist_score``)."""
from __future__ import annotations

import argparse
import datetime as dt
import logging
import time
from zoneinfo import ZoneInfo

from ml import dataset
from ml.cli import database_url
from shared.cli import day

log = logging.getLogger(__name__)
KST = ZoneInfo("Asia/Seoul")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--date", type=day,
                        help="trading day of the list (default: today in KST)")
    parser.add_argument("--top", type=int, default=10, help="stocks on the list (default 10)")
    parser.add_argument("--window", type=int, default=250,
                        help="trading days the model is fitted on (default 250)")
    parser.add_argument("--score", action="store_true",
                        help="score the day's list against its top movers instead of making one "
                             "(default day: the latest day with top movers)")
    parser.add_argument("--no-notify", action="store_true",
                        help="store the list, send nothing (default: send to Telegram and the webhook where configured)")
    parser.add_argument("--no-refresh", action="store_true",
                        help="rank on what is loaded, without the last board and news pass (default: "
                             "crawl the board and the news once more and wait for the loader first)")
    parser.add_argument("--refresh-budget", type=float, default=900.0,
                        help="seconds the last pass (crawls and loading) may take before the list is made "
                             "without the rest, and says so (default 900: 08:40 -> 08:55 KST)")
    parser.add_argument("--url", help="database URL (default ML_DATABASE_URL, else DATABASE_URL)")


def _latest_mover_day(conn) -> dt.date | None:
    with conn.cursor() as cur:
        cur.execute("SELECT max(trade_date) FROM if_top_mover")
        return cur.fetchone()[0]


def _is_session(day: dt.date) -> bool:
    import exchange_calendars

    return bool(exchange_calendars.get_calendar("XKRX").is_session(day.isoformat()))


def make(url: str, day: dt.date, top: int, window: int, caveats: tuple[str, ...] = ()):
    """Rank and store ``day``'s watchlist; returns it and the seconds it took."""
    import dataclasses

    from services.watchlist.rank import load_overnight, rank
    from services.watchlist.store import replace_watchlist

    t0 = time.perf_counter()
    conn = dataset.connect(url)
    try:
        watchlist = rank(load_overnight(conn, day, window), day, top=top, window=window)
        watchlist = dataclasses.replace(watchlist, caveats=caveats)
        replace_watchlist(conn, watchlist)
    finally:
        conn.close()
    return watchlist, time.perf_counter() - t0


def run(args: argparse.Namespace) -> int:
    from services.watchlist.notify import notify
    from services.watchlist.store import NothingToScore, score_watchlist
    from shared.settings import get_settings

    if args.top < 1:
        raise SystemExit("insertcoin watchlist: --top must be at least 1")
    if args.refresh_budget <= 0:
        raise SystemExit("insertcoin watchlist: --refresh-budget must be positive")
    url = database_url(args.url)
    if args.score:
        conn = dataset.connect(url)
        try:
            day = args.date or _latest_mover_day(conn)
            if day is None:
                log.error("no top movers scored yet: nothing to score the watchlist against")
                return 1
            result = score_watchlist(conn, day)
        except NothingToScore as exc:
            log.error("watchlist not scored: %s", exc)
            return 1
        finally:
            conn.close()
        log.info("watchlist scored", extra={k: str(v) for k, v in result.items()})
        print(f"{day}: {result['hits']}/{result['n']} of the list among the top movers "
              f"(precision {result['precision']:.2f} vs base rate {result['base_rate']:.3f}, "
              f"p {result['p_value']:.3g})")
        return 0
    day = args.date or dt.datetime.now(KST).date()
    if args.date is None and not _is_session(day):
        log.warning("%s is not a KRX trading day: no watchlist made", day)
        print(f"{day} is not a KRX trading day: no watchlist made")
        return 0
    caveats: tuple[str, ...] = ()
    if not args.no_refresh:
        from services.watchlist.refresh import last_pass

        caveats = tuple(last_pass(day, args.refresh_budget))
    try:
        watchlist, seconds = make(url, day, args.top, args.window, caveats)
    except ValueError as exc:
        log.error("no watchlist for %s: %s", day, exc)
        return 1
    log.info("watchlist stored", extra={"trade_date": str(day), "stocks": len(watchlist.rows),
                                        "n_ranked": watchlist.n_ranked, "seconds": round(seconds, 2)})
    print(f"{day}: top {len(watchlist.rows)} of {watchlist.n_ranked} stocks stored in "
          f"{seconds:.1f} s" + "".join(f"\ncaveat: {c}" for c in caveats))
    if args.no_notify:
        return 0
    failures = notify(watchlist, get_settings())
    for failure in failures:
        log.error("watchlist not delivered: %s", failure)
    return 1 if failures else 0
