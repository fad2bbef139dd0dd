"""The read API's endpoints under /api: movers, influence, stocks and their timeline, the
watchlist and how past watchlists did. JSON by default, CSV on ``Accept: text/csv``."""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import orjson
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from fastapi.security import APIKeyHeader

from ml.features import MARKET_MEDIA, STOCK_MEDIA
from services.api import queries
from services.api.http import (KEY_HEADER, Problem, check_key, decode_cursor, listing, page,
                               wants_csv)

FIRST_DAY, LAST_DAY = dt.date(1990, 1, 1), dt.date(2100, 12, 31)
MAX_TIMELINE_DAYS = 400
CODE = r"^[0-9A-Z]{6}$"
PERIOD = r"^[0-9]{4}(-[0-9]{2})?$"
ERRORS = {401: {"description": "missing or unknown API key (problem+json)"},
          422: {"description": "invalid parameters (problem+json)"},
          429: {"description": "rate limit exceeded (problem+json, Retry-After)"}}

api_key = APIKeyHeader(name=KEY_HEADER, auto_error=False, description="one of API_KEYS")


def authorised(request: Request, _key: Annotated[str | None, Depends(api_key)] = None) -> None:
    check_key(request, request.app.state.api_keys, request.app.state.limiter, request.app.state.db)


router = APIRouter(prefix="/api", dependencies=[Depends(authorised)], responses=ERRORS)

Day = Annotated[dt.date | None, Query(ge=FIRST_DAY, le=LAST_DAY)]
Limit = Annotated[int, Query(ge=1, le=1000, description="rows per page")]
Cursor = Annotated[str | None, Query(max_length=500, description="next_cursor of the previous page")]
Code = Annotated[str | None, Query(pattern=CODE, description="6-character stock code")]


def db(request: Request):
    return request.app.state.db


def _range(start: dt.date | None, end: dt.date | None, default_end: dt.date | None,
           default_days: int) -> tuple[dt.date, dt.date]:
    end = end or default_end or dt.date.today()
    start = start or max(FIRST_DAY, end - dt.timedelta(days=default_days))
    if end < start:
        raise Problem(400, "Invalid range", f"to ({end}) is before from ({start})")
    return start, end


@router.get("/movers", summary="Top movers with each mover's media on both clocks")
def get_movers(request: Request, date: Day = None, from_: Annotated[dt.date | None, Query(
        alias="from", ge=FIRST_DAY, le=LAST_DAY)] = None, to: Day = None,
               list_: Annotated[Literal["abs", "up", "down"] | None, Query(alias="list")] = None,
               code: Code = None,
               limit: Limit = 100, cursor: Cursor = None) -> Response:
    """The day's top 10 by |close/open - 1| (abs) and top 10 risers (up) / fallers (down). Without
    date/from/to: the latest scored day. <medium>_<clock> is the mover's activity in that medium
    (board: abnormal log post volume; news: rank-weighted mentions; financial: new statements and
    estimate revisions); predictive = before the 09:00 open, explanatory = the session itself."""
    if date and (from_ or to):
        raise Problem(400, "Invalid range", "give either date or from/to, not both")
    if date:
        start = end = date
    elif from_ or to:
        start, end = _range(from_, to, None, 31)
    else:
        latest = queries.latest_mover_day(db(request))
        start = end = latest or dt.date.today()
    rows = queries.movers(db(request), start, end, list_, code, limit, decode_cursor(cursor, 3))
    rows, nxt = page(rows, limit, ("trade_date", "list", "rank"))
    return listing(request, rows, nxt, queries.MOVER_COLUMNS)


@router.get("/influence", summary="Influence per medium per month or year, with CIs and p-values")
def get_influence(request: Request,
                  period_type: Literal["month", "year"] | None = None,
                  from_: Annotated[str | None, Query(alias="from", pattern=PERIOD,
                                                     description="first period, YYYY or YYYY-MM")] = None,
                  to: Annotated[str | None, Query(pattern=PERIOD, description="last period")] = None,
                  medium: Literal[tuple(STOCK_MEDIA) + tuple(MARKET_MEDIA)] | None = None,  # type: ignore[valid-type]
                  clock: Literal["predictive", "explanatory"] | None = None,
                  limit: Limit = 100, cursor: Cursor = None) -> Response:
    """influence = out-of-sample average-precision gain of the model over the same model with the
    medium's contribution shuffled (across stocks within each day for stock media; circularly
    shifted against the days for market media); ci_low/ci_high its 95% interval; p_value from the
    same draws; p_adjusted and significant as the scorer stored them (Holm within the period's
    family: a year's media x clocks, or a year's months x media x clocks; ml/significance.py)."""
    rows = queries.influence(db(request), period_type, from_, to, medium, clock, limit,
                             decode_cursor(cursor, 4))
    rows, nxt = page(rows, limit, ("period_type", "period", "clock", "medium"))
    return listing(request, rows, nxt, queries.INFLUENCE_COLUMNS)


