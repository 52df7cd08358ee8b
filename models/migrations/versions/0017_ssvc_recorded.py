"""assessments record the decisions of SSVC tables that do not feed the tier

Revision ID: 0017
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The coordinator triage and publication decisions (severity model 1.1, recorded_only):
    # [{"table", "decision", "outcome_key", "inputs"}]; earlier assessments recorded none.
    with op.batch_alter_table("assessment") as b:
        b.add_column(sa.Column("ssvc_recorded", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("assessment") as b:
        b.drop_column("ssvc_recorded")
