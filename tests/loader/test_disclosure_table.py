"""if_disclosure on a real Kafka and PostgreSQL: the DART daily list (the minute) and OpenDART (the
stock code) know different halves of one filing; the row keeps both, in Asia/Seoul."""
from __future__ import annotations

import datetime as dt

import psycopg2
import pytest

from services.loader.consumer import Loader
from shared.records import KST, Disclosure
from tests.loader.streams import envelope_bytes, produce

pytestmark = pytest.mark.integration

WEB = Disclosure(receipt_no="20230208901096", receipt_date=dt.date(2023, 2, 8),
                 disclosed_at=dt.datetime(2023, 2, 8, 17, 42, tzinfo=KST), corp_code="01089378", corp_name="디와이디",
                 market="KOSDAQ", report_name="최대주주변경을수반하는주식담보제공계약체결", submitter="디와이디",
                 remark="코", event_type="shareholder_change")
API = WEB.model_copy(update={"disclosed_at": None, "stock_code": "219550"})


def _rows(settings):
    with psycopg2.connect(settings.database_url.get_secret_value()) as conn, conn.cursor() as cur:
        cur.execute("SET TIME ZONE 'UTC'")
        cur.execute("SELECT receipt_no, disclosed_at, stock_code, market, event_type, is_correction FROM if_disclosure")
        return cur.fetchall()


@pytest.mark.parametrize("order", [(WEB, API), (API, WEB)], ids=["web-first", "api-first"])
def test_given_a_filing_from_the_daily_list_and_opendart_when_loaded_then_one_row_keeps_the_minute_and_the_code(
        settings, order):
    produce(settings, [envelope_bytes(order[0])], stream="disclosure")
    Loader(settings, batch_seconds=0.5).run(until_idle=True, idle_seconds=1.0)
    produce(settings, [envelope_bytes(order[1])], stream="disclosure")
    Loader(settings, batch_seconds=0.5).run(until_idle=True, idle_seconds=1.0)
    assert _rows(settings) == [("20230208901096", dt.datetime(2023, 2, 8, 8, 42, tzinfo=dt.timezone.utc),
                                "219550", "KOSDAQ", "shareholder_change", False)]
