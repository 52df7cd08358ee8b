"""A statement's SQL with a SQLite index named for one of its tables.

SQLite's planner sometimes reaches rows through a wide table (by integer key, or by walking
one index and reading each row to test another column) where a narrow covering index would
do; on an encrypted workspace each wide page read is decrypted afresh. SQLAlchemy renders no
SQLite index hint (``with_hint`` is ignored there), so the statement is rendered with its
values (SQLAlchemy quotes them) and ``INDEXED BY`` added after the table's first mention."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import CompileError


def indexed_sql(
    stmt: Select[Any], dialect: Dialect, table: str, index: str, *, after: str = "FROM"
) -> str | None:
    """``stmt`` as SQL with ``INDEXED BY index`` after the first ``{after} "table"`` (FROM or
    JOIN); None on another backend, when its values cannot be rendered or the table is not
    mentioned so (run the statement as it is then)."""
    if dialect.name != "sqlite":
        return None
    try:
        sql = str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    except (CompileError, NotImplementedError):  # a value SQLAlchemy cannot write as SQL
        return None
    mention = f"{after} {dialect.identifier_preparer.quote(table)}"
    if mention not in sql:
        return None
    return sql.replace(mention, f"{mention} INDEXED BY {index}", 1)
