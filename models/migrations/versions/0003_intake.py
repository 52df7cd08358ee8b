"""intake: recomputed CVSS scores kept with each vulnerability; earlier report revisions
found by hash (re-importing an old revision changes nothing)

Revision ID: 0003
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("vulnerability") as b:
        b.add_column(sa.Column("scores", sa.JSON(), nullable=False, server_default="[]"))
    op.create_index("ix_report_revision_raw_sha256", "report_revision", ["raw_sha256"])


def downgrade() -> None:
    op.drop_index("ix_report_revision_raw_sha256", "report_revision")
    with op.batch_alter_table("vulnerability") as b:
        b.drop_column("scores")
