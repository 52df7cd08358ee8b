"""Workspaces: create, unlock, lock, rekey, back up and restore.

A desktop workspace is one SQLCipher 4 file, ``DIR/workspace.accord``; a team workspace is a
PostgreSQL URL. Either way, the same migrations and the same ORM.
"""

from __future__ import annotations

import contextlib
import os
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, select

from app.env_secrets import SECRET_ENV as SECRET_ENV  # re-exported: callers import them here
from app.env_secrets import take_env_secrets as take_env_secrets
from app.errors import AccordError, LockedError, NotFound, UsageError
from app.identity import unlock
from app.identity.actor import Actor, Permission
from app.workspaces import files, memos
from app.workspaces.engines import (
    check_key_readonly,
    migrate,
    plain_sqlite_engine,
    server_engine,
    sqlcipher_engine,
)
from i18n import _
from models import Role

# The ORM (sessions, the models), the audit chain and the team-server code load in the
# functions that use them: unlocking a workspace file, what every command does first, needs
# none of them, nor does `accord cases list` (see Workspace.reading).
if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

DB_FILE = "workspace.accord"
DEMO_MARKER = "DEMO"
DEMO_PASSPHRASE = "accord-demo"
MIN_PASSPHRASE = 10


def default_dir() -> Path:
    import platformdirs  # here: a workspace named by --workspace or ACCORD_WORKSPACE needs none

    return Path(platformdirs.user_data_dir("accord", appauthor=False)) / "default"


def resolve_dir(workspace: str | os.PathLike[str] | None) -> Path:
    raw = workspace or os.environ.get("ACCORD_WORKSPACE")
    return Path(raw).expanduser() if raw else default_dir()


def is_demo(directory: Path) -> bool:
    """The demo marker is public (its passphrase is in the README); real workspaces have none."""
    return (directory / DEMO_MARKER).exists()


def normalise_passphrase(passphrase: str) -> str:
    """The one form of a passphrase (Unicode NFC), wherever it is read: an "é" typed as one
    code point or as "e" plus a combining accent is the same passphrase, hence the same key."""
    return unicodedata.normalize("NFC", passphrase)


def check_passphrase_strength(passphrase: str) -> None:
    """A new passphrase: not blank (spaces only), and long enough once normalised."""
    passphrase = normalise_passphrase(passphrase)
    if not passphrase.strip():
        raise UsageError(_("the passphrase must not be blank"))
    if len(passphrase) < MIN_PASSPHRASE:
        raise UsageError(
            _("the passphrase must have at least {n} characters").format(n=MIN_PASSPHRASE)
        )


@dataclass
class Workspace:
    """An unlocked workspace. ``session()`` spans one user action and commits on success."""

    engine: Engine
    label: str
    directory: Path | None = None
    actor: Actor | None = None
    # A workspace file's database key (from the unlocking slot) while it is unlocked.
    keys: unlock.KeyState | None = field(default=None, repr=False)
    # One-time passphrases made while unlocking (key slots given to a legacy workspace).
    issued: dict[str, str] = field(default_factory=dict, repr=False)
    # A team database's login (``session_user``), which is the actor and is never chosen.
    login: str | None = None
    _maker: sessionmaker[Session] | None = field(init=False, repr=False)  # at the first session

    def __post_init__(self) -> None:
        self._maker = None

    def _factory(self) -> Session:
        """A new session on the engine (the ORM loads here, at the first one)."""
        if self._maker is None:
            from sqlalchemy.orm import sessionmaker

            self._maker = sessionmaker(self.engine, expire_on_commit=False)
        return self._maker()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        s = self._factory()
        try:
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            raise
        finally:
            s.close()

    @contextlib.contextmanager
    def reading(self) -> Iterator[Connection]:
        """A Core connection for reads that need no ORM (unlocking, `accord cases list`, run
        by scripts at every call): loading the ORM was a good part of such a command's
        start-up. Writes nothing (its transaction is rolled back)."""
        with self.engine.connect() as conn:
            yield conn

    def require_actor(self) -> Actor:
        if self.actor is None:
            raise LockedError(_("no analyst is acting in this workspace"))
        return self.actor

    def act_as(self, name: str | None) -> Actor:
        """Choose the acting analyst of a workspace without key slots (in-memory, tests); with
        one analyst only, the name may be omitted. A workspace file's actor is whoever's slot
        unlocked it, a team database's is its login; neither is ever chosen."""
        if self.login is not None:
            actor = self.require_actor()
            if name and name not in (actor.name, self.login):
                raise LockedError(
                    _(
                        "connected as {me} (login {login}); {name} must connect with their own "
                        "login"
                    ).format(me=actor.name, login=self.login, name=name)
                )
            return actor
        if self.keys is not None:
            actor = self.require_actor()
            if name and name != actor.name:
                raise LockedError(
                    _("unlocked as {me}; {name} must unlock with their own passphrase").format(
                        me=actor.name, name=name
                    )
                )
            return actor
        from models import Analyst

        with self.session() as s:
            if name:
                row = s.scalar(select(Analyst).where(Analyst.name == name, Analyst.active))
                if row is None:
                    raise NotFound(_("no active analyst named {name}").format(name=name))
            else:
                rows = s.scalars(select(Analyst).where(Analyst.active).limit(2)).all()
                if len(rows) != 1:
                    raise UsageError(_("choose the acting analyst with --as or ACCORD_ANALYST"))
                row = rows[0]
            self.actor = Actor(row.id, row.name, row.role)
        return self.actor

    def analyst_names(self) -> list[str]:
        from models import Analyst

        with self.session() as s:
            return list(
                s.scalars(select(Analyst.name).where(Analyst.active).order_by(Analyst.name))
            )

    def lock(self) -> None:
        """Forget the key: dispose every pooled connection and the acting analyst, and the
        report texts modules keep in memory (``memos``)."""
        self.actor = None
        self.keys = None
        self.engine.dispose()
        memos.forget_all()


