"""``insertcoin simulate``: write a simulated market world (and its ground truth) for the replay site.

The layout of a world folder is described in services/replay/README.md.
"""
from __future__ import annotations

import argparse
import datetime as dt
import logging
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from services.replay import board, disclosures, filings, macro, news, simulated_prices, store, truth
from services.replay.effects import EffectsConfig, load_effects
from services.replay.listing import make_listing

log = logging.getLogger(__name__)
WORLD_VERSION = 2  # 2: financials.jsonl holds timelines (disclosures.py)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from shared.cli import day
    parser.add_argument("--stocks", type=int, default=300,
                        help="number of listed securities, at least 10 (default: %(default)s)")
    parser.add_argument("--from", dest="start", type=day, required=True, help="first day (YYYY-MM-DD), required")
    parser.add_argument("--to", dest="end", type=day, required=True, help="last day (YYYY-MM-DD), required")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the world (default: %(default)s)")
    parser.add_argument("--out", type=Path, required=True, help="world folder to write, required")
    parser.add_argument("--effects", type=Path,
                        help="planted effects config, JSON or YAML (default: the built-in effects)")
    parser.add_argument("--posts-per-day", type=float, default=0.4,
                        help="mean ordinary board posts per stock and calendar day (default: %(default)s)")


def run(args: argparse.Namespace) -> int:
    from shared.errors import EXIT_USAGE, UserError, one_line
    started = time.perf_counter()
    if args.effects and not args.effects.is_file():
        raise UserError(f"--effects {args.effects}: no such file", EXIT_USAGE)
    try:
        effects = load_effects(args.effects)
    except Exception as err:  # noqa: BLE001 - a YAML/JSON syntax error or a config that does not validate
        raise UserError(f"--effects {args.effects}: not an effects config: {one_line(err)}", EXIT_USAGE) from None
    try:
        summary = build_world(args.out, stocks=args.stocks, start=args.start, end=args.end,
                              seed=args.seed, effects=effects, posts_per_day=args.posts_per_day)
    except ValueError as err:  # its arguments' checks: too few stocks, no trading day, reversed range
        raise UserError(str(err), EXIT_USAGE) from None
    log.info("world written", extra={"out": str(args.out), "seconds": round(time.perf_counter() - started, 2),
                                      **summary})
    return 0


def _previous_session(day: dt.date) -> dt.date:
    return macro.sessions("XKRX", day - dt.timedelta(days=20), day - dt.timedelta(days=1))[-1]


