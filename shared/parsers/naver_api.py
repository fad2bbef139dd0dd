"""Naver's JSON APIs behind stock.naver.com: daily chart, discussion board, market-value listing
and industry groups."""
from __future__ import annotations

import math
import re
from operator import itemgetter

from shared.records import BoardPost, DailyPrice, Sector, StockListing, StockSector, session_change
from shared.parsers.base import (
    Refusal, Response, blank, contract_records, day, integer, kst_datetime, load_json, register,
)

_CHART_PATH = re.compile(r"/chart/domestic/(item|index)/([0-9A-Za-z]+)/day")
_CHART_KEYS = ("localDate", "closePrice", "openPrice", "highPrice", "lowPrice", "accumulatedTradingVolume")


def _error_object(data: dict) -> str:
    """A short description of a JSON error object, for the refusal reason."""
    for key in ("message", "errorMessage", "error", "msg", "code", "resultCode", "status"):
        if key in data:
            return f"error object ({key}={str(data[key])[:80]!r})"
    return f"error object (keys: {', '.join(sorted(map(str, data))[:6])})"


@register("naver-chart-day", ("daily_price",), "api.stock.naver.com daily chart -> daily_price")
def parse_chart_day(response: Response) -> list[DailyPrice]:
    """Daily bars, oldest first. A halted day (open=high=low=0, volume 0) is ``halted`` with null
    open/high/low. Index charts report volume in thousands; it is returned in shares. The chart
    has no change field: ``change`` is derived from the previous row's close (null on the first
    row, whose previous session the answer does not hold)."""
    match = _CHART_PATH.search(response.path)
    if not match:
        raise Refusal(f"URL {response.path!r} is not a /chart/domestic/(item|index)/CODE/day URL")
    kind, code = match.group(1), match.group(2).upper()
    data = load_json(response)
    if isinstance(data, dict):
        raise Refusal(_error_object(data))
    if not isinstance(data, list):
        raise Refusal(f"expected a JSON array, got {type(data).__name__}")
    records = []
    for index, row in enumerate(data):
        if not isinstance(row, dict):
            raise Refusal(f"row {index} is not an object")
        missing = [key for key in _CHART_KEYS if key not in row]
        if missing:
            raise Refusal(f"row {index} lacks {', '.join(missing)}: changed layout")
        volume = integer(row["accumulatedTradingVolume"], what="volume")
        if kind == "index" and volume is not None:
            volume *= 1000
        prices = [row["openPrice"], row["highPrice"], row["lowPrice"]]
        halted = all(p in (0, None) for p in prices) and not volume
        opened = [None, None, None] if halted else [float(p) for p in prices]
        records.append({
            "code": code, "trade_date": day(str(row["localDate"]), "%Y%m%d"),
            "open": opened[0], "high": opened[1], "low": opened[2], "close": float(row["closePrice"]),
            "volume": volume or 0, "halted": halted, "change": None,
            "foreign_ratio": row.get("foreignRetentionRate"),
        })
    records.sort(key=itemgetter("trade_date"))
    for previous, row in zip(records, records[1:]):
        if previous["trade_date"] == row["trade_date"]:
            raise Refusal(f"two rows for {row['trade_date']}: changed layout")
        row["change"] = session_change(row["close"], previous["close"])
    return contract_records(DailyPrice, records)


_POST_KEYS = ("id", "writtenAt", "title", "writer")


def _discussion_body(data) -> tuple[list, object]:
    if not isinstance(data, dict):
        raise Refusal(f"expected a JSON object, got {type(data).__name__}")
    if "result" in data and isinstance(data["result"], dict) and "posts" in data["result"]:
        if data.get("isSuccess") is False:
            raise Refusal(_error_object(data))
        data = data["result"]  # the older m.stock front-api wrapper
    if "posts" not in data:
        raise Refusal(_error_object(data))
    posts = data["posts"]
    if not isinstance(posts, list):
        raise Refusal("posts is not a list")
    return posts, data.get("lastOffset")


@register("naver-discussion", ("board_post",), "stock.naver.com discussion posts by item -> board_post")
def parse_discussion(response: Response) -> list[BoardPost]:
    """Posts of one stock's discussion board. Clean-bot-hidden posts are kept with ``hidden``."""
    posts, _ = _discussion_body(load_json(response))
    url_code = response.query("itemCode")
    records = []
    for index, post in enumerate(posts):
        if not isinstance(post, dict):
            raise Refusal(f"post {index} is not an object")
        missing = [key for key in _POST_KEYS if key not in post]
        if missing:
            raise Refusal(f"post {index} lacks {', '.join(missing)}: changed layout")
        code = post.get("itemCode") or url_code
        if blank(code):
            raise Refusal(f"post {index} has no itemCode and the URL none")
        writer = post["writer"] if isinstance(post["writer"], dict) else {}
        records.append({
            "code": str(code), "post_id": str(post["id"]),
            "posted_at": kst_datetime(str(post["writtenAt"])[:19], "%Y-%m-%dT%H:%M:%S"),
            "title": str(post["title"] or ""), "body": post.get("contentSwReplacedButImg"),
            "author": str(writer.get("nickname") or ""),
            "views": None, "likes": post.get("recommendCount"), "dislikes": post.get("notRecommendCount"),
            "comment_count": post.get("commentCount"),
            "hidden": post.get("isCleanbotPassed") is False,
            "reply_depth": post.get("replyDepth") or 0,
        })
    return contract_records(BoardPost, records)


