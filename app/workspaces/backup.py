"""Backups that are whole or refused: a temporary name, fsync, an atomic rename, a manifest.

``FILE`` is the encrypted SQLCipher copy; ``FILE.manifest.json`` beside it says what a whole
copy holds: the file's size and SHA-256, the row count of every table, the audit chain's
head, the schema revision, when it was made and the manifest's format. The manifest sits
*beside* the file, not inside it: it must describe the file's exact bytes, and restore must
check those before it decrypts anything. It holds counts and hashes only, never content.
Both are written to temporary names in the target's folder, fsynced and renamed (the folder
fsynced too), the manifest last: a backup killed at any point leaves no file at the final
name, or a file without a manifest, and restore refuses both.

Restore checks everything (manifest, size, hash, key, counts, audit head, revision, audit
chain, the acting analyst's role) on a read-only connection to the backup before it writes
anything into the target folder, which a refused restore never creates.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import urllib.parse
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, select
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from app.auditing import chain as audit
from app.errors import AccordError, LockedError, NotFound, UsageError, VerificationError
from app.identity import checkpoints, keyslots
from app.identity.actor import Actor, Permission
from app.workspaces import files
from app.workspaces import lifecycle as ws_mod
from app.workspaces.engines import check_key_readonly
from i18n import _
from models import Analyst

FORMAT = "accord-backup-manifest/1"
MANIFEST_SUFFIX = ".manifest.json"
# The key slots travel beside the copy: every analyst opens a restored workspace with their
# own passphrase, and an analyst deactivated before the backup has no slot in it.
SLOTS_SUFFIX = ".keyslots.json"
_CHUNK = 1 << 20


def manifest_path(target: Path) -> Path:
    return target.with_name(target.name + MANIFEST_SUFFIX)


def slots_path(target: Path) -> Path:
    return target.with_name(target.name + SLOTS_SUFFIX)


@dataclass(frozen=True)
class Contents:
    """What a backup holds, as counted from the database itself."""

    counts: dict[str, int]
    audit_seq: int
    audit_hash: str
    revision: str


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _readonly_engine(path: Path, passphrase: str, *, raw_key: bytes | None = None) -> Engine:
    """A read-only engine on a SQLCipher file (``mode=ro``: it never writes, never
    checkpoints). Only for a file nobody else writes to: a backup. ``raw_key`` is a key
    slot's database key, used as is (no passphrase KDF)."""
    key_sql = (
        '"' + keyslots.raw_key_literal(raw_key) + '"' if raw_key is not None else _quote(passphrase)
    )
    import sqlcipher3

    uri = "file:" + urllib.parse.quote(str(path)) + "?mode=ro"

    def connect() -> Any:
        conn = sqlcipher3.connect(uri, uri=True, check_same_thread=False)
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(f"PRAGMA key = {key_sql}")
        conn.execute("PRAGMA query_only = 1")
        return conn

    # The plain sqlite dialect over a sqlcipher3 connection: the pysqlcipher dialect would
    # set the key itself, from the URL.
    return create_engine("sqlite://", creator=connect, poolclass=NullPool)


def _contents(session: Session) -> Contents:
    conn = session.connection()
    names = conn.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name"
    ).scalars()
    counts = {
        name: int(conn.exec_driver_sql(f'SELECT count(*) FROM "{name}"').scalar_one())
        for name in list(names)
    }
    head = conn.exec_driver_sql(
        "SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1"
    ).first()
    revision = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    return Contents(
        counts=counts,
        audit_seq=int(head[0]) if head else 0,
        audit_hash=str(head[1]) if head else audit.GENESIS,
        revision=str(revision or ""),
    )


