"""Ground truth of a world: the contract records a correct crawl of the replay site produces."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Iterable

import numpy as np
import orjson

from services.replay import board, macro
from services.replay.effects import EffectsConfig
from services.replay.financials import ROWS, valuation
from services.replay.listing import SECTORS
from shared.records import (BoardPost, DailyPrice, FearGreed, FinancialStatement, FxRate, NewsRank,
                            Record, Sector, StockListing, StockSector, StockValuation, session_change)

KST_SUFFIX = "+09:00"
UNITS = {metric: unit for metric, _title, unit, _dec in ROWS}


def _write(path: Path, records: Iterable[Record]) -> int:
    n = 0
    with open(path, "wb") as fh:
        for record in records:
            fh.write(orjson.dumps(record.model_dump(mode="json")) + b"\n")
            n += 1
    return n


def listing_records(listing: list[dict]) -> Iterable[StockListing]:
    """KIND facts (sector, listed date, fiscal month) merged with Naver's (type, market cap)."""
    for s in sorted(listing, key=lambda s: s["code"]):
        on_naver = s["market"] in ("KOSPI", "KOSDAQ")
        on_kind = s["security_type"] == "stock"
        yield StockListing(
            code=s["code"], name=s["name"], market=s["market"],
            sector=s["kind_sector"] if on_kind else None,
            security_type=s["security_type"] if on_naver else None,
            listed_date=s["listed_date"] if on_kind else None,
            fiscal_month=s["fiscal_month"] if on_kind else None,
            market_cap=s["market_cap"] if on_naver else None)


def price_records(meta: dict, listing: list[dict], prices: dict, indexes: dict) -> Iterable[DailyPrice]:
    days = meta["krx_days"]
    order = sorted(range(len(listing)), key=lambda i: listing[i]["code"])
    for i in order:
        code = listing[i]["code"]
        o, h, lo, c = (prices[k][i] for k in ("open", "high", "low", "close"))
        v, f = prices["volume"][i], prices["foreign"][i]
        for t, day in enumerate(days):
            halted = bool(v[t] == 0 and o[t] == 0)
            yield DailyPrice(code=code, trade_date=day, open=None if halted else float(o[t]),
                             high=None if halted else float(h[t]), low=None if halted else float(lo[t]),
                             close=float(c[t]), volume=int(v[t]), halted=halted,
                             change=session_change(float(c[t]), float(c[t - 1])) if t else None,
                             foreign_ratio=float(f[t]))
    for name in sorted(indexes):
        series = indexes[name]
        for t, day in enumerate(days):
            yield DailyPrice(code=name, trade_date=day, open=series["open"][t], high=series["high"][t],
                             low=series["low"][t], close=series["close"][t],
                             change=session_change(series["close"][t], series["close"][t - 1]) if t else None,
                             volume=series["volume"][t] * 1000)  # the API counts thousands; records count shares


def post_records(posts: list[dict]) -> Iterable[BoardPost]:
    for p in sorted(posts, key=lambda p: (p["code"], int(p["id"]))):
        yield BoardPost(code=p["code"], post_id=p["id"], posted_at=p["written_at"] + KST_SUFFIX,
                        title=p["title"], body=board.body_text(p["lines"]), author=p["nickname"],
                        views=p["views"], likes=p["likes"], dislikes=p["dislikes"],  # from the reactions endpoint
                        comment_count=p["comments"], hidden=not p["clean"],
                        reply_depth=p["reply_depth"])


def news_records(ranked: dict) -> Iterable[NewsRank]:
    for day in sorted(ranked):
        for section, rows in ranked[day].items():
            for rank, row in enumerate(rows, start=1):
                yield NewsRank(rank_date=day, section=section, rank=rank, title=row["title"],
                               url=f"https://news.nate.com/view/{row['aid']}?mid={row['mid']}",
                               press=row["press"], article_id=row["aid"])


def statement_records(statements: dict) -> Iterable[FinancialStatement]:
    for code in sorted(statements):
        for kind in ("annual", "quarter"):
            for col in statements[code][kind]:
                for metric, _title, unit, _dec in ROWS:
                    yield FinancialStatement(code=code, period=col["period"], period_type=kind,
                                             is_estimate=col["estimate"], metric=metric,
                                             value=col["values"][metric], unit=unit)


def fear_greed_records(meta: dict, fg: dict) -> Iterable[FearGreed]:
    start, end = meta["from"], meta["to"]
    last = max(i for i, d in enumerate(fg["days"]) if d <= end)
    for i, day in enumerate(fg["days"]):
        if not start <= day <= end:
            continue
        comps = {}
        if i == last:
            comps = {field: fg["components"][name]["score"][i]
                     for name, field, _m, _s in macro.COMPONENTS}
        score = fg["score"][i]
        yield FearGreed(as_of_date=day, score=score, rating=macro.rating(score), **comps)


