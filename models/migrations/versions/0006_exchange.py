"""exchange: per-key verification time, and the org key's protection passphrase

Revision ID: 0006
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("partner_key") as b:
        b.add_column(sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("org_key") as b:
        b.add_column(sa.Column("key_passphrase", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("org_key") as b:
        b.drop_column("key_passphrase")
    with op.batch_alter_table("partner_key") as b:
        b.drop_column("verified_at")
