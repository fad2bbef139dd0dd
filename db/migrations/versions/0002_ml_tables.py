"""The ML worker's tables: daily top movers, daily and rolling media-influence scores, the PCA
summary, and the analyst views over them.

Every score row names its clock: ``predictive`` (only data stamped before the 09:00 KST open of
the day) or ``explanatory`` (the trading day itself). Natural primary keys; ``insertcoin score``
replaces the rows of the dates / periods it scores in one transaction.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TABLES = """
CREATE TABLE if_top_mover (
    trade_date  date     NOT NULL,
    list        text     NOT NULL CHECK (list IN ('abs', 'up', 'down')),
    rank        smallint NOT NULL CHECK (rank >= 1),
    code        text     NOT NULL,
    r           double precision NOT NULL,
    direction   text     NOT NULL CHECK (direction IN ('up', 'down', 'flat')),
    open        numeric(18, 4) NOT NULL,
    close       numeric(18, 4) NOT NULL,
    volume      bigint   NOT NULL,
    n_valid     integer  NOT NULL,
    board_predictive      double precision,
    board_explanatory     double precision,
    news_predictive       double precision,
    news_explanatory      double precision,
    financial_predictive  double precision,
    financial_explanatory double precision,
    scored_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (trade_date, list, rank),
    UNIQUE (trade_date, list, code)
);
COMMENT ON TABLE if_top_mover IS 'Each trading day''s top 10 stocks by |close/open - 1| (abs), and top 10 up / down; halted days excluded. n_valid = stocks with a valid open and close that day. <medium>_<clock>: the mover''s activity in that medium on that clock (board: abnormal log post volume; news: rank- and section-weighted mentions; financial: new statements + estimate revisions).';
CREATE INDEX ix_top_mover_code ON if_top_mover (code, trade_date);

CREATE TABLE if_media_influence_daily (
    trade_date    date    NOT NULL,
    medium        text    NOT NULL REFERENCES m_medium (medium),
    clock         text    NOT NULL CHECK (clock IN ('predictive', 'explanatory')),
    scope         text    NOT NULL CHECK (scope IN ('stock', 'market')),
    n_universe    integer NOT NULL,
    n_top         integer NOT NULL,
    n_active      integer NOT NULL,
    n_top_active  integer NOT NULL,
    base_rate     double precision,
    lift          double precision,
    p_value       double precision NOT NULL CHECK (p_value BETWEEN 0 AND 1),
    scored_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (trade_date, medium, clock)
);
COMMENT ON TABLE if_media_influence_daily IS 'Per day, medium and clock: lift of top-10 membership among stocks with abnormal activity in the medium over the base rate, hypergeometric p. For market-wide media (scope market) the units are the trailing 60 trading days ending at trade_date: turbulent days (many big movers) among days with an abnormal move of the medium.';

CREATE TABLE m_media_influence (
    period_type text    NOT NULL CHECK (period_type IN ('month', 'year')),
    period      text    NOT NULL,
    medium      text    NOT NULL REFERENCES m_medium (medium),
    clock       text    NOT NULL CHECK (clock IN ('predictive', 'explanatory')),
    scope       text    NOT NULL CHECK (scope IN ('stock', 'market')),
    model       text    NOT NULL,
    influence   double precision NOT NULL,
    ci_low      double precision NOT NULL,
    ci_high     double precision NOT NULL,
    p_value     double precision NOT NULL CHECK (p_value BETWEEN 0 AND 1),
    rank        smallint NOT NULL CHECK (rank >= 1),
    pr_auc_full double precision NOT NULL,
    pr_auc_without double precision NOT NULL,
    n_days      integer NOT NULL,
    n_permutations integer NOT NULL,
    n_bootstrap integer NOT NULL,
    train_days  integer NOT NULL,
    scored_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (period_type, period, medium, clock)
);
COMMENT ON TABLE m_media_influence IS 'Out-of-sample influence of each medium per month / year and clock: drop in PR-AUC (mean per-day average precision for stock media, average precision over days for market media) when the medium''s features are removed from a rolling logistic regression. p_value: permutation of the medium''s features across stocks within each day (across days for market media). ci_low/ci_high: 95% moving-block bootstrap over days. rank: 1 = most influential within (period, clock, scope).';

CREATE TABLE m_media_pca (
    period_type text     NOT NULL CHECK (period_type IN ('month', 'year')),
    period      text     NOT NULL,
    clock       text     NOT NULL CHECK (clock IN ('predictive', 'explanatory')),
    component   smallint NOT NULL CHECK (component >= 1),
    explained_variance_ratio double precision NOT NULL,
    loadings    jsonb    NOT NULL,
    n_rows      integer  NOT NULL,
    scored_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (period_type, period, clock, component)
);
COMMENT ON TABLE m_media_pca IS 'Summary only: principal components of the standardised stock-day media features (shared variance, not influence). loadings: feature -> weight.';
"""

VIEWS = """
CREATE VIEW v_influence_daily AS
SELECT d.trade_date, d.medium, m.source, d.clock, d.scope, d.lift, d.p_value, d.base_rate,
       d.n_universe, d.n_top, d.n_active, d.n_top_active, (d.p_value < 0.05) AS significant
FROM if_media_influence_daily d JOIN m_medium m USING (medium);

CREATE VIEW v_influence_yearly AS
SELECT i.period AS year, i.clock, i.scope, i.rank, i.medium, m.source, i.influence, i.ci_low,
       i.ci_high, i.p_value, i.pr_auc_full, i.pr_auc_without, i.n_days, i.model
FROM m_media_influence i JOIN m_medium m USING (medium)
WHERE i.period_type = 'year';

CREATE VIEW v_top_movers_media AS
SELECT t.trade_date, t.list, t.rank, t.code, s.name, t.r, t.direction,
       t.board_predictive, t.news_predictive, t.financial_predictive,
       t.board_explanatory, t.news_explanatory, t.financial_explanatory
FROM if_top_mover t
LEFT JOIN m_stock s ON s.code = t.code;
"""

GRANTS = """
GRANT SELECT, INSERT, UPDATE, DELETE ON if_top_mover, if_media_influence_daily, m_media_influence,
    m_media_pca TO insertcoin_ml;
GRANT SELECT ON if_top_mover, if_media_influence_daily, m_media_influence, m_media_pca,
    v_influence_daily, v_influence_yearly, v_top_movers_media TO insertcoin_analyst;
GRANT SELECT ON v_influence_daily, v_influence_yearly, v_top_movers_media TO insertcoin_ml;
"""


def upgrade() -> None:
    op.execute(TABLES)
    op.execute(VIEWS)
    op.execute(GRANTS)


def downgrade() -> None:
    for view in ("v_top_movers_media", "v_influence_yearly", "v_influence_daily"):
        op.execute(f"DROP VIEW IF EXISTS {view}")
    for table in ("m_media_pca", "m_media_influence", "if_media_influence_daily", "if_top_mover"):
        op.execute(f"DROP TABLE IF EXISTS {table}")
