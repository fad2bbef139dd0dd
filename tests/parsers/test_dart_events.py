"""The event-type rules over real DART report names (every name below is from a capture in
tests/parsers/fixtures/*dart*), and the correction tag."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared.parsers import Response, parse
from shared.parsers.dart_events import RULES, event_type, is_correction, split_tag

FIXTURES = Path(__file__).parent / "fixtures"

REAL_NAMES = [
    ("연결재무제표기준영업(잠정)실적(공정공시)", "earnings_preliminary"),
    ("영업(잠정)실적(공정공시)", "earnings_preliminary"),
    ("매출액또는손익구조30%(대규모법인은15%)이상변동", "earnings_preliminary"),
    ("매출액또는손익구조30%(대규모법인은15%)이상변경(자회사의 주요경영사항)", "earnings_preliminary"),
    ("연결재무제표기준영업실적등에대한전망(공정공시)", "earnings_preliminary"),
    ("분기보고서 (2023.09)", "earnings_periodic"),
    ("[기재정정]반기보고서 (2023.06)", "earnings_periodic"),
    ("[기재정정]주요사항보고서(유상증자결정)", "capital_raise"),
    ("[첨부정정]주요사항보고서(유상증자결정)", "capital_raise"),
    ("[기재정정]주요사항보고서(전환사채권발행결정)", "capital_raise"),
    ("주요사항보고서(교환사채권발행결정)", "capital_raise"),
    ("신주인수권행사(제4회차)", "capital_raise"),
    ("최대주주변경", "shareholder_change"),
    ("[기재정정]최대주주변경을수반하는주식양수도계약체결", "shareholder_change"),
    ("최대주주변경을수반하는주식담보제공계약체결", "shareholder_change"),
    ("주식등의대량보유상황보고서(일반)", "shareholder_change"),
    ("임원ㆍ주요주주특정증권등소유상황보고서", "shareholder_change"),
    ("주식소각결정", "buyback"),
    ("신탁계약해지결과보고서", "buyback"),
    ("조회공시요구(풍문또는보도)에대한답변(부인)", "inquiry_answer"),
    ("주권매매거래정지(상장폐지 사유발생)", "halt_warning"),
    ("현금ㆍ현물배당결정", "other"),
    ("기타시장안내(개선계획서 제출)", "other"),
    ("[기재정정]일괄신고서(기타파생결합증권)", "other"),
    ("주주총회소집결의", "other"),
    ("타법인주식및출자증권취득결정", "other"),
    ("[발행조건확정]증권신고서(채무증권)", "other"),
]
#: documented names that the captures do not hold (public DART titles)
DOCUMENTED_NAMES = [
    ("단일판매ㆍ공급계약체결              ", "supply_contract"),  # padding as OpenDART sends it
    ("[기재정정]단일판매ㆍ공급계약체결(자율공시)", "supply_contract"),
    ("자기주식취득결정", "buyback"),
    ("자기주식취득신탁계약체결결정", "buyback"),
    ("투자경고종목지정(주가급등)", "halt_warning"),
    ("투자주의환기종목지정", "halt_warning"),
    ("조회공시요구(현저한시황변동)에대한답변(미확정)", "inquiry_answer"),
]


def _names_in_captures() -> set[str]:
    names = set()
    for folder in FIXTURES.iterdir():
        if "dart" not in folder.name or not folder.name.endswith("_real"):
            continue
        request = json.loads((folder / "request.json").read_text(encoding="utf-8"))
        body = next(folder.glob("response.*")).read_bytes()
        names |= {r.report_name for r in parse(request["parser"], Response(body=body, url=request["url"]))}
    return names


@pytest.mark.parametrize("name, kind", REAL_NAMES + DOCUMENTED_NAMES)
def test_given_a_report_name_when_classified_then_its_event_type(name, kind):
    assert event_type(name) == kind


def test_given_the_real_names_when_listed_here_then_each_is_in_a_capture():
    captured = _names_in_captures()
    missing = [name for name, _ in REAL_NAMES if name not in captured]
    assert not missing, f"not in any capture: {missing}"


def test_given_every_captured_name_when_classified_then_each_rule_but_supply_and_buyback_fires():
    kinds = {event_type(name) for name in _names_in_captures()}
    assert {kind for kind, _ in RULES} - kinds <= {"supply_contract"}, kinds


@pytest.mark.parametrize("name, correction", [
    ("[기재정정]주요사항보고서(유상증자결정)", True), ("[첨부정정]주요사항보고서(유상증자결정)", True),
    ("[발행조건확정]증권신고서(채무증권)", False), ("분기보고서 (2023.09)", False), ("최대주주변경", False),
])
def test_given_a_leading_tag_when_checked_then_only_jeongjeong_is_a_correction(name, correction):
    assert is_correction(name) is correction


def test_given_a_tagged_name_when_split_then_tag_and_name_apart():
    assert split_tag("[기재정정]최대주주변경") == ("기재정정", "최대주주변경")
    assert split_tag("최대주주변경") == (None, "최대주주변경")