def _engine_for(directory: Path, passphrase: str | None, db_url: str | None) -> tuple[Engine, str]:
    if db_url:
        if db_url == "sqlite://":
            return plain_sqlite_engine(), "memory"
        # The passphrase, when given, is the login's password (unless the URL has one).
        return server_engine(db_url, password=passphrase), db_url.split("@")[-1]
    if passphrase is None:
        raise LockedError(
            _("a passphrase is needed to unlock workspace {dir}").format(dir=directory)
        )
    return sqlcipher_engine(directory / DB_FILE, normalise_passphrase(passphrase)), str(directory)


def create(
    directory: Path | None,
    passphrase: str | None,
    org: str,
    analyst: str,
    *,
    db_url: str | None = None,
) -> Workspace:
    """Create a workspace whose first analyst is a coordinator."""
    from app.auditing import chain as audit
    from app.identity import team
    from models import Analyst, Setting

    if not db_url:
        assert directory is not None
        if passphrase is None:
            raise UsageError(_("a passphrase is needed"))
        check_passphrase_strength(passphrase)
        passphrase = normalise_passphrase(passphrase)
        if (directory / DB_FILE).exists():
            raise AccordError(_("a workspace already exists in {dir}").format(dir=directory))
        files.private_dir(directory)
        # Created empty and 0600 before SQLite opens it: SQLite gives -wal and -shm the mode
        # of the database file, and would create all three world-readable otherwise.
        files.write_private(directory / DB_FILE, b"")
    slots = None
    if db_url:
        engine, label = _engine_for(directory or Path("."), passphrase, db_url)
    else:
        assert directory is not None
        engine, keys, slots = unlock.new_database(directory)
        label = str(directory)
    if team.is_team(engine):
        team.prepare(engine, new=True)
    else:
        migrate(engine)
    ws = Workspace(engine, label, directory if not db_url else None)
    if slots is not None:
        ws.keys = keys
    with ws.session() as s:
        if s.scalar(select(Analyst.id).limit(1)) is not None:
            raise AccordError(_("workspace {dir} is already initialised").format(dir=label))
        s.add(Setting(key="org.name", value=org))
        first = Analyst(name=analyst, role=Role.COORDINATOR)
        if team.is_team(engine):
            # The login that creates a team database owns it: the first coordinator.
            ws.login = first.db_login = team.current_login(s).name
        s.add(first)
        s.flush()
        actor = Actor(first.id, first.name, first.role)
        if slots is not None:
            actor = unlock.with_new_key(actor)
        audit.record(s, actor, "workspace.create", "workspace", label, details={"org": org})
        if slots is not None:
            unlock.add_key(s, actor, since_seq=audit.head(s)[0])
        audit.record(s, actor, "analyst.add", "analyst", first.id, details={"role": "coordinator"})
    if slots is not None:
        assert passphrase is not None
        unlock.first_slot(ws, slots, actor, passphrase)
    ws.actor = actor
    return ws


