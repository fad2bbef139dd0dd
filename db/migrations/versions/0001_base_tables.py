"""Master and interface tables, the dead letter, and the loader / analyst / ml roles.

Natural primary keys everywhere; every loaded table carries the envelope's provenance
(source, run_id, extracted_at) and two load timestamps: loaded_at (first insert) and
updated_at (last change of content; a redelivered identical record leaves it alone).

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

PROVENANCE = """
    source       text        NOT NULL,
    run_id       text        NOT NULL,
    extracted_at timestamptz NOT NULL,
    loaded_at    timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
"""

TABLES = f"""
CREATE TABLE m_stock (
    code          text PRIMARY KEY CHECK (code ~ '^[0-9A-Z]{{6}}$'),
    name          text NOT NULL,
    market        text NOT NULL CHECK (market IN ('KOSPI', 'KOSDAQ', 'KONEX')),
    sector        text,
    security_type text,
    listed_date   date,
    fiscal_month  smallint,
    market_cap    bigint,
    {PROVENANCE}
);
COMMENT ON TABLE m_stock IS 'Listed securities (Naver market value, KIND). Nulls never overwrite known values.';

CREATE TABLE m_sector (
    sector_code text PRIMARY KEY,
    name        text NOT NULL,
    {PROVENANCE}
);

CREATE TABLE m_stock_sector (
    code        text PRIMARY KEY,
    sector_code text NOT NULL,
    {PROVENANCE}
);
CREATE INDEX ix_m_stock_sector_sector ON m_stock_sector (sector_code);

CREATE TABLE m_medium (
    medium      text PRIMARY KEY,
    scope       text NOT NULL CHECK (scope IN ('stock', 'market')),
    source      text NOT NULL,
    table_name  text NOT NULL,
    description text NOT NULL
);
INSERT INTO m_medium VALUES
  ('board', 'stock', 'Naver stock discussion', 'if_board_post', 'Posts and reactions on each stock''s discussion board'),
  ('news', 'stock', 'Nate ranked news', 'if_news_rank', 'Companies mentioned in the day''s most-read news'),
  ('financial', 'stock', 'Naver finance', 'if_financial_statement', 'New statements and estimate revisions'),
  ('fear_greed', 'market', 'CNN Fear & Greed', 'if_fear_greed', 'US market sentiment index'),
  ('fx', 'market', 'Korea Eximbank', 'if_fx_rate', 'KRW exchange rates');

CREATE TABLE if_stock_valuation (
    code           text NOT NULL,
    as_of_date     date NOT NULL,
    per            numeric,
    eps            numeric,
    pbr            numeric,
    bps            numeric,
    dividend_yield numeric,
    foreign_ratio  numeric,
    {PROVENANCE},
    PRIMARY KEY (code, as_of_date)
);

CREATE TABLE if_stock_daily_price (
    code          text    NOT NULL,
    trade_date    date    NOT NULL,
    open          numeric(18, 4),
    high          numeric(18, 4),
    low           numeric(18, 4),
    close         numeric(18, 4) NOT NULL,
    volume        bigint  NOT NULL,
    halted        boolean NOT NULL,
    change        numeric(18, 4),
    foreign_ratio numeric(7, 4),
    {PROVENANCE},
    PRIMARY KEY (code, trade_date),
    CHECK (halted OR (open IS NOT NULL AND high IS NOT NULL AND low IS NOT NULL))
);
CREATE INDEX ix_daily_price_date ON if_stock_daily_price (trade_date);

CREATE TABLE if_board_post (
    code          text        NOT NULL,
    post_id       text        NOT NULL,
    posted_at     timestamptz NOT NULL,
    title         text        NOT NULL,
    body          text,
    author        text        NOT NULL,
    views         integer,
    likes         integer,
    dislikes      integer,
    comment_count integer,
    hidden        boolean     NOT NULL,
    reply_depth   smallint    NOT NULL,
    {PROVENANCE},
    PRIMARY KEY (code, post_id)
);
CREATE INDEX ix_board_post_code_time ON if_board_post (code, posted_at);
CREATE INDEX ix_board_post_time ON if_board_post (posted_at);

