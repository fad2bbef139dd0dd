"""What the ML worker reads from PostgreSQL: financial events from the statement history (dated by
the load timestamps), stock prices without index rows."""
from __future__ import annotations

import datetime as dt

import psycopg2
import pytest

from ml import dataset

pytestmark = pytest.mark.integration
UTC = dt.timezone.utc
T0 = dt.datetime(2025, 3, 3, 12, 0, tzinfo=UTC)          # the first crawl: history, not news


def _insert_statement(cur, code, period, is_estimate, loaded_at, updated_at):
    """A row loaded at ``loaded_at``; if ``updated_at`` is later, its value changed then (the
    trigger records both in the history)."""
    cur.execute(
        "INSERT INTO if_financial_statement (code, period_type, period, metric, is_estimate, value, unit,"
        " source, run_id, extracted_at, loaded_at, updated_at)"
        " VALUES (%s, 'quarter', %s, 'revenue', %s, 1, 'KRW_100M', 'test', 'r1', %s, %s, %s)",
        (code, period, is_estimate, loaded_at, loaded_at, loaded_at))
    if updated_at > loaded_at:
        cur.execute("UPDATE if_financial_statement SET value = 2, updated_at = %s"
                    " WHERE code = %s AND period = %s", (updated_at, code, period))


def test_given_a_backfill_a_new_quarter_and_a_revised_estimate_when_loading_events_then_two_events_come_back(
        database):
    with psycopg2.connect(database["admin"]) as conn, conn.cursor() as cur:
        _insert_statement(cur, "005930", "2024-09", False, T0, T0)                       # backfill
        _insert_statement(cur, "005930", "2025-03", True, T0, T0 + dt.timedelta(days=2))  # revision
        _insert_statement(cur, "005930", "2024-12", False, T0 + dt.timedelta(days=5),
                          T0 + dt.timedelta(days=5))                                       # new quarter
        _insert_statement(cur, "000660", "2024-12", False, T0 + dt.timedelta(days=5),
                          T0 + dt.timedelta(days=5))                                       # 000660's backfill
    conn = dataset.connect(database["ml"])
    try:
        events = dataset.load_financial_events(conn, T0 - dt.timedelta(days=1), T0 + dt.timedelta(days=30))
    finally:
        conn.close()
    got = sorted(zip(events["code"], events["kind"], events["event_at"].astype(str)))
    assert got == [("005930", "estimate_revision", "2025-03-05 12:00:00"),
                   ("005930", "new_statement", "2025-03-08 12:00:00")]


def test_given_stock_and_index_rows_when_loading_prices_then_only_stock_codes_come_back(database):
    with psycopg2.connect(database["admin"]) as conn, conn.cursor() as cur:
        for code in ("005930", "KOSPI", "KOSDAQ", "0004A0"):   # KOSDAQ has six characters too
            cur.execute("INSERT INTO if_stock_daily_price (code, trade_date, open, high, low, close, volume,"
                        " halted, source, run_id, extracted_at) VALUES (%s, '2025-03-04', 10, 11, 9, 10.5,"
                        " 100, false, 'test', 'r1', now())", (code,))
    conn = dataset.connect(database["ml"])
    try:
        prices = dataset.load_prices(conn, dt.date(2025, 3, 1), dt.date(2025, 3, 31))
    finally:
        conn.close()
    assert sorted(prices["code"]) == ["0004A0", "005930"]
    assert prices["halted"].tolist() == [0, 0]