def fx_records(fx: dict) -> Iterable[FxRate]:
    for t, day in enumerate(fx["days"]):
        for cur, name, _base in macro.CURRENCIES:
            deal = fx["rates"][cur][t]
            ttb, tts = (None, None) if cur == "KRW" else macro.fx_spread(deal)
            code, unit = (cur[:3], 100) if cur.endswith("(100)") else (cur, 1)
            yield FxRate(rate_date=day, currency=code, unit=unit, deal_base_rate=deal, ttb=ttb,
                         tts=tts, name=name)


def write_truth(folder: Path, meta: dict, listing: list[dict], prices: dict, indexes: dict,
                posts: list[dict], ranked: dict, statements: dict, fg: dict, fx: dict) -> dict:
    """Write ``truth/<stream>.jsonl`` for every stream the replay site serves; returns counts."""
    folder.mkdir(parents=True, exist_ok=True)
    last = len(meta["krx_days"]) - 1
    stocks = [s for s in listing if s["security_type"] == "stock"]
    used = sorted({s["sector_no"] for s in stocks}, key=int)
    names = {str(no): name for no, name, *_rest in SECTORS}
    index_of = {s["code"]: i for i, s in enumerate(listing)}

    def valuations() -> Iterable[StockValuation]:
        for s in sorted(listing, key=lambda s: s["code"]):
            i = index_of[s["code"]]
            v = valuation(statements.get(s["code"]), float(prices["close"][i][last]))
            yield StockValuation(code=s["code"], as_of_date=meta["end_session"],
                                 foreign_ratio=float(prices["foreign"][i][last]), **v)

    streams = {
        "stock_listing": listing_records(listing),
        "sector": (Sector(sector_code=no, name=names[no]) for no in used),
        "stock_sector": (StockSector(code=s["code"], sector_code=s["sector_no"])
                         for s in sorted(stocks, key=lambda s: s["code"])),
        "stock_valuation": valuations(),
        "daily_price": price_records(meta, listing, prices, indexes),
        "board_post": post_records(posts),
        "news_rank": news_records(ranked),
        "financial_statement": statement_records(statements),
        "fear_greed": fear_greed_records(meta, fg),
        "fx_rate": fx_records(fx),
    }
    return {name: _write(folder / f"{name}.jsonl", records) for name, records in streams.items()}


def write_effects(path: Path, cfg: EffectsConfig, krx_days: list[dt.date], driver: np.ndarray,
                  plan: list[list[dict]], listing: list[dict], prices: dict) -> None:
    """``effects.json``: the config, and per day the planted movers and the realised top movers."""
    days = []
    op, cl = prices["open"], prices["close"]
    with np.errstate(divide="ignore", invalid="ignore"):
        oc = np.where(op > 0, cl / op - 1, 0.0)
    for t, day in enumerate(krx_days):
        planted, decoys = [], []
        for m in plan[t]:
            entry = {k: v for k, v in m.items() if k not in ("index", "strength", "decoy", "size")}
            entry["code"] = listing[m["index"]]["code"]
            entry["open_close_return"] = round(float(oc[m["index"], t]), 6)
            (decoys if m.get("decoy") else planted).append(entry if m.get("decoy") else entry | {"size": m["size"]})
        top = np.argsort(-np.abs(oc[:, t]), kind="stable")[:10]
        days.append({"date": day.isoformat(), "market_driver": round(float(driver[t]), 6),
                     "planted": planted, "decoys": decoys,
                     "top_movers": [{"code": listing[int(i)]["code"],
                                     "open_close_return": round(float(oc[int(i), t]), 6)} for i in top]})
    doc = {"config": cfg.model_dump(mode="json"),
           "definition": {"mover": "|close/open - 1| on the trading day",
                          "lag": "0: media activity on the trading day; 1: activity the day before, "
                                 "stamped before the 09:00 KST open",
                          "board_window": "lag 0: 09:00-15:30 KST of the day; lag 1: previous "
                                          "session's 15:30 to 09:00 of the day",
                          "financial": "published_at of the planted event (financial_events.jsonl): lag 0 "
                                       "in 09:00-15:30 KST of the day; lag 1 after the previous session's "
                                       "15:30 close and before 09:00 of the day",
                          "disclosure": "disclosed_at (minute) and event_type of the planted DART filing "
                                        "(truth/disclosure.jsonl, planted in filings.json), in the same "
                                        "windows as financial; disclosure_echo board: a burst from that "
                                        "minute to the window's end",
                          "medium none": "an unexplained mover: planted move, no media activity",
                          "decoys": "a planted mover's media activity with no planted move"},
           "days": days}
    path.write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n")