CREATE TABLE if_news_rank (
    rank_date  date     NOT NULL,
    section    text     NOT NULL,
    rank       smallint NOT NULL,
    title      text     NOT NULL,
    url        text     NOT NULL,
    press      text,
    article_id text     NOT NULL,
    {PROVENANCE},
    PRIMARY KEY (rank_date, section, rank)
);
CREATE INDEX ix_news_rank_article ON if_news_rank (article_id);

CREATE TABLE if_financial_statement (
    code        text    NOT NULL,
    period_type text    NOT NULL CHECK (period_type IN ('annual', 'quarter')),
    period      text    NOT NULL,
    metric      text    NOT NULL,
    is_estimate boolean NOT NULL,
    value       numeric,
    unit        text    NOT NULL,
    {PROVENANCE},
    PRIMARY KEY (code, period_type, period, metric)
);
CREATE INDEX ix_financial_statement_updated ON if_financial_statement (updated_at);

CREATE TABLE if_fear_greed (
    as_of_date           date    PRIMARY KEY,
    score                numeric NOT NULL,
    rating               text    NOT NULL,
    market_momentum      numeric,
    stock_price_strength numeric,
    stock_price_breadth  numeric,
    put_call_options     numeric,
    market_volatility    numeric,
    junk_bond_demand     numeric,
    safe_haven_demand    numeric,
    {PROVENANCE}
);

CREATE TABLE if_fx_rate (
    rate_date      date     NOT NULL,
    currency       text     NOT NULL,
    unit           smallint NOT NULL,
    deal_base_rate numeric  NOT NULL,
    ttb            numeric,
    tts            numeric,
    name           text     NOT NULL,
    {PROVENANCE},
    PRIMARY KEY (rate_date, currency)
);

CREATE TABLE if_crawl_run (
    run_id      text PRIMARY KEY,
    service     text        NOT NULL,
    started_at  timestamptz NOT NULL,
    finished_at timestamptz,
    status      text        NOT NULL,
    requests    integer     NOT NULL,
    pages       integer     NOT NULL,
    records     integer     NOT NULL,
    errors      integer     NOT NULL,
    detail      jsonb       NOT NULL,
    source       text        NOT NULL,
    extracted_at timestamptz NOT NULL,
    loaded_at    timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ix_crawl_run_service_time ON if_crawl_run (service, started_at);

CREATE TABLE if_dead_letter (
    id          bigserial PRIMARY KEY,
    topic       text        NOT NULL,
    partition   integer     NOT NULL,
    "offset"    bigint      NOT NULL,
    stream      text,
    key         text,
    payload     bytea       NOT NULL,
    reason      text        NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (topic, partition, "offset")
);
CREATE INDEX ix_dead_letter_stream ON if_dead_letter (stream, received_at);
"""

ROLES = """
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'insertcoin_loader') THEN
    CREATE ROLE insertcoin_loader LOGIN;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'insertcoin_analyst') THEN
    CREATE ROLE insertcoin_analyst LOGIN;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'insertcoin_ml') THEN
    CREATE ROLE insertcoin_ml LOGIN;
  END IF;
END
$$;
GRANT USAGE ON SCHEMA public TO insertcoin_loader, insertcoin_analyst, insertcoin_ml;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
-- The loader writes rows; it owns nothing, so it cannot drop or alter tables.
GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA public TO insertcoin_loader;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO insertcoin_loader;
-- Analysts and the ML worker read everything; the ML worker's own tables are granted where made.
GRANT SELECT ON ALL TABLES IN SCHEMA public TO insertcoin_analyst, insertcoin_ml;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO insertcoin_analyst, insertcoin_ml;
"""


def upgrade() -> None:
    op.execute(TABLES)
    op.execute(ROLES)


def downgrade() -> None:
    for table in ("if_dead_letter", "if_crawl_run", "if_fx_rate", "if_fear_greed",
                  "if_financial_statement", "if_news_rank", "if_board_post",
                  "if_stock_daily_price", "if_stock_valuation", "m_medium", "m_stock_sector",
                  "m_sector", "m_stock"):
        op.execute(f"DROP TABLE IF EXISTS {table}")
