"""Unlocking a workspace file as oneself, and the key slot chores around it.

The passphrase opens one analyst's key slot; that slot's database key opens the file, and
that analyst (active, named as in the slot) is the actor. There is no choosing a name: a
selector (``--as``) only restricts which slot the passphrase is tried on.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, select

from app.errors import AccordError, LockedError, NotFound, PermissionDenied, UsageError
from app.identity import keyslots
from app.identity.actor import Actor, Permission
from app.workspaces.engines import check_key, migrate, sqlcipher_engine
from i18n import _
from models import Role, schema, utcnow

# The audit chain, the signing helpers and the ORM models load in the functions that record
# or change something: unlocking, what every command does first, needs none of them (it reads
# the analyst table through Core, models/schema.py).
if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from app.workspaces.lifecycle import Workspace
    from models import Analyst

DB_FILE = "workspace.accord"
LOCK_FILE = "keyslots.lock"
# Asks the analyst for their own new passphrase; None when nobody can be asked.
NewPassphrase = Callable[[], str | None]


class PassphraseChangeRequired(LockedError):
    """The slot holds a one-time passphrase: its owner must choose their own first (exit 3)."""


@dataclass
class KeyState:
    """The unlocked database key of a workspace file (kept only while it is unlocked)."""

    db_key: bytes
    directory: Path


@contextlib.contextmanager
def slots_lock(directory: Path) -> Iterator[None]:
    """One writer of the slot file at a time (adding, resetting, rotating)."""
    fd = os.open(directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _engine(directory: Path, db_key: bytes) -> Engine:
    return sqlcipher_engine(directory / DB_FILE, keyslots.raw_key_literal(db_key))


def _fits(directory: Path, kept: list[Engine]) -> Callable[[bytes], bool]:
    """Whether a database key opens the file. The engine of the key that does goes to
    ``kept`` with its connection still pooled: the workspace goes on with it instead of
    connecting a second time (each SQLCipher connection sets its key and reads the file
    header again)."""

    def fits(db_key: bytes) -> bool:
        engine = _engine(directory, db_key)
        try:
            check_key(engine, str(directory))
        except LockedError:
            engine.dispose()
            return False
        except BaseException:
            engine.dispose()
            raise
        kept.append(engine)
        return True

    return fits


def _current(directory: Path) -> keyslots.SlotFile:
    slots = keyslots.read(directory / keyslots.SLOTS_FILE)
    if slots is None:
        raise AccordError(_("workspace {dir} has no key slots").format(dir=directory))
    return slots


def has_slots(directory: Path) -> bool:
    return (directory / keyslots.SLOTS_FILE).exists() or (directory / keyslots.NEXT_FILE).exists()


# -- creating and opening ---------------------------------------------------------------------
def new_database(directory: Path) -> tuple[Engine, KeyState, keyslots.SlotFile]:
    """A fresh random database key and its (still empty) slot file for a new workspace."""
    slots, db_key = keyslots.new_file()
    return _engine(directory, db_key), KeyState(db_key, directory), slots


def with_new_key(actor: Actor) -> Actor:
    return replace(actor, signing_key=Ed25519PrivateKey.generate())


def first_slot(ws: Workspace, slots: keyslots.SlotFile, actor: Actor, passphrase: str) -> None:
    """The first slot of a new workspace, for its creator (whose key is registered)."""
    assert ws.keys is not None
    slot = keyslots.make_slot(
        slots, ws.keys.db_key, actor.id, actor.name, passphrase, must_change=False,
        signing_key=actor.signing_key,
    )  # fmt: skip
    with slots_lock(ws.keys.directory):
        keyslots.write_atomic(
            ws.keys.directory / keyslots.SLOTS_FILE, keyslots.with_slot(slots, slot)
        )


def open_file(
    ws_factory: Callable[[Engine], Workspace],
    directory: Path,
    passphrase: str,
    selector: str | None,
    new_passphrase: NewPassphrase | None,
) -> Workspace | None:
    """Unlock through the key slots; None when the workspace has none yet (legacy)."""
    if not has_slots(directory):
        return None
    kept: list[Engine] = []
    opened = keyslots.unlock(directory, passphrase, selector, _fits(directory, kept))
    if opened is None and not (directory / keyslots.SLOTS_FILE).exists():
        return None  # a conversion interrupted before its rekey: the old passphrase still opens
    if opened is None:
        if selector is not None:
            raise LockedError(
                _("wrong passphrase for workspace {dir} (analyst {name})").format(
                    dir=directory, name=selector
                )
            )
        raise keyslots.locked_error(str(directory))
    engine = kept.pop() if kept else _engine(directory, opened.db_key)
    migrate(engine)
    ws = ws_factory(engine)
    ws.keys = KeyState(opened.db_key, directory)
    # Core, not the ORM: loading the ORM and configuring its mappers cost a command that needs
    # no ORM (`accord cases list`) much of its start-up.
    people = schema.analyst.c
    with ws.reading() as s:
        row = s.execute(
            select(people.id, people.name, people.role, people.active).where(
                people.id == opened.analyst_id
            )
        ).one_or_none()
        if row is None or row.name != opened.name or not row.active:
            ws.lock()
            raise LockedError(
                _("the key slot of {name} belongs to no active analyst").format(name=opened.name)
            )
        ws.actor = Actor(row.id, row.name, row.role, signing_key=opened.signing_key)
    if opened.must_change:
        chosen = new_passphrase() if new_passphrase is not None else None
        if chosen is None:
            ws.lock()
            raise PassphraseChangeRequired(
                _(
                    "{name} unlocked with a one-time passphrase: choose your own first "
                    "('accord analyst passphrase', or ACCORD_NEW_PASSPHRASE)"
                ).format(name=opened.name)
            )
        try:
            change_passphrase(ws, chosen)
        except BaseException:
            ws.lock()
            raise
    return ws


def add_key(session: Session, actor: Actor, since_seq: int) -> str:
    """Register the actor's public signing key; it signs their events from ``since_seq`` on."""
    from app.identity import signing
    from models import AnalystKey

    assert actor.signing_key is not None
    kid = signing.key_id(actor.signing_key)
    session.add(
        AnalystKey(
            key_id=kid,
            analyst_id=actor.id,
            public_key=signing.public_raw(actor.signing_key).hex(),
            since_seq=since_seq,
            created_at=utcnow(),
        )
    )
    return kid


