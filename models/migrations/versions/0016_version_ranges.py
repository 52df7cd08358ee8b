"""one version-range model: affected_product.version_range holds a whole vers: URI

Revision ID: 0016
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A CVE 5 or OSV record with several ranges gives a vers: URI longer than 200 characters
    # (Junos: six intervals); cutting it would store a different, wrong range.
    with op.batch_alter_table("affected_product") as b:
        b.alter_column(
            "version_range",
            existing_type=sa.String(length=200),
            type_=sa.Text(),
            existing_nullable=True,
        )


def downgrade() -> None:
    with op.batch_alter_table("affected_product") as b:
        b.alter_column(
            "version_range",
            existing_type=sa.Text(),
            type_=sa.String(length=200),
            existing_nullable=True,
        )
