"""the case's jurisdiction codes on its row, for the jurisdiction filter at 200,000 cases

The filter joined two tables (the case's jurisdictions, its deadlines' jurisdictions) to every
case: 264 ms (SQLCipher) and 216 ms (PostgreSQL) at 200,000 cases (issue 17). The codes are
now on the case row as ``|EU|US|`` and, with the tier, in the index the saved filters walk by
next deadline, so a filter reads that index alone (tier:High read every wide row: 3 s).
Filled here from both tables; kept in step by models/work.py.

PostgreSQL sorted the whole queue for every column sort (568 ms at 200,000 cases): its
indexes lacked the id the queue breaks ties with (SQLite has it in every index) and the state
the queue opens on. The sort indexes now end with the id and the state; key order has its own.

Revision ID: 0030
Revises: 0028
"""

from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0030"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 5000
# name: (columns before, columns after)
_SORTS = {
    "ix_case_tier_rank": (["tier_rank"], ["tier_rank", "id", "status"]),
    "ix_case_created": (["created_at"], ["created_at", "id", "status"]),
    "ix_case_title": (["title"], ["title", "id", "status"]),
    "ix_case_assignee": (["assignee_id"], ["assignee_id", "id", "status"]),
    "ix_case_partners_label": (["partners_label"], ["partners_label", "id", "status"]),
    "ix_case_status_key": (["status", "year", "number"], ["status", "year", "number", "id"]),
}


def _label(codes: set[str]) -> str:
    found = sorted(c for c in codes if c)
    return f"|{'|'.join(found)}|"[:500] if found else ""


def upgrade() -> None:
    with op.batch_alter_table("case") as b:
        b.add_column(
            sa.Column("jurisdictions_label", sa.String(500), nullable=False, server_default="")
        )
    conn = op.get_bind()
    codes: dict[int, set[str]] = defaultdict(set)
    rows = conn.execute(
        sa.text(
            "SELECT case_id, code FROM case_jurisdiction "
            "UNION SELECT case_id, jurisdiction FROM deadline"
        )
    )
    for case_id, code in rows:
        codes[case_id].add(code)
    labels = [{"cid": c, "label": _label(v)} for c, v in codes.items()]
    update = sa.text('UPDATE "case" SET jurisdictions_label = :label WHERE id = :cid')
    for i in range(0, len(labels), _BATCH):
        conn.execute(update, labels[i : i + _BATCH])
    with op.batch_alter_table("case") as b:
        b.drop_index("ix_case_next_deadline_status")
        b.create_index(
            "ix_case_next_deadline_status",
            ["next_deadline_utc", "id", "status", "jurisdictions_label", "tier"],
        )
        for name, (_before, after) in _SORTS.items():
            b.drop_index(name)
            b.create_index(name, after)
        b.create_index("ix_case_key_order", ["year", "number", "id", "status"])
    if conn.dialect.name == "sqlite":
        # Statistics for the new indexes: without them SQLite's planner guesses, and chose a
        # sort over the state index for "overdue" (PostgreSQL's autovacuum analyses by itself).
        op.execute('ANALYZE "case"')


def downgrade() -> None:
    with op.batch_alter_table("case") as b:
        b.drop_index("ix_case_key_order")
        for name, (before, _after) in _SORTS.items():
            b.drop_index(name)
            b.create_index(name, before)
        b.drop_index("ix_case_next_deadline_status")
        b.create_index("ix_case_next_deadline_status", ["next_deadline_utc", "id", "status"])
        b.drop_column("jurisdictions_label")
