"""editable, mergeable cases: case-level identifiers, shared notes, links, merges, global refs

Revision ID: 0021
Revises: 0016
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TAG = 16  # hex digits of the organisation's fingerprint in a case reference (app/case_refs.py)


def upgrade() -> None:
    with op.batch_alter_table("case") as b:
        b.add_column(sa.Column("ref", sa.String(length=120), nullable=True))
        b.create_unique_constraint("uq_case_ref", ["ref"])
    with op.batch_alter_table("identifier") as b:
        b.alter_column("report_id", existing_type=sa.Integer(), nullable=True)
        b.add_column(sa.Column("case_id", sa.Integer(), nullable=True))
        b.create_foreign_key(
            "fk_identifier_case_id_case", "case", ["case_id"], ["id"], ondelete="CASCADE"
        )
        b.create_index("ix_identifier_case_id", ["case_id"])
        b.create_unique_constraint("uq_identifier_case", ["case_id", "scheme", "value"])
    with op.batch_alter_table("note") as b:
        b.add_column(sa.Column("shared", sa.Boolean(), nullable=False, server_default=sa.false()))
        b.add_column(sa.Column("uid", sa.String(length=64), nullable=True))
        b.add_column(sa.Column("partner_id", sa.Integer(), nullable=True))
        b.add_column(sa.Column("author_name", sa.String(length=200), nullable=True))
        b.create_unique_constraint("uq_note_uid", ["uid"])
        b.create_foreign_key("fk_note_partner_id_partner", "partner", ["partner_id"], ["id"])
    op.create_table(
        "case_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("other_case_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case.id"], name="fk_case_link_case_id_case", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["other_case_id"],
            ["case.id"],
            name="fk_case_link_other_case_id_case",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["analyst.id"], name="fk_case_link_created_by_id_analyst"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_case_link"),
        sa.UniqueConstraint("case_id", "other_case_id", name="uq_case_link_pair"),
    )
    op.create_index("ix_case_link_case_id", "case_link", ["case_id"])
    op.create_index("ix_case_link_other_case_id", "case_link", ["other_case_id"])
    op.create_table(
        "case_merge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("src_case_id", sa.Integer(), nullable=False),
        sa.Column("dst_case_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("src_status", sa.String(length=20), nullable=False),
        sa.Column("moved", sa.JSON(), nullable=False),
        sa.Column("changed", sa.JSON(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["src_case_id"], ["case.id"], name="fk_case_merge_src_case_id_case"
        ),
        sa.ForeignKeyConstraint(
            ["dst_case_id"], ["case.id"], name="fk_case_merge_dst_case_id_case"
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["analyst.id"], name="fk_case_merge_created_by_id_analyst"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_case_merge"),
    )
    op.create_index("ix_case_merge_src_case_id", "case_merge", ["src_case_id"])
    op.create_index("ix_case_merge_dst_case_id", "case_merge", ["dst_case_id"])
    with op.batch_alter_table("affected_product") as b:
        b.add_column(sa.Column("name_key", sa.String(length=300), nullable=True))
        b.create_index("ix_affected_product_name_key_id", ["name_key", "id"])
    _backfill_refs()
    _backfill_name_keys()


def _backfill_refs() -> None:
    """Cases received from a partner take the sender's reference (their origin report names
    it as FINGERPRINT:KEY); our own take ours when the organisation already has a key."""
    bind = op.get_bind()
    case = sa.table("case", sa.column("id"), sa.column("key"), sa.column("ref"))
    report = sa.table(
        "report", sa.column("id"), sa.column("case_id"), sa.column("format"),
        sa.column("document_id"),
    )  # fmt: skip
    org_key = sa.table("org_key", sa.column("id"), sa.column("fingerprint"), sa.column("current"))
    refs: dict[int, str] = {}
    rows = bind.execute(
        sa.select(report.c.case_id, report.c.document_id)
        .where(report.c.format == "accord-bundle", report.c.case_id.is_not(None))
        .order_by(report.c.id.desc())
    )
    for case_id, document_id in rows:
        if document_id and ":" in document_id:
            fpr, key = document_id.split(":", 1)
            refs[case_id] = f"{key}@{fpr[:TAG].upper()}"
    own = bind.scalar(
        sa.select(org_key.c.fingerprint)
        .where(org_key.c.current == sa.true())
        .order_by(org_key.c.id.desc())
        .limit(1)
    )
    used = set(refs.values())
    if own:
        for case_id, key in bind.execute(sa.select(case.c.id, case.c.key)):
            ref = f"{key}@{own[:TAG].upper()}"
            if case_id not in refs and ref not in used:
                refs[case_id] = ref
    seen: set[str] = set()
    params = []
    for case_id, ref in refs.items():
        if ref not in seen:
            seen.add(ref)
            params.append({"cid": case_id, "r": ref})
    if params:
        bind.execute(
            case.update().where(case.c.id == sa.bindparam("cid")).values(ref=sa.bindparam("r")),
            params,
        )


def _product_key(name: str | None, vendor: str | None) -> str:
    """models.vulnerabilities.product_key as of this revision (migrations do not import
    the live model, which may change)."""
    words = re.findall(r"[^\W_]+", (name or "").casefold())
    lead = re.findall(r"[^\W_]+", (vendor or "").casefold())
    if lead and words[: len(lead)] == lead and len(words) > len(lead):
        words = words[len(lead) :]
    return " ".join(words)[:300]


def _backfill_name_keys() -> None:
    bind = op.get_bind()
    product = sa.table(
        "affected_product", sa.column("id"), sa.column("name"), sa.column("vendor"),
        sa.column("name_key"),
    )  # fmt: skip
    rows = bind.execute(sa.select(product.c.id, product.c.name, product.c.vendor)).all()
    params = [{"pid": pid, "k": _product_key(name, vendor)} for pid, name, vendor in rows]
    for i in range(0, len(params), 5000):
        bind.execute(
            product.update()
            .where(product.c.id == sa.bindparam("pid"))
            .values(name_key=sa.bindparam("k")),
            params[i : i + 5000],
        )


def downgrade() -> None:
    with op.batch_alter_table("affected_product") as b:
        b.drop_index("ix_affected_product_name_key_id")
        b.drop_column("name_key")
    op.drop_index("ix_case_merge_dst_case_id", table_name="case_merge")
    op.drop_index("ix_case_merge_src_case_id", table_name="case_merge")
    op.drop_table("case_merge")
    op.drop_index("ix_case_link_other_case_id", table_name="case_link")
    op.drop_index("ix_case_link_case_id", table_name="case_link")
    op.drop_table("case_link")
    with op.batch_alter_table("note") as b:
        b.drop_constraint("fk_note_partner_id_partner", type_="foreignkey")
        b.drop_constraint("uq_note_uid", type_="unique")
        b.drop_column("author_name")
        b.drop_column("partner_id")
        b.drop_column("uid")
        b.drop_column("shared")
    op.execute(sa.text("DELETE FROM identifier WHERE report_id IS NULL"))
    with op.batch_alter_table("identifier") as b:
        b.drop_constraint("uq_identifier_case", type_="unique")
        b.drop_index("ix_identifier_case_id")
        b.drop_constraint("fk_identifier_case_id_case", type_="foreignkey")
        b.drop_column("case_id")
        b.alter_column("report_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("case") as b:
        b.drop_constraint("uq_case_ref", type_="unique")
        b.drop_column("ref")
