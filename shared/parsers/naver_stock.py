"""Naver's per-stock JSON: the integration summary and the finance (annual/quarter) tables."""
from __future__ import annotations

import functools
import re

from shared.records import FinancialStatement, StockSector, StockValuation
from shared.parsers.base import (
    Refusal, Response, contract_records, day, load_json, number, register, require,
)
from shared.parsers.fieldwise import FieldwiseContract

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


#: one valid statement: the fieldwise check's sample, and the record the table's (metric, unit)
#: pairs are validated in
_SAMPLE_STATEMENT = {"code": "005930", "period": "2024-12", "period_type": "annual", "is_estimate": False,
                     "metric": "revenue", "value": 1.0, "unit": "KRW_100M"}
_STATEMENTS = FieldwiseContract(FinancialStatement, free=("value",), sample=_SAMPLE_STATEMENT)
_COLUMN_FIELDS = ("code", "period", "period_type", "is_estimate")


def _validated_table() -> dict[tuple[str, str], dict] | None:
    """(metric, unit) of FINANCE_ROWS -> its values validated as a whole FinancialStatement, once;
    None (so every page is validated in full) if the shortcut does not hold or a pair fails."""
    if _STATEMENTS.unusable is not None:
        return None
    pairs = list(dict.fromkeys(FINANCE_ROWS.values()))
    try:
        parts = _STATEMENTS.validated([{**_SAMPLE_STATEMENT, "metric": metric, "unit": unit}
                                       for metric, unit in pairs], ("metric", "unit"))
    except Refusal:
        return None
    return dict(zip(pairs, parts))


_TABLE_PARTS = _validated_table()


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
    table: list[tuple[tuple[str, str], list[float | None]]] = []  # (metric, unit), a value per period
    seen: set[str] = set()
    for row in rows:
        metric_unit = _finance_row(str(row.get("title", "")))
        if metric_unit is None or metric_unit[0] in seen:
            continue  # unknown rows, and variants of a row already read, are skipped
        seen.add(metric_unit[0])
        columns = row.get("columns") or {}
        values = []
        for key, _, _ in periods:
            cell = columns.get(key)
            raw = cell.get("value") if isinstance(cell, dict) else cell
            try:
                values.append(number(raw))
            except Refusal:
                number(raw, what=f"{row.get('title')} {key}")  # the same refusal, naming the cell
                raise
        table.append((metric_unit, values))
    if not seen:
        raise Refusal("none of the known rows (매출액, 영업이익, ...): changed layout")
    if _TABLE_PARTS is None or not periods:
        return contract_records(FinancialStatement, _statement_rows(code, period_type, periods, table))
    # fieldwise: validate the first row's records whole (every column's code, period, kind and
    # estimate flag); the (metric, unit) pairs were validated at import; values are number()'s floats
    (metric, unit), first_values = table[0]
    try:
        columns = _STATEMENTS.validated(
            [{"code": code, "period": period, "period_type": period_type, "is_estimate": estimate,
              "metric": metric, "value": value, "unit": unit}
             for (_, period, estimate), value in zip(periods, first_values)], _COLUMN_FIELDS)
    except Refusal:  # refuse exactly as the page validated in full does
        return contract_records(FinancialStatement, _statement_rows(code, period_type, periods, table))
    columns = [(column["code"], column["period"], column["period_type"], column["is_estimate"])
               for column in columns]
    records = []
    for metric_unit, values in table:
        part = _TABLE_PARTS[metric_unit]
        metric, unit = part["metric"], part["unit"]
        for (code, period, period_type, estimate), value in zip(columns, values):
            records.append({"code": code, "period": period, "period_type": period_type,
                            "is_estimate": estimate, "metric": metric, "value": value, "unit": unit})
    return _STATEMENTS.records(records)


def _statement_rows(code: str, period_type: str, periods: list, table: list) -> list[dict]:
    """The page's records as plain field dicts, row by row, for full validation."""
    return [{"code": code, "period": period, "period_type": period_type, "is_estimate": estimate,
             "metric": metric, "value": value, "unit": unit}
            for (metric, unit), values in table for (_, period, estimate), value in zip(periods, values)]
