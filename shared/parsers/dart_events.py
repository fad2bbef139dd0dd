"""What a disclosure is about: a small, ordered rule set over DART report names.

Report names are Korean titles such as "연결재무제표기준영업(잠정)실적(공정공시)",
"[기재정정]주요사항보고서(유상증자결정)" or "조회공시요구(현저한시황변동)에대한답변(미확정)".
A leading bracket tag (``[기재정정]``, ``[첨부정정]``, ``[발행조건확정]`` ...) says how the filing
relates to an earlier one; ``정정`` in it marks a correction. The first rule whose words occur in
the name (without the tag and without spaces) decides the event type; nothing matched is "other".
Tested on every report name of the real captures (tests/parsers/test_dart_events.py).
"""
from __future__ import annotations

import re

#: event types that rarely move a price by themselves (periodic reports, dividends, meetings, ...);
#: the rest are "material" (the ML worker's ``disclosure_material``, the simulator's board echo)
ROUTINE = ("other", "earnings_periodic")
_TAG = re.compile(r"^\s*\[([^\]]*)\]\s*")

#: (event type, words): checked in this order; a name containing any word has that type.
RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("halt_warning", ("매매거래정지", "거래정지", "투자경고", "투자위험", "투자주의", "관리종목", "상장폐지",
                      "불성실공시", "단기과열")),
    ("inquiry_answer", ("조회공시", "풍문또는보도에대한해명")),
    ("earnings_preliminary", ("잠정)실적", "잠정실적", "매출액또는손익구조", "영업실적등에대한전망")),
    ("earnings_periodic", ("사업보고서", "반기보고서", "분기보고서")),
    ("capital_raise", ("유상증자", "전환사채", "신주인수권", "교환사채", "전환청구권", "교환청구권")),
    ("supply_contract", ("공급계약",)),
    ("shareholder_change", ("최대주주", "대량보유상황", "특정증권등소유상황", "주요주주")),
    ("buyback", ("자기주식", "자사주", "주식소각", "신탁계약")),
)


def split_tag(report_name: str) -> tuple[str | None, str]:
    """("기재정정", "주요사항보고서(유상증자결정)") for "[기재정정]주요사항보고서(유상증자결정)"."""
    found = _TAG.match(report_name)
    if not found:
        return None, report_name.strip()
    return found.group(1).strip(), report_name[found.end():].strip()


def is_correction(report_name: str) -> bool:
    """A corrected filing: its leading tag says 정정 ([기재정정], [첨부정정], [첨부추가] is not)."""
    tag, _ = split_tag(report_name)
    return tag is not None and "정정" in tag


def event_type(report_name: str) -> str:
    """The event type of a report name (see :data:`RULES`)."""
    _, name = split_tag(report_name)
    name = "".join(name.split())
    for kind, words in RULES:
        if any(word in name for word in words):
            return kind
    return "other"
