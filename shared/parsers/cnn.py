"""CNN Fear & Greed: the dataviz JSON (with history) and the rendered page."""
from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from shared.records import FearGreed
from shared.parsers.base import (
    Refusal, Response, blocked_kind, contract_records, decode, html_tree, load_json, register,
)

NEW_YORK = ZoneInfo("America/New_York")
RATINGS = ("extreme fear", "fear", "neutral", "greed", "extreme greed")
#: graphdata key -> FearGreed component field
COMPONENTS = {"market_momentum_sp500": "market_momentum", "stock_price_strength": "stock_price_strength",
              "stock_price_breadth": "stock_price_breadth", "put_call_options": "put_call_options",
              "market_volatility_vix": "market_volatility", "junk_bond_demand": "junk_bond_demand",
              "safe_haven_demand": "safe_haven_demand"}


def us_date(moment: dt.datetime) -> dt.date:
    """The US trading day of an instant. CNN labels history points with 00:00 UTC of the day, so
    those keep their UTC date; any other instant is read in New York time."""
    moment = moment.astimezone(dt.timezone.utc)
    if moment.time() == dt.time(0, 0):
        return moment.date()
    return moment.astimezone(NEW_YORK).date()


def _epoch_ms(value, what: str) -> dt.datetime:
    try:
        return dt.datetime.fromtimestamp(float(value) / 1000, tz=dt.timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        raise Refusal(f"{what} {value!r} is not an epoch in ms") from None


def _rating(value, what: str) -> str:
    rating = str(value or "").strip().lower().replace("-", " ").replace("_", " ")
    if rating not in RATINGS:
        raise Refusal(f"{what} rating {value!r} is not one of {', '.join(RATINGS)}")
    return rating


@register("cnn-fear-greed", ("fear_greed",), "production.dataviz.cnn.io graphdata -> fear_greed")
def parse_graphdata(response: Response) -> list[FearGreed]:
    """One FearGreed per day of ``fear_and_greed_historical`` (the last reading of a day wins).
    The day of the current reading also carries the seven component scores (0-100)."""
    data = load_json(response)
    if not isinstance(data, dict) or "fear_and_greed" not in data:
        raise Refusal("no fear_and_greed: an error object or a changed layout",
                      blocked_kind(response.body))
    current = data["fear_and_greed"]
    history = (data.get("fear_and_greed_historical") or {}).get("data")
    if not isinstance(current, dict) or "score" not in current or not isinstance(history, list):
        raise Refusal("fear_and_greed lacks score or history data: changed layout")
    by_day: dict[dt.date, dict] = {}
    for index, point in enumerate(history):
        if not isinstance(point, dict) or "x" not in point or "y" not in point:
            raise Refusal(f"history point {index} lacks x/y: changed layout")
        when = us_date(_epoch_ms(point["x"], f"history point {index} x"))
        by_day[when] = {"as_of_date": when, "score": float(point["y"]),
                        "rating": _rating(point.get("rating"), f"history point {index}")}
    try:
        now = dt.datetime.fromisoformat(str(current.get("timestamp")))
    except ValueError:
        raise Refusal(f"fear_and_greed.timestamp {current.get('timestamp')!r} is not ISO") from None
    today = us_date(now)
    row = by_day.setdefault(today, {"as_of_date": today})
    row["score"] = float(current["score"])
    row["rating"] = _rating(current.get("rating"), "fear_and_greed")
    for key, field in COMPONENTS.items():
        component = data.get(key)
        if isinstance(component, dict) and component.get("score") is not None:
            row[field] = float(component["score"])
    return contract_records(FearGreed, [by_day[d] for d in sorted(by_day)])


def _one(tree, xpath: str, what: str):
    found = tree.xpath(xpath)
    if not found:
        raise Refusal(f"no {what}: not the rendered Fear & Greed page (JavaScript not run?) or changed layout")
    return found[0]


@register("cnn-fear-greed-page", ("fear_greed",),
          "edition.cnn.com/markets/fear-and-greed after JavaScript -> fear_greed", source="fear-greed/page")
def parse_page(response: Response) -> list[FearGreed]:
    """The gauge of the rendered page: score (``market-fng-gauge__dial-number-value``), rating
    (``market-fng-gauge__meter[data-index-label]``) and the day of
    ``market-fng-gauge__timestamp[data-timestamp]`` (epoch ms or ISO). Components are only given
    as ratings on the page, so they stay null."""
    text = decode(response, "utf-8")
    if "market-fng-gauge" not in text:
        raise Refusal("no market-fng-gauge: block page, unrendered page or changed layout",
                      blocked_kind(response.body))
    tree = html_tree(text)
    value = _one(tree, '//span[contains(@class, "market-fng-gauge__dial-number-value")]', "dial number")
    score_text = value.text_content().strip()
    if not re.fullmatch(r"\d{1,3}(?:\.\d+)?", score_text):
        raise Refusal(f"dial number {score_text!r} is not a score (page not rendered yet?)")
    meter = _one(tree, '//div[contains(@class, "market-fng-gauge__meter")][@data-index-label]', "gauge meter")
    stamp = _one(tree, '//div[contains(@class, "market-fng-gauge__timestamp")]/@data-timestamp', "timestamp")
    stamp = str(stamp).strip()
    if stamp.isdigit():
        moment = _epoch_ms(stamp, "data-timestamp")
    else:
        try:
            moment = dt.datetime.fromisoformat(stamp)
        except ValueError:
            raise Refusal(f"data-timestamp {stamp!r} is neither epoch ms nor ISO") from None
        if moment.tzinfo is None:
            raise Refusal(f"data-timestamp {stamp!r} has no time zone")
    return [FearGreed(as_of_date=us_date(moment), score=float(score_text),
                      rating=_rating(meter.get("data-index-label"), "gauge"))]
