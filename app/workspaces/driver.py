"""Statements the single intake writer runs for every document, with less of SQLAlchemy's
per-execution work (which cost as much as running them): multi-row inserts that return ids
in row order, plain multi-row inserts and look-ups on the driver's cursor.

Ids in row order: SQLAlchemy batches an ``INSERT … RETURNING`` of many rows
("insertmanyvalues"), but when the ids must come back in row order
(``sort_by_parameter_order``) it has no way to tell on SQLite and falls back to one statement
per row: about six statements per imported document. SQLite gives a new row of a rowid table
without AUTOINCREMENT the largest rowid plus one (the documented algorithm, "ROWIDs and the
INTEGER PRIMARY KEY"), so one statement's rows get increasing ids in the order they are
inserted: sorting the returned ids puts them in row order. Other backends keep SQLAlchemy's
ordered batches.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, Column, Insert, Table, bindparam, event, func, insert, select
from sqlalchemy.dialects.sqlite import DATETIME
from sqlalchemy.orm import Session

from models.schema import UTCDateTime, utcnow

# Parameters in one SQLite statement: SQLite's default limit (SQLITE_MAX_VARIABLE_NUMBER,
# 32766 since 3.32, "Limits In SQLite") is far above it; a smaller statement is prepared faster.
_MAX_PARAMETERS = 4000


# Defaults that always give an empty container: their stored form is worked out once.
_EMPTY = (list, dict, tuple)


@dataclass(frozen=True)
class _Shape:
    """How rows with one set of keys become driver parameters, columns in this order: the
    rows' own values that need no conversion (taken in one go), then those converted by
    their column type's bind processor (SQLAlchemy's own: JSON to text, datetimes to UTC
    text, enums to their value), then columns the rows leave out, with their Python-side
    default (an empty container's stored form is worked out once; the time ``utcnow`` gives
    is the statement's, read once for all its rows, as SQL's ``CURRENT_TIMESTAMP`` is: a
    document's report, vulnerabilities and candidates cost the single writer about seven
    clock readings and conversions otherwise)."""

    head: str  # INSERT INTO t (a, b)
    group: str  # (?, ?)
    plain: Callable[[dict[str, Any]], tuple[Any, ...]]
    converted: tuple[tuple[str, Callable[[Any], Any]], ...]
    defaults: tuple[tuple[Callable[[], Any], Callable[[Any], Any] | None, bool], ...]
    width: int

    def values(self, rows: Sequence[dict[str, Any]]) -> list[tuple[Any, ...]]:
        """Each row's driver parameters. Converted column by column: rows written together
        often share a value (the run's time in every row), converted once for all of them."""
        columns = [
            _converted(convert, [row[key] for row in rows]) for key, convert in self.converted
        ]
        for default, convert, once in self.defaults:
            made = [default()] * len(rows) if once else [default() for _row in rows]
            columns.append(made if convert is None else _converted(convert, made))
        if not columns:
            return [self.plain(row) for row in rows]
        if self.plain is _no_plain:
            return list(zip(*columns, strict=True))
        return [
            (*self.plain(row), *rest)
            for row, rest in zip(rows, zip(*columns, strict=True), strict=True)
        ]

    @property
    def sql(self) -> str:
        """The statement for one row (``executemany`` runs it for each)."""
        return f"{self.head} VALUES {self.group}"

    def many(self, n: int, returning: str) -> str:
        """The statement for ``n`` rows at once, with a RETURNING clause."""
        return f"{self.head} VALUES {', '.join([self.group] * n)} RETURNING {returning}"


def _default(column: Column[Any]) -> Callable[[], Any]:
    """A column's Python-side default as a function of no argument. Raises LookupError for
    one this module does not evaluate (a SQL expression, a sequence)."""
    found: Any = column.default
    if found.is_scalar:
        value = found.arg
        return lambda: value
    if found.is_callable:
        fn = found.arg  # SQLAlchemy wrapped it to take an execution context: ours use none
        return lambda: fn(None)
    raise LookupError(column.key)


def _constant(value: Any) -> Callable[[], Any]:
    return lambda: value


_NOT_YET = object()


def _converted(process: Callable[[Any], Any], values: list[Any]) -> list[Any]:
    """``process`` of each value; the same object as the value before is not converted
    again (bind processors are pure functions of their value)."""
    out: list[Any] = []
    last: Any = _NOT_YET
    done: Any = None
    for value in values:
        if value is not last:
            last, done = value, process(value)
        out.append(done)
    return out


class JSONText(str):
    """A JSON column's value already serialised by ``json.dumps``, as SQLAlchemy's JSON type
    serialises it: made where the value is made (intake's parser processes, for each
    vulnerability's scores), so that the single writer stores the text as it is instead of
    serialising the value again (about 30 µs of its CPU per CSAF document, with the
    unpickling of the value). Where SQLAlchemy runs an insert, it gets the value back
    (``_values``)."""


def _values(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """``rows`` with each ``JSONText`` read back into its value, for SQLAlchemy to insert."""
    return [
        {k: json.loads(v) if type(v) is JSONText else v for k, v in row.items()} for row in rows
    ]


def _bind_processor(column: Column[Any], dialect: Any) -> Callable[[Any], Any] | None:
    """The column type's bind processor; for a UTC datetime on SQLite, an equal one that
    formats with ``isoformat`` (SQLAlchemy's formats a dict of seven fields: the writer
    converts about fifteen datetimes a document). Anything but an aware ``datetime`` goes
    to SQLAlchemy's, which converts or refuses it as before (tested value for value)."""
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    kind = column.type
    if process is not None and isinstance(kind, JSON):
        serialise = process
        empty = serialise([])  # a report's warnings, mostly none

        def text_or_value(value: Any) -> Any:
            if type(value) is JSONText:
                return str(value)
            return empty if type(value) is list and not value else serialise(value)

        return text_or_value
    if process is None or not isinstance(kind, UTCDateTime):
        return process
    impl = kind.impl_instance.dialect_impl(dialect)
    if type(impl) is not DATETIME or impl._storage_format != DATETIME._storage_format:
        return process
    slow = process

    def quick(value: Any) -> Any:
        if type(value) is not datetime or value.tzinfo is None:
            return slow(value)
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")

    return quick


def _no_plain(_row: dict[str, Any]) -> tuple[Any, ...]:
    """The plain values of rows that have none (every column converted or defaulted)."""
    return ()


def _plain_getter(keys: list[str]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    if not keys:
        return _no_plain
    if len(keys) == 1:
        key = keys[0]
        return lambda row: (row[key],)
    return itemgetter(*keys)


class RowsInsert:
    """A multi-row insert of dict rows into ``table``, all rows with the same keys.

    On SQLite it runs on the driver's cursor: SQLAlchemy's per-row work for an insert of many
    rows (parameter processing, defaults, the ORM's bulk-insert bookkeeping) cost the single
    intake writer more than the inserts did. Values go through their column types' bind
    processors and absent columns get their Python-side defaults, so the rows stored are the
    ones SQLAlchemy stores (tested). Other backends, rows with differing keys, and columns
    whose default is a SQL expression keep SQLAlchemy's executemany."""

    def __init__(self, table: Any) -> None:
        self.table: Table = table
        self.statement: Insert = insert(self.table)
        self._shapes: dict[tuple[str, frozenset[str]], _Shape | None] = {}

    def _shape(self, dialect: Any, keys: frozenset[str]) -> _Shape | None:
        if (dialect.name, keys) not in self._shapes:
            self._shapes[(dialect.name, keys)] = (
                self._build(dialect, keys) if dialect.name == "sqlite" else None
            )
        return self._shapes[(dialect.name, keys)]

    def _build(self, dialect: Any, keys: frozenset[str]) -> _Shape | None:
        if not keys <= set(self.table.columns.keys()):
            return None  # a key that is no column: SQLAlchemy says so
        plain: list[Column[Any]] = []
        converted: list[tuple[Column[Any], Callable[[Any], Any]]] = []
        defaults: list[
            tuple[Column[Any], Callable[[], Any], Callable[[Any], Any] | None, bool]
        ] = []
        for column in self.table.columns:
            process = _bind_processor(column, dialect)
            if column.key in keys:
                if process is None:
                    plain.append(column)
                else:
                    converted.append((column, process))
            elif column.default is not None:
                try:
                    default = _default(column)
                except LookupError:
                    return None
                made_by = getattr(getattr(column.default, "arg", None), "__wrapped__", None)
                if process is not None and any(made_by is kind for kind in _EMPTY):
                    defaults.append((column, _constant(process(default())), None, False))
                else:
                    defaults.append((column, default, process, made_by is utcnow))
        columns = [*plain, *(c for c, _p in converted), *(c for c, *_rest in defaults)]
        quote = dialect.identifier_preparer
        return _Shape(
            f"INSERT INTO {quote.format_table(self.table)} "
            f"({', '.join(quote.format_column(c) for c in columns)})",
            f"({', '.join('?' * len(columns))})",
            _plain_getter([c.key for c in plain]),
            tuple((c.key, p) for c, p in converted),
            tuple((d, p, once) for _c, d, p, once in defaults),
            len(columns),
        )

    def _driver(
        self, session: Session, rows: Sequence[dict[str, Any]]
    ) -> tuple[Any, _Shape] | None:
        """The driver's connection and the rows' shape; None where SQLAlchemy runs them."""
        conn = session.connection()
        keys = rows[0].keys()
        if any(r.keys() != keys for r in rows):
            return None
        shape = self._shape(conn.dialect, frozenset(keys))
        return None if shape is None else (conn.connection.dbapi_connection, shape)

    def run(self, session: Session, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        found = self._driver(session, rows)
        if found is None:
            session.execute(self.statement, _values(rows))
            return
        raw, shape = found
        raw.executemany(shape.sql, shape.values(rows))

    def returning_ids(self, session: Session, rows: Sequence[dict[str, Any]]) -> list[int] | None:
        """Insert ``rows`` on the driver, a few hundred per statement, returning the new ids
        (in no particular order); None where the driver path does not apply."""
        found = self._driver(session, rows)
        if found is None:
            return None
        raw, shape = found
        per = max(1, _MAX_PARAMETERS // shape.width)
        ids: list[int] = []
        for part in _parts(rows, per):
            flat = [v for r in shape.values(part) for v in r]
            ids += [i for (i,) in raw.execute(shape.many(len(part), "id"), flat).fetchall()]
        return ids


def _parts(rows: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


class IdsInOrder:
    """``run(session, rows)`` inserts ``rows`` (dicts) into ``table``, returning their ids in
    row order."""

    def __init__(self, table: Any) -> None:
        t: Table = table
        self.ordered: Insert = insert(t).returning(t.c.id, sort_by_parameter_order=True)
        self.rows = RowsInsert(t)

    def run(self, session: Session, rows: Sequence[dict[str, Any]]) -> list[int]:
        if not rows:
            return []
        if session.get_bind().dialect.name != "sqlite":
            return list(session.scalars(self.ordered, _values(rows)))
        found = self.rows.returning_ids(session, rows)
        if found is None:
            statement = self.rows.statement.returning(self.rows.table.c.id)
            found = list(session.scalars(statement, _values(rows)))
        ids = sorted(found)
        if len(ids) != len(rows) or ids[-1] - ids[0] != len(ids) - 1:
            # Not one consecutive block (the rowid space is exhausted): no order to rely on.
            raise RuntimeError("inserted rows did not receive consecutive ids")
        return ids


class PlainInsert:
    """A multi-row insert of plain values (text, numbers, NULL: nothing for SQLAlchemy to
    convert, no column default left to fill) run with the driver's ``executemany``. A CSAF
    document has tens of affected products: SQLAlchemy's per-row parameter processing cost
    more than the insert itself, in the single writer. The statement is compiled once per
    dialect; rows are tuples in ``columns`` order."""

    def __init__(self, table: Any, columns: tuple[str, ...]) -> None:
        self.table: Table = table
        self.columns = columns
        self._sql: dict[str, tuple[str, tuple[int, ...] | None]] = {}

    def _compiled(self, dialect: Any) -> tuple[str, tuple[int, ...] | None]:
        found = self._sql.get(dialect.name)
        if found is None:
            compiled = insert(self.table).compile(dialect=dialect, column_keys=list(self.columns))
            order = (
                tuple(self.columns.index(k) for k in compiled.positiontup or ())
                if compiled.positional
                else None
            )
            found = self._sql[dialect.name] = (compiled.string, order)
        return found

    def run(self, s: Session, rows: Sequence[tuple[Any, ...]]) -> None:
        if not rows:
            return
        conn = s.connection()
        sql, order = self._compiled(conn.dialect)
        if order is None:  # a named paramstyle (psycopg)
            params: list[Any] = [dict(zip(self.columns, r, strict=True)) for r in rows]
        elif order == tuple(range(len(self.columns))):
            params = list(rows)
        else:
            params = [tuple(r[i] for i in order) for r in rows]
        conn.exec_driver_sql(sql, params)


_MAX_SHAPES = 512


class _Marker:
    """Stands for one parameter value while a statement's expanded form is worked out."""


# A driver parameter: its name (named paramstyles), then the key of the caller's parameter it
# comes from and the index in it (a list's item), or no key and a constant of the statement.
_Slot = tuple[str | None, str | None, int | None, Any]


class DriverQuery:
    """A select compiled once per dialect and run on the driver's cursor, in the session's
    transaction; its list parameters are expanded by SQLAlchemy's compiled form
    (``construct_expanded_state``). For look-ups of plain values (text, numbers) only: rows
    come back as the driver gives them, with no result processing.

    The expanded statement is kept per shape of the parameters (their names and the length
    of each list): expanding them again on every call cost the single intake writer more than
    running the look-up did."""

    def __init__(self, stmt: Any) -> None:
        self.stmt = stmt
        self._compiled: dict[str, Any] = {}
        self._expanded: dict[tuple[Any, ...], tuple[str, tuple[_Slot, ...], bool]] = {}

    def _expand(self, dialect: Any, params: dict[str, Any]) -> tuple[str, tuple[_Slot, ...], bool]:
        """The statement for parameters shaped like ``params``, and where each of its driver
        parameters comes from: a value of ``params`` (an item of a list one) or a constant of
        the statement (a limit). Found by expanding markers in place of the values."""
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            compiled = self._compiled[dialect.name] = self.stmt.compile(dialect=dialect)
        probe: dict[str, Any] = {}
        origin: dict[int, tuple[str, int | None]] = {}
        for key, value in params.items():
            if isinstance(value, list | tuple):
                probe[key] = [_Marker() for _v in value]
                origin.update((id(m), (key, i)) for i, m in enumerate(probe[key]))
            else:
                probe[key] = _Marker()
                origin[id(probe[key])] = (key, None)
        state = compiled.construct_expanded_state(probe)

        def slot(name: str | None, value: Any) -> _Slot:
            if isinstance(value, _Marker):
                key, index = origin[id(value)]
                return (name, key, index, None)
            return (name, None, None, value)  # a constant of the statement

        if compiled.positional:
            slots = tuple(slot(None, v) for v in state.positional_parameters)
        else:
            slots = tuple(slot(k, v) for k, v in state.parameters.items())
        return state.statement, slots, bool(compiled.positional)

    def all(self, session: Session, params: dict[str, Any]) -> list[Any]:
        conn = session.connection()
        shape = (
            conn.dialect.name,
            *((k, len(v) if isinstance(v, list | tuple) else -1) for k, v in params.items()),
        )
        found = self._expanded.get(shape)
        if found is None:
            if len(self._expanded) >= _MAX_SHAPES:  # bounded, whatever callers pass
                self._expanded.clear()
            found = self._expanded[shape] = self._expand(conn.dialect, params)
        statement, slots, positional = found
        values = [
            (params[key] if index is None else params[key][index]) if key is not None else const
            for _name, key, index, const in slots
        ]
        args: Any = (
            tuple(values)
            if positional
            else {slot[0]: v for slot, v in zip(slots, values, strict=True)}
        )
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(statement, args)
            return list(cursor.fetchall())
        finally:
            cursor.close()


def json_list(name: str) -> Any:
    """The list parameter ``name`` bound as one JSON array and read by SQLite's ``json_each``
    (``column.in_(json_list("ids"))``)."""
    return select(func.json_each(bindparam(name)).table_valued("value").c.value)


def expanded_list(name: str) -> Any:
    """The list parameter ``name`` expanded into the statement, one parameter per item."""
    return bindparam(name, expanding=True)


class ListQuery:
    """A ``DriverQuery`` whose list parameters go to SQLite as one JSON array each, read by
    ``json_each``: one statement, prepared once, for lists of any length. Expanded, each new
    length was a statement to expand and prepare again, and the single intake writer's
    look-ups (hundreds of values a run, never twice the same count) cost it more in that
    than in running them. Other backends keep expanded lists.

    ``build`` makes the statement from the function that stands for a list parameter by its
    name (``json_list`` or ``expanded_list``); ``lists`` names those parameters. SQLite uses
    the column's index for ``IN (SELECT value FROM json_each(?))`` as for an expanded list
    (tests/app/test_driver_inserts.py checks the query plan)."""

    def __init__(self, build: Callable[[Callable[[str], Any]], Any], lists: Sequence[str]) -> None:
        self.lists = frozenset(lists)
        self.sqlite = DriverQuery(build(json_list))
        self.other = DriverQuery(build(expanded_list))

    def all(self, session: Session, params: dict[str, Any]) -> list[Any]:
        if session.connection().dialect.name != "sqlite":
            return self.other.all(session, params)
        return self.sqlite.all(
            session, {k: json.dumps(list(v)) if k in self.lists else v for k, v in params.items()}
        )


_CHECKOUTS = "accord_checkouts"


def _checked_out(_dbapi: Any, record: Any, _proxy: Any) -> None:
    """Counts a pooled connection's checkouts (``Untouched``: used by someone else?)."""
    record.info[_CHECKOUTS] = record.info.get(_CHECKOUTS, 0) + 1


def _where(session: Session) -> tuple[int, int, int] | None:
    """The session's connection, how many times it has been checked out of the pool, and
    the version of the workspace file it sees; None on a team server."""
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        return None
    pool = conn.engine.pool
    if not event.contains(pool, "checkout", _checked_out):
        event.listen(pool, "checkout", _checked_out)
    proxied = conn.connection
    raw: Any = proxied.dbapi_connection
    version = raw.execute("PRAGMA data_version").fetchone()[0]
    return (id(proxied.info), proxied.info.get(_CHECKOUTS, 0), version)


class Untouched:
    """Whether nothing but the single intake writer can have written to a SQLite workspace
    since it last ``mark``-ed it, so that what it keeps in memory of the workspace still
    holds: still in the same transaction, or in the next one on the same connection that
    nobody else checked out of the pool in between (its checkouts are counted), with no
    commit by any other connection (SQLite's ``data_version``). Never on a team server,
    where other writers commit at any time."""

    def __init__(self) -> None:
        self.left: tuple[int, int, int] | None = None

    def mark(self, session: Session) -> None:
        self.left = _where(session)

    def clear(self) -> None:
        self.left = None

    def holds(self, session: Session) -> bool:
        now, left = _where(session), self.left
        return (
            now is not None
            and left is not None
            and now[0] == left[0]
            and now[2] == left[2]
            and now[1] - left[1] in (0, 1)
        )
