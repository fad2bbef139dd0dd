"""``DailyPrice.change`` from Naver's chart (which has no change field): derived from the previous
row's close, in decimal, rows in date order; null only on the answer's first row."""
from __future__ import annotations

import orjson

from shared.parsers import Response, parse
from shared.records import session_change

URL = "https://api.stock.naver.com/chart/domestic/index/KOSPI/day?startDateTime=202609240000&endDateTime=202609290000"


def _row(day: str, close: float) -> dict:
    return {"localDate": day, "closePrice": close, "openPrice": close, "highPrice": close, "lowPrice": close,
            "accumulatedTradingVolume": 1}


def test_given_three_index_sessions_out_of_order_when_parsed_then_each_change_is_the_exact_close_difference():
    body = orjson.dumps([_row("20260929", 3431.21), _row("20260925", 3445.0), _row("20260926", 3417.42)])
    records = parse("naver-chart-day", Response(body=body, url=URL))
    assert [(r.trade_date.isoformat(), r.change) for r in records] == [
        ("2026-09-25", None), ("2026-09-26", -27.58), ("2026-09-29", 13.79)]


def test_session_change_adds_no_binary_artefact():
    assert 2534.12 - 2520.33 != 13.79 and session_change(2534.12, 2520.33) == 13.79
