"""Naver's per-stock JSON: the integration summary and the finance (annual/quarter) tables."""
from __future__ import annotations

import functools
import re

from shared.records import FinancialStatement, StockSector, StockValuation
from shared.parsers.base import (
    Refusal, Response, contract_records, day, load_json, number, register, require,
)

_STOCK_PATH = re.compile(r"/api/stock/([0-9A-Za-z]{6})/(integration|finance/(annual|quarter))")

#: integration totalInfos code -> StockValuation field
_VALUATION_CODES = {"per": "per", "eps": "eps", "pbr": "pbr", "bps": "bps",
                    "dividendYieldRatio": "dividend_yield", "foreignRate": "foreign_ratio"}


def _stock_path(response: Response, expected: str) -> re.Match:
    match = _STOCK_PATH.search(response.path)
    if not match or not match.group(2).startswith(expected):
        raise Refusal(f"URL {response.path!r} is not /api/stock/CODE/{expected}")
    return match


@register("naver-integration", ("stock_sector", "stock_valuation"),
          "m.stock.naver.com stock integration -> stock_sector, stock_valuation")
def parse_integration(response: Response) -> list[StockSector | StockValuation]:
    """The stock's industry (StockSector) and its valuation figures (StockValuation). The as-of
    date is the latest ``dealTrendInfos`` business day, else the URL's ``date`` (YYYYMMDD)."""
    code = _stock_path(response, "integration").group(1).upper()
    data = load_json(response)
    if not isinstance(data, dict) or "totalInfos" not in data:
        raise Refusal("no totalInfos: an error object or a changed layout")
    if data.get("itemCode") and str(data["itemCode"]) != code:
        raise Refusal(f"itemCode {data['itemCode']} does not match the URL's {code}")
    infos = data["totalInfos"]
    if not isinstance(infos, list):
        raise Refusal("totalInfos is not a list")
    values: dict[str, float | None] = {}
    for info in infos:
        field = _VALUATION_CODES.get(str(info.get("code")))
        if field:
            values[field] = number(info.get("value"), what=f"{info.get('code')}")
    if not values:
        raise Refusal("totalInfos holds none of per/eps/pbr/bps: changed layout")
    trend_days = [str(t.get("bizdate")) for t in data.get("dealTrendInfos") or [] if t.get("bizdate")]
    as_of = max(trend_days) if trend_days else response.query("date")
    as_of = require(as_of, "no as-of date: no dealTrendInfos and no date= in the URL")
    records: list[StockSector | StockValuation] = []
    if data.get("industryCode"):
        records.append(StockSector(code=code, sector_code=str(data["industryCode"])))
    records.append(StockValuation(code=code, as_of_date=day(as_of, "%Y%m%d"), **values))
    return records


#: Naver row title -> (metric, unit). Rows not listed here are skipped.
FINANCE_ROWS: dict[str, tuple[str, str]] = {
    "매출액": ("revenue", "KRW_100M"), "영업이익": ("operating_income", "KRW_100M"),
    "당기순이익": ("net_income", "KRW_100M"), "영업이익률": ("operating_margin", "PCT"),
    "순이익률": ("net_margin", "PCT"), "ROE": ("roe", "PCT"), "부채비율": ("debt_ratio", "PCT"),
    "당좌비율": ("quick_ratio", "PCT"), "유보율": ("reserve_ratio", "PCT"), "EPS": ("eps", "KRW"),
    "BPS": ("bps", "KRW"), "주당배당금": ("dps", "KRW"), "PER": ("per", "X"), "PBR": ("pbr", "X"),
    "시가배당률": ("dividend_yield", "PCT"), "배당성향": ("payout_ratio", "PCT"),
}
_PERIOD_KEY = re.compile(r"^(\d{4})(0[1-9]|1[0-2])$")


_TITLE_NOISE = re.compile(r"\s+|\(.*?\)")


def _row_title(title: str) -> str:
    return _TITLE_NOISE.sub("", title)  # "ROE(지배주주)" and "매출액 " read as their base name


@functools.lru_cache(maxsize=1024)
def _finance_row(title: str) -> tuple[str, str] | None:
    """(metric, unit) of a row title, or None for rows we skip. Titles repeat on every page."""
    return FINANCE_ROWS.get(_row_title(title))


@register("naver-finance", ("financial_statement",),
          "m.stock.naver.com finance annual/quarter -> financial_statement")
def parse_finance(response: Response) -> list[FinancialStatement]:
    """One record per known row and period; consensus columns are estimates, "-" is null.
    A table with none of the known rows is a changed layout."""
    match = _stock_path(response, "finance")
    code, period_type = match.group(1).upper(), match.group(3)
    data = load_json(response)
    info = data.get("financeInfo") if isinstance(data, dict) else None
    if not isinstance(info, dict):
        raise Refusal("no financeInfo: an error object or a changed layout")
    titles, rows = info.get("trTitleList"), info.get("rowList")
    if not isinstance(titles, list) or not isinstance(rows, list):
        raise Refusal("financeInfo lacks trTitleList/rowList: changed layout")
    if not titles and not rows:
        return []  # a stock without statements (e.g. a fresh SPAC): legitimately empty
    periods = []
    for title in titles:
        key = str(title.get("key", ""))
        found = _PERIOD_KEY.match(key)
        if not found:
            raise Refusal(f"period key {key!r} is not YYYYMM")
        periods.append((key, f"{found.group(1)}-{found.group(2)}", title.get("isConsensus") == "Y"))
    rows_out: list[dict] = []
    seen: set[str] = set()
    for row in rows:
        metric_unit = _finance_row(str(row.get("title", "")))
        if metric_unit is None or metric_unit[0] in seen:
            continue  # unknown rows, and variants of a row already read, are skipped
        metric, unit = metric_unit
        seen.add(metric)
        columns = row.get("columns") or {}
        for key, period, estimate in periods:
            cell = columns.get(key)
            raw = cell.get("value") if isinstance(cell, dict) else cell
            try:
                value = number(raw)
            except Refusal:
                number(raw, what=f"{row.get('title')} {key}")  # the same refusal, naming the cell
                raise
            rows_out.append({"code": code, "period": period, "period_type": period_type, "is_estimate": estimate,
                             "metric": metric, "unit": unit, "value": value})
    if not seen:
        raise Refusal("none of the known rows (매출액, 영업이익, ...): changed layout")
    return contract_records(FinancialStatement, rows_out)