def record_with_key(
    session: Session, actor: Actor, action: str, entity: str, entity_id: object, **details: object
) -> None:
    """Record an event that registers the actor's new key (and is the first it signs)."""
    from app.auditing import chain as audit
    from app.identity import signing

    assert actor.signing_key is not None
    details["key_id"] = signing.key_id(actor.signing_key)
    audit.record(session, actor, action, entity, entity_id, details=details)
    add_key(session, actor, audit.head(session)[0])


# -- the analyst's own passphrase -------------------------------------------------------------
def change_passphrase(ws: Workspace, new: str) -> None:
    """Re-wrap the acting analyst's slot under a new passphrase. A one-time slot gets its
    owner's own signing key now, so whoever issued the one-time passphrase never held it."""
    from app.auditing import chain as audit
    from app.workspaces.lifecycle import check_passphrase_strength, normalise_passphrase

    check_passphrase_strength(new)
    new = normalise_passphrase(new)
    actor = ws.require_actor()
    keys = _keys(ws)
    with slots_lock(keys.directory):
        slots = _current(keys.directory)
        old = slots.slot_for(actor.id)
        if old is None:
            raise LockedError(_("{name} has no key slot").format(name=actor.name))
        fresh = actor.signing_key is None
        if fresh:
            actor = with_new_key(actor)
        # Recorded (committed) before the slot holds a new key: a slot never signs with a key
        # the workspace does not know.
        with ws.session() as s:
            if fresh:
                record_with_key(s, actor, "analyst.passphrase", "analyst", actor.id)
            else:
                audit.record(s, actor, "analyst.passphrase", "analyst", actor.id)
        slot = keyslots.make_slot(
            slots, keys.db_key, actor.id, actor.name, new, must_change=False,
            signing_key=actor.signing_key,
        )  # fmt: skip
        keyslots.write_atomic(keys.directory / keyslots.SLOTS_FILE, keyslots.with_slot(slots, slot))
    ws.actor = actor