@router.get("/stocks", summary="Listed stocks, by code or a part of the name")
def get_stocks(request: Request,
               q: Annotated[str | None, Query(min_length=1, max_length=40, pattern=r"^[^\x00]*$")] = None,
               limit: Limit = 100, cursor: Cursor = None) -> Response:
    rows = queries.stocks(db(request), q, limit, decode_cursor(cursor, 1))
    rows, nxt = page(rows, limit, ("code",))
    return listing(request, rows, nxt, queries.STOCK_COLUMNS)


@router.get("/stocks/{code}/timeline", summary="A stock's prices, posts per hour, news and movers")
def get_timeline(request: Request, code: Annotated[str, Path(pattern=CODE)],
                 from_: Annotated[dt.date | None, Query(alias="from", ge=FIRST_DAY, le=LAST_DAY)] = None,
                 to: Day = None) -> Response:
    """Default range: the 90 days up to the stock's last price; at most 400 days. CSV: one row per
    trading day (prices, posts that KST day, news mentions, top-mover list)."""
    if from_ and to and (to - from_).days > MAX_TIMELINE_DAYS:
        raise Problem(400, "Range too long", f"at most {MAX_TIMELINE_DAYS} days per request")
    found = queries.stock_and_last_day(db(request), code)
    if found is None:
        raise Problem(404, "Not Found", f"no stock {code}")
    start, end = _range(from_, to, found.pop("last_day"), 90)
    if (end - start).days > MAX_TIMELINE_DAYS:
        raise Problem(400, "Range too long", f"at most {MAX_TIMELINE_DAYS} days per request")
    data = queries.timeline(db(request), code, found["name"], start, end)
    if wants_csv(request):
        return listing(request, _daily_rows(data), None, ("trade_date", "open", "high", "low", "close",
                                                          "volume", "posts", "news", "mover"))
    return Response(orjson.dumps({**found, "from": start, "to": end, **data}),
                    media_type="application/json")


def _daily_rows(data: dict) -> list[dict]:
    posts: dict[dt.date, int] = {}
    for p in data["posts_per_hour"]:
        posts[p["hour_kst"].date()] = posts.get(p["hour_kst"].date(), 0) + p["posts"]
    news: dict[dt.date, int] = {}
    for n in data["news"]:
        news[n["rank_date"]] = news.get(n["rank_date"], 0) + 1
    movers = {m["trade_date"]: m["list"] for m in data["movers"] if m["list"] == "abs"}
    return [{**p, "posts": posts.get(p["trade_date"], 0), "news": news.get(p["trade_date"], 0),
             "mover": movers.get(p["trade_date"], "")} for p in data["prices"]]


@router.get("/watchlist", summary="The pre-open watchlist of a day, with reasons and outcome")
def get_watchlist(request: Request, date: Day = None) -> Response:
    """Without date: the latest list. among_movers is null until the day is scored."""
    day = date or queries.latest_watchlist_day(db(request))
    rows = queries.watchlist(db(request), day) if day else []
    return listing(request, rows, None, queries.WATCHLIST_COLUMNS, trade_date=day)


@router.get("/watchlist/scores", summary="How past watchlists did: precision@N against the base rate")
def get_watchlist_scores(request: Request,
                         from_: Annotated[dt.date | None, Query(alias="from", ge=FIRST_DAY, le=LAST_DAY)] = None,
                         to: Day = None, limit: Limit = 100, cursor: Cursor = None) -> Response:
    start, end = _range(from_, to, queries.latest_watchlist_day(db(request)), 365)
    rows = queries.watchlist_scores(db(request), start, end, limit, decode_cursor(cursor, 1))
    rows, nxt = page(rows, limit, ("trade_date",))
    summary = queries.watchlist_summary(db(request), start, end)
    return listing(request, rows, nxt, queries.WATCHLIST_SCORE_COLUMNS, summary=summary)
