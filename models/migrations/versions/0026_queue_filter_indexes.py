"""indexes for the saved queue filters at 200,000 cases (issue 17)

overdue and due-24h read the next deadline, the id and the status from one index, in their
order (the rows are wide: reading each case to check its status made "overdue" take 0.6 s);
tier filters walk their tier in key order; jurisdiction filters find their cases by code. The
id is in the indexes for PostgreSQL's index-only scans (SQLite has it in every index).

Revision ID: 0026
Revises: 0021
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0026"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("case") as b:
        b.drop_index("ix_case_next_deadline")
        b.create_index("ix_case_next_deadline_status", ["next_deadline_utc", "id", "status"])
        b.create_index("ix_case_tier_key", ["tier", "year", "number", "id"])
    with op.batch_alter_table("case_jurisdiction") as b:
        b.create_index("ix_case_jurisdiction_code", ["code", "case_id"])
    with op.batch_alter_table("deadline") as b:
        b.create_index("ix_deadline_jurisdiction", ["jurisdiction", "case_id"])


def downgrade() -> None:
    with op.batch_alter_table("deadline") as b:
        b.drop_index("ix_deadline_jurisdiction")
    with op.batch_alter_table("case_jurisdiction") as b:
        b.drop_index("ix_case_jurisdiction_code")
    with op.batch_alter_table("case") as b:
        b.drop_index("ix_case_tier_key")
        b.drop_index("ix_case_next_deadline_status")
        b.create_index("ix_case_next_deadline", ["next_deadline_utc"])
