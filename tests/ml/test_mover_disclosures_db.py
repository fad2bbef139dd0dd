"""v_top_mover_disclosure on the real PostgreSQL, and the report's "what was disclosed": a mover's
filings after its previous session's close are predictive, those in the session explanatory, those
after the close or before the previous close are not its own."""
from __future__ import annotations

import datetime as dt

import psycopg2
import pytest

pytestmark = pytest.mark.integration

FILINGS = [  # receipt_no, KST time, report name, event type
    ("20260924800001", dt.datetime(2026, 9, 24, 15, 20), "최대주주변경", "shareholder_change"),      # before prev close
    ("20260924800002", dt.datetime(2026, 9, 24, 17, 5), "주요사항보고서(유상증자결정)", "capital_raise"),
    ("20260925800003", dt.datetime(2026, 9, 25, 8, 59), "영업(잠정)실적(공정공시)", "earnings_preliminary"),
    ("20260925800004", dt.datetime(2026, 9, 25, 10, 12), "단일판매ㆍ공급계약체결", "supply_contract"),
    ("20260925800005", dt.datetime(2026, 9, 25, 15, 30), "현금ㆍ현물배당결정", "other"),               # after close
]


def _seed(url: str) -> None:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        for day in ("2026-09-24", "2026-09-25"):
            cur.execute("INSERT INTO if_stock_daily_price (code, trade_date, open, high, low, close, volume, halted, "
                        "source, run_id, extracted_at) VALUES ('005930', %s, 100, 130, 100, 129, 10, false, "
                        "'t', 't', now())", (day,))
        cur.execute("INSERT INTO if_top_mover (trade_date, list, rank, code, r, direction, open, close, volume, "
                    "n_valid) VALUES ('2026-09-25', 'abs', 1, '005930', 0.29, 'up', 100, 129, 10, 40)")
        for receipt, at, name, kind in FILINGS:
            cur.execute("INSERT INTO if_disclosure (receipt_no, receipt_date, disclosed_at, corp_code, corp_name, "
                        "stock_code, market, report_name, is_correction, event_type, source, run_id, extracted_at) "
                        "VALUES (%s, %s, %s::timestamp AT TIME ZONE 'Asia/Seoul', '00126380', '삼성전자', "
                        "'005930', 'KOSPI', %s, false, %s, 't', 't', now())",
                        (receipt, at.date(), at, name, kind))


def test_given_filings_around_a_movers_windows_when_viewed_then_each_lands_on_its_clock(database):
    _seed(database["admin"])
    with psycopg2.connect(database["analyst"]) as conn, conn.cursor() as cur:
        cur.execute("SELECT receipt_no, clock FROM v_top_mover_disclosure ORDER BY disclosed_at")
        assert cur.fetchall() == [("20260924800002", "predictive"), ("20260925800003", "predictive"),
                                  ("20260925800004", "explanatory")]


def test_given_a_mover_with_filings_when_reporting_then_the_page_says_what_was_disclosed(database, tmp_path):
    from ml import dataset
    from ml.report import load_report, write_report

    _seed(database["admin"])
    conn = dataset.connect(database["analyst"])
    try:
        frames = load_report(conn, dt.date(2026, 9, 25), dt.date(2026, 9, 25))
    finally:
        conn.close()
    page = write_report(frames, dt.date(2026, 9, 25), dt.date(2026, 9, 25), tmp_path).read_text(encoding="utf-8")
    assert "What was disclosed" in page
    assert "주요사항보고서(유상증자결정)" in page and "2026-09-25 10:12" in page
    assert "현금ㆍ현물배당결정" not in page
