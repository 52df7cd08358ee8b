"""covering indexes for the dashboard at 200,000 cases

Revision ID: 0024
Revises: 0017
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0024"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # One index-only pass over the open cases gives the headline, tier, age and per-analyst
    # figures (app/shift/dashboard.py); the triage trend reads case.create events by time.
    op.create_index(
        "ix_case_dashboard",
        "case",
        ["assignee_id", "tier", "status", "created_at", "next_deadline_utc"],
    )
    op.create_index("ix_audit_event_action_at", "audit_event", ["action", "at", "case_key"])


def downgrade() -> None:
    op.drop_index("ix_audit_event_action_at", table_name="audit_event")
    op.drop_index("ix_case_dashboard", table_name="case")
