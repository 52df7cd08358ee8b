"""Multi-row inserts on SQLite's driver store exactly what SQLAlchemy stores (issue 17).

The single intake writer inserts cases, reports, vulnerabilities, deadlines, audit events,
search documents and attachments on the driver's cursor (``RowsInsert``), converting each
value with its column type's own bind processor and filling Python-side defaults. Whatever
SQLAlchemy would have written (JSON text, UTC datetimes, enum values, booleans, bytes), the
driver path must write byte for byte: compared here on the raw stored values, once per
column type and once for whole imports.
"""

from __future__ import annotations

import enum
import json
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Enum,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
)
from sqlalchemy.orm import Session

from app.intake import import_paths
from app.workspaces import driver
from app.workspaces.driver import IdsInOrder, JSONText, RowsInsert
from models import schema
from models.schema import UTCDateTime
from tests.app.intake.helpers import INTAKE, csaf_doc, write_json
from tests.conftest import new_workspace


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


_COLOUR = Enum(Colour, native_enum=False, values_callable=lambda e: [c.value for c in e])
_META = MetaData()
_THING = Table(
    "thing",
    _META,
    Column("id", Integer, primary_key=True),
    Column("name", String(50), nullable=False),
    Column("body", Text, default=""),
    Column("tags", JSON, default=list),
    Column("extra", JSON),
    Column("at", UTCDateTime, nullable=True),
    Column(
        "colour", Enum(Colour, native_enum=False, values_callable=lambda e: [m.value for m in e])
    ),
    Column("flag", Boolean, default=False),
    Column("blob", LargeBinary, default=b""),
    Column("note", String(20), server_default="server"),
)

ROWS: list[dict[str, Any]] = [
    {
        "name": "first",
        "tags": ["a", {"b": 1}],
        "extra": {"k": "ü", "n": None},
        "at": datetime(2026, 12, 7, 10, 30, 15, 123456, tzinfo=UTC),
        "colour": Colour.RED,
        "flag": True,
        "blob": b"\x00\x01raw",
    },
    {
        "name": "second",
        "tags": [],
        "extra": None,
        "at": datetime(2026, 12, 7, 12, 0, tzinfo=UTC) + timedelta(hours=3),
        "colour": Colour.BLUE,
        "flag": False,
        "blob": b"",
    },
    {
        "name": "third",
        "tags": ["x"],
        "extra": [1, 2.5, "three"],
        "at": None,
        "colour": None,
        "flag": True,
        "blob": b"bytes",
    },
]


def _stored(session: Session, table: str) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in session.connection().exec_driver_sql(f"SELECT * FROM {table}")]


def _both(rows: list[dict[str, Any]]) -> tuple[list[Any], list[Any]]:
    """The raw rows stored by the driver path and by SQLAlchemy's executemany."""
    stored = []
    for via_driver in (True, False):
        engine = create_engine("sqlite://")
        _META.create_all(engine)
        insert = RowsInsert(_THING)
        with Session(engine) as s:
            if via_driver:
                assert insert._driver(s, rows) is not None  # the path under test is taken
                insert.run(s, rows)
            else:
                s.execute(insert.statement, rows)
            s.commit()
            stored.append(_stored(s, "thing"))
        engine.dispose()
    return stored[0], stored[1]


def test_every_column_type_is_stored_as_sqlalchemy_stores_it() -> None:
    driver_rows, sqlalchemy_rows = _both(ROWS)
    assert driver_rows == sqlalchemy_rows
    assert driver_rows[0][-1] == "server"  # a server default is left to the database


