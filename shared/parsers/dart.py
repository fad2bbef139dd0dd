"""DART disclosures: the website's daily list (dart.fss.or.kr ``dsac001/search.ax``, the one source
with the minute of each filing) and OpenDART's ``list.json`` and ``corpCode.xml`` (corp codes,
stock codes and markets; dates only). Real shapes: ../shared/real-samples CONTRACTS-media.md §1-2.
"""
from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass
from typing import ClassVar

from lxml import etree

from shared.records import KST, Disclosure, Record
from shared.parsers.base import (
    ConfigurationError, ParseError, QuotaExceeded, Refusal, Response, blocked_kind, contract_records, day, decode,
    html_tree, load_json, register,
)
from shared.parsers.dart_events import event_type, is_correction

#: the daily list's market tag class -> market (``tagCom_etc``: other corporations, no market)
MARKET_TAGS = {"tagCom_kospi": "KOSPI", "tagCom_kosdaq": "KOSDAQ", "tagCom_konex": "KONEX", "tagCom_etc": None}
#: OpenDART corp_cls -> market (E: other corporations)
CORP_CLS = {"Y": "KOSPI", "K": "KOSDAQ", "N": "KONEX", "E": None}
LIST_HEADER = ("시간", "공시대상회사", "보고서명", "제출인", "접수일자", "비고")
EMPTY_LIST = "검색된 자료가 없습니다"
_CORP = re.compile(r"openCorpInfoNew\('(\d{8})'")
_RCP = re.compile(r"rcpNo=(\d{14})")
_TIME = re.compile(r"^(\d{2}):(\d{2})$")
_PAGER = re.compile(r"\[(\d+)/(\d+)\]\s*\[총\s*([\d,]+)건\]")

#: OpenDART status -> (error kind, meaning). 013 (no data) is an empty page, not an error.
STATUS_ERRORS: dict[str, tuple[type[ParseError], str]] = {
    "010": (ConfigurationError, "status 010: unregistered API key (crtfc_key)"),
    "011": (ConfigurationError, "status 011: API key not usable"),
    "012": (ConfigurationError, "status 012: this IP may not use the API key"),
    "020": (QuotaExceeded, "status 020: request limit exceeded"),
    "100": (ConfigurationError, "status 100: a field has an unsuitable value"),
    "101": (ConfigurationError, "status 101: unsuitable access"),
    "800": (ParseError, "status 800: system maintenance"),
    "900": (ParseError, "status 900: undefined error"),
    "901": (ConfigurationError, "status 901: the key's account expired"),
}


def _text(node) -> str:
    return " ".join(node.text_content().split())


def _status(status: object, message: object) -> None:
    """Refuse an OpenDART error status (HTTP 200 with a status field)."""
    if status == "000" or status == "013":
        return
    kind, meaning = STATUS_ERRORS.get(str(status), (ParseError, f"status {status!r}: unknown"))
    raise Refusal(f"{meaning} ({message})", kind)


def _disclosure(**fields) -> dict:
    name = fields["report_name"]
    return {**fields, "is_correction": is_correction(name), "event_type": event_type(name)}


@dataclass(frozen=True)
class ListPaging:
    """The daily list's pager: page ``page`` of ``pages``, ``total`` rows in all."""

    page: int
    pages: int
    total: int


def daily_list_paging(response: Response) -> ListPaging:
    """Read the pager of a daily list page; refused like the parser. An empty day is 1/1, 0."""
    text = decode(response, "utf-8")
    if EMPTY_LIST in text and "totalCnt" not in text:
        return ListPaging(1, 1, 0)
    found = _PAGER.search(text)
    if not found:
        raise ParseError("dart-daily-list", "no [page/pages] [총 N건] pager: changed layout")
    page, pages, total = (int(g.replace(",", "")) for g in found.groups())
    return ListPaging(page, max(pages, 1), total)


