"""affected products: the index of product mentions holds only rows that carry a name key

Intake now keeps ``name_key`` on a report's first row of each product name only (a CSAF
advisory's 32 affected-product rows name 6 products on average): the index that
near-duplicate detection walks (``app/intake/dedup.py``) holds one entry per report and
name instead of one per row. Each entry cost the single intake writer an index insert and,
at commit, a share of a page encrypted and written (about 0.15 ms of its CPU per document,
bench/import.py). Rows stored before keep their keys: they stay mentions, as before.

Revision ID: 0034
Revises: 0033
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0034"
down_revision: str | None = "0033"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEX = "ix_affected_product_name_key_id"
_KEYED = sa.text("name_key IS NOT NULL")


def upgrade() -> None:
    op.drop_index(_INDEX, table_name="affected_product")
    op.create_index(
        _INDEX,
        "affected_product",
        ["name_key", "id"],
        sqlite_where=_KEYED,
        postgresql_where=_KEYED,
    )


def downgrade() -> None:
    op.drop_index(_INDEX, table_name="affected_product")
    op.create_index(_INDEX, "affected_product", ["name_key", "id"])
