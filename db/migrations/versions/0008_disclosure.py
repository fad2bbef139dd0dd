"""if_disclosure: DART filings to the minute (issue 16), and the ``disclosure`` medium.

One row per receipt number (rcpNo). disclosed_at is the minute DART's daily list shows, in
Asia/Seoul (NULL for a row known only from OpenDART's list.json, which has dates only);
stock_code NULL when the corp code does not resolve to a listed stock (funds, ABS, unlisted
issuers). report_name is kept as the source sent it; event_type comes from
shared/parsers/dart_events.py.

Revision ID: 0008
Revises: 0007
"""
from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

UPGRADE = """
CREATE TABLE if_disclosure (
    receipt_no    text        PRIMARY KEY CHECK (receipt_no ~ '^[0-9]{14}$'),
    receipt_date  date        NOT NULL,
    disclosed_at  timestamptz,
    corp_code     text        CHECK (corp_code ~ '^[0-9]{8}$'),
    corp_name     text        NOT NULL,
    stock_code    text        CHECK (stock_code ~ '^[0-9A-Z]{6}$'),
    market        text        CHECK (market IN ('KOSPI', 'KOSDAQ', 'KONEX')),
    report_name   text        NOT NULL,
    submitter     text,
    remark        text,
    is_correction boolean     NOT NULL,
    event_type    text        NOT NULL CHECK (event_type IN ('earnings_preliminary', 'earnings_periodic',
                      'capital_raise', 'supply_contract', 'shareholder_change', 'buyback', 'inquiry_answer',
                      'halt_warning', 'other')),
    source        text        NOT NULL,
    run_id        text        NOT NULL,
    extracted_at  timestamptz NOT NULL,
    loaded_at     timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ix_disclosure_stock_time ON if_disclosure (stock_code, disclosed_at);
CREATE INDEX ix_disclosure_date ON if_disclosure (receipt_date);
COMMENT ON TABLE if_disclosure IS 'DART filings (공시), one per receipt number. disclosed_at: the minute on DART''s daily list (Asia/Seoul), NULL when known only from OpenDART (dates only). stock_code NULL: not resolved to a listed stock. report_name as sent. is_correction: a [..정정] tag. event_type: rules in shared/parsers/dart_events.py.';
GRANT SELECT, INSERT, UPDATE ON if_disclosure TO insertcoin_loader;
GRANT SELECT ON if_disclosure TO insertcoin_analyst, insertcoin_ml;
-- Per top mover, the filings in its two windows (what was disclosed): predictive = after the
-- stock's previous session's 15:30 close and before the day's 09:00 open; explanatory = 09:00-15:30.
CREATE VIEW v_top_mover_disclosure AS
WITH m AS (
    SELECT t.trade_date, t.list, t.rank, t.code,
           ((SELECT max(p.trade_date) FROM if_stock_daily_price p
             WHERE p.code = t.code AND p.trade_date < t.trade_date) + time '15:30') AT TIME ZONE 'Asia/Seoul'
               AS prev_close,
           (t.trade_date + time '09:00') AT TIME ZONE 'Asia/Seoul' AS open_at,
           (t.trade_date + time '15:30') AT TIME ZONE 'Asia/Seoul' AS close_at
    FROM if_top_mover t
)
SELECT m.trade_date, m.list, m.rank, m.code,
       CASE WHEN d.disclosed_at < m.open_at THEN 'predictive' ELSE 'explanatory' END AS clock,
       d.disclosed_at, d.receipt_no, d.report_name, d.event_type, d.is_correction
FROM m JOIN if_disclosure d
  ON d.stock_code = m.code
 AND d.disclosed_at >= coalesce(m.prev_close, m.open_at - interval '17 hours 30 minutes')
 AND d.disclosed_at < m.close_at;
COMMENT ON VIEW v_top_mover_disclosure IS 'Each top mover''s DART filings in its predictive window (previous session''s 15:30 close to 09:00) and explanatory window (09:00-15:30), KST.';
GRANT SELECT ON v_top_mover_disclosure TO insertcoin_analyst, insertcoin_ml;
INSERT INTO m_medium VALUES
  ('disclosure', 'stock', 'DART', 'if_disclosure', 'Corporate filings (공시) to the minute, overall and per event type')
ON CONFLICT (medium) DO NOTHING;
"""

DOWNGRADE = """
DELETE FROM m_media_influence WHERE medium = 'disclosure';
DELETE FROM if_media_influence_daily WHERE medium = 'disclosure';
DELETE FROM m_medium WHERE medium = 'disclosure';
DROP VIEW IF EXISTS v_top_mover_disclosure;
DROP TABLE IF EXISTS if_disclosure;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
