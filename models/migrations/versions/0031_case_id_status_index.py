"""dashboard: a case's state by id from a narrow index, not the wide case row

The dashboard's obligations by day join each unmet deadline of the next seven days to its
case for the case's state (about 4,600 deadlines at 200,000 cases). Read from the case table
that is one wide page per deadline, each decrypted afresh on a new connection: 250–340 ms on
the first open, against 110–190 ms through this index (bench/dashboard.py).

Revision ID: 0031
Revises: 0030
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0031"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_case_id_status", "case", ["id", "status"])


def downgrade() -> None:
    op.drop_index("ix_case_id_status", table_name="case")
