"""Archived copies of the closed finance.naver.com pages (EUC-KR): daily prices, the board,
the main page's financial summary and the industry group pages."""
from __future__ import annotations

import re

from lxml import etree

from shared.records import BoardPost, DailyPrice, FinancialStatement, Sector, StockSector
from shared.parsers.base import (
    Blocked, Refusal, Response, blocked_kind, contract_records, day, decode, html_tree, integer, kst_datetime,
    number, register,
)
from shared.parsers.naver_stock import FINANCE_ROWS

_CODE = re.compile(r"^[0-9A-Z]{6}$")
#: 전일비 arrow classes -> sign of the change
_ARROWS = {"bu_pup": 1, "bu_pup2": 1, "bu_pdn": -1, "bu_pdn2": -1, "bu_pn": 0}
# XPath compiled once (an ``element.xpath(str)`` call compiles its expression every time)
_TYPE2_TABLES = etree.XPath('//table[contains(concat(" ", normalize-space(@class), " "), " type2 ")]')
_HOVER_ROWS = etree.XPath('.//tr[@onmouseover]')
_VISIBLE_TEXT = etree.XPath('.//span[not(contains(@class, "blind"))]//text()')
_NID_LINKS = etree.XPath('.//a[contains(@href, "nid=")]')


def _code(response: Response) -> str:
    code = (response.query("code") or "").upper()
    if not _CODE.match(code):
        raise Refusal(f"URL has no stock code (code={code or None})")
    return code


def _page(response: Response, marker: str):
    """Decode and parse a legacy page; refuse block pages and pages cut before ``marker``."""
    text = decode(response, "cp949")
    if marker not in text:
        kind = blocked_kind(response.body)
        raise Refusal("block page" if kind is Blocked
                      else f"no {marker!r}: truncated body or changed layout", kind)
    return html_tree(text), text


def _list_rows(response: Response, width: int, what: str) -> tuple[str, list[list]]:
    """The stock code and each row's cells of a legacy list page (``table.type2``, the rows with a
    hover handler); a page without the table, or a row of another width, is a changed layout."""
    code = _code(response)
    tree, _ = _page(response, "Nnavi")
    tables = _TYPE2_TABLES(tree)
    if not tables:
        raise Refusal("no table.type2: changed layout")
    rows = []
    for row in _HOVER_ROWS(tables[0]):
        cells = row.findall("td")
        if len(cells) != width:
            raise Refusal(f"a {what} row has {len(cells)} cells, not {width}: changed layout")
        rows.append(cells)
    return code, rows


def _text(node) -> str:
    return " ".join(node.text_content().split())


def _arrow_sign(cell) -> int | None:
    for em in cell.iter("em"):
        for cls in (em.get("class") or "").split():
            if cls in _ARROWS:
                return _ARROWS[cls]
    return None


@register("legacy-sise-day", ("daily_price",), "finance.naver.com item/sise_day (archived) -> daily_price")
def parse_sise_day(response: Response) -> list[DailyPrice]:
    """Rows of the 일별시세 table. The sign of 전일비 comes from the ``em.bu_p*`` arrow; empty padding
    rows and the all-empty row of a code without data are skipped."""
    code, rows = _list_rows(response, 7, "price")
    records = []
    for cells in rows:
        texts = [_text(c) for c in cells]
        # 전일비 holds the hidden arrow word (<span class="blind">상승</span>) before the number
        texts[2] = " ".join("".join(_VISIBLE_TEXT(cells[2])).split())
        if not texts[0]:
            continue  # padding row / the empty row of a code without data
        close, diff, open_, high, low = (number(t, what=w) for t, w in zip(
            texts[1:6], ("종가", "전일비", "시가", "고가", "저가")))
        volume = integer(texts[6], what="거래량") or 0
        sign = _arrow_sign(cells[2])
        change = None if diff is None else (diff if sign is None else abs(diff) * sign)
        if sign is None and diff:
            raise Refusal(f"전일비 {texts[2]!r} has no arrow class: direction unknown")
        halted = not volume and not open_ and not high and not low
        records.append({
            "code": code, "trade_date": day(texts[0], "%Y.%m.%d"),
            "open": None if halted else open_, "high": None if halted else high,
            "low": None if halted else low, "close": close, "volume": volume, "halted": halted, "change": change,
        })
    return contract_records(DailyPrice, records)


