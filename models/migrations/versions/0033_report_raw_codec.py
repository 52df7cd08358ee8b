"""reports: how the original bytes are stored (``raw_codec``), so they can be kept compressed

The ``report`` table was half of a workspace (55 of 109 MB after 3,000 CSAF documents of
15 KB): the single intake writer wrote, and SQLCipher encrypted, about four pages per document
for its original alone. The parser processes now compress it (models/rawcodec.py) and this
column says so; existing rows keep ``''`` (as received) and are not rewritten.

Revision ID: 0033
Revises: 0032
"""

import zlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0033"
down_revision: str | None = "0032"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = ("report", "report_revision")


def upgrade() -> None:
    # A column with a constant default: SQLite and PostgreSQL both add it without rewriting
    # a row.
    for table in _TABLES:
        op.add_column(
            table, sa.Column("raw_codec", sa.String(8), nullable=False, server_default="")
        )


def downgrade() -> None:
    # Compressed originals are inflated back first: without the codec they would read as
    # the documents themselves.
    conn = op.get_bind()
    for table in _TABLES:
        batch = sa.text(
            f"SELECT id, raw FROM {table} WHERE raw_codec = 'zlib' AND id > :after "
            "ORDER BY id LIMIT 1000"
        )
        update = sa.text(f"UPDATE {table} SET raw = :raw, raw_codec = '' WHERE id = :id")
        after = 0
        while rows := conn.execute(batch, {"after": after}).all():
            conn.execute(update, [{"id": i, "raw": zlib.decompress(raw)} for i, raw in rows])
            after = rows[-1][0]
        with op.batch_alter_table(table) as b:
            b.drop_column("raw_codec")
