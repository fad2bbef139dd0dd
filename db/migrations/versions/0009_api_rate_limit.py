"""The read API's rate limit, shared by every process and task that serves it.

``api_rate_window``: one row per API key (its SHA-256, never the key) and minute, counting the
requests of that minute granted so far. ``api_rate_take(key_sha256, limit, want)`` grants up to
``want`` more requests of the minute, never past ``limit``, and says how many (a process leases a
few at a time, so most requests need no round trip); it runs as the table's owner (SECURITY
DEFINER), so the API keeps reading as the analyst role, which may call it and nothing more. The clock is the database's, so
processes on machines with skewed clocks share one window. UNLOGGED: a count lost in a crash
costs at most one minute's limit, and no WAL is written per request.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

UPGRADE = """
CREATE UNLOGGED TABLE api_rate_window (
    key_sha256 text        NOT NULL,
    minute     timestamptz NOT NULL,
    hits       integer     NOT NULL,
    PRIMARY KEY (key_sha256, minute)
);
COMMENT ON TABLE api_rate_window IS 'Requests per API key (SHA-256 of the key) and minute, counted by api_rate_take() for every process serving the API; a key''s earlier minutes are deleted when its new minute starts.';

CREATE FUNCTION api_rate_take(p_key_sha256 text, p_limit integer, p_want integer,
                              OUT granted integer, OUT retry_after integer)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    t timestamptz := clock_timestamp();
    this_minute timestamptz := date_trunc('minute', t);
    n integer;
BEGIN
    INSERT INTO api_rate_window AS w (key_sha256, minute, hits)
    VALUES (p_key_sha256, this_minute, 0)
    ON CONFLICT (key_sha256, minute) DO UPDATE SET hits = w.hits   -- takes the row's lock
    RETURNING w.hits INTO n;
    IF n = 0 THEN
        DELETE FROM api_rate_window WHERE key_sha256 = p_key_sha256 AND minute < this_minute;
    END IF;
    granted := least(p_want, greatest(0, p_limit - n));
    UPDATE api_rate_window SET hits = hits + granted
    WHERE key_sha256 = p_key_sha256 AND minute = this_minute;
    retry_after := greatest(1, ceil(extract(epoch FROM this_minute + interval '1 minute' - t))::integer);
END
$$;
REVOKE ALL ON FUNCTION api_rate_take(text, integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api_rate_take(text, integer, integer) TO insertcoin_analyst;
REVOKE ALL ON api_rate_window FROM insertcoin_analyst, insertcoin_ml;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS api_rate_take(text, integer, integer)")
    op.execute("DROP TABLE IF EXISTS api_rate_window")
