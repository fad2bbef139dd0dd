"""KIND's listed-company download (kind.krx.co.kr corpList.do?method=download): an EUC-KR HTML
table served as .xls."""
from __future__ import annotations

import re

from shared.records import StockListing
from shared.parsers.base import Refusal, Response, blocked_kind, contract_records, day, decode, html_tree, register

MARKETS = {"유가": "KOSPI", "유가증권": "KOSPI", "코스닥": "KOSDAQ", "코넥스": "KONEX"}
HEADER = ("회사명", "시장구분", "종목코드", "업종", "주요제품", "상장일", "결산월", "대표자명", "홈페이지", "지역")
_MONTH = re.compile(r"^(\d{1,2})월$")


def _cell(td) -> str:
    return " ".join(td.text_content().split())


@register("kind-corp-list", ("stock_listing",), "KIND corpList download -> stock_listing")
def parse_corp_list(response: Response) -> list[StockListing]:
    """Every listed company: code (text, leading zeros and letters kept), name, market (유가 ->
    KOSPI, 코스닥 -> KOSDAQ, 코넥스 -> KONEX), 업종 as sector, listing date and fiscal month."""
    text = decode(response, "cp949")
    if "</table>" not in text:
        raise Refusal("no end of the table: truncated body or not the download", blocked_kind(response.body))
    tree = html_tree(text)
    rows = tree.xpath("//table//tr")
    if not rows:
        raise Refusal("no table rows: changed layout")
    header = tuple(_cell(th) for th in rows[0].xpath("./th|./td"))
    if header[:len(HEADER)] != HEADER:
        raise Refusal(f"header {'/'.join(header)} is not {'/'.join(HEADER)}: changed layout")
    records = []
    for number_, row in enumerate(rows[1:], start=2):
        cells = [_cell(td) for td in row.findall("td")]
        if not any(cells):
            continue
        if len(cells) != len(HEADER):
            raise Refusal(f"row {number_} has {len(cells)} cells, not {len(HEADER)}: truncated or changed layout")
        name, market, code, sector, _, listed, fiscal = cells[:7]
        if market not in MARKETS:
            raise Refusal(f"row {number_} 시장구분 {market!r} is not 유가/코스닥/코넥스")
        month = _MONTH.match(fiscal)
        records.append({
            "code": code, "name": name, "market": MARKETS[market], "sector": sector or None,
            "listed_date": day(listed, "%Y-%m-%d") if listed else None,
            "fiscal_month": int(month.group(1)) if month else None,
        })
    return contract_records(StockListing, records)