def _sha256(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def backup(ws: ws_mod.Workspace, target: Path, passphrase: str) -> Path:
    """Write an encrypted copy taken inside one read transaction, while in use, and its
    manifest; shift leads and coordinators only. Returns the manifest's path."""
    if ws.dialect != "sqlite" or ws.directory is None:
        raise AccordError(_("back up a team database with the server's own tools (pg_dump)"))
    actor = ws.require_actor()
    actor.require(Permission.BACKUP_WORKSPACE)
    passphrase = ws_mod.normalise_passphrase(passphrase)
    raw_key = ws.keys.db_key if ws.keys is not None else None
    key_sql = (
        '"' + keyslots.raw_key_literal(raw_key) + '"' if raw_key is not None else _quote(passphrase)
    )
    manifest = manifest_path(target)
    slot_copy = slots_path(target)
    for path in (target, manifest, slot_copy):
        if path.exists():
            raise AccordError(_("{file} exists already; choose a new file").format(file=path))
    if not target.parent.is_dir():
        raise NotFound(_("no folder {dir}").format(dir=target.parent))
    temp = files.temp_name(target)
    # Created 0600 before SQLCipher attaches it (an existing empty file is a new database).
    files.write_private(temp, b"")
    try:
        with ws.engine.connect() as conn:
            conn.exec_driver_sql(f"ATTACH DATABASE {_quote(str(temp))} AS backup KEY {key_sql}")
            try:
                conn.exec_driver_sql("SELECT sqlcipher_export('backup')")
            finally:
                conn.exec_driver_sql("DETACH DATABASE backup")
            conn.commit()
        engine = _readonly_engine(temp, passphrase, raw_key=raw_key)
        try:
            with Session(engine) as s:
                contents = _contents(s)
        finally:
            engine.dispose()
        sha256, size = _sha256(temp)
        body = {
            "format": FORMAT,
            "created": datetime.now(UTC).isoformat(),
            "file": target.name,
            "size": size,
            "sha256": sha256,
            "schema_revision": contents.revision,
            "audit_head": {"seq": contents.audit_seq, "hash": contents.audit_hash},
            "counts": contents.counts,
        }
        if raw_key is not None:
            # The slot file as it is now: it wraps this very key for every active analyst.
            slot_bytes = (ws.directory / keyslots.SLOTS_FILE).read_bytes()
            files.write_private_atomic(slot_copy, slot_bytes, replace=False)
            body["keyslots"] = {
                "file": slot_copy.name,
                "sha256": hashlib.sha256(slot_bytes).hexdigest(),
                "size": len(slot_bytes),
            }
        files.commit_temp(temp, target, replace=False)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
    data = json.dumps(body, indent=2, sort_keys=True).encode() + b"\n"
    # The event and its checkpoint are written first and committed right after the manifest
    # lands, so only the commit itself lies between a whole backup and its event: a kill
    # before it leaves no event claiming a backup, a failed commit takes the manifest back.
    written = False
    try:
        with ws.session() as s:
            audit.record(
                s,
                actor,
                "workspace.backup",
                "workspace",
                ws.label,
                details={"sha256": sha256, "size": size},
            )
            checkpoints.create(s, actor, "backup", required=False)  # the chain head, anchored
            s.flush()
            files.write_private_atomic(manifest, data, replace=False)
            written = True
    except BaseException:
        if written:
            with contextlib.suppress(FileNotFoundError):
                manifest.unlink()
        raise
    return manifest


def read_manifest(source: Path) -> dict[str, Any]:
    """The manifest of ``source``, checked against the file's size and SHA-256."""
    manifest = manifest_path(source)
    try:
        body = json.loads(manifest.read_bytes())
    except FileNotFoundError:
        raise VerificationError(
            _("{file} has no manifest {manifest}: an incomplete backup is refused").format(
                file=source, manifest=manifest.name
            )
        ) from None
    except (OSError, ValueError):
        raise VerificationError(
            _("the manifest {manifest} is unreadable").format(manifest=manifest)
        ) from None
    ok = (
        isinstance(body, dict)
        and body.get("format") == FORMAT
        and isinstance(body.get("size"), int)
        and isinstance(body.get("sha256"), str)
        and isinstance(body.get("counts"), dict)
        and isinstance(body.get("audit_head"), dict)
        and isinstance(body.get("schema_revision"), str)
    )
    if not ok:
        raise VerificationError(
            _("the manifest {manifest} is not an Accord backup manifest").format(manifest=manifest)
        )
    sha256, size = _sha256(source)
    if size != body["size"]:
        raise VerificationError(
            _("{file} has {n} bytes, its manifest says {m}: an incomplete backup").format(
                file=source, n=size, m=body["size"]
            )
        )
    if sha256 != body["sha256"]:
        raise VerificationError(
            _("{file} does not match the SHA-256 in its manifest").format(file=source)
        )
    return dict(body)


def _check_contents(source: Path, body: dict[str, Any], found: Contents) -> None:
    head = body["audit_head"]
    mismatch = None
    if found.revision != body["schema_revision"]:
        mismatch = "schema_revision"
    elif found.audit_seq != head.get("seq") or found.audit_hash != head.get("hash"):
        mismatch = "audit_head"
    elif found.counts != body["counts"]:
        mismatch = "counts"
    if mismatch is not None:
        raise VerificationError(
            _("{file} does not hold what its manifest lists ({field})").format(
                file=source, field=mismatch
            )
        )


def _open_slots(
    source: Path, body: dict[str, Any], passphrase: str, analyst: str | None
) -> keyslots.Opened | None:
    """The backed-up key slot this passphrase opens (None for a backup from before slots);
    the slot file is checked against the manifest first."""
    listed = body.get("keyslots")
    if listed is None:
        return None
    path = slots_path(source)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise VerificationError(
            _("{file} has no key slot file {slots}: an incomplete backup is refused").format(
                file=source, slots=path.name
            )
        ) from None
    if not isinstance(listed, dict) or hashlib.sha256(data).hexdigest() != listed.get("sha256"):
        raise VerificationError(
            _("{file} does not match the SHA-256 in its manifest").format(file=path)
        )
    slots = keyslots.read(path)
    opened = keyslots.open_slots(slots, passphrase, analyst) if slots is not None else None
    if opened is None:
        raise keyslots.locked_error(str(source))
    return opened


def _acting(s: Session, analyst: str | None) -> Actor:
    """The acting analyst, looked up in the backup (the workspace being restored)."""
    if analyst:
        row = s.scalar(select(Analyst).where(Analyst.name == analyst, Analyst.active))
        if row is None:
            raise NotFound(_("no active analyst named {name}").format(name=analyst))
    else:
        rows = s.scalars(select(Analyst).where(Analyst.active).limit(2)).all()
        if len(rows) != 1:
            raise UsageError(_("choose the acting analyst with --as or ACCORD_ANALYST"))
        row = rows[0]
    return Actor(row.id, row.name, row.role)


def restore(
    source: Path, directory: Path, passphrase: str, *, analyst: str | None = None
) -> ws_mod.Workspace:
    """Restore a backup into a new workspace folder; coordinators only.

    Refused before anything is written: a missing file (exit 1); a missing, tampered or
    mismatched manifest, a partial copy, a broken audit chain (exit 4); a wrong passphrase
    (exit 3); an acting analyst who is not a coordinator (exit 1)."""
    passphrase = ws_mod.normalise_passphrase(passphrase)
    if not source.is_file():
        raise NotFound(_("no backup file {file}").format(file=source))
    if (directory / ws_mod.DB_FILE).exists():
        raise AccordError(_("a workspace already exists in {dir}").format(dir=directory))
    body = read_manifest(source)
    opened = _open_slots(source, body, passphrase, analyst)
    if opened is None:
        check_key_readonly(source, passphrase, str(source))
    engine = _readonly_engine(
        source, passphrase, raw_key=opened.db_key if opened is not None else None
    )
    try:
        with Session(engine) as s:
            try:
                found = _contents(s)
            except Exception:  # a file that decrypts but is not a workspace
                raise VerificationError(
                    _("{file} is not an Accord workspace backup").format(file=source)
                ) from None
            _check_contents(source, body, found)
            actor = _acting(s, opened.name if opened is not None else analyst)
            if opened is not None and actor.id != opened.analyst_id:
                raise LockedError(
                    _("the key slot of {name} belongs to no active analyst").format(
                        name=opened.name
                    )
                )
            actor.require(Permission.RESTORE_WORKSPACE)
            audit.verify_session(s)
    finally:
        engine.dispose()
    created = not directory.exists()
    files.private_dir(directory)
    target = directory / ws_mod.DB_FILE
    temp = files.temp_name(target)
    try:
        digest = hashlib.sha256()
        with source.open("rb") as src, files.open_private(temp, exclusive=True) as dst:
            while chunk := src.read(_CHUNK):
                digest.update(chunk)
                dst.write(chunk)
        if digest.hexdigest() != body["sha256"]:  # changed since it was checked
            raise VerificationError(_("{file} changed while it was restored").format(file=source))
        files.commit_temp(temp, target, replace=False)
        if opened is not None:
            files.write_private_atomic(
                directory / keyslots.SLOTS_FILE, slots_path(source).read_bytes(), replace=False
            )
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
        if created:
            with contextlib.suppress(OSError):
                directory.rmdir()
        raise
    ws = ws_mod.open_workspace(directory, passphrase, analyst=analyst)
    if ws.actor is None:
        ws.actor = actor
    with ws.session() as s:
        audit.record(
            s,
            ws.actor,
            "workspace.restore",
            "workspace",
            ws.label,
            details={"sha256": body["sha256"]},
        )
    return ws
