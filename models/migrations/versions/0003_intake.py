"""intake schema changes (reserved slot; filled by the intake work or removed before release)

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Add this feature's DDL here (op.add_column / op.create_table; SQLite needs batch mode
    # for ALTERs: with op.batch_alter_table("t") as b: ...).
    return None


def downgrade() -> None:
    return None