@register("dart-daily-list", ("disclosure",), "DART dsac001/search.ax daily list -> disclosure (with the minute)")
def parse_daily_list(response: Response) -> list[Disclosure]:
    """Every row of one page of DART's daily list: time (HH:MM KST) on the row's receipt date,
    market tag, corp code (from ``openCorpInfoNew``), company, report name (as shown), submitter,
    receipt number (from the report link) and remark tags (정, 유, ...). The hidden ``totalCnt``
    and the pager must agree; an empty day ("검색된 자료가 없습니다") is ``[]``."""
    text = decode(response, "utf-8")
    if "</table>" not in text:
        if EMPTY_LIST in text:
            return []
        raise Refusal("no end of the list table: truncated body or not the daily list", blocked_kind(response.body))
    tree = html_tree(text)
    tables = tree.xpath("//table[contains(concat(' ', normalize-space(@class), ' '), ' tbList ')]")
    if len(tables) != 1:
        raise Refusal(f"{len(tables)} table.tbList, expected 1: changed layout")
    table = tables[0]
    header = tuple(_text(th) for th in table.xpath("./thead/tr/th"))
    if header != LIST_HEADER:
        raise Refusal(f"header {'/'.join(header)} is not {'/'.join(LIST_HEADER)}: changed layout")
    total_inputs = tree.xpath("//input[@id='totalCnt']/@value")
    if not total_inputs or not total_inputs[0].strip().isdigit():
        raise Refusal("no hidden totalCnt: changed layout or truncated body")
    total = int(total_inputs[0])
    pager = _PAGER.search(text)
    if pager is None:
        raise Refusal("no [page/pages] [총 N건] pager: changed layout or truncated body")
    if int(pager.group(3).replace(",", "")) != total:
        raise Refusal(f"pager total {pager.group(3)} differs from totalCnt {total}")
    rows = []
    for number, tr in enumerate(table.xpath("./tbody/tr"), start=1):
        cells = tr.findall("td")
        if len(cells) == 1 and EMPTY_LIST in _text(cells[0]):
            continue
        if len(cells) != len(LIST_HEADER):
            raise Refusal(f"row {number} has {len(cells)} cells, not {len(LIST_HEADER)}: changed layout")
        time_cell, corp_cell, report_cell, submitter, received, remark = cells
        clock = _TIME.match(_text(time_cell))
        if not clock:
            raise Refusal(f"row {number} time {_text(time_cell)!r} is not HH:MM")
        tags = [cls for span in corp_cell.xpath(".//span[@class]") for cls in span.get("class").split()
                if cls in MARKET_TAGS]
        if len(tags) != 1:
            raise Refusal(f"row {number} has market tags {tags}, expected one of {sorted(MARKET_TAGS)}")
        corp_links = [a for a in corp_cell.xpath(".//a[@href]") if _CORP.search(a.get("href"))]
        if len(corp_links) != 1:
            raise Refusal(f"row {number} has no openCorpInfoNew('<corp code>') link: changed layout")
        report_links = [a for a in report_cell.xpath(".//a[@href]") if _RCP.search(a.get("href"))]
        if len(report_links) != 1:
            raise Refusal(f"row {number} has no rcpNo=<14 digits> report link: changed layout")
        receipt_date = day(_text(received), "%Y.%m.%d")
        hour, minute = int(clock.group(1)), int(clock.group(2))
        if hour > 23 or minute > 59:
            raise Refusal(f"row {number} time {clock.group(0)} is not a clock time")
        rows.append(_disclosure(
            receipt_no=_RCP.search(report_links[0].get("href")).group(1),
            receipt_date=receipt_date,
            disclosed_at=dt.datetime.combine(receipt_date, dt.time(hour, minute), KST),
            corp_code=_CORP.search(corp_links[0].get("href")).group(1),
            corp_name=_text(corp_links[0]),
            market=MARKET_TAGS[tags[0]],
            report_name=_text(report_links[0]),
            submitter=_text(submitter) or None,
            remark=" ".join(_text(s) for s in remark.xpath(".//span")) or None,
        ))
    if not rows and total:
        raise Refusal(f"no rows although totalCnt is {total}: changed layout")
    return contract_records(Disclosure, rows)