def build_world(out: Path, *, stocks: int, start: dt.date, end: dt.date, seed: int,
                effects: EffectsConfig, posts_per_day: float = 0.4) -> dict:
    """Simulate and write a world folder; returns counts per truth stream."""
    if end < start:
        raise ValueError(f"--to {end} is before --from {start}")
    if stocks < 10:
        raise ValueError(f"--stocks {stocks}: a world needs at least 10 securities")
    krx_days = macro.sessions("XKRX", start, end)
    if not krx_days:
        raise ValueError(f"no KRX trading day between {start} and {end}")
    end_session = krx_days[-1]
    us_days = macro.sessions("XNYS", start - dt.timedelta(days=400), end)
    r_list, r_fg, r_fx, r_halt, r_plan, r_px, r_board, r_news, r_fin, r_dart = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(10))

    listing = make_listing(r_list, stocks, end)
    fg = macro.fear_greed_series(r_fg, us_days)
    fx = macro.fx_series(r_fx, krx_days)
    driver = simulated_prices.market_driver(effects, krx_days, fg, fx)
    halted = simulated_prices.draw_halts(r_halt, stocks, len(krx_days))
    plan = simulated_prices.plan_movers(r_plan, effects, listing, halted, driver)
    prices = simulated_prices.simulate_prices(r_px, listing, halted, plan, driver)
    indexes = {"KOSPI": simulated_prices.index_series(prices, listing, "KOSPI", 2500.0),
               "KOSDAQ": simulated_prices.index_series(prices, listing, "KOSDAQ", 800.0)}

    bursts, news_planted, fin_planted, planted_filings = [], defaultdict(list), defaultdict(list), []
    since = dt.datetime.combine(_previous_session(krx_days[0]), board.CLOSE)  # day 0's lag-1 window
    for t, day in enumerate(krx_days):
        prev_day = krx_days[t - 1] if t else since.date()
        for m in plan[t]:
            if m["medium"] == "board":
                w0, w1 = board.burst_window(day, prev_day, m["lag"])
                count = int(r_board.poisson(27 * m["strength"]))
                bursts.append((m["index"], w0, w1, count))
                m["window"] = [w0.isoformat() + "+09:00", w1.isoformat() + "+09:00"]
                m["posts"] = count
            elif m["medium"] == "news":
                news_day = day - dt.timedelta(days=m["lag"])
                news_planted[news_day].append((m["index"], m["strength"]))
                m["news_date"] = news_day.isoformat()
            elif m["medium"] == "financial":
                at = disclosures.planted_time(r_fin, day, prev_day, m["lag"])
                fin_planted[m["index"]].append((at, m))
            elif m["medium"] == "disclosure":
                at = disclosures.planted_time(r_dart, day, prev_day, m["lag"])
                kind = filings.PLANTED_TYPES[int(r_dart.integers(len(filings.PLANTED_TYPES)))]
                planted_filings.append({"index": m["index"], "day": at.date(), "minute": at.hour * 60 + at.minute,
                                        "event_type": kind})
                m.update(disclosed_at=at.strftime("%Y-%m-%dT%H:%M:00") + "+09:00", event_type=kind)

        for i in r_board.choice(stocks, size=max(effects.movers_per_day // 2, 1), replace=False):
            w0, w1 = board.burst_window(day, prev_day, 1)
            bursts.append((int(i), w0, w1, int(r_board.poisson(6))))
    calendar = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    dart = filings.make_filings(r_dart, listing, calendar, planted_filings)
    if effects.disclosure_echo == "board":
        bursts += filings.echo_bursts(r_board, dart, listing)
    posts = board.make_posts(r_board, listing, start - dt.timedelta(days=4), end, bursts, posts_per_day)
    ranked = news.make_news(r_news, listing, start - dt.timedelta(days=1), end, news_planted)
    last_close = prices["close"][:, -1]
    sessions = set(krx_days)
    timelines = {}
    for i, s in enumerate(listing):
        if s["security_type"] != "stock":
            continue
        planted = [{"at": at, "sign": m["sign"], "strength": m["strength"]}
                   for at, m in sorted(fin_planted.get(i, []), key=lambda x: x[0])]
        timelines[s["code"]] = disclosures.make_timeline(r_fin, s, float(last_close[i]), start, end,
                                                         sessions, planted, since)
        for p, (_at, m) in zip(planted, sorted(fin_planted.get(i, []), key=lambda x: x[0])):
            m.update({k: p[k] for k in ("event", "period_type", "period", "published_at")})
    clock = f"{end.isoformat()}T23:59:59"
    statements = {code: disclosures.statement_at(tl, clock) for code, tl in timelines.items()}
    for i, s in enumerate(listing):
        s["market_cap"] = int(last_close[i]) * s["shares"]

    out.mkdir(parents=True, exist_ok=True)
    (out / "prices").mkdir(exist_ok=True)
    meta = {"version": WORLD_VERSION, "seed": seed, "from": start.isoformat(), "to": end.isoformat(),
            "stocks": stocks, "krx_days": [d.isoformat() for d in krx_days],
            "end_session": end_session.isoformat(), "clock": clock,
            "effects": effects.model_dump(mode="json")}
    store.write_json(out / "world.json", meta)
    store.write_json(out / "listing.json", listing)
    for key in ("open", "high", "low", "close", "foreign", "volume"):
        np.save(out / "prices" / f"{key}.npy", prices[key])
    store.write_json(out / "prices" / "index.json", indexes)
    by_code: dict[str, list[dict]] = defaultdict(list)
    for post in posts:
        by_code[post["code"]].append(post)
    store.write_keyed(out / "board.jsonl", ((c, by_code[c][::-1]) for c in sorted(by_code)))
    np.save(out / "board_ids.npy", np.array([int(p["id"]) for p in posts], dtype=np.int64))
    code_index = {s["code"]: i for i, s in enumerate(listing)}
    np.save(out / "board_stocks.npy", np.array([code_index[p["code"]] for p in posts], dtype=np.int32))
    store.write_keyed(out / "news.jsonl", ranked.items())
    store.write_keyed(out / "financials.jsonl", sorted(timelines.items()))
    store.write_json(out / "fear_greed.json", fg)
    store.write_json(out / "fx.json", fx)
    store.write_json(out / "filings.json", dart)
    counts = truth.write_truth(out / "truth", meta, listing, prices, indexes, posts, ranked,
                               statements, fg, fx)
    counts["financial_events"] = disclosures.write_events(out / "truth" / "financial_events.jsonl", timelines,
                                                          since.isoformat(), clock)
    counts["disclosure"] = filings.write_truth(out / "truth" / "disclosure.jsonl", dart, clock)
    truth.write_effects(out / "truth" / "effects.json", effects, krx_days, driver, plan, listing, prices)
    return counts
