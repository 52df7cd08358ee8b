"""Engines for the three backends: a SQLCipher file, in-memory SQLite, PostgreSQL.

The schema is always created by the Alembic migrations in ``models/migrations`` so that the
desktop file and the team server stay identical.
"""

from __future__ import annotations

import re
import urllib.parse
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DatabaseError
from sqlalchemy.pool import QueuePool, StaticPool

from app.errors import AccordError, LockedError
from i18n import _

MIGRATIONS = Path(__file__).resolve().parents[2] / "models" / "migrations"
# How long a SQLite writer waits for another one to commit before it gives up (the driver's
# busy timeout): an import's batch or a long transition elsewhere must not fail this one.
BUSY_SECONDS = 15.0


def _sqlite_pragmas(engine: Engine, *, wal: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        # Decrypted pages stay cached (an upper bound, in KiB): sorting 200,000 cases walks an
        # index of tens of MB, and SQLCipher decrypts every page it reads from the file.
        cur.execute("PRAGMA cache_size=-131072")
        cur.execute("PRAGMA temp_store=MEMORY")
        if wal:
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()


# Every engine hides SQL parameters (hide_parameters=True): they carry titles, descriptions
# and report text, which must never reach an error message or a log line.


def _quick_binding() -> None:
    """Give the SQLCipher driver an adapter for the parameter types it has none for (None,
    bytes, bool, memoryview), each storing exactly what it stored before.

    sqlcipher3 binds only int, float, str and bytearray directly; for any other value it
    looks for an adapter and then for ``__adapt__`` and ``__conform__`` attributes, raising
    and clearing an AttributeError for each, about 2 µs per value. An imported CSAF document
    binds hundreds of NULLs and its bytes in the single intake writer: that search cost more
    than SQLite's inserts. With an adapter registered the look-up is one dictionary hit;
    the value bound is the same (NULL, a blob, an integer), tested. The adapters are C
    functions (a Python one per value cost a tenth of what the search did): ``{}.get`` gives
    None for anything, ``bytes`` of bytes is the same object."""
    import sqlcipher3  # the driver of the sqlite+pysqlcipher dialect

    nothing: dict[Any, Any] = {}
    adapters = ((type(None), nothing.get), (bytes, bytes), (bool, int), (memoryview, bytes))
    for kind, adapt in adapters:
        sqlcipher3.register_adapter(kind, adapt)


def sqlcipher_engine(path: Path, passphrase: str) -> Engine:
    """An engine on an encrypted SQLCipher 4 file; the key is set before any other statement."""
    _quick_binding()
    url = URL.create("sqlite+pysqlcipher", password=passphrase, database=str(path))
    # A queue of connections, not the dialect's default of one per thread: that pool, once
    # more threads than its size had connected, closed an arbitrary connection, perhaps one
    # in use on another thread (worker threads come and go over a shift). LIFO hands out the
    # connection used last, whose cache holds the pages already decrypted.
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": BUSY_SECONDS},
        hide_parameters=True,
        poolclass=QueuePool,
        pool_use_lifo=True,
    )

    @event.listens_for(engine, "connect", insert=True)
    def _quiet(dbapi_conn: Any, _record: Any) -> None:
        # SQLCipher logs decryption failures to stderr; a wrong passphrase is reported by us.
        dbapi_conn.execute("PRAGMA cipher_log_level = NONE")

    _sqlite_pragmas(engine, wal=True)
    return engine


def plain_sqlite_engine(path: Path | None = None) -> Engine:
    """Unencrypted SQLite: in memory for tests, or a file for the cipher-overhead benchmark."""
    if path is None:
        engine = create_engine(
            "sqlite://",
            poolclass=StaticPool,
            connect_args={"check_same_thread": False},
            hide_parameters=True,
        )
        _sqlite_pragmas(engine, wal=False)
    else:
        engine = create_engine(
            f"sqlite:///{path}",
            connect_args={"check_same_thread": False, "timeout": BUSY_SECONDS},
            hide_parameters=True,
        )
        _sqlite_pragmas(engine, wal=True)
    return engine