_PAGE_NUMBER = re.compile(r"[?&]page=(\d+)")


def last_page(response: Response) -> int:
    """The last page of a legacy paginated list (``table.Nnavi``: ``td.pgRR a``, else the highest
    page link, else 1). A page past the end repeats the last one, so crawlers stop here."""
    try:
        tree = html_tree(decode(response, "cp949"))
    except Refusal:
        return 1
    links = tree.xpath('//table[contains(@class, "Nnavi")]//td[contains(@class, "pgRR")]//a/@href')
    if not links:
        links = tree.xpath('//table[contains(@class, "Nnavi")]//a/@href')
    pages = [int(m.group(1)) for href in links if (m := _PAGE_NUMBER.search(href))]
    return max(pages) if pages else 1


_NID = re.compile(r"[?&]nid=(\d+)")
_COMMENTS = re.compile(r"\[(\d+)\]")


@register("legacy-board", ("board_post",), "finance.naver.com item/board (archived) -> board_post")
def parse_board(response: Response) -> list[BoardPost]:
    """Rows of the 종목토론실 list. A row the clean-bot hid has no link: it is kept with
    ``hidden=True`` and a synthetic id ``hidden-<YYYYMMDDHHMM>-<author>``."""
    code, rows = _list_rows(response, 6, "board")
    records = []
    for cells in rows:
        posted_text = _text(cells[0])
        if not posted_text:
            continue
        posted_at = kst_datetime(posted_text, "%Y.%m.%d %H:%M")
        author = _text(cells[2])
        links = _NID_LINKS(cells[1])
        comments = _COMMENTS.search(_text(cells[1]))
        if links:
            nid = _NID.search(links[0].get("href"))
            if not nid:
                raise Refusal("a title link without nid: changed layout")
            post_id, title, hidden = nid.group(1), links[0].get("title") or _text(links[0]), False
        else:
            post_id = f"hidden-{posted_at:%Y%m%d%H%M}-{author}"
            title, hidden = _text(cells[1]), True
        records.append({
            "code": code, "post_id": post_id, "posted_at": posted_at, "title": title, "body": None,
            "author": author, "views": integer(_text(cells[3]), what="조회"),
            "likes": integer(_text(cells[4]), what="공감"), "dislikes": integer(_text(cells[5]), what="비공감"),
            "comment_count": int(comments.group(1)) if comments and not hidden else None,
            "hidden": hidden,
        })
    return contract_records(BoardPost, records)


#: th_cop_anal{N} -> row title in FINANCE_ROWS
_COP_ANAL = {8: "매출액", 9: "영업이익", 10: "당기순이익", 11: "영업이익률", 12: "순이익률", 13: "ROE",
             14: "부채비율", 15: "당좌비율", 16: "유보율", 17: "EPS", 18: "BPS", 19: "주당배당금",
             20: "PER", 21: "PBR", 22: "시가배당률", 23: "배당성향"}
_HEADER_PERIOD = re.compile(r"(\d{4})\.(\d{2})")
_COP_ANAL_CLASS = re.compile(r"th_cop_anal(\d+)")
_ROW_CLASSES = etree.XPath("./th/@class")


@register("legacy-main", ("financial_statement",),
          "finance.naver.com item/main cop_analysis (archived) -> financial_statement")
