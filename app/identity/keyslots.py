"""Key slots: the random database key, wrapped once per analyst, beside the database.

``DIR/keyslots.json`` (0600) holds one slot per analyst. A slot is two layers, both standard:

- the analyst's private keys (an X25519 key that receives the database key, and the Ed25519
  key that signs their audit events) under AES-256-GCM with a key derived from their
  passphrase by Argon2id (RFC 9106; parameters below, stored per slot); the associated data
  binds the slot to its workspace and analyst id, so a slot cannot be moved to another;
- the database key sealed to the slot's X25519 public key with HPKE (RFC 9180, base mode,
  DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM).

The public layer is what lets a coordinator rotate the database key (``analyst deactivate``,
``workspace rekey``) and re-wrap every remaining slot without knowing anyone's passphrase.

Rotation is crash-safe: the new slots go to ``keyslots.json.next`` first, then the database
is rekeyed, then ``.next`` replaces ``keyslots.json``. Each file states the key check value of
the key it wraps; unlocking tries the file whose key opens the database and finishes an
interrupted rotation (the rename) only once a passphrase has proved itself.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from app.errors import AccordError, LockedError
from i18n import _

FORMAT = "accord-keyslots/1"
SLOTS_FILE = "keyslots.json"
NEXT_FILE = "keyslots.json.next"
KEY_BYTES = 32


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost. Default: RFC 9106's second recommended option (64 MiB, t=3, p=4)."""

    iterations: int = 3
    lanes: int = 4
    memory_cost: int = 65536  # KiB

    def as_json(self) -> dict[str, Any]:
        return {
            "name": "argon2id",
            "iterations": self.iterations,
            "lanes": self.lanes,
            "memory_cost": self.memory_cost,
        }


# Slots record their own parameters, so raising these later needs no migration. The tests lower
# them (tests/conftest.py) to keep hundreds of unlocks fast.
KDF = KdfParams()
_MAX_MEMORY = 4 * 1024 * 1024  # KiB: a slot file asking for more is refused, not obeyed
_SUITE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def _canonical(data: dict[str, Any]) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def key_check_value(db_key: bytes) -> str:
    """HMAC-SHA-256 of a fixed label under the key: tells which key a file wraps, reveals none."""
    return hmac.new(db_key, b"accord key check value", hashlib.sha256).hexdigest()[:32]


def raw_key_literal(db_key: bytes) -> str:
    """SQLCipher's raw-key form (``x'…'``): the 32 bytes are the key, no second KDF runs."""
    return "x'" + db_key.hex() + "'"


def new_db_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def one_time_passphrase() -> str:
    """A passphrase printed once for a new slot; its owner replaces it at first unlock."""
    return secrets.token_urlsafe(18)


def signing_key_id(public: bytes) -> str:
    """The id an audit event names its signing key by: SHA-256 of the raw public key, hex."""
    return hashlib.sha256(public).hexdigest()[:32]


