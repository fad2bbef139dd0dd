"""What a watchlist may miss: ``if_watchlist.caveats``, e.g. a last board or news pass before the
open that failed or ran out of time (``insertcoin watchlist`` makes the list anyway and says so).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE if_watchlist ADD COLUMN caveats text[] NOT NULL DEFAULT '{}'")
    op.execute("COMMENT ON COLUMN if_watchlist.caveats IS 'What the list may miss, one line each "
               "(a failed or timed-out last board or news pass before the open); empty when the "
               "passes landed or were not asked for (insertcoin watchlist --no-refresh).'")


def downgrade() -> None:
    op.execute("ALTER TABLE if_watchlist DROP COLUMN caveats")