def parse_main(response: Response) -> list[FinancialStatement]:
    """The 기업실적분석 table: 4 annual then 6 quarterly columns, ``(E)`` marks estimates; rows are
    keyed by their ``th_cop_anal{N}`` class, so garbled Korean text does not matter."""
    code = _code(response)
    tree, text = _page(response, "tb_type1_ifrs")
    if "</table>" not in text[text.index("tb_type1_ifrs"):]:
        raise Refusal("the cop_analysis table never ends: truncated body")
    tables = tree.xpath('//div[contains(@class, "cop_analysis")]//table[contains(@class, "tb_type1_ifrs")]')
    if not tables:
        raise Refusal("no div.cop_analysis table.tb_type1_ifrs: changed layout")
    table = tables[0]
    head_rows = table.xpath("./thead/tr")
    if len(head_rows) < 2:
        raise Refusal("table head lacks the period row: changed layout")
    periods = []
    for th in head_rows[1].findall("th"):
        text = th.text_content()
        found = _HEADER_PERIOD.search(text)
        if not found:
            raise Refusal(f"period header {' '.join(text.split())!r} is not YYYY.MM")
        periods.append((f"{found.group(1)}-{found.group(2)}", "(E)" in text.replace(" ", "")))
    if len(periods) != 10:
        raise Refusal(f"{len(periods)} period columns, not 4 annual + 6 quarterly: changed layout")
    records = []
    seen = set()
    for row in table.xpath("./tbody/tr"):
        classes = " ".join(_ROW_CLASSES(row))
        found = _COP_ANAL_CLASS.search(classes)
        title = _COP_ANAL.get(int(found.group(1))) if found else None
        if title is None:
            continue
        cells = row.findall("td")
        if len(cells) != 10:
            raise Refusal(f"row {title} has {len(cells)} cells, not 10: truncated or changed layout")
        metric, unit = FINANCE_ROWS[title]
        seen.add(metric)
        for index, ((period, estimate), cell) in enumerate(zip(periods, cells)):
            raw = _text(cell)
            try:
                value = number(raw)
            except Refusal:
                number(raw, what=f"{title} {period}")  # the same refusal, naming the cell
                raise
            records.append({
                "code": code, "period": period, "period_type": "annual" if index < 4 else "quarter",
                "is_estimate": estimate, "metric": metric, "unit": unit, "value": value,
            })
    if not seen:
        raise Refusal("none of the th_cop_anal rows: changed layout")
    return contract_records(FinancialStatement, records)


_GROUP_LINK = re.compile(r"sise_group_detail\.naver\?type=upjong&no=(\d+)")
_ITEM_LINK = re.compile(r"/item/main\.naver\?code=([0-9A-Z]{6})")


@register("legacy-sise-group", ("sector", "stock_sector"),
          "finance.naver.com sise_group / sise_group_detail type=upjong (archived) -> sector, stock_sector")
def parse_sise_group(response: Response) -> list[Sector | StockSector]:
    """``sise_group.naver?type=upjong``: one Sector per industry. ``sise_group_detail.naver
    ?type=upjong&no=N``: one StockSector per member. Theme groups are not industries: refused."""
    group_type = response.query("type")
    if group_type != "upjong":
        raise Refusal(f"type={group_type}: only industry (upjong) groups map to sectors")
    text = decode(response, "cp949")
    if "</table>" not in text:
        raise Refusal("no end of the group table: truncated body", blocked_kind(response.body))
    tree = html_tree(text)
    if "sise_group_detail" in response.path:
        number_ = response.query("no")
        if not number_ or not number_.isdigit():
            raise Refusal("URL has no group number (no=)")
        tables = tree.xpath('//table[contains(@class, "type_5")]')
        if not tables:
            raise Refusal("no table.type_5: changed layout")
        codes = []
        for href in tables[0].xpath('.//td[contains(@class, "name")]//a/@href'):
            found = _ITEM_LINK.search(href)
            if not found:
                raise Refusal(f"member link {href!r} has no code: changed layout")
            codes.append(found.group(1))
        return contract_records(StockSector, [{"code": code, "sector_code": number_} for code in codes])
    tables = tree.xpath('//table[contains(@class, "type_1")]')
    if not tables:
        raise Refusal("no table.type_1: changed layout")
    records = []
    for link in tables[0].xpath('.//a[contains(@href, "sise_group_detail")]'):
        found = _GROUP_LINK.search(link.get("href"))
        if not found:
            raise Refusal(f"group link {link.get('href')!r} has no number: changed layout")
        records.append({"sector_code": found.group(1), "name": _text(link)})
    return contract_records(Sector, records)
