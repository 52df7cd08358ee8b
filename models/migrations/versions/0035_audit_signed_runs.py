"""audit events: a signature may vouch for a run of its analyst's events (``signs_from``)

An analyst's events appended in one go (an import's run of documents, a transaction's
changes on a team server) are signed once, on the last of them, which records the run's
first event in its hashed body. Intake signed every event: Ed25519 signing was 40 to 50 µs
of the single writer's CPU per event, 1.77 events per document (bench/import.py). Events
recorded before keep their own signatures and verify as before.

Revision ID: 0035
Revises: 0034
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0035"
down_revision: str | None = "0034"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("audit_event", sa.Column("signs_from", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("audit_event", "signs_from")