def _keys(ws: Workspace) -> KeyState:
    if ws.keys is None:
        raise AccordError(_("only a workspace file has key slots"))
    return ws.keys


# -- slots for others -------------------------------------------------------------------------
def issue_slot(ws: Workspace, session: Session, analyst: Analyst) -> str:
    """A slot for ``analyst`` under a one-time passphrase (returned, to be shown once)."""
    keys = _keys(ws)
    phrase = keyslots.one_time_passphrase()
    with slots_lock(keys.directory):
        slots = _current(keys.directory)
        slot = keyslots.make_slot(
            slots, keys.db_key, analyst.id, analyst.name, phrase, must_change=True,
            signing_key=None,
        )  # fmt: skip
        keyslots.write_atomic(keys.directory / keyslots.SLOTS_FILE, keyslots.with_slot(slots, slot))
    return phrase


def give_slot(ws: Workspace, analyst: Analyst, passphrase: str) -> None:
    """A full slot (with a new signing key) under a passphrase the acting coordinator chose:
    only for the demo, whose passphrases are public anyway."""
    keys = _keys(ws)
    ws.require_actor().require(Permission.MANAGE_ANALYSTS)
    owner = with_new_key(Actor(analyst.id, analyst.name, analyst.role))
    with ws.session() as s:
        record_with_key(s, owner, "analyst.key", "analyst", analyst.id)
    with slots_lock(keys.directory):
        slots = _current(keys.directory)
        slot = keyslots.make_slot(
            slots, keys.db_key, owner.id, owner.name, passphrase, must_change=False,
            signing_key=owner.signing_key,
        )  # fmt: skip
        keyslots.write_atomic(keys.directory / keyslots.SLOTS_FILE, keyslots.with_slot(slots, slot))


def reset_slot(ws: Workspace, name: str) -> str:
    """A coordinator gives an active analyst a new one-time passphrase (lost passphrase, or a
    slot never issued). Their signing key is replaced at their next unlock."""
    from app.auditing import chain as audit
    from models import Analyst

    actor = ws.require_actor()
    actor.require(Permission.MANAGE_ANALYSTS)
    with ws.session() as s:
        row = s.scalar(select(Analyst).where(Analyst.name == name, Analyst.active))
        if row is None:
            raise NotFound(_("no active analyst named {name}").format(name=name))
        if row.id == actor.id:
            raise UsageError(_("change your own passphrase with 'accord analyst passphrase'"))
        audit.record(s, actor, "analyst.slot", "analyst", row.id)
        return issue_slot(ws, s, row)


def rotate(ws: Workspace, drop: set[int] | None = None) -> None:
    """A new random database key, re-wrapped for every slot but ``drop``; crash-safe order:
    stage ``.next``, rekey the database, then promote ``.next``."""
    keys = _keys(ws)
    with slots_lock(keys.directory):
        current = _current(keys.directory)
        nxt, db_key = keyslots.rotated(current, drop)
        staged = keys.directory / keyslots.NEXT_FILE
        keyslots.write_atomic(staged, nxt)
        try:
            _pragma_rekey(ws, keyslots.raw_key_literal(db_key))
        except BaseException:
            staged.unlink(missing_ok=True)
            raise
        keyslots.promote_next(keys.directory)
    ws.keys = KeyState(db_key, keys.directory)
    ws.engine = _engine(keys.directory, db_key)
    check_key(ws.engine, ws.label)
    ws.__post_init__()


