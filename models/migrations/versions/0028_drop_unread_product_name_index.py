"""intake: drop the index on affected product names that no query reads any more

Revision ID: 0028
Revises: 0024
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0028"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Near-duplicate search walks (name_key, id) since names are compared normalised; nothing
    # filters or sorts on the raw name. Its index cost every import (33 product rows per CSAF
    # document on average) and read nothing.
    op.drop_index("ix_affected_product_name_id", table_name="affected_product")


def downgrade() -> None:
    op.create_index("ix_affected_product_name_id", "affected_product", ["name", "id"])
