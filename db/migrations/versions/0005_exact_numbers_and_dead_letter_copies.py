"""Exact numbers and honest dead-letter copies.

``if_stock_daily_price``'s prices were ``numeric(18, 4)`` and its foreign ratio ``numeric(7, 4)``:
a price sent as 1234.56789 was stored as 1234.5679, and 0.00001 as 0.0000, without a word. They
become unconstrained ``numeric``, which holds every double the contract accepts exactly (as its
shortest decimal); the foreign ratio keeps its 0-100 range as a check. Dropping a numeric's
typmod rewrites nothing (the stored values are valid as they are).

``if_dead_letter`` says what its topic copy holds: the payload's size and SHA-256, and
``topic_truncated`` when the copy on the ``dead_letter`` topic is only the payload's first bytes
(a message longer than the topic takes; the row keeps the whole payload).

Revision ID: 0005
Revises: 0003
Create Date: 2026-12-04
"""
from alembic import op

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None

PRICES = ("open", "high", "low", "close", "change")

UPGRADE = f"""
ALTER TABLE if_stock_daily_price
    {", ".join(f"ALTER COLUMN {c} TYPE numeric" for c in PRICES)},
    ALTER COLUMN foreign_ratio TYPE numeric,
    ADD CONSTRAINT ck_daily_price_foreign_ratio CHECK (foreign_ratio BETWEEN 0 AND 100);

ALTER TABLE if_dead_letter
    ADD COLUMN payload_bytes   integer,
    ADD COLUMN payload_sha256  text,
    ADD COLUMN topic_truncated boolean NOT NULL DEFAULT false;
UPDATE if_dead_letter SET payload_bytes = length(payload), payload_sha256 = encode(sha256(payload), 'hex');
COMMENT ON COLUMN if_dead_letter.topic_truncated IS
    'The copy on the dead_letter topic holds only the first bytes of payload (headers truncated, payload_bytes, payload_sha256); this row holds it whole.';
COMMENT ON COLUMN if_dead_letter.key IS
    'The message key as text, NUL and undecodable bytes escaped (\\x00); the topic copy has the original bytes.';
"""

DOWNGRADE = f"""
ALTER TABLE if_dead_letter DROP COLUMN topic_truncated, DROP COLUMN payload_sha256, DROP COLUMN payload_bytes;
ALTER TABLE if_stock_daily_price
    DROP CONSTRAINT ck_daily_price_foreign_ratio,
    {", ".join(f"ALTER COLUMN {c} TYPE numeric(18, 4)" for c in PRICES)},
    ALTER COLUMN foreign_ratio TYPE numeric(7, 4);
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
