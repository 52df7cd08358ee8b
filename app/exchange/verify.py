"""Bundle verification: every check runs before any payload is parsed or merged.

Order: size → decryption (in memory) → zip structure (names, links, duplicates, sizes,
compression ratios, from the central directory only) → the manifest's detached signature
against known partner certificates → signer verified and unrevoked → manifest sender,
recipients, TLP policy, replay and sequence → every member listed, every hash and size right.
"""

from __future__ import annotations

import hashlib
import io
import json
import stat
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from pysequoia.packet import PacketPile
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import VerificationError
from app.exchange import keys, pgp
from app.exchange.bundle_format import (
    CHECKPOINT,
    ENCRYPTED_TLP,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    SIGNATURE,
    TLP_LEVELS,
    Limits,
    accepted_tlp,
)
from app.identity import checkpoints
from i18n import _, ngettext
from models import Bundle, Partner, PartnerCheckpoint, PartnerKey


class Refused(VerificationError):
    """A bundle refused by verification; ``check`` names the failed check."""

    def __init__(self, check: str, reason: str):
        super().__init__(reason)
        self.check = check
        self.reason = reason


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: str = ""


@dataclass(frozen=True)
class ManifestFile:
    path: str
    sha256: str
    size: int


@dataclass(frozen=True)
class BundleReport:
    """The verification report: what was checked, and either the verdict or the reason."""

    ok: bool
    reason: str | None
    failed_check: str | None
    checks: tuple[Check, ...]
    bundle_id: str | None = None
    sender: str | None = None
    sender_fingerprint: str | None = None
    tlp: str | None = None
    encrypted: bool = False
    sequence: int | None = None
    created: str | None = None
    severity_model: dict[str, str] | None = None
    files: tuple[ManifestFile, ...] = ()
    sha256: str = ""
    waiting_for: int | None = None
    checkpoint: dict[str, Any] | None = None  # the sender's audit checkpoint: events, head, at

    def as_json(self) -> dict[str, object]:
        return {
            "valid": self.ok,
            "reason": self.reason,
            "failed_check": self.failed_check,
            "bundle_id": self.bundle_id,
            "sender": self.sender,
            "sender_fingerprint": self.sender_fingerprint,
            "tlp": self.tlp,
            "encrypted": self.encrypted,
            "sequence": self.sequence,
            "created": self.created,
            "severity_model": self.severity_model,
            "sha256": self.sha256,
            "waiting_for": self.waiting_for,
            "audit_checkpoint": self.checkpoint,
            "files": [{"path": f.path, "sha256": f.sha256, "size": f.size} for f in self.files],
            "checks": [
                {"check": c.name, "passed": c.passed, "detail": c.detail} for c in self.checks
            ],
        }


@dataclass
class Verified:
    """A bundle that passed every check: its manifest and its members' bytes, in memory."""

    manifest: dict[str, Any]
    members: dict[str, bytes]
    partner_id: int
    signer_fingerprint: str
    sequence: int
    encrypted: bool
    checks: list[Check] = field(default_factory=list)
    waiting_for: int | None = None  # an earlier sequence number not yet received
    checkpoint: dict[str, Any] | None = None  # the sender's verified audit checkpoint


def _safe_member(name: str) -> bool:
    if not name or "\\" in name or name.startswith("/") or "\x00" in name:
        return False
    if len(name) > 1 and name[1] == ":":
        return False
    parts = PurePosixPath(name).parts
    return all(p not in ("..", ".", "") for p in parts) and not name.endswith("/")


