"""dashboard: unmet obligations by due time from one narrow index

The obligations-by-day chart counts the unmet deadlines of the next seven days (about 5,400
at 200,000 cases). Through ``ix_deadline_due`` each one cost a read of its wide deadline row;
this partial index holds every column the count needs, only for unmet deadlines. With the
case's state read from ``ix_case_id_status`` the chart's first read in a process went from
about 320 to 65 ms of CPU (bench/dashboard.py).

Revision ID: 0032
Revises: 0031
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0032"
down_revision: str | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UNMET = sa.text("met_at IS NULL")


def upgrade() -> None:
    op.create_index(
        "ix_deadline_owing",
        "deadline",
        ["due_utc", "binding", "case_id", "met_at"],
        sqlite_where=_UNMET,
        postgresql_where=_UNMET,
    )


def downgrade() -> None:
    op.drop_index("ix_deadline_owing", table_name="deadline")
