"""team identity: an analyst is a PostgreSQL login; audit events record the login

Revision ID: 0018
Revises: 0016
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("analyst", sa.Column("db_login", sa.String(length=63), nullable=True))
    op.create_index("ix_analyst_db_login", "analyst", ["db_login"], unique=True)
    op.add_column("audit_event", sa.Column("db_login", sa.String(length=63), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        # Filled by the server, never by the client: the roles may not insert this column
        # (app.identity.team grants INSERT on every other column only).
        op.execute("ALTER TABLE audit_event ALTER COLUMN db_login SET DEFAULT session_user")


def downgrade() -> None:
    op.drop_column("audit_event", "db_login")
    op.drop_index("ix_analyst_db_login", table_name="analyst")
    op.drop_column("analyst", "db_login")