def _pragma_rekey(ws: Workspace, literal: str) -> None:
    """SQLCipher re-encrypts every page in one transaction (rollback journal, not WAL)."""
    ws.engine.dispose()
    raw = ws.engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("PRAGMA journal_mode=DELETE")
        cur.execute('PRAGMA rekey = "' + literal + '"')
        cur.close()
    finally:
        raw.close()
    ws.engine.dispose()


def deactivate(ws: Workspace, name: str) -> int:
    """A coordinator removes an analyst: their slot goes and the database key is rotated, so
    a copy of the old slot file opens nothing; then the analyst is marked inactive."""
    from app.auditing import chain as audit
    from models import Analyst

    actor = ws.require_actor()
    actor.require(Permission.MANAGE_ANALYSTS)
    with ws.session() as s:
        row = s.scalar(select(Analyst).where(Analyst.name == name, Analyst.active))
        if row is None:
            raise NotFound(_("no active analyst named {name}").format(name=name))
        if row.id == actor.id:
            raise UsageError(_("a coordinator cannot deactivate themselves"))
        analyst_id = row.id
    if ws.keys is not None:
        rotate(ws, {analyst_id})
    with ws.session() as s:
        row = s.get(Analyst, analyst_id)
        assert row is not None
        row.active = False
        audit.record(s, actor, "analyst.deactivate", "analyst", analyst_id)
        if ws.keys is not None:
            audit.record(s, actor, "workspace.rekey", "workspace", ws.label)
    return analyst_id


# -- workspaces from before key slots ---------------------------------------------------------
def convert_legacy(ws: Workspace, passphrase: str, selector: str | None) -> dict[str, str]:
    """A single-passphrase workspace gets key slots on its first unlock by a coordinator: the
    coordinator keeps the passphrase, every other active analyst gets a one-time passphrase
    (returned, to be shown once), and the file is rekeyed to a random key."""
    from models import Analyst

    directory = ws.directory
    assert directory is not None
    with ws.session() as s:
        stmt = select(Analyst).where(Analyst.active, Analyst.role == Role.COORDINATOR)
        if selector:
            stmt = stmt.where(Analyst.name == selector)
        coordinators = s.scalars(stmt.order_by(Analyst.id)).all()
        if len(coordinators) != 1:
            raise PermissionDenied(
                _(
                    "workspace {dir} has no key slots yet: a coordinator must unlock it first "
                    "(--as NAME) to give every analyst their own"
                ).format(dir=directory)
            )
        me = coordinators[0]
        others = [
            (a.id, a.name)
            for a in s.scalars(select(Analyst).where(Analyst.active, Analyst.id != me.id))
        ]
        actor = Actor(me.id, me.name, me.role, signing_key=Ed25519PrivateKey.generate())
    slots, db_key = keyslots.new_file()
    issued: dict[str, str] = {}
    made = [
        keyslots.make_slot(
            slots, db_key, actor.id, actor.name, passphrase, must_change=False,
            signing_key=actor.signing_key,
        )
    ]  # fmt: skip
    for analyst_id, name in others:
        issued[name] = keyslots.one_time_passphrase()
        made.append(
            keyslots.make_slot(
                slots, db_key, analyst_id, name, issued[name], must_change=True, signing_key=None
            )
        )
    with slots_lock(directory):
        staged = directory / keyslots.NEXT_FILE
        keyslots.write_atomic(staged, replace(slots, slots=tuple(made)))
        try:
            _pragma_rekey(ws, keyslots.raw_key_literal(db_key))
        except BaseException:
            staged.unlink(missing_ok=True)
            raise
        keyslots.promote_next(directory)
    ws.keys = KeyState(db_key, directory)
    ws.engine = _engine(directory, db_key)
    check_key(ws.engine, ws.label)
    ws.__post_init__()
    ws.actor = actor
    with ws.session() as s:
        record_with_key(s, actor, "workspace.keyslots", "workspace", ws.label, slots=len(made))
    return issued
