"""playbooks: a partner's playbook run mirrored from its bundle (joint runs)

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("playbook_run") as b:
        b.add_column(sa.Column("origin_fingerprint", sa.String(64), nullable=True))
        b.add_column(sa.Column("origin_case", sa.String(40), nullable=True))
        b.add_column(sa.Column("local_owner", sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("playbook_run") as b:
        b.drop_column("local_owner")
        b.drop_column("origin_case")
        b.drop_column("origin_fingerprint")