def discussion_next_offset(response: Response) -> str | None:
    """The ``offset`` of the next discussion page (the body's ``lastOffset``), or None at the end."""
    try:
        posts, last = _discussion_body(load_json(response))
    except Refusal:
        return None
    return str(last) if posts and last not in (None, "") else None


_MARKET_PATH = re.compile(r"/api/stocks/marketValue/([A-Za-z]+)")


def _market_value_body(response: Response) -> dict:
    data = load_json(response)
    if not isinstance(data, dict):
        raise Refusal(f"expected a JSON object, got {type(data).__name__}")
    if "stocks" not in data:
        raise Refusal(_error_object(data))
    return data


@register("naver-market-value", ("stock_listing",), "m.stock.naver.com market-value ranking -> stock_listing")
def parse_market_value(response: Response) -> list[StockListing]:
    """One page of a market's listing by market value; the market comes from the URL."""
    match = _MARKET_PATH.search(response.path)
    market = match.group(1).upper() if match else None
    if market not in ("KOSPI", "KOSDAQ"):
        raise Refusal(f"URL {response.path!r} names no market (/api/stocks/marketValue/KOSPI|KOSDAQ)")
    data = _market_value_body(response)
    rows = []
    for index, row in enumerate(data["stocks"]):
        try:
            code, name, end_type = row["itemCode"], row["stockName"], row["stockEndType"]
        except (KeyError, TypeError):
            if not isinstance(row, dict):
                raise Refusal(f"stock {index} is not an object: changed layout") from None
            missing = [k for k in ("itemCode", "stockName", "stockEndType") if k not in row]
            raise Refusal(f"stock {index} lacks {', '.join(missing)}: changed layout") from None
        cap = row.get("marketValueRaw")
        rows.append({
            "code": str(code), "name": str(name), "market": market, "security_type": str(end_type).lower(),
            "market_cap": None if cap is None else integer(cap, what="marketValueRaw"),
        })
    return contract_records(StockListing, rows)


def market_value_last_page(response: Response) -> int:
    """The last page number of a market-value listing (``ceil(totalCount / pageSize)``, at least 1)."""
    data = _market_value_body(response)
    total, size = int(data.get("totalCount") or 0), int(data.get("pageSize") or 0)
    return max(1, math.ceil(total / size)) if size else 1


def industry_group_sizes(response: Response) -> dict[str, int]:
    """The member count (``totalCount``) of each group of the ``/api/stocks/industry`` list, by
    group number; a group whose count is missing or not a number is left out."""
    data = load_json(response)
    sizes = {}
    for row in data.get("groups") or () if isinstance(data, dict) else ():
        total = row.get("totalCount") if isinstance(row, dict) else None
        if not blank(row.get("no") if isinstance(row, dict) else None) and str(total).isdigit():
            sizes[str(row["no"])] = int(total)
    return sizes


_INDUSTRY_PATH = re.compile(r"/api/stocks/industry(?:/(\d+))?/?$")


@register("naver-industry", ("sector", "stock_sector"),
          "m.stock.naver.com industry groups and their members -> sector, stock_sector")
def parse_industry(response: Response) -> list[Sector | StockSector]:
    """``/api/stocks/industry``: one Sector per group. ``/api/stocks/industry/{no}``: the Sector
    and one StockSector per member stock."""
    match = _INDUSTRY_PATH.search(response.path)
    if not match:
        raise Refusal(f"URL {response.path!r} is not /api/stocks/industry[/NO]")
    data = load_json(response)
    if not isinstance(data, dict):
        raise Refusal(f"expected a JSON object, got {type(data).__name__}")
    group = match.group(1)
    if group is None:
        if "groups" not in data:
            raise Refusal(_error_object(data))
        sectors = []
        for index, row in enumerate(data["groups"]):
            if blank(row.get("no")):
                raise Refusal(f"group {index} has no no")
            sectors.append({"sector_code": str(row["no"]), "name": str(row.get("name") or "")})
        return contract_records(Sector, sectors)
    if "stocks" not in data:
        raise Refusal(_error_object(data))
    info = data.get("groupInfo") or {}
    number_ = str(info.get("no") or group)
    if number_ != group:
        raise Refusal(f"groupInfo.no {number_} does not match the URL's group {group}")
    name = info.get("name")
    # the group's Sector (when the page names it) leads its members: one batched check of the page
    records = [{"sector_code": number_, "name": str(name)}] if name else []
    for index, row in enumerate(data["stocks"]):
        code = row.get("itemCode")
        if code.__class__ is not str and blank(code) or code == "":
            raise Refusal(f"stock {index} has no itemCode: changed layout")
        records.append({"code": code if code.__class__ is str else str(code), "sector_code": number_})
    return contract_records(StockSector, records, head=Sector if name else None)
