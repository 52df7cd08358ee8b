"""queue at scale: covering indexes for the status filter and key order

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Queue at scale (bench/queue.py): covering indexes for the status filter/sort in key
    # order, and key order for full-text hits without reading the wide case rows.
    op.create_index("ix_case_status_key", "case", ["status", "year", "number"])
    op.create_index("ix_case_id_key", "case", ["id", "year", "number"])


def downgrade() -> None:
    op.drop_index("ix_case_id_key", table_name="case")
    op.drop_index("ix_case_status_key", table_name="case")