def test_utc_datetimes_are_stored_as_sqlalchemy_stores_them() -> None:
    """The driver formats UTC datetimes itself (``isoformat``): whole seconds, other zones,
    early years and rows sharing one datetime object give SQLAlchemy's text."""
    shared = {"k": "same object in every row"}
    when = [
        datetime(2026, 12, 7, 10, 30, 15, tzinfo=UTC),  # no microseconds
        datetime(2026, 12, 7, 1, 2, 3, 4, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        datetime(2027, 1, 1, 0, 0, tzinfo=timezone(timedelta(hours=-8))),  # another year in UTC
        datetime(999, 3, 4, 5, 6, 7, 8, tzinfo=UTC),
        None,
    ]
    rows = [
        {"name": f"r{i}", "at": at, "extra": shared, "colour": Colour.RED}
        for i, at in enumerate([*when, when[1], when[1]])
    ]
    driver_rows, sqlalchemy_rows = _both(rows)
    assert driver_rows == sqlalchemy_rows
    assert [r[5] for r in driver_rows][:3] == [
        "2026-12-07 10:30:15.000000",
        "2026-12-06 19:32:03.000004",
        "2027-01-01 08:00:00.000000",
    ]


def test_a_naive_datetime_is_refused_on_the_driver_path_too() -> None:
    engine = create_engine("sqlite://")
    _META.create_all(engine)
    with Session(engine) as s, pytest.raises(ValueError, match="naive datetime"):
        RowsInsert(_THING).run(s, [{"name": "n", "at": datetime(2026, 12, 7, 10, 30)}])
    engine.dispose()


def test_left_out_columns_get_their_python_defaults() -> None:
    rows = [{"name": f"n{i}"} for i in range(3)]
    driver_rows, sqlalchemy_rows = _both(rows)
    assert driver_rows == sqlalchemy_rows
    assert driver_rows[0][1:] == ("n0", "", "[]", None, None, None, 0, b"", "server")


def test_ids_come_back_in_row_order_across_statements(monkeypatch: pytest.MonkeyPatch) -> None:
    """More rows than one statement takes: several statements, ids still in row order."""
    monkeypatch.setattr(driver, "_MAX_PARAMETERS", 20)  # two rows of ten columns each
    engine = create_engine("sqlite://")
    _META.create_all(engine)
    with Session(engine) as s:
        ids = IdsInOrder(_THING).run(s, [{**ROWS[i % 3], "name": f"row {i}"} for i in range(7)])
        found = s.connection().exec_driver_sql("SELECT id, name FROM thing").all()
        names: dict[int, str] = {int(i): str(name) for i, name in found}
    assert [names[i] for i in ids] == [f"row {i}" for i in range(7)]
    engine.dispose()


def test_rows_with_differing_keys_go_through_sqlalchemy() -> None:
    engine = create_engine("sqlite://")
    _META.create_all(engine)
    rows: list[dict[str, Any]] = [{"name": "a", "flag": True}, {"name": "b", "body": "text"}]
    with Session(engine) as s:
        assert RowsInsert(_THING)._driver(s, rows) is None
    engine.dispose()


def test_json_serialised_beforehand_is_stored_as_its_value_is(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A ``JSONText`` (intake's parser processes serialise each vulnerability's scores) is
    stored as the text it is on the driver path, and read back into its value where
    SQLAlchemy inserts (other backends, rows of differing keys): either way the stored text
    is the one its value gives."""
    values = [[{"vector": "CVSS:3.1/AV:N", "score": 9.8, "error": None}], {"k": "ü"}, []]
    stored: dict[tuple[bool, bool], list[Any]] = {}
    for serialised in (False, True):
        rows = [
            {"name": f"v{i}", "tags": JSONText(json.dumps(v)) if serialised else v}
            for i, v in enumerate(values)
        ]
        for via_driver in (True, False):
            engine = create_engine("sqlite://")
            _META.create_all(engine)
            with monkeypatch.context() as m, Session(engine) as s:
                if not via_driver:
                    m.setattr(RowsInsert, "_driver", lambda *_a: None)
                ids = IdsInOrder(_THING).run(s, rows[:2])
                RowsInsert(_THING).run(s, rows[2:])
                s.commit()
                stored[(serialised, via_driver)] = _stored(s, "thing")
            engine.dispose()
            assert ids == [1, 2]
    assert len({repr(rows) for rows in stored.values()}) == 1
    assert [r[3] for r in stored[(True, True)]] == [json.dumps(v) for v in values]


def test_a_time_default_is_the_statements_and_other_defaults_are_each_rows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``utcnow`` as a column default gives the rows of one insert on the driver one
    instant, read once (as SQL's CURRENT_TIMESTAMP would), and a later insert a later one;
    any other callable default is still called for each row."""
    start = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    ticks = iter(start + timedelta(seconds=n) for n in range(10))

    class Clock:  # each reading a second later
        @staticmethod
        def now(_zone: Any) -> datetime:
            return next(ticks)

    monkeypatch.setattr(schema, "datetime", Clock)  # what ``utcnow`` reads
    serial = iter(range(100))
    meta = MetaData()
    made = Table(
        "made",
        meta,
        Column("id", Integer, primary_key=True),
        Column("at", UTCDateTime, default=schema.utcnow),
        Column("n", Integer, default=lambda: next(serial)),
    )
    engine = create_engine("sqlite://")
    meta.create_all(engine)
    with Session(engine) as s:
        insert = RowsInsert(made)
        assert insert._driver(s, [{"id": 1}]) is not None  # the path under test is taken
        insert.run(s, [{"id": 1}, {"id": 2}, {"id": 3}])
        insert.run(s, [{"id": 4}])
        s.commit()
        stored = _stored(s, "made")
    engine.dispose()
    assert stored == [
        (1, "2026-12-07 09:00:00.000000", 0),
        (2, "2026-12-07 09:00:00.000000", 1),
        (3, "2026-12-07 09:00:00.000000", 2),
        (4, "2026-12-07 09:00:01.000000", 3),
    ]


# Whole imports: the tables intake writes, compared column by column. Times (and the audit
# hashes and signatures made over them) differ between two imports; they are compared by
# their stored form only.
_TIMES = {"created_at", "updated_at", "received_at", "at", "replaced_at", "due_utc", "met_at"}
_OVER_TIMES = {"prev_hash", "hash", "signature", "next_deadline_utc"}
_TABLES = (
    "case", "report", "vulnerability", "affected_product", "identifier", "attachment",
    "deadline", "audit_event", "case_search", "duplicate_candidate",
)  # fmt: skip
_STORED_TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?$")


def _tables(ws: Any) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    with ws.session() as s:
        conn = s.connection()
        for name in _TABLES:
            result = conn.exec_driver_sql(f'SELECT * FROM "{name}" ORDER BY rowid')
            out[name] = [dict(zip(result.keys(), row, strict=True)) for row in result]
    return out


def test_an_import_stores_the_same_rows_either_way(
    tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    for i in range(4):
        write_json(folder / f"csaf-{i}.json", csaf_doc(f"ACME-{i}", cve=f"CVE-2026-{7100 + i}"))
    paths = [folder, INTAKE / "report-with-attachment.eml", INTAKE / "jailbreak-report.md"]
    stored = {}
    for name in ("driver", "sqlalchemy"):
        ws = new_workspace("memory", tmp_path / name, request)
        try:
            with monkeypatch.context() as m:
                if name == "sqlalchemy":
                    m.setattr(RowsInsert, "_driver", lambda *_a: None)
                result = import_paths(ws, paths)
            assert result.imported == 6 and not result.rejected
            stored[name] = _tables(ws)
        finally:
            ws.engine.dispose()
    for table in _TABLES:
        mine, theirs = stored["driver"][table], stored["sqlalchemy"][table]
        assert len(mine) == len(theirs), table
        for a, b in zip(mine, theirs, strict=True):
            for column in a:
                if column in _TIMES:
                    assert (a[column] is None) == (b[column] is None), (table, column)
                    assert a[column] is None or _STORED_TIME.match(a[column]), (table, column)
                    assert b[column] is None or _STORED_TIME.match(b[column]), (table, column)
                elif column not in _OVER_TIMES:
                    assert a[column] == b[column], (table, column)
    nonempty = ("case", "report", "vulnerability", "attachment", "deadline", "audit_event")
    for table in (*nonempty, "case_search", "duplicate_candidate"):
        assert stored["driver"][table], table  # compared on rows, not on empty tables


def test_the_sqlcipher_driver_binds_the_same_values_with_its_adapters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """None, bytes, bool and memoryview get adapters in the SQLCipher driver (a faster
    look-up): each is stored as it was without them, NULL, a blob, an integer."""
    import sqlcipher3

    from app.workspaces import engines

    values = (None, b"\x00raw", True, False, memoryview(b"view"), 7, 2.5, "text")
    stored = []
    ours = [(kind, sqlcipher3.PrepareProtocol) for kind in (type(None), bytes, bool, memoryview)]
    for adapted in (False, True):
        if adapted:
            engines._quick_binding()
        else:  # as the driver comes, whatever an earlier test registered
            for key in ours:
                monkeypatch.delitem(sqlcipher3.adapters, key, raising=False)
        conn = sqlcipher3.connect(str(tmp_path / f"{adapted}.db"))
        conn.execute("CREATE TABLE t (v)")
        conn.executemany("INSERT INTO t VALUES (?)", [(v,) for v in values])
        stored.append(conn.execute("SELECT v, typeof(v) FROM t ORDER BY rowid").fetchall())
        conn.close()
    assert stored[0] == stored[1]
    assert [kind for _v, kind in stored[1]][:5] == ["null", "blob", "integer", "integer", "blob"]
    assert all(key in sqlcipher3.adapters for key in ours)


@pytest.mark.parametrize(
    "backend", ["sqlcipher", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_list_lookups_find_what_an_expanded_list_finds(
    tmp_path: Path, request: pytest.FixtureRequest, backend: str
) -> None:
    """A ``ListQuery`` finds the rows an ``IN`` of the expanded list finds, for lists of any
    length, in one statement on SQLite (prepared once) that searches the column's index."""
    from sqlalchemy import select

    from models import Report

    folder = tmp_path / "docs"
    folder.mkdir()
    for i in range(5):
        write_json(folder / f"csaf-{i}.json", csaf_doc(f"ACME-{i}", cve=f"CVE-2026-{7200 + i}"))
    ws = new_workspace(backend, tmp_path / "ws", request)
    try:
        assert import_paths(ws, [folder]).imported == 5
        query = driver.ListQuery(
            lambda listed: (
                select(Report.id, Report.raw_sha256)
                .where(Report.raw_sha256.in_(listed("shas")))
                .order_by(Report.id)
            ),
            ["shas"],
        )
        with ws.session() as s:
            stored = [tuple(r) for r in s.execute(select(Report.id, Report.raw_sha256))]
            shas = [sha for _id, sha in stored]
            unknown = [f"{n:064x}" for n in range(600)]  # more than one statement's worth
            for asked in ([shas[2]], shas[1:4], [*unknown, *shas, "ünïcode"], unknown, []):
                wanted = sorted(r for r in stored if r[1] in asked)
                assert [tuple(r) for r in query.all(s, {"shas": asked})] == wanted
            if backend == "sqlcipher":
                assert len(query.sqlite._expanded) == 1  # one statement for every length
                sql = next(iter(query.sqlite._expanded.values()))[0]
                raw = s.connection().connection.dbapi_connection
                plan = raw.execute(f"EXPLAIN QUERY PLAN {sql}", ('["x"]',)).fetchall()  # type: ignore[union-attr]
                assert any(
                    "USING COVERING INDEX ix_report_raw_sha256" in str(p)
                    or "USING INDEX ix_report_raw_sha256" in str(p)
                    for p in plan
                ), plan
    finally:
        ws.engine.dispose()
