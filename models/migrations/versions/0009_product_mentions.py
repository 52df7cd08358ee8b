"""intake at scale: affected products by name, newest first

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Near-duplicate search reads the newest mentions of a product name (app/intake/dedup.py):
    # (name, id) walks them in order and stops, where (name) alone made PostgreSQL read and
    # sort every mention, a cost that grew with the workspace.
    op.create_index("ix_affected_product_name_id", "affected_product", ["name", "id"])
    op.drop_index("ix_affected_product_name", table_name="affected_product")


def downgrade() -> None:
    op.create_index("ix_affected_product_name", "affected_product", ["name"])
    op.drop_index("ix_affected_product_name_id", table_name="affected_product")
