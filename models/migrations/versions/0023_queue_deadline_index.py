"""the queue opens on open cases by next deadline: a covering (status, deadline) index

Revision ID: 0023
Revises: 0017
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0023"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Without it, 200,000 cases sorted by deadline and filtered to the open states read every
    # wide row through ix_case_next_deadline (about 1 s); with it, the ids come from the index.
    op.create_index("ix_case_status_deadline", "case", ["status", "next_deadline_utc"])


def downgrade() -> None:
    op.drop_index("ix_case_status_deadline", table_name="case")
