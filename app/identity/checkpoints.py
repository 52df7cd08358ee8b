"""Checkpoints: the organisation's OpenPGP key signs the audit chain's head (count, hash, time).

A hash chain proves order, not completeness. A checkpoint anchors its head: deleting the newest
events, or rewriting the chain, no longer matches a checkpoint made before. Checkpoints are
made on demand (``audit checkpoint``), at backup and handover sign-off, at every bundle
export (the bundle carries it: the recipient keeps it per partner and refuses a later one
that vouches for fewer events), and at the head of every audit export (covering the exported
slice too), so a truncated export is detected by anyone holding it. What the holder of the
database key can still do is documented in docs/threat-model.md.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auditing import chain as audit
from app.errors import NotFound, VerificationError
from app.exchange import keys, pgp
from app.identity.actor import Actor
from models import AuditCheckpoint, AuditEvent, OrgKey, utcnow

FORMAT = "accord-audit-checkpoint/1"


def _statement(session: Session, reason: str, export: dict[str, Any] | None) -> dict[str, Any]:
    seq, head = audit.head(session)
    body: dict[str, Any] = {
        "format": FORMAT,
        "events": seq,
        "head": head,
        "at": utcnow().isoformat(),
        "reason": reason,
    }
    if export is not None:
        body["export"] = export
    return body


def _sign(row: OrgKey, body: dict[str, Any]) -> tuple[str, str]:
    text = audit.canonical(body).decode("utf-8")
    signature = pgp.sign_detached(row.secret_key, row.key_passphrase, text.encode("utf-8"))
    return text, signature.decode("ascii") if isinstance(signature, bytes) else str(signature)


def create(session: Session, actor: Actor, reason: str, *, required: bool = True) -> int | None:
    """Sign and keep a checkpoint of the current head, and audit it. Without an organisation
    key: NotFound when ``required``, else None (backups and handovers go on unanchored)."""
    try:
        row = keys.current_key(session)
    except NotFound:
        if required:
            raise
        return None
    return _make(session, actor, reason, row).seq


def make(session: Session, actor: Actor, reason: str) -> AuditCheckpoint:
    """Like ``create`` (the organisation key required), returning the kept checkpoint: a
    bundle export carries its statement and signature to the recipients."""
    return _make(session, actor, reason, keys.current_key(session))


def _make(session: Session, actor: Actor, reason: str, row: OrgKey) -> AuditCheckpoint:
    body = _statement(session, reason, None)
    text, signature = _sign(row, body)
    cp = AuditCheckpoint(
        seq=body["events"],
        head_hash=body["head"],
        at=datetime.fromisoformat(body["at"]),
        reason=reason,
        statement=text,
        signature=signature,
        signer=row.fingerprint,
    )
    session.add(cp)
    audit.record(
        session, actor, "audit.checkpoint", "audit", body["events"],
        details={"reason": reason, "head": body["head"], "signer": row.fingerprint},
    )  # fmt: skip
    return cp


def verify_statement(statement: str, signature: str, certs: list[str]) -> dict[str, Any]:
    """A checkpoint's statement, once its signature verifies against one of ``certs`` and it
    is of our format; VerificationError otherwise."""
    return _checked(statement, signature, certs)


def _checked(statement: str, signature: str, certs: list[str]) -> dict[str, Any]:
    try:
        pgp.verify_detached(statement.encode("utf-8"), signature.encode("ascii"), certs)
    except VerificationError as exc:
        raise VerificationError(f"audit checkpoint signature does not verify: {exc}") from None
    body: dict[str, Any] = json.loads(statement)
    if body.get("format") != FORMAT:
        raise VerificationError("audit checkpoint of an unknown format")
    return body


def verify_workspace(session: Session) -> tuple[audit.VerifyResult, int]:
    """The chain (hashes, signatures), then every kept checkpoint against it."""
    result = audit.verify_session(session)
    certs = [k.certificate for k in keys.all_keys(session)]
    hashes: dict[int, str] = {}
    count = 0
    for cp in session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.seq)):
        body = _checked(cp.statement, cp.signature, certs)
        n = int(body["events"])
        if n > result.events:
            raise VerificationError(
                f"audit chain ends at event {result.events}, but a checkpoint of {body['at']} "
                f"vouches for {n} events: the newest events were deleted"
            )
        if n not in hashes:
            hashes[n] = session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == n)) or ""
        if n and hashes[n] != body["head"]:
            raise VerificationError(
                f"audit event {n} differs from the checkpoint of {body['at']}: the chain was "
                "rewritten up to there"
            )
        count += 1
    return result, count


def export(
    session: Session,
    out: Path,
    since: datetime | None = None,
    until: datetime | None = None,
    *,
    redacted: bool = False,
) -> tuple[int, bool]:
    """Write the chain as JSON lines, headed (when the organisation has a key) by a checkpoint
    that also vouches for the exported slice: its count, first and last event, last hash."""
    header: list[dict[str, Any]] = []
    try:
        row = keys.current_key(session)
    except NotFound:
        row = None
    if row is not None:
        chosen = audit.selected_events(session, since, until)
        body = _statement(
            session,
            "export",
            {
                "count": chosen.events,
                "first_seq": chosen.first_seq,
                "last_seq": chosen.last_seq,
                "last_hash": chosen.last_hash if chosen.events else None,
            },
        )
        text, signature = _sign(row, body)
        header.append(
            {
                "kind": "checkpoint",
                "statement": text,
                "signature": signature,
                "signer": row.fingerprint,
                "certificate": row.certificate,
            }
        )
    n = audit.export_lines(session, out, since, until, header=header, redacted=redacted)
    return n, row is not None


def verify_export(path: Path, trusted: list[str] | None = None) -> tuple[audit.VerifyResult, int]:
    """An exported chain: hashes and signatures, then its checkpoints (against ``trusted``
    certificates when given, else the one each carries: its fingerprint is then reported)."""
    records, events = audit.read_export(path)
    result = audit.verify_file(path)
    by_seq = {int(e["seq"]): e.get("hash") for e in events if isinstance(e.get("seq"), int)}
    count = 0
    for rec in records:
        if rec.get("kind") != "checkpoint":
            continue
        body = _checked(
            str(rec["statement"]), str(rec["signature"]), trusted or [str(rec["certificate"])]
        )
        sliced = body.get("export")
        if sliced is not None:
            if result.events != sliced["count"] or result.last_seq != sliced["last_seq"]:
                raise VerificationError(
                    f"the export holds {result.events} events (to event {result.last_seq}), "
                    f"but its checkpoint vouches for {sliced['count']} "
                    f"(to event {sliced['last_seq']}): it was truncated or extended"
                )
            if sliced["count"] and result.last_hash != sliced["last_hash"]:
                raise VerificationError(
                    f"audit event {result.last_seq} differs from the export's checkpoint: "
                    "the chain was rewritten"
                )
        n = int(body["events"])
        if n in by_seq and by_seq[n] != body["head"]:
            raise VerificationError(
                f"audit event {n} differs from the checkpoint of {body['at']}: the chain was "
                "rewritten up to there"
            )
        count += 1
    return result, count