@register("opendart-list", ("disclosure",), "OpenDART list.json -> disclosure (dates only, stock codes)")
def parse_opendart_list(response: Response) -> list[Disclosure]:
    """Every item of one list.json page: corp code, stock code ("" -> None), market from
    ``corp_cls``, report name as sent (padding spaces kept), receipt number and date, filer, rm.
    No time of day (``disclosed_at`` None). Status 013 (no data) is ``[]``; 010/011/012/100/101/901
    are configuration errors, 020 the quota, 800/900 refusals."""
    data = load_json(response)
    if not isinstance(data, dict) or "status" not in data:
        raise Refusal("expected an object with a status")
    _status(data.get("status"), data.get("message"))
    if data["status"] == "013":
        return []
    items = data.get("list")
    if not isinstance(items, list):
        raise Refusal("status 000 without a list: changed layout")
    for name in ("page_no", "page_count", "total_count", "total_page"):
        if not isinstance(data.get(name), int):
            raise Refusal(f"{name} is {data.get(name)!r}, not a number: changed layout")
    rows = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise Refusal(f"item {index} is not an object")
        missing = [k for k in ("corp_code", "corp_name", "stock_code", "corp_cls", "report_nm", "rcept_no",
                               "flr_nm", "rcept_dt", "rm") if k not in item]
        if missing:
            raise Refusal(f"item {index} lacks {', '.join(missing)}: changed layout")
        if item["corp_cls"] not in CORP_CLS:
            raise Refusal(f"item {index} corp_cls {item['corp_cls']!r} is not Y/K/N/E")
        rows.append(_disclosure(
            receipt_no=item["rcept_no"], receipt_date=day(item["rcept_dt"], "%Y%m%d"),
            corp_code=item["corp_code"], corp_name=item["corp_name"],
            stock_code=item["stock_code"].strip() or None, market=CORP_CLS[item["corp_cls"]],
            report_name=item["report_nm"], submitter=item["flr_nm"] or None, remark=item["rm"] or None,
        ))
    return contract_records(Disclosure, rows)


def opendart_list_pages(response: Response) -> tuple[int, int]:
    """(page_no, total_page) of a list.json page already parsed by ``opendart-list``."""
    data = load_json(response)
    return int(data.get("page_no") or 1), int(data.get("total_page") or 0)


class CorpCode(Record):
    """One row of OpenDART's corpCode.xml: a DART corp code and its stock code (None: unlisted).
    Not a stream: the disclosure crawler reads these to resolve stock codes."""

    stream: ClassVar[str] = "dart_corp_code"
    primary_key: ClassVar[tuple[str, ...]] = ("corp_code",)

    corp_code: str
    corp_name: str
    stock_code: str | None = None
    modify_date: str | None = None


@register("opendart-corp-code", (), "OpenDART corpCode.xml (zip) -> corp code to stock code map")
def parse_corp_codes(response: Response) -> list[CorpCode]:
    """Every ``<list>`` of CORPCODE.xml inside the zip: corp code (8 digits), name, stock code
    (6 characters; a blank element -> None) and modify date. An error is a small XML
    ``<result><status>...`` body with HTTP 200, refused by its status as list.json is."""
    body = response.body
    if not body.startswith(b"PK"):
        text = body.decode("utf-8", "replace")
        status = re.search(r"<status>\s*(\d+)\s*</status>", text)
        if status:
            message = re.search(r"<message>(.*?)</message>", text, re.S)
            _status(status.group(1), message.group(1).strip() if message else "")
        raise Refusal("not a zip archive", blocked_kind(body))
    try:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            names = [n for n in archive.namelist() if n.lower().endswith(".xml")]
            if len(names) != 1:
                raise Refusal(f"zip holds {len(names)} XML files, expected CORPCODE.xml")
            xml = archive.read(names[0])
    except zipfile.BadZipFile as err:
        raise Refusal(f"broken zip archive: {err}") from None
    try:
        root = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as err:
        raise Refusal(f"unparsable CORPCODE.xml: {err}") from None
    if root.tag != "result":
        raise Refusal(f"root element <{root.tag}>, expected <result>: changed layout")
    rows = []
    for index, item in enumerate(root.findall("list")):
        fields = {child.tag: (child.text or "").strip() for child in item}
        code = fields.get("corp_code", "")
        if not re.fullmatch(r"\d{8}", code):
            raise Refusal(f"list {index} corp_code {code!r} is not 8 digits")
        stock = fields.get("stock_code") or None
        if stock is not None and not re.fullmatch(r"[0-9A-Z]{6}", stock):
            raise Refusal(f"list {index} stock_code {stock!r} is not a 6-character code")
        rows.append({"corp_code": code, "corp_name": fields.get("corp_name", ""), "stock_code": stock,
                     "modify_date": fields.get("modify_date") or None})
    if not rows:
        raise Refusal("no <list> rows: changed layout")
    return contract_records(CorpCode, rows)
