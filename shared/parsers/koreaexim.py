"""Korea Eximbank's daily exchange rates (oapi.koreaexim.go.kr exchangeJSON)."""
from __future__ import annotations

import re

from shared.records import FxRate
from shared.parsers.base import (
    ConfigurationError, ParseError, QuotaExceeded, Refusal, Response, day, load_json, number, register,
)

#: Eximbank ``result`` code -> (error kind, meaning)
RESULT_ERRORS: dict[int, tuple[type[ParseError], str]] = {
    2: (ConfigurationError, "result 2: bad data code (data= must be AP01)"),
    3: (ConfigurationError, "result 3: bad auth key"),
    4: (QuotaExceeded, "result 4: daily request limit reached"),
}
_UNIT = re.compile(r"^([A-Z]{3})(?:\((\d+)\))?$")


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
        if result in RESULT_ERRORS or str(result) in map(str, RESULT_ERRORS):
            kind, meaning = RESULT_ERRORS[int(result)]
            raise Refusal(meaning, kind)
    if not data:
        return []
    search_date = response.query("searchdate")
    if not search_date:
        raise Refusal("URL has no searchdate=YYYYMMDD: the rate date is unknown")
    rate_date = day(search_date, "%Y%m%d")
    records = []
    for index, row in enumerate(data):
        if not isinstance(row, dict) or str(row.get("result")) != "1":
            raise Refusal(f"row {index} has result {row.get('result') if isinstance(row, dict) else row!r}")
        found = _UNIT.match(str(row.get("cur_unit", "")).strip())
        if not found:
            raise Refusal(f"row {index} currency {row.get('cur_unit')!r} is not XXX or XXX(100)")
        ttb, tts = number(row.get("ttb"), what="ttb"), number(row.get("tts"), what="tts")
        records.append(FxRate(
            rate_date=rate_date, currency=found.group(1), unit=int(found.group(2) or 1),
            deal_base_rate=number(row.get("deal_bas_r"), what="deal_bas_r"),
            ttb=ttb or None, tts=tts or None,  # KRW quotes ttb/tts as "0": no quote
            name=str(row.get("cur_nm") or "").strip(),
        ))
    return records
