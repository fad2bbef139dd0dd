"""Financial statement history: every change of an if_financial_statement row, append-only.

if_financial_statement keeps the latest figure per (code, period_type, period, metric); a
consensus estimate revised three times, or turned into an actual, leaves no trace of its earlier
values. ``if_financial_statement_change`` gets one row per insert and per content change (a change
of is_estimate, value or unit; an upsert of identical content writes nothing, and neither does a
change of provenance or load timestamps alone), written by a row trigger, dated ``changed_at`` =
the row's ``loaded_at`` (insert) or ``updated_at`` (update).

The trigger function is SECURITY DEFINER, owned by the migration's role (the table's owner): the
loader role writes statements as before and holds no privilege on the history at all, so it can
neither forge nor edit nor delete it. Analysts and the ML worker read it.

Rows present when this migration runs are copied in once, each as of its last change (kind
``update`` at ``updated_at`` when it changed after its first load, else ``insert`` at
``loaded_at``): earlier values of those rows were never stored anywhere.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TABLE = """
CREATE TABLE if_financial_statement_change (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code         text        NOT NULL,
    period_type  text        NOT NULL,
    period       text        NOT NULL,
    metric       text        NOT NULL,
    is_estimate  boolean     NOT NULL,
    value        numeric,
    unit         text        NOT NULL,
    kind         text        NOT NULL CHECK (kind IN ('insert', 'update')),
    changed_at   timestamptz NOT NULL,
    source       text        NOT NULL,
    run_id       text        NOT NULL,
    extracted_at timestamptz NOT NULL
);
COMMENT ON TABLE if_financial_statement_change IS 'Append-only history of if_financial_statement: one row per inserted row and per change of is_estimate / value / unit, with the content it changed to. changed_at = loaded_at (insert) or updated_at (update) of the statement row. Written by trigger only; rows present at migration 0003 were copied in as of their last change.';
-- events by time (the ML worker reads a window), and a period's changes in order
CREATE INDEX ix_financial_change_time ON if_financial_statement_change (changed_at);
CREATE INDEX ix_financial_change_period ON if_financial_statement_change (code, period_type, period, changed_at);
"""

TRIGGER = """
CREATE FUNCTION record_financial_statement_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND (OLD.is_estimate, OLD.value, OLD.unit)
            IS NOT DISTINCT FROM (NEW.is_estimate, NEW.value, NEW.unit) THEN
        RETURN NULL;  -- provenance or timestamps only: not a change of the statement
    END IF;
    INSERT INTO public.if_financial_statement_change
        (code, period_type, period, metric, is_estimate, value, unit, kind, changed_at,
         source, run_id, extracted_at)
    VALUES (NEW.code, NEW.period_type, NEW.period, NEW.metric, NEW.is_estimate, NEW.value, NEW.unit,
            lower(TG_OP), CASE TG_OP WHEN 'INSERT' THEN NEW.loaded_at ELSE NEW.updated_at END,
            NEW.source, NEW.run_id, NEW.extracted_at);
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION record_financial_statement_change() FROM PUBLIC;
CREATE TRIGGER tr_financial_statement_change
    AFTER INSERT OR UPDATE ON if_financial_statement
    FOR EACH ROW EXECUTE FUNCTION record_financial_statement_change();
"""

# After the trigger exists: the trigger's lock on the statement table holds until this
# migration commits, so no write falls between the copy and the trigger.
SEED = """
INSERT INTO if_financial_statement_change
    (code, period_type, period, metric, is_estimate, value, unit, kind, changed_at,
     source, run_id, extracted_at)
SELECT code, period_type, period, metric, is_estimate, value, unit,
       CASE WHEN updated_at > loaded_at THEN 'update' ELSE 'insert' END, updated_at,
       source, run_id, extracted_at
FROM if_financial_statement
ORDER BY updated_at, code, period_type, period, metric;
"""

GRANTS = """
REVOKE ALL ON if_financial_statement_change FROM PUBLIC, insertcoin_loader;
GRANT SELECT ON if_financial_statement_change TO insertcoin_analyst, insertcoin_ml;
"""


def upgrade() -> None:
    op.execute(TABLE)
    op.execute(TRIGGER)
    op.execute(SEED)
    op.execute(GRANTS)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS tr_financial_statement_change ON if_financial_statement")
    op.execute("DROP FUNCTION IF EXISTS record_financial_statement_change()")
    op.execute("DROP TABLE IF EXISTS if_financial_statement_change")