def _read(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    """Read one member, never more than its declared size (a lying header is refused)."""
    out = bytearray()
    try:
        with zf.open(info) as fh:
            while True:
                chunk = fh.read(65536)
                if not chunk:
                    break
                out += chunk
                if len(out) > info.file_size or len(out) > limit:
                    raise Refused(
                        "size",
                        _("{name} is larger than declared or allowed").format(name=info.filename),
                    )
    except zlib.error:
        raise Refused(
            "structure",
            _("damaged bundle: {name} has corrupt compressed data").format(name=info.filename),
        ) from None
    except zipfile.BadZipFile:
        raise Refused(
            "structure",
            _("damaged bundle: {name} fails its CRC or header check").format(name=info.filename),
        ) from None
    except (EOFError, OSError, NotImplementedError):
        raise Refused(
            "structure",
            _("damaged bundle: {name} is cut short or uses an unknown compression").format(
                name=info.filename
            ),
        ) from None
    except RuntimeError:  # zipfile's answer to a password-protected member
        raise Refused(
            "structure", _("{name} is password-protected").format(name=info.filename)
        ) from None
    return bytes(out)


def _looks_like_openpgp(data: bytes) -> bool:
    """Binary OpenPGP starts with a packet tag (high bit set), armour with its header line."""
    return bool(data) and (data[0] & 0x80 != 0 or data.lstrip().startswith(b"-----BEGIN PGP"))


class _Verifier:
    def __init__(
        self,
        session: Session,
        limits: Limits,
        *,
        held_id: int | None = None,
        accept_gap: bool = False,
    ):
        self.session = session
        self.limits = limits
        self.checks: list[Check] = []
        self.held_id = held_id  # the held bundle row being applied: not a replay of itself
        self.accept_gap = accept_gap  # a coordinator accepted the sequence gap
        self.waiting_for: int | None = None

    def ok(self, name: str, detail: str = "") -> None:
        self.checks.append(Check(name, True, detail))

    def run(self, data: bytes) -> Verified:
        lim = self.limits
        if len(data) > lim.max_bundle_bytes:
            raise Refused(
                "size",
                _("oversize bundle: {n} bytes, the limit is {limit}").format(
                    n=len(data), limit=lim.max_bundle_bytes
                ),
            )
        self.ok("size", ngettext("{n} byte", "{n} bytes", len(data)).format(n=len(data)))
        encrypted = not data.startswith(b"PK\x03\x04")
        if encrypted and not _looks_like_openpgp(data):
            raise Refused("structure", _("not a bundle: neither a zip nor an OpenPGP message"))
        if encrypted:
            secrets = [(k.secret_key, k.key_passphrase) for k in keys.all_keys(self.session)]
            try:
                data = pgp.decrypt(data, secrets, lim.plaintext_cap(len(data)))
            except pgp.PlaintextTooLarge as exc:
                raise Refused("size", str(exc)) from None
            except VerificationError as exc:
                raise Refused("decrypt", str(exc)) from None
            self.ok("decrypt", _("decrypted in memory"))
        zf = self._open_zip(data)
        manifest_bytes, sig = self._manifest_members(zf)
        partner, signer_fpr = self._signature(manifest_bytes, sig)
        manifest = self._manifest(manifest_bytes, signer_fpr)
        sequence = self._addressing(manifest, partner, encrypted)
        members = self._members(zf, manifest)
        self._advisory_signatures(members, partner, signer_fpr)
        checkpoint = self._checkpoint(members, partner, signer_fpr)
        return Verified(
            manifest,
            members,
            partner.id,
            signer_fpr,
            sequence,
            encrypted,
            self.checks,
            self.waiting_for,
            checkpoint,
        )

    def _open_zip(self, data: bytes) -> zipfile.ZipFile:
        lim = self.limits
        try:
            zf = zipfile.ZipFile(io.BytesIO(data))
            infos = zf.infolist()
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise Refused("structure", _("not a zip bundle: {error}").format(error=exc)) from None
        if len(infos) > lim.max_entries:
            raise Refused("structure", _("too many files in the bundle: {n}").format(n=len(infos)))
        seen: set[str] = set()
        total = 0
        for info in infos:
            name = info.filename
            if name.endswith("/") and info.file_size == 0 and _safe_member(name.rstrip("/")):
                mode = (info.external_attr >> 16) & 0xFFFF
                if stat.S_IFMT(mode) in (0, stat.S_IFDIR):
                    continue  # a folder entry, as `zip -r` writes them: nothing to read
            if not _safe_member(name):
                raise Refused(
                    "path",
                    _("unsafe path in bundle: {name} (path traversal or absolute path)").format(
                        name=name
                    ),
                )
            mode = (info.external_attr >> 16) & 0xFFFF
            if stat.S_IFMT(mode) not in (0, stat.S_IFREG):
                raise Refused(
                    "path",
                    _("{name} is a link or special file; bundles hold plain files only").format(
                        name=name
                    ),
                )
            if name in seen:
                raise Refused(
                    "structure", _("{name} appears twice in the bundle").format(name=name)
                )
            seen.add(name)
            if info.file_size > lim.max_file_bytes:
                raise Refused(
                    "size", _("oversize file {name}: {n} bytes").format(name=name, n=info.file_size)
                )
            if info.file_size > lim.ratio_floor and info.file_size > lim.max_ratio * max(
                info.compress_size, 1
            ):
                raise Refused(
                    "size",
                    _("zip bomb: {name} expands {ratio} times").format(
                        name=name, ratio=info.file_size // max(info.compress_size, 1)
                    ),
                )
            total += info.file_size
        if total > lim.max_total_bytes:
            raise Refused("size", _("oversize bundle: {n} bytes unpacked").format(n=total))
        self.ok("structure", _("{n} files, no links, no unsafe paths").format(n=len(infos)))
        return zf

    def _manifest_members(self, zf: zipfile.ZipFile) -> tuple[bytes, bytes]:
        names = set(zf.namelist())
        for needed in (MANIFEST, SIGNATURE):
            if needed not in names:
                raise Refused(
                    "manifest", _("{name} is missing from the bundle").format(name=needed)
                )
        limit = self.limits.max_manifest_bytes
        return (_read(zf, zf.getinfo(MANIFEST), limit), _read(zf, zf.getinfo(SIGNATURE), limit))

    def _signature(self, manifest: bytes, sig: bytes) -> tuple[Partner, str]:
        rows = self.session.scalars(select(PartnerKey)).all()
        if not rows:
            raise Refused(
                "signer",
                _("unknown signer {fpr}: no partner certificates on file").format(
                    fpr=pgp.signature_issuer(sig) or "?"
                ),
            )
        try:
            result = pgp.verify_detached(manifest, sig, [r.certificate for r in rows])
        except VerificationError as exc:
            issuer = pgp.signature_issuer(sig)
            owner = next(
                (
                    r
                    for r in rows
                    if issuer is not None
                    and (issuer == r.fingerprint or issuer in _subkeys(r.certificate))
                ),
                None,
            )
            if owner is None:
                raise Refused(
                    "signer",
                    _("unknown signer {fpr}: no partner has this key").format(fpr=issuer or "?"),
                ) from None
            meta = pgp.cert_info(pgp.parse_cert(owner.certificate))
            if owner.revoked or meta.revoked:
                raise Refused(
                    "signer", _("the signer's key {fpr} is revoked").format(fpr=owner.fingerprint)
                ) from None
            if meta.expired:
                raise Refused(
                    "signer", _("the signer's key {fpr} has expired").format(fpr=owner.fingerprint)
                ) from None
            raise Refused("signature", str(exc)) from None
        key = next(r for r in rows if r.fingerprint == result.cert_fingerprint)
        partner = self.session.get(Partner, key.partner_id)
        assert partner is not None
        if key.revoked or pgp.cert_info(pgp.parse_cert(key.certificate)).revoked:
            raise Refused(
                "signer",
                _("the signer's key {fpr} ({name}) is revoked").format(
                    fpr=key.fingerprint, name=partner.name
                ),
            )
        if key.verified_at is None:
            raise Refused(
                "signer",
                _(
                    "unverified signer: {name}'s key {fpr} was never compared "
                    "out of band ('accord partner verify')"
                ).format(name=partner.name, fpr=pgp.group_fingerprint(key.fingerprint)),
            )
        self.ok(
            "signature",
            _("good signature by {name} ({fpr})").format(
                name=partner.name, fpr=pgp.group_fingerprint(key.fingerprint)
            ),
        )
        return partner, key.fingerprint

    def _manifest(self, data: bytes, signer: str) -> dict[str, Any]:
        try:
            manifest = json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise Refused(
                "manifest", _("manifest.json is not JSON: {error}").format(error=exc)
            ) from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise Refused("manifest", _("manifest.json is not an Accord bundle manifest"))
        if manifest.get("format_version") != FORMAT_VERSION:
            raise Refused(
                "manifest",
                _("unsupported bundle format version {v}").format(v=manifest.get("format_version")),
            )
        sender = manifest.get("sender") or {}
        if str(sender.get("fingerprint", "")).upper() != signer:
            raise Refused(
                "signer",
                _("manifest names sender {claimed} but was signed by {fpr}").format(
                    claimed=sender.get("fingerprint"), fpr=signer
                ),
            )
        if not isinstance(manifest.get("files"), list) or not isinstance(
            manifest.get("recipients"), list
        ):
            raise Refused("manifest", _("manifest.json lacks its files or recipients"))
        self.ok("manifest", _("format {fmt} version {v}").format(fmt=FORMAT, v=FORMAT_VERSION))
        return manifest

    def _addressing(self, manifest: dict[str, Any], partner: Partner, encrypted: bool) -> int:
        own = keys.own_fingerprints(self.session)
        mine = [
            r
            for r in manifest["recipients"]
            if isinstance(r, dict) and str(r.get("fingerprint", "")).upper() in own
        ]
        if not mine:
            raise Refused("recipient", _("the bundle is not addressed to this organisation"))
        self.ok(
            "recipient",
            _("addressed to {fpr}").format(
                fpr=pgp.group_fingerprint(str(mine[0]["fingerprint"]).upper())
            ),
        )
        tlp = str(manifest.get("tlp", ""))
        if tlp not in TLP_LEVELS:
            raise Refused("tlp", _("unknown TLP label {tlp}").format(tlp=tlp))
        if tlp not in accepted_tlp(self.session):
            raise Refused(
                "tlp",
                _(
                    "TLP:{tlp} is not accepted by this workspace's policy (accepted: {levels})"
                ).format(tlp=tlp, levels=", ".join(accepted_tlp(self.session))),
            )
        if tlp in ENCRYPTED_TLP and not encrypted:
            raise Refused(
                "tlp",
                _("a TLP:{tlp} bundle must arrive encrypted; this one was not").format(tlp=tlp),
            )
        self.ok("tlp", "TLP:" + tlp)
        bundle_id = str(manifest.get("bundle_id", ""))
        seen = self.session.execute(
            select(Bundle.id, Bundle.state).where(
                Bundle.bundle_uuid == bundle_id, Bundle.direction == "in"
            )
        ).first()
        if seen is not None and seen.state == "held" and seen.id != self.held_id:
            raise Refused(
                "replay",
                _("bundle {id} is already held (item {n}), waiting for an earlier one").format(
                    id=bundle_id, n=seen.id
                ),
            )
        if not bundle_id or (seen is not None and seen.id != self.held_id):
            raise Refused(
                "replay", _("replayed bundle: {id} was imported before").format(id=bundle_id or "?")
            )
        try:
            sequence = int(mine[0]["sequence"])
        except (KeyError, TypeError, ValueError):
            raise Refused("replay", _("the manifest carries no sequence number for us")) from None
        if sequence <= partner.last_sequence_in:
            raise Refused(
                "replay",
                _("old sequence number {n} from {name}: the last accepted was {last}").format(
                    n=sequence, name=partner.name, last=partner.last_sequence_in
                ),
            )
        expected = partner.last_sequence_in + 1
        if sequence > expected and not self.accept_gap:
            # Genuine but early: an earlier bundle is still on its way. Held, not refused.
            self.waiting_for = expected
            self.ok(
                "replay",
                _("new bundle id, sequence {n}; waiting for sequence {m} first").format(
                    n=sequence, m=expected
                ),
            )
            return sequence
        self.ok("replay", _("new bundle id, sequence {n}").format(n=sequence))
        return sequence

    def _members(self, zf: zipfile.ZipFile, manifest: dict[str, Any]) -> dict[str, bytes]:
        listed: dict[str, dict[str, Any]] = {}
        for entry in manifest["files"]:
            path = str(entry.get("path", "")) if isinstance(entry, dict) else ""
            if not _safe_member(path) or path in (MANIFEST, SIGNATURE):
                raise Refused("path", _("unsafe path in manifest: {name}").format(name=path))
            listed[path] = entry
        present = {n for n in zf.namelist() if not n.endswith("/")} - {MANIFEST, SIGNATURE}
        for extra in sorted(present - listed.keys()):
            raise Refused(
                "hash", _("{name} is in the bundle but not in the manifest").format(name=extra)
            )
        for missing in sorted(listed.keys() - present):
            raise Refused(
                "hash",
                _("{name} is in the manifest but missing from the bundle").format(name=missing),
            )
        members: dict[str, bytes] = {}
        for path, entry in sorted(listed.items()):
            data = _read(zf, zf.getinfo(path), self.limits.max_file_bytes)
            if len(data) != entry.get("size"):
                raise Refused(
                    "hash",
                    _("size mismatch for {name}: {n} bytes, the manifest says {m}").format(
                        name=path, n=len(data), m=entry.get("size")
                    ),
                )
            if hashlib.sha256(data).hexdigest() != str(entry.get("sha256", "")).lower():
                raise Refused("hash", _("SHA-256 mismatch for {name}").format(name=path))
            members[path] = data
        self.ok(
            "hash",
            ngettext(
                "{n} file matches the manifest", "{n} files match the manifest", len(members)
            ).format(n=len(members)),
        )
        return members

    def _advisory_signatures(
        self, members: dict[str, bytes], partner: Partner, signer: str
    ) -> None:
        key = self.session.scalar(
            select(PartnerKey).where(
                PartnerKey.partner_id == partner.id, PartnerKey.fingerprint == signer
            )
        )
        assert key is not None
        for path, data in members.items():
            if not (path.startswith("advisories/") and path.endswith(".json")):
                continue
            sig = members.get(path + ".asc")
            if sig is None:
                raise Refused("signature", _("{name} has no .asc signature").format(name=path))
            try:
                pgp.verify_detached(data, sig, [key.certificate])
            except VerificationError:
                raise Refused("signature", _("bad signature on {name}").format(name=path)) from None
            digest = members.get(path + ".sha512", b"").split(b" ", 1)[0].decode(errors="replace")
            if digest != hashlib.sha512(data).hexdigest():
                raise Refused("hash", _("SHA-512 mismatch for {name}").format(name=path))

    def _checkpoint(
        self, members: dict[str, bytes], partner: Partner, signer: str
    ) -> dict[str, Any] | None:
        """The sender's audit checkpoint, signed by the key that signed the manifest, held
        against those it sent before: fewer events, or the same count with another head,
        means its audit log was cut short or rewritten since (refused)."""
        kept = self.session.scalars(
            select(PartnerCheckpoint).where(PartnerCheckpoint.partner_id == partner.id)
        ).all()
        data = members.get(CHECKPOINT)
        if data is None:
            if kept:
                # Leaving it out would hide a truncation: once sent, it is required.
                raise Refused(
                    "checkpoint",
                    _(
                        "the bundle carries no audit checkpoint, though {name} sent one with "
                        "every bundle since {bundle}"
                    ).format(name=partner.name, bundle=kept[0].bundle_uuid),
                )
            self.ok("checkpoint", _("no audit checkpoint (a sender that does not make them)"))
            return None
        key = self.session.scalar(
            select(PartnerKey).where(
                PartnerKey.partner_id == partner.id, PartnerKey.fingerprint == signer
            )
        )
        assert key is not None
        try:
            carried = json.loads(data)
            body = checkpoints.verify_statement(
                str(carried["statement"]), str(carried["signature"]), [key.certificate]
            )
            events, head, at = int(body["events"]), str(body["head"]), str(body["at"])
        except VerificationError as exc:
            raise Refused("checkpoint", str(exc)) from None
        except (ValueError, TypeError, KeyError, UnicodeDecodeError):
            raise Refused(
                "checkpoint", _("{name} is not an audit checkpoint").format(name=CHECKPOINT)
            ) from None
        if events < 0 or len(head) != 64:
            raise Refused(
                "checkpoint", _("{name} is not an audit checkpoint").format(name=CHECKPOINT)
            )
        latest = max(kept, key=lambda c: (c.events, c.id), default=None)
        if latest is not None and events < latest.events:
            raise Refused(
                "checkpoint",
                _(
                    "audit rollback at {name}: its audit log held {before} events on {at} "
                    "(bundle {bundle}), but this bundle vouches for only {n}; events were "
                    "deleted or its workspace was rolled back"
                ).format(
                    name=partner.name,
                    before=latest.events,
                    at=latest.at.isoformat(),
                    bundle=latest.bundle_uuid,
                    n=events,
                ),
            )
        forked = next((c for c in kept if c.events == events and c.head_hash != head), None)
        if forked is not None:
            raise Refused(
                "checkpoint",
                _(
                    "audit log rewritten at {name}: event {n} had another hash in bundle "
                    "{bundle}; its audit log was cut and written again"
                ).format(name=partner.name, n=events, bundle=forked.bundle_uuid),
            )
        self.ok(
            "checkpoint",
            _("audit checkpoint by {name}: {n} events, head {head}").format(
                name=partner.name, n=events, head=head[:16]
            ),
        )
        return {
            "events": events,
            "head": head,
            "at": at,
            "statement": str(carried["statement"]),
            "signature": str(carried["signature"]),
        }


def _subkeys(certificate: str) -> set[str]:
    """Every key fingerprint (primary and subkeys) of a certificate, upper-case."""
    out: set[str] = set()
    for packet in PacketPile.from_bytes(certificate.encode()):
        fpr = packet.fingerprint
        if fpr:
            out.add(fpr.upper())
    return out


def check_bundle(session: Session, data: bytes, limits: Limits | None = None) -> Verified:
    """Run every check; raise Refused with the reason at the first failure."""
    return _Verifier(session, limits or Limits()).run(data)


def verify_bundle(session: Session, data: bytes, limits: Limits | None = None) -> BundleReport:
    """Check a bundle and report, changing nothing (``accord bundle verify``)."""
    verifier = _Verifier(session, limits or Limits())
    digest = hashlib.sha256(data).hexdigest()
    try:
        v = verifier.run(data)
    except Refused as exc:
        return BundleReport(
            False,
            exc.reason,
            exc.check,
            (*verifier.checks, Check(exc.check, False, exc.reason)),
            sha256=digest,
        )
    return report_for(session, v, digest)


def report_for(session: Session, v: Verified, digest: str) -> BundleReport:
    m = v.manifest
    partner = session.get(Partner, v.partner_id)
    return BundleReport(
        ok=True,
        reason=None,
        failed_check=None,
        checks=tuple(v.checks),
        bundle_id=str(m.get("bundle_id")),
        sender=partner.name if partner else None,
        sender_fingerprint=v.signer_fingerprint,
        tlp=str(m.get("tlp")),
        encrypted=v.encrypted,
        sequence=v.sequence,
        created=str(m.get("created")),
        severity_model=m.get("severity_model"),
        files=tuple(
            ManifestFile(str(f["path"]), str(f["sha256"]), int(f["size"])) for f in m["files"]
        ),
        sha256=digest,
        waiting_for=v.waiting_for,
        checkpoint=(
            {k: v.checkpoint[k] for k in ("events", "head", "at")} if v.checkpoint else None
        ),
    )
