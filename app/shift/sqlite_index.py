"""Run a statement with a SQLite index named for one of its tables.

SQLite's planner reaches a row by its integer key rather than through a narrow covering index
on the same key; on an encrypted workspace that is one wide page decrypted per row. SQLAlchemy
renders no SQLite index hint (``with_hint`` is ignored there), so the statement is rendered
with its values (SQLAlchemy quotes them) and ``INDEXED BY`` added after the table's first
mention. Another backend, or a statement whose values cannot be rendered, runs as it is."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Result, Select, text
from sqlalchemy.exc import CompileError
from sqlalchemy.orm import Session


def execute_indexed(session: Session, stmt: Select[Any], table: str, index: str) -> Result[Any]:
    dialect = session.get_bind().dialect
    if dialect.name != "sqlite":
        return session.execute(stmt)
    try:
        sql = str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    except (CompileError, NotImplementedError):
        return session.execute(stmt)
    quoted = dialect.identifier_preparer.quote(table)
    mention = f"JOIN {quoted} ON"
    if mention not in sql:
        return session.execute(stmt)
    return session.execute(text(sql.replace(mention, f"JOIN {quoted} INDEXED BY {index} ON", 1)))