def server_engine(url: str, password: str | None = None) -> Engine:
    """PostgreSQL for teams; ``postgresql://`` URLs use the psycopg 3 driver. ``password``
    (the login's, from ACCORD_PASSPHRASE) is used when the URL carries none; otherwise
    libpq's own sources apply (``~/.pgpass``, ``PGPASSWORD``)."""
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    connect_args = {"password": password} if password and parsed.password is None else {}
    return create_engine(
        parsed, pool_pre_ping=True, hide_parameters=True, connect_args=connect_args
    )


def check_key(engine: Engine, label: str) -> None:
    """Read the schema once: a wrong SQLCipher key fails here, having written nothing."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT count(*) FROM sqlite_master")).scalar()
    except DatabaseError as exc:
        engine.dispose()
        raise LockedError(_("wrong passphrase for workspace {dir}").format(dir=label)) from exc


def check_key_readonly(path: Path, passphrase: str, label: str) -> None:
    """Try the key on a read-only connection that cannot change any file.

    A read-write connection that fails to decrypt still checkpoints a WAL left behind by a
    crash into the main file and deletes ``-wal``/``-shm`` when it closes; a ``mode=ro``
    connection never checkpoints, and with ``readonly_shm`` it does not rebuild the WAL index
    in ``-shm`` either. Raises LockedError for a wrong key."""
    import sqlcipher3  # the driver of the sqlite+pysqlcipher dialect

    leftover = (
        path.with_name(path.name + "-shm").exists() or path.with_name(path.name + "-wal").exists()
    )
    base = "file:" + urllib.parse.quote(str(path)) + "?mode=ro"
    # Without a -shm, readonly_shm cannot open a correct key either (SQLITE_CANTOPEN): then a
    # plain read-only connection, which creates at most the derived -shm index, never the data.
    uris = [base + "&readonly_shm=1", base] if leftover else [base]
    key = "'" + passphrase.replace("'", "''") + "'"
    for i, uri in enumerate(uris):
        conn = sqlcipher3.connect(uri, uri=True)
        try:
            conn.execute("PRAGMA cipher_log_level = NONE")
            conn.execute(f"PRAGMA key = {key}")
            conn.execute("PRAGMA query_only = 1")
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return
        except sqlcipher3.OperationalError:
            if i + 1 < len(uris):
                continue
            raise AccordError(_("cannot read workspace {dir}").format(dir=label)) from None
        except sqlcipher3.DatabaseError:
            raise LockedError(_("wrong passphrase for workspace {dir}").format(dir=label)) from None
        finally:
            conn.close()


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (both backends share the same revisions).
    A database already there is left alone without loading Alembic, which would cost every
    command that opens a workspace a good part of a second for nothing."""
    head = scripted_head()
    if head is not None and _stamped(engine) == head:
        return
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


_REVISION = re.compile(
    r"""^(revision|down_revision)\b[^=\n]*=\s*(?:None|(["'])([^"'\n]+)\2)\s*$""", re.MULTILINE
)


def scripted_head() -> str | None:
    """The newest revision, read from the migration files without Alembic; None whenever
    that reading is not plainly right (a merge, a branch, a file in another shape), and then
    Alembic decides."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        found: dict[str, str | None] = {}
        for match in _REVISION.finditer(path.read_text(encoding="utf-8")):
            if match.group(1) in found:
                return None
            found[match.group(1)] = match.group(3)
        revision = found.get("revision")
        if revision is None or "down_revision" not in found or revision in revisions:
            return None
        revisions.add(revision)
        if found["down_revision"] is not None:
            parents.add(found["down_revision"])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 and parents <= revisions else None


def _stamped(engine: Engine) -> str | None:
    """The revision recorded in the database, or None (a new database, or several heads)."""
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT version_num FROM alembic_version")).all()
    except DatabaseError:
        return None
    return str(rows[0][0]) if len(rows) == 1 else None


def is_busy(exc: BaseException) -> bool:
    """Whether a database error says another writer holds the lock (SQLite's busy timeout ran
    out). Only the driver's message is looked at, never shown."""
    orig = getattr(exc, "orig", None)
    text_ = str(orig if orig is not None else exc).lower()
    return "database is locked" in text_ or "database is busy" in text_


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"
