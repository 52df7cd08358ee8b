"""exchange: which of our cases each partner received, so only they may update them

Revision ID: 0011
Revises: 0009
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bundle_case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bundle_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["bundle_id"],
            ["bundle.id"],
            name=op.f("fk_bundle_case_bundle_id_bundle"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case.id"], name=op.f("fk_bundle_case_case_id_case"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partner.id"],
            name=op.f("fk_bundle_case_partner_id_partner"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bundle_case")),
        sa.UniqueConstraint("bundle_id", "partner_id", "case_id", name="uq_bundle_case"),
    )
    op.create_index("ix_bundle_case_partner_case", "bundle_case", ["partner_id", "case_id"])
    _backfill()


def _backfill() -> None:
    """Earlier exports recorded recipients and cases only in the bundle manifest: read them
    from there so partners keep the right to update what they received before this revision."""
    bind = op.get_bind()
    fprs: dict[str, int] = dict(bind.execute(sa.text("SELECT fingerprint, partner_id FROM partner_key")).all())
    keys: dict[str, int] = dict(bind.execute(sa.text('SELECT "key", id FROM "case"')).all())
    rows = bind.execute(
        sa.text("SELECT id, manifest FROM bundle WHERE direction = 'out' ORDER BY id")
    ).all()
    table = sa.table(
        "bundle_case",
        sa.column("bundle_id", sa.Integer()),
        sa.column("partner_id", sa.Integer()),
        sa.column("case_id", sa.Integer()),
    )
    values = []
    for bundle_id, raw in rows:
        manifest = json.loads(raw) if isinstance(raw, str) else raw
        if not isinstance(manifest, dict):
            continue
        partners = {
            fprs[str(r.get("fingerprint", "")).upper()]
            for r in manifest.get("recipients") or []
            if isinstance(r, dict) and str(r.get("fingerprint", "")).upper() in fprs
        }
        cases = {keys[k] for k in manifest.get("cases") or [] if k in keys}
        values += [
            {"bundle_id": bundle_id, "partner_id": p, "case_id": c}
            for p in sorted(partners)
            for c in sorted(cases)
        ]
    if values:
        op.bulk_insert(table, values)


def downgrade() -> None:
    op.drop_index("ix_bundle_case_partner_case", table_name="bundle_case")
    op.drop_table("bundle_case")
