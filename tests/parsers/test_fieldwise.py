"""The fieldwise shortcut (records built from parts validated through the contract) gives the
records pydantic validates, and is refused for models it would not be sound for."""
from __future__ import annotations

import json
from pathlib import Path

from pydantic import field_validator

from shared.parsers import ParseError, Response, parse
from shared.parsers.fieldwise import FieldwiseContract
from shared.parsers.naver_stock import _STATEMENTS, _TABLE_PARTS
from shared.records import DailyPrice, FinancialStatement

FIXTURES = Path(__file__).parent / "fixtures"


def test_given_financial_statement_when_checked_then_shortcut_usable():
    assert _STATEMENTS.unusable is None and _TABLE_PARTS is not None


def test_given_every_finance_fixture_when_parsed_then_records_equal_validated_ones():
    for folder in sorted(FIXTURES.glob("naver-finance_*")):
        request = json.loads((folder / "request.json").read_text(encoding="utf-8"))
        response = Response(body=next(folder.glob("response.*")).read_bytes(), url=request["url"])
        try:
            records = parse("naver-finance", response)
        except ParseError:
            continue
        for record in records:
            validated = FinancialStatement.model_validate(record.model_dump())
            assert record == validated and record.__getstate__() == validated.__getstate__()
            assert list(record.model_dump()) == list(validated.model_dump())


def test_given_model_validator_when_checked_then_shortcut_unusable():
    sample = {"code": "005930", "trade_date": "2026-09-29", "open": 1.0, "high": 1.0, "low": 1.0,
              "close": 1.0, "volume": 0}
    assert "model_validators" in FieldwiseContract(DailyPrice, free=(), sample=sample).unusable


def test_given_field_validator_when_checked_then_shortcut_unusable():
    sample = {"code": "005930", "period": "2024-12", "period_type": "annual", "is_estimate": False,
              "metric": "revenue", "value": 1.0, "unit": "KRW_100M"}

    class Bar(FinancialStatement):
        @field_validator("value")
        @classmethod
        def _positive(cls, value):
            return value

    assert "field_validators" in FieldwiseContract(Bar, free=("value",), sample=sample).unusable
