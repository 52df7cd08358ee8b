"""obligations that know who owes what: duty-holder roles, rule sets kept per case, per-case
overrides, fact proposals, facts per party with their recorder and source

Revision ID: 0022
Revises: 0016
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing facts become the case's shared facts (party ""), recorder unknown.
    with op.batch_alter_table("case_fact") as b:
        b.add_column(sa.Column("party", sa.String(length=200), nullable=False, server_default=""))
        b.add_column(sa.Column("recorded_by_id", sa.Integer(), nullable=True))
        b.add_column(sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True))
        b.add_column(sa.Column("source", sa.Text(), nullable=True))
        b.drop_constraint("uq_case_fact_case_name", type_="unique")
        b.create_unique_constraint("uq_case_fact_case_name_party", ["case_id", "name", "party"])
        b.create_foreign_key(
            "fk_case_fact_recorded_by_id_analyst", "analyst", ["recorded_by_id"], ["id"]
        )
    # Existing obligations were all treated as ours; the next recompute names their holder.
    with op.batch_alter_table("deadline") as b:
        b.add_column(
            sa.Column("owed_by", sa.String(length=40), nullable=False, server_default="this-cert")
        )
        b.add_column(sa.Column("owed_by_party", sa.String(length=300), nullable=True))
        b.add_column(sa.Column("reason", sa.Text(), nullable=True))
        b.add_column(sa.Column("late_seconds", sa.Integer(), nullable=True))
    op.create_table(
        "case_role",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("party", sa.String(length=200), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case.id"], name=op.f("fk_case_role_case_id_case"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["analyst.id"], name=op.f("fk_case_role_recorded_by_id_analyst")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_role")),
        sa.UniqueConstraint("case_id", "role", "party", name="uq_case_role_case_id"),
    )
    op.create_index(op.f("ix_case_role_case_id"), "case_role", ["case_id"])
    op.create_table(
        "rule_text",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_rule_text")),
    )
    op.create_table(
        "case_rule_set",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("origin", sa.String(length=300), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case.id"], name=op.f("fk_case_rule_set_case_id_case"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["sha256"], ["rule_text.sha256"], name=op.f("fk_case_rule_set_sha256_rule_text")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_rule_set")),
        sa.UniqueConstraint("case_id", "code", name="uq_case_rule_set_case_id"),
    )
    op.create_index(op.f("ix_case_rule_set_case_id"), "case_rule_set", ["case_id"])
    op.create_table(
        "deadline_override",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.String(length=120), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=True),
        sa.Column("computation", sa.String(length=20), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["case.id"],
            name=op.f("fk_deadline_override_case_id_case"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["analyst.id"],
            name=op.f("fk_deadline_override_recorded_by_id_analyst"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deadline_override")),
        sa.UniqueConstraint("case_id", "rule_id", name="uq_deadline_override_case_id"),
    )
    op.create_index(op.f("ix_deadline_override_case_id"), "deadline_override", ["case_id"])
    op.create_table(
        "fact_proposal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("party", sa.String(length=200), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case.id"], name=op.f("fk_fact_proposal_case_id_case"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["report.id"],
            name=op.f("fk_fact_proposal_report_id_report"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["analyst.id"], name=op.f("fk_fact_proposal_decided_by_id_analyst")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fact_proposal")),
    )
    op.create_index("ix_fact_proposal_case_state", "fact_proposal", ["case_id", "state"])


def downgrade() -> None:
    op.drop_index("ix_fact_proposal_case_state", table_name="fact_proposal")
    op.drop_table("fact_proposal")
    op.drop_index(op.f("ix_deadline_override_case_id"), table_name="deadline_override")
    op.drop_table("deadline_override")
    op.drop_index(op.f("ix_case_rule_set_case_id"), table_name="case_rule_set")
    op.drop_table("case_rule_set")
    op.drop_table("rule_text")
    op.drop_index(op.f("ix_case_role_case_id"), table_name="case_role")
    op.drop_table("case_role")
    with op.batch_alter_table("deadline") as b:
        b.drop_column("late_seconds")
        b.drop_column("reason")
        b.drop_column("owed_by_party")
        b.drop_column("owed_by")
    with op.batch_alter_table("case_fact") as b:
        b.drop_constraint("fk_case_fact_recorded_by_id_analyst", type_="foreignkey")
        b.drop_constraint("uq_case_fact_case_name_party", type_="unique")
        b.create_unique_constraint("uq_case_fact_case_name", ["case_id", "name"])
        b.drop_column("source")
        b.drop_column("recorded_at")
        b.drop_column("recorded_by_id")
        b.drop_column("party")
