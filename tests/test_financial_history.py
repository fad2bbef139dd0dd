"""if_financial_statement_change (migration 0003) on the real PostgreSQL: statements written by the
loader's own write path, as the loader role, leave one history row per real change; the loader
cannot touch the history; analysts and the ML worker read it."""
from __future__ import annotations

import psycopg2
import pytest

from services.loader.writer import write_records
from shared.records import FinancialStatement

pytestmark = pytest.mark.integration


def _figure(metric: str, value: float | None, *, period: str = "2025-12", estimate: bool = True,
            unit: str = "KRW_100M") -> FinancialStatement:
    return FinancialStatement(code="005930", period_type="quarter", period=period, metric=metric,
                              is_estimate=estimate, value=value, unit=unit)


def _load(url: str, records: list[FinancialStatement], run_id: str) -> int:
    """One crawl's statements through the loader's write path, in a transaction of its own."""
    with psycopg2.connect(url) as conn:
        written = write_records(conn, records, source="naver_finance", run_id=run_id)
    conn.close()
    return written


def _history(url: str) -> list[tuple]:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT period, metric, is_estimate, value::float8, unit, kind, run_id "
                    "FROM if_financial_statement_change ORDER BY id")
        rows = cur.fetchall()
    conn.close()
    return rows


def test_given_revisions_and_redeliveries_when_loaded_then_history_has_one_row_per_real_change(database):
    loader = database["loader"]
    backfill = [_figure("revenue", 100.0), _figure("operating_income", 10.0),
                _figure("revenue", 90.0, period="2025-09", estimate=False)]
    assert _load(loader, backfill, "crawl-1") == 3                   # fresh rows: straight COPY
    assert _load(loader, backfill, "crawl-2") == 0                   # a re-crawl, same figures
    revised = [_figure("revenue", 104.0), _figure("operating_income", 10.0), backfill[2]]
    assert _load(loader, revised, "crawl-3") == 1                    # one estimate revised
    assert _load(loader, revised, "crawl-3") == 0                    # the same batch redelivered
    published = [_figure("revenue", 111.0, estimate=False), _figure("operating_income", None, estimate=False),
                 backfill[2], _figure("revenue", 120.0, period="2026-03")]
    assert _load(loader, published, "crawl-4") == 3                  # Q4 turns actual, Q1 appears

    assert _history(database["admin"]) == [
        ("2025-12", "revenue", True, 100.0, "KRW_100M", "insert", "crawl-1"),
        ("2025-12", "operating_income", True, 10.0, "KRW_100M", "insert", "crawl-1"),
        ("2025-09", "revenue", False, 90.0, "KRW_100M", "insert", "crawl-1"),
        ("2025-12", "revenue", True, 104.0, "KRW_100M", "update", "crawl-3"),
        # the staging upsert writes in key order: operating_income, then revenue of 2025-12
        ("2025-12", "operating_income", False, None, "KRW_100M", "update", "crawl-4"),
        ("2025-12", "revenue", False, 111.0, "KRW_100M", "update", "crawl-4"),
        ("2026-03", "revenue", True, 120.0, "KRW_100M", "insert", "crawl-4"),
    ]


def test_given_a_change_when_recorded_then_it_is_dated_by_the_rows_load_timestamps(database):
    _load(database["loader"], [_figure("revenue", 100.0)], "crawl-1")
    _load(database["loader"], [_figure("revenue", 101.0)], "crawl-2")
    with psycopg2.connect(database["admin"]) as conn, conn.cursor() as cur:
        cur.execute("SELECT h.kind, h.changed_at = CASE h.kind WHEN 'insert' THEN s.loaded_at ELSE s.updated_at END, "
                    "s.loaded_at < s.updated_at FROM if_financial_statement_change h "
                    "JOIN if_financial_statement s USING (code, period_type, period, metric) ORDER BY h.id")
        assert cur.fetchall() == [("insert", True, True), ("update", True, True)]
        # a change of load timestamps or provenance alone is not a change of the statement
        cur.execute("UPDATE if_financial_statement SET updated_at = now(), run_id = 'touched'")
        cur.execute("SELECT count(*) FROM if_financial_statement_change")
        assert cur.fetchone() == (2,)
    conn.close()


@pytest.mark.parametrize("statement", [
    "UPDATE if_financial_statement_change SET value = 1",
    "DELETE FROM if_financial_statement_change",
    "TRUNCATE if_financial_statement_change",
    "INSERT INTO if_financial_statement_change (code, period_type, period, metric, is_estimate, unit, kind, "
    "changed_at, source, run_id, extracted_at) VALUES ('005930', 'quarter', '2025-12', 'revenue', true, "
    "'KRW_100M', 'insert', now(), 'forged', 'forged', now())",
    "DROP TRIGGER tr_financial_statement_change ON if_financial_statement",
    "ALTER TABLE if_financial_statement DISABLE TRIGGER tr_financial_statement_change",
])
def test_given_the_loader_role_when_it_touches_history_then_it_is_refused(database, statement):
    _load(database["loader"], [_figure("revenue", 100.0)], "crawl-1")
    with psycopg2.connect(database["loader"]) as conn:
        with conn.cursor() as cur, pytest.raises(psycopg2.errors.InsufficientPrivilege):
            cur.execute(statement)
    conn.close()
    assert len(_history(database["admin"])) == 1


@pytest.mark.parametrize("role", ["analyst", "ml"])
def test_given_analyst_and_ml_roles_when_reading_history_then_they_see_the_changes(database, role):
    _load(database["loader"], [_figure("revenue", 100.0)], "crawl-1")
    _load(database["loader"], [_figure("revenue", 105.0)], "crawl-2")
    assert [r[3] for r in _history(database[role])] == [100.0, 105.0]
    with psycopg2.connect(database[role]) as conn:
        with conn.cursor() as cur, pytest.raises(psycopg2.errors.InsufficientPrivilege):
            cur.execute("DELETE FROM if_financial_statement_change")
    conn.close()


def test_given_rows_before_the_migration_when_upgrading_then_history_starts_from_their_last_change(database):
    """Downgrade to 0002, load statements (no trigger), upgrade: each row is copied in once, as of
    its last change; downgrade removes table, trigger and function."""
    from alembic import command
    from alembic.config import Config

    from shared.stack import ROOT

    config = Config(str(ROOT / "db" / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "db" / "migrations"))
    config.attributes["url"] = database["admin"]
    command.downgrade(config, "0002")
    _load(database["loader"], [_figure("revenue", 100.0), _figure("eps", 5.0, unit="KRW")], "old-1")
    _load(database["loader"], [_figure("revenue", 100.0, estimate=False), _figure("eps", 5.0, unit="KRW")], "old-2")
    command.upgrade(config, "head")
    assert _history(database["admin"]) == [
        ("2025-12", "eps", True, 5.0, "KRW", "insert", "old-1"),
        ("2025-12", "revenue", False, 100.0, "KRW_100M", "update", "old-2"),
    ]
    command.downgrade(config, "0002")
    with psycopg2.connect(database["admin"]) as conn, conn.cursor() as cur:
        cur.execute("SELECT to_regclass('if_financial_statement_change'), "
                    "(SELECT count(*) FROM pg_proc WHERE proname = 'record_financial_statement_change'), "
                    "(SELECT count(*) FROM pg_trigger WHERE tgname = 'tr_financial_statement_change')")
        assert cur.fetchone() == (None, 0, 0)
    conn.close()
