"""Korea Eximbank's daily exchange rates (oapi.koreaexim.go.kr exchangeJSON)."""
from __future__ import annotations

import functools
import re

from shared.records import FxRate
from shared.parsers.base import (
    ConfigurationError, ParseError, QuotaExceeded, Refusal, Response, contract_records, day, load_json, number,
    register,
)

#: Eximbank ``result`` code -> (error kind, meaning)
RESULT_ERRORS: dict[int, tuple[type[ParseError], str]] = {
    2: (ConfigurationError, "result 2: bad data code (data= must be AP01)"),
    3: (ConfigurationError, "result 3: bad auth key"),
    4: (QuotaExceeded, "result 4: daily request limit reached"),
}
_RESULT_TEXTS = frozenset(map(str, RESULT_ERRORS))
_UNIT = re.compile(r"^([A-Z]{3})(?:\((\d+)\))?$")


@functools.lru_cache(maxsize=512)
def _currency(cur_unit: str) -> tuple[str, int] | None:
    """("JPY", 100) for "JPY(100)", ("USD", 1) for "USD"; None if it is neither form."""
    found = _UNIT.match(cur_unit.strip())
    return (found.group(1), int(found.group(2) or 1)) if found else None


@register("koreaexim-fx", ("fx_rate",), "Korea Eximbank exchangeJSON -> fx_rate")
def parse_fx(response: Response) -> list[FxRate]:
    """One FxRate per currency for the URL's ``searchdate``. ``[]`` (weekend, holiday, before
    ~11:00 KST) is a legit empty day; results 2/3/4 raise their typed errors."""
    data = load_json(response)
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise Refusal(f"expected a JSON array, got {type(data).__name__}")
    for row in data:
        result = row.get("result") if isinstance(row, dict) else None
        if result != 1 and (result in RESULT_ERRORS or str(result) in _RESULT_TEXTS):
            kind, meaning = RESULT_ERRORS[int(result)]
            raise Refusal(meaning, kind)
    if not data:
        return []
    search_date = response.query("searchdate")
    if not search_date:
        raise Refusal("URL has no searchdate=YYYYMMDD: the rate date is unknown")
    rate_date = day(search_date, "%Y%m%d")
    rows = []
    for index, row in enumerate(data):
        if not isinstance(row, dict):
            raise Refusal(f"row {index} has result {row!r}")
        result = row.get("result")
        if (result.__class__ is not int or result != 1) and str(result) != "1":
            raise Refusal(f"row {index} has result {result!r}")
        currency = _currency(str(row.get("cur_unit", "")))
        if currency is None:
            raise Refusal(f"row {index} currency {row.get('cur_unit')!r} is not XXX or XXX(100)")
        ttb, tts = number(row.get("ttb"), what="ttb"), number(row.get("tts"), what="tts")
        rows.append({
            "rate_date": rate_date, "currency": currency[0], "unit": currency[1],
            "deal_base_rate": number(row.get("deal_bas_r"), what="deal_bas_r"),
            "ttb": ttb or None, "tts": tts or None,  # KRW quotes ttb/tts as "0": no quote
            "name": str(row.get("cur_nm") or "").strip(),
        })
    return contract_records(FxRate, rows)
