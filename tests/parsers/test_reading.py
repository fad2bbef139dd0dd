"""The shared readers behind every parser: display numbers, KST times and the batched contract
check. Their fast paths must give the same answers (and refusals) as the general ones."""
from __future__ import annotations

import datetime as dt

import pytest

from shared.parsers.base import Refusal, contract_records, integer, kst_datetime, number
from shared.records import KST, Sector, StockSector


@pytest.mark.parametrize("text, expected", [
    ("1,234", 1234.0), (" 22,292 ", 22292.0), ("-1,234.5", -1234.5), ("+53,759", 53759.0),
    ("12.34배", 12.34), ("22,292원", 22292.0), ("46.52%", 46.52), ("1\xa0234", 1234.0),
    ("-", None), ("", None), ("N/A", None), (None, None), (7, 7.0), (2.5, 2.5),
])
def test_given_display_text_when_read_as_number_then_value(text, expected):
    assert number(text) == expected


@pytest.mark.parametrize("text", ["nan", "inf", "-Infinity", "12x", "1.2.3", True])
def test_given_not_a_finite_number_when_read_then_refused_naming_the_field(text):
    with pytest.raises(Refusal, match="^ttb "):
        number(text, what="ttb")


def test_given_digits_beyond_float_precision_when_read_as_integer_then_exact():
    assert integer("9007199254740993") == 9007199254740993  # 2**53 + 1: a float would round it
    assert integer("1,000") == 1000 and integer("-") is None and integer(12) == 12


def test_given_fraction_when_read_as_integer_then_refused():
    with pytest.raises(Refusal, match="not an integer"):
        integer("1.5", what="거래량")


def test_given_padded_or_unpadded_board_time_when_read_then_same_kst_moment():
    expected = dt.datetime(2026, 9, 1, 9, 5, tzinfo=KST)
    assert kst_datetime("2026.09.01 09:05", "%Y.%m.%d %H:%M") == expected
    assert kst_datetime("2026.9.1 9:05", "%Y.%m.%d %H:%M") == expected  # strptime's reading
    with pytest.raises(Refusal, match="does not match"):
        kst_datetime("2026.13.01 09:05", "%Y.%m.%d %H:%M")


def test_given_page_with_one_bad_row_when_validated_then_no_records_and_the_row_named():
    rows = [{"code": "005930", "sector_code": "278"}, {"code": "5930", "sector_code": "278"}]
    with pytest.raises(Refusal) as caught:
        contract_records(StockSector, rows)
    assert caught.value.reason.startswith("StockSector record 1 fails the contract: code: ")
    assert "'5930'" in caught.value.reason


def test_given_valid_rows_when_validated_then_contract_records_in_order():
    records = contract_records(StockSector, [{"code": "0126Z0", "sector_code": "1"},
                                             {"code": "005930", "sector_code": "278"}])
    assert records == [StockSector(code="0126Z0", sector_code="1"), StockSector(code="005930", sector_code="278")]


def test_given_head_led_page_when_validated_then_head_first_then_members():
    records = contract_records(StockSector, [{"sector_code": "278", "name": "반도체와반도체장비"},
                                             {"code": "005930", "sector_code": "278"}], head=Sector)
    assert records == [Sector(sector_code="278", name="반도체와반도체장비"),
                       StockSector(code="005930", sector_code="278")]
    assert isinstance(records, list)


def test_given_head_led_page_with_bad_member_when_validated_then_member_named_by_its_index():
    rows = [{"sector_code": "278", "name": "반도체"}, {"code": "005930", "sector_code": "278"},
            {"code": "5930", "sector_code": "278"}]
    with pytest.raises(Refusal) as caught:
        contract_records(StockSector, rows, head=Sector)
    assert caught.value.reason.startswith("StockSector record 1 fails the contract: code: ")


def test_given_head_led_page_with_bad_head_when_validated_then_head_named():
    rows = [{"sector_code": "278", "name": ""}, {"code": "005930", "sector_code": "278"}]
    with pytest.raises(Refusal) as caught:
        contract_records(StockSector, rows, head=Sector)
    assert caught.value.reason.startswith("Sector record 0 fails the contract: name: ")