def open_workspace(
    directory: Path | None,
    passphrase: str | None,
    *,
    db_url: str | None = None,
    analyst: str | None = None,
    new_passphrase: unlock.NewPassphrase | None = None,
) -> Workspace:
    """Unlock an existing workspace; a wrong passphrase raises LockedError and writes nothing.

    A workspace file is unlocked by one analyst's key slot, who is then the actor (``analyst``
    only selects which slot to try). ``new_passphrase`` is asked for when that slot holds a
    one-time passphrase. A file without slots yet gets them here, from its coordinator."""
    if not db_url:
        assert directory is not None
        if not (directory / DB_FILE).exists():
            raise AccordError(
                _("no workspace in {dir}; create one with 'accord init'").format(dir=directory)
            )
        if passphrase is None:
            raise LockedError(
                _("a passphrase is needed to unlock workspace {dir}").format(dir=directory)
            )
        passphrase = normalise_passphrase(passphrase)
        ws = unlock.open_file(
            lambda engine: Workspace(engine, str(directory), directory),
            directory,
            passphrase,
            analyst,
            new_passphrase,
        )
        if ws is not None:
            _make_private(directory)
            return ws
        # No key slots yet (a workspace from before them): the passphrase is the database key.
        # Checked before any read-write connection exists: one that fails to decrypt would
        # still merge a WAL left by a crash into the main file and delete it on close.
        check_key_readonly(directory / DB_FILE, passphrase, str(directory))
    from app.identity import team

    engine, label = _engine_for(directory or Path("."), passphrase, db_url)
    if team.is_team(engine):
        return _open_team(engine, label, analyst)
    migrate(engine)
    ws = Workspace(engine, label, directory if not db_url else None)
    if not db_url and passphrase is not None:
        assert directory is not None
        _make_private(directory)
        try:
            ws.issued = unlock.convert_legacy(ws, passphrase, analyst)
        except BaseException:
            ws.lock()
            raise
    return ws


def _open_team(engine: Engine, label: str, selector: str | None) -> Workspace:
    """A team database: the login is the analyst (``selector`` may only name them)."""
    from app.identity import team

    try:
        team.check_login(engine)
        team.prepare(engine)
        ws = Workspace(engine, label)
        with ws.session() as s:
            ws.actor = team.identify(s, selector)
            ws.login = team.current_login(s).name
    except BaseException:
        engine.dispose()
        raise
    return ws


def _make_private(directory: Path) -> None:
    """Workspaces created before files were private: make their files 0600 once unlocked."""
    for name in (DB_FILE, DB_FILE + "-wal", DB_FILE + "-shm"):
        with contextlib.suppress(FileNotFoundError):
            path = directory / name
            if path.stat().st_mode & 0o077:
                os.chmod(path, files.FILE_MODE)


def org_name(ws: Workspace) -> str:
    from models import Setting

    with ws.session() as s:
        row = s.get(Setting, "org.name")
        return str(row.value) if row else ""


def rekey(ws: Workspace) -> None:
    """Rotate the database key of a workspace file: a new random key, every slot re-wrapped
    (each analyst keeps their passphrase; change your own with ``analyst passphrase``);
    coordinators only. The audit event is written once the new key is in place: a rekey
    killed midway leaves the old key and no event claiming a change."""
    actor = ws.require_actor()
    actor.require(Permission.REKEY_WORKSPACE)
    if ws.dialect != "sqlite" or ws.directory is None or ws.keys is None:
        raise AccordError(_("only an encrypted workspace file can be rekeyed"))
    from app.auditing import chain as audit

    unlock.rotate(ws)
    with ws.session() as s:
        audit.record(s, actor, "workspace.rekey", "workspace", ws.label)


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def backup(ws: Workspace, target: Path, passphrase: str) -> Path:
    """A consistent encrypted copy with its manifest (see ``app.workspaces.backup``); returns the
    manifest's path."""
    from app.workspaces import backup as backup_mod

    return backup_mod.backup(ws, target, passphrase)


def restore(
    source: Path, directory: Path, passphrase: str, *, analyst: str | None = None
) -> Workspace:
    """Restore a checked backup into a new workspace folder (see ``app.workspaces.backup``)."""
    from app.workspaces import backup as backup_mod

    return backup_mod.restore(source, directory, passphrase, analyst=analyst)
