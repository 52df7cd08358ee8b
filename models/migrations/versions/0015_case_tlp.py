"""trust rules: a case's own TLP and the floor set by received bundles, with its origin

Revision ID: 0015
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing cases keep today's behaviour (their own label CLEAR, no floor); a floor comes
    # with the next bundle received for them.
    with op.batch_alter_table("case") as b:
        b.add_column(sa.Column("tlp", sa.String(length=20), nullable=False, server_default="CLEAR"))
        b.add_column(sa.Column("tlp_floor", sa.String(length=20), nullable=True))
        b.add_column(sa.Column("tlp_floor_partner_id", sa.Integer(), nullable=True))
        b.add_column(sa.Column("tlp_floor_bundle", sa.String(length=64), nullable=True))
        b.create_foreign_key(
            "fk_case_tlp_floor_partner_id_partner", "partner", ["tlp_floor_partner_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("case") as b:
        b.drop_constraint("fk_case_tlp_floor_partner_id_partner", type_="foreignkey")
        b.drop_column("tlp_floor_bundle")
        b.drop_column("tlp_floor_partner_id")
        b.drop_column("tlp_floor")
        b.drop_column("tlp")