@dataclass(frozen=True)
class Slot:
    """One analyst's slot as stored (everything here is safe to keep in clear)."""

    analyst_id: int
    must_change: bool
    kdf: KdfParams
    salt: bytes
    nonce: bytes
    private: bytes
    public: bytes
    wrapped: bytes

    def as_json(self) -> dict[str, Any]:
        return {
            "analyst_id": self.analyst_id,
            "must_change": self.must_change,
            "kdf": self.kdf.as_json(),
            "salt": _b64(self.salt),
            "nonce": _b64(self.nonce),
            "private": _b64(self.private),
            "public": _b64(self.public),
            "wrapped_key": _b64(self.wrapped),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Slot:
        kdf = data["kdf"]
        if kdf.get("name") != "argon2id" or int(kdf["memory_cost"]) > _MAX_MEMORY:
            raise ValueError("unsupported key derivation")
        return cls(
            analyst_id=int(data["analyst_id"]),
            must_change=bool(data["must_change"]),
            kdf=KdfParams(int(kdf["iterations"]), int(kdf["lanes"]), int(kdf["memory_cost"])),
            salt=_unb64(data["salt"]),
            nonce=_unb64(data["nonce"]),
            private=_unb64(data["private"]),
            public=_unb64(data["public"]),
            wrapped=_unb64(data["wrapped_key"]),
        )


@dataclass(frozen=True)
class SlotFile:
    """Every slot of one workspace; all wrap the same database key (``kcv`` names it)."""

    workspace_id: str
    generation: int
    kcv: str
    slots: tuple[Slot, ...] = field(default=())

    def as_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "workspace_id": self.workspace_id,
            "generation": self.generation,
            "kcv": self.kcv,
            "slots": [s.as_json() for s in self.slots],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SlotFile:
        if data.get("format") != FORMAT:
            raise ValueError("unknown key slot format")
        return cls(
            workspace_id=str(data["workspace_id"]),
            generation=int(data["generation"]),
            kcv=str(data["kcv"]),
            slots=tuple(Slot.from_json(s) for s in data["slots"]),
        )

    def slot_for(self, analyst_id: int) -> Slot | None:
        return next((s for s in self.slots if s.analyst_id == analyst_id), None)


@dataclass(frozen=True)
class Opened:
    """What a passphrase unlocked: the database key and who the analyst is."""

    db_key: bytes
    analyst_id: int
    name: str
    must_change: bool
    signing_key: Ed25519PrivateKey | None
    slots: SlotFile


# -- the two layers ---------------------------------------------------------------------------
def _kek(passphrase: str, salt: bytes, params: KdfParams) -> bytes:
    kdf = Argon2id(
        salt=salt,
        length=KEY_BYTES,
        iterations=params.iterations,
        lanes=params.lanes,
        memory_cost=params.memory_cost,
    )
    return kdf.derive(passphrase.encode("utf-8"))


def _private_aad(workspace_id: str, analyst_id: int, must_change: bool, public: bytes) -> bytes:
    return _canonical(
        {
            "format": FORMAT,
            "workspace_id": workspace_id,
            "analyst_id": analyst_id,
            "must_change": must_change,
            "public": _b64(public),
        }
    )


def _hpke_info(workspace_id: str, analyst_id: int, kcv: str) -> bytes:
    return _canonical(
        {"format": FORMAT, "workspace_id": workspace_id, "analyst_id": analyst_id, "kcv": kcv}
    )


# The *_raw methods, not private_bytes(serialization…): the serialization package loads the
# SSH, PKCS#12 and X.509 code, a good part of unlocking's start-up, for two enum values.
def _raw_private(key: X25519PrivateKey | Ed25519PrivateKey) -> bytes:
    return key.private_bytes_raw()


def _raw_public(key: X25519PublicKey) -> bytes:
    return key.public_bytes_raw()


def make_slot(
    slots: SlotFile,
    db_key: bytes,
    analyst_id: int,
    name: str,
    passphrase: str,
    *,
    must_change: bool,
    signing_key: Ed25519PrivateKey | None,
) -> Slot:
    """A new slot with fresh X25519 keys; ``signing_key`` goes inside (None for one-time slots,
    whose owner makes their signing key when they choose their own passphrase)."""
    receiver = X25519PrivateKey.generate()
    public = _raw_public(receiver.public_key())
    payload = {
        "name": name,
        "x25519": _b64(_raw_private(receiver)),
        "ed25519": _b64(_raw_private(signing_key)) if signing_key else None,
    }
    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    params = KDF
    sealed = AESGCM(_kek(passphrase, salt, params)).encrypt(
        nonce,
        _canonical(payload),
        _private_aad(slots.workspace_id, analyst_id, must_change, public),
    )
    wrapped = _SUITE.encrypt(
        db_key, receiver.public_key(), info=_hpke_info(slots.workspace_id, analyst_id, slots.kcv)
    )
    return Slot(analyst_id, must_change, params, salt, nonce, sealed, public, wrapped)


def rewrap(slot: Slot, slots: SlotFile, db_key: bytes) -> Slot:
    """The same slot holding another database key: needs only the slot's public key."""
    receiver = X25519PublicKey.from_public_bytes(slot.public)
    info = _hpke_info(slots.workspace_id, slot.analyst_id, slots.kcv)
    return replace(slot, wrapped=_SUITE.encrypt(db_key, receiver, info=info))


def _open_slot(slots: SlotFile, slot: Slot, passphrase: str) -> Opened | None:
    try:
        kek = _kek(passphrase, slot.salt, slot.kdf)
        aad = _private_aad(slots.workspace_id, slot.analyst_id, slot.must_change, slot.public)
        payload = json.loads(AESGCM(kek).decrypt(slot.nonce, slot.private, aad))
    except (InvalidTag, ValueError):
        return None
    receiver = X25519PrivateKey.from_private_bytes(_unb64(payload["x25519"]))
    try:
        db_key = _SUITE.decrypt(
            slot.wrapped, receiver, info=_hpke_info(slots.workspace_id, slot.analyst_id, slots.kcv)
        )
    except Exception:  # a slot sealed for another key generation: it cannot open this file
        return None
    if not hmac.compare_digest(key_check_value(db_key), slots.kcv):
        return None
    signer = payload.get("ed25519")
    return Opened(
        db_key=db_key,
        analyst_id=slot.analyst_id,
        name=str(payload["name"]),
        must_change=slot.must_change,
        signing_key=Ed25519PrivateKey.from_private_bytes(_unb64(signer)) if signer else None,
        slots=slots,
    )


def open_slots(slots: SlotFile, passphrase: str, selector: str | None = None) -> Opened | None:
    """The first slot the passphrase opens (of the analyst ``selector`` when given). Names are
    kept inside the encrypted part, so every slot is tried: the file names nobody."""
    for slot in slots.slots:
        opened = _open_slot(slots, slot, passphrase)
        if opened is not None and (selector is None or opened.name == selector):
            return opened
    return None


# -- files ------------------------------------------------------------------------------------
def read(path: Path) -> SlotFile | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise AccordError(_("the key slot file {file} is unreadable").format(file=path)) from exc
    try:
        return SlotFile.from_json(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise AccordError(_("the key slot file {file} is unreadable").format(file=path)) from exc


def write_atomic(path: Path, slots: SlotFile) -> None:
    """Write to a private temporary file, fsync, rename over ``path``, fsync the folder."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(json.dumps(slots.as_json(), indent=1, sort_keys=True).encode("utf-8"))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def promote_next(directory: Path) -> None:
    """Make the staged ``.next`` file current (the database already uses its key)."""
    try:
        os.replace(directory / NEXT_FILE, directory / SLOTS_FILE)
    except FileNotFoundError:
        return  # another process finished the same rotation first
    _fsync_dir(directory)


def new_file(workspace_id: str | None = None, generation: int = 1) -> tuple[SlotFile, bytes]:
    """An empty slot file for a fresh random database key (returned beside it)."""
    db_key = new_db_key()
    return (
        SlotFile(workspace_id or uuid.uuid4().hex, generation, key_check_value(db_key)),
        db_key,
    )


def rotated(current: SlotFile, drop: set[int] | None = None) -> tuple[SlotFile, bytes]:
    """The next generation: a new random key, re-wrapped for every slot not in ``drop``."""
    nxt, db_key = new_file(current.workspace_id, current.generation + 1)
    kept = tuple(
        rewrap(s, nxt, db_key) for s in current.slots if s.analyst_id not in (drop or set())
    )
    return replace(nxt, slots=kept), db_key


def with_slot(slots: SlotFile, slot: Slot) -> SlotFile:
    """The file with ``slot`` added, or replacing the analyst's previous slot."""
    others = tuple(s for s in slots.slots if s.analyst_id != slot.analyst_id)
    return replace(slots, slots=(*others, slot))


def unlock(
    directory: Path,
    passphrase: str,
    selector: str | None,
    fits: Callable[[bytes], bool],
) -> Opened | None:
    """Open a slot of the current file, or of a staged ``.next`` whose key the database already
    uses (a rotation interrupted after its rekey: finished here). None when no slot opens or
    none fits; nothing is written then."""
    main = read(directory / SLOTS_FILE)
    staged = read(directory / NEXT_FILE)
    for slots, is_staged in ((main, False), (staged, True)):
        if slots is None:
            continue
        opened = open_slots(slots, passphrase, selector)
        if opened is None or not fits(opened.db_key):
            continue
        if is_staged:
            promote_next(directory)
        return opened
    return None


def locked_error(label: str) -> LockedError:
    return LockedError(_("wrong passphrase for workspace {dir}").format(dir=label))
