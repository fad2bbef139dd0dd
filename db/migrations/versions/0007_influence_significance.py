"""m_media_influence: one claim per medium (issue 18).

Adds p_adjusted (Holm), significant, family (the tests corrected together) and method (how p was
made); rank becomes NULL for a medium that did not pass (ranks order the significant media only).
v_influence_yearly gains p_adjusted, significant and method at its end (existing columns keep their
names and order, so readers of the view are unaffected). v_influence_daily.significant gets a
comment saying what it is (one day's uncorrected p < 0.05).
"""
from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

UPGRADE = """
ALTER TABLE m_media_influence
    ADD COLUMN p_adjusted double precision CHECK (p_adjusted BETWEEN 0 AND 1),
    ADD COLUMN significant boolean NOT NULL DEFAULT false,
    ADD COLUMN family text,
    ADD COLUMN method text,
    ALTER COLUMN rank DROP NOT NULL;
COMMENT ON TABLE m_media_influence IS 'Out-of-sample influence of each medium per month / year and clock, one test each: mean average precision (per day over stocks for stock media; over the period''s days for market media) of a rolling logistic regression minus its mean with the medium''s fitted contribution permuted across stocks within each day (stock media) or circularly shifted against the days (market media). p_value: one-sided, normal approximation of those draws. ci_low/ci_high: 95%, the wider of a moving-block bootstrap over days and the inverted test. p_adjusted: Holm within family (a year''s media x clocks; a year''s months x media x clocks). significant: p_adjusted < 0.05 and influence > 0. rank: 1 = most influential significant medium within (period, clock, scope); NULL when not significant.';
CREATE OR REPLACE VIEW v_influence_yearly AS
SELECT i.period AS year, i.clock, i.scope, i.rank, i.medium, m.source, i.influence, i.ci_low,
       i.ci_high, i.p_value, i.pr_auc_full, i.pr_auc_without, i.n_days, i.model,
       i.p_adjusted, i.significant, i.method
FROM m_media_influence i JOIN m_medium m USING (medium)
WHERE i.period_type = 'year';
COMMENT ON COLUMN v_influence_daily.significant IS 'p_value < 0.05 on this one day, not corrected for the many days: a description of the day, not a test of the medium (the answer is m_media_influence.significant).';
"""

DOWNGRADE = """
DROP VIEW v_influence_yearly;
CREATE VIEW v_influence_yearly AS
SELECT i.period AS year, i.clock, i.scope, i.rank, i.medium, m.source, i.influence, i.ci_low,
       i.ci_high, i.p_value, i.pr_auc_full, i.pr_auc_without, i.n_days, i.model
FROM m_media_influence i JOIN m_medium m USING (medium)
WHERE i.period_type = 'year';
GRANT SELECT ON v_influence_yearly TO insertcoin_analyst, insertcoin_ml;
DELETE FROM m_media_influence WHERE rank IS NULL;
ALTER TABLE m_media_influence
    DROP COLUMN p_adjusted, DROP COLUMN significant, DROP COLUMN family, DROP COLUMN method,
    ALTER COLUMN rank SET NOT NULL;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
