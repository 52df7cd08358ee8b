"""case parties: vendors, reporter, partner CERTs and stakeholders with status and contact log

Revision ID: 0020
Revises: 0016
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_party",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_key", sa.String(length=200), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=True),
        sa.Column("reporter_id", sa.Integer(), nullable=True),
        sa.Column("contacts", sa.JSON(), nullable=False),
        sa.Column("channel", sa.String(length=200), nullable=True),
        sa.Column("credit", sa.String(length=300), nullable=True),
        sa.Column("pseudonymous", sa.Boolean(), nullable=False),
        sa.Column("safe_harbour_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("safe_harbour_by", sa.String(length=120), nullable=True),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledgement_due", sa.DateTime(timezone=True), nullable=True),
        sa.Column("response_due", sa.DateTime(timezone=True), nullable=True),
        sa.Column("origin_fingerprint", sa.String(length=64), nullable=True),
        sa.Column("origin_partner_id", sa.Integer(), nullable=True),
        sa.Column("row_version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case.id"], name=op.f("fk_case_party_case_id_case"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partner.id"], name=op.f("fk_case_party_partner_id_partner")
        ),
        sa.ForeignKeyConstraint(
            ["reporter_id"], ["reporter.id"], name=op.f("fk_case_party_reporter_id_reporter")
        ),
        sa.ForeignKeyConstraint(
            ["origin_partner_id"],
            ["partner.id"],
            name=op.f("fk_case_party_origin_partner_id_partner"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_party")),
        sa.UniqueConstraint("case_id", "kind", "name_key", name="uq_case_party_name"),
    )
    with op.batch_alter_table("case_party", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_party_case_id"), ["case_id"])
    op.create_table(
        "party_status",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("fixed_version", sa.String(length=100), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.Column("analyst_id", sa.Integer(), nullable=True),
        sa.Column("origin_fingerprint", sa.String(length=64), nullable=True),
        sa.Column("partner_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["case_party.id"],
            name=op.f("fk_party_status_party_id_case_party"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["analyst_id"], ["analyst.id"], name=op.f("fk_party_status_analyst_id_analyst")
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partner.id"], name=op.f("fk_party_status_partner_id_partner")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party_status")),
    )
    with op.batch_alter_table("party_status", schema=None) as batch_op:
        batch_op.create_index("ix_party_status_party_at", ["party_id", "at"])
    op.create_table(
        "party_contact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(length=200), nullable=False),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.Column("analyst_id", sa.Integer(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("attachment_ids", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["case_party.id"],
            name=op.f("fk_party_contact_party_id_case_party"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["analyst_id"], ["analyst.id"], name=op.f("fk_party_contact_analyst_id_analyst")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party_contact")),
    )
    with op.batch_alter_table("party_contact", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_party_contact_party_id"), ["party_id"])


def downgrade() -> None:
    with op.batch_alter_table("party_contact", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_party_contact_party_id"))
    op.drop_table("party_contact")
    with op.batch_alter_table("party_status", schema=None) as batch_op:
        batch_op.drop_index("ix_party_status_party_at")
    op.drop_table("party_status")
    with op.batch_alter_table("case_party", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_party_case_id"))
    op.drop_table("case_party")
