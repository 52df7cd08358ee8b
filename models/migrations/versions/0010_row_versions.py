"""optimistic concurrency: a row version on every mutable aggregate

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Rows updated in place; every UPDATE of them checks the version it read (no lost update).
TABLES = (
    "case",
    "advisory",
    "advisory_text",
    "deadline",
    "playbook_run",
    "playbook_step",
    "handover",
)


def upgrade() -> None:
    for table in TABLES:
        # ADD COLUMN with a constant default: in place on both backends, no table rebuild.
        op.add_column(
            table, sa.Column("row_version", sa.Integer(), nullable=False, server_default="1")
        )


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:  # SQLite drops columns by rebuilding
            batch.drop_column("row_version")
