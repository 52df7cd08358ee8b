"""Bundles held for a sequence gap: listed, applied when the gap fills, or accepted by a
coordinator who records why (the skipped sequence numbers are then given up)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auditing import chain as audit
from app.errors import NotFound, UsageError
from app.exchange.bundle_format import Limits
from app.exchange.importer import ImportResult, apply_held, import_one
from app.identity.actor import Actor, Permission
from i18n import _
from models import Bundle, Partner


@dataclass(frozen=True)
class BundleInfo:
    """One bundle received or sent, as ``accord bundle list`` shows it."""

    id: int
    bundle_id: str
    direction: str
    partner: str | None
    sequence: int | None
    tlp: str
    state: str
    status: str
    size: int
    at: datetime

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "bundle_id": self.bundle_id,
            "direction": self.direction,
            "partner": self.partner,
            "sequence": self.sequence,
            "tlp": self.tlp,
            "state": self.state,
            "status": self.status,
            "size": self.size,
            "at": self.at.isoformat(),
        }


def list_bundles(
    session: Session, *, held_only: bool = False, limit: int = 1000
) -> list[BundleInfo]:
    """Bundles newest first; held ones say which sequence number they wait for."""
    query = (
        select(Bundle, Partner.name)
        .outerjoin(Partner, Partner.id == Bundle.partner_id)
        .order_by(Bundle.id.desc())
        .limit(limit)
    )
    if held_only:
        query = query.where(Bundle.state == "held", Bundle.direction == "in")
    out = []
    for row, name in session.execute(query).all():
        status = row.reason if row.state == "held" and row.reason else row.state
        out.append(
            BundleInfo(
                row.id,
                row.bundle_uuid,
                row.direction,
                name,
                row.sequence,
                row.tlp,
                row.state,
                status,
                len(row.content or b""),
                row.created_at,
            )
        )
    return out


def _held(session: Session, ident: str) -> Bundle:
    query = select(Bundle).where(Bundle.direction == "in", Bundle.state == "held")
    if ident.isdigit():
        query = query.where(Bundle.id == int(ident))
    else:
        query = query.where(Bundle.bundle_uuid == ident)
    row = session.scalar(query)
    if row is None:
        raise NotFound(_("no held bundle {id}").format(id=ident))
    return row


def accept(
    session: Session, actor: Actor, ident: str, reason: str, *, limits: Limits | None = None
) -> ImportResult:
    """Apply a held bundle now, giving up the sequence numbers it skips (audited, with why).

    It is verified again first (keys may have been revoked meanwhile) and refused into
    quarantine if it no longer passes.
    """
    actor.require(Permission.MANAGE_PARTNERS)
    if not reason.strip():
        raise UsageError(_("say why with --reason"))
    row = _held(session, ident)
    partner = session.get(Partner, row.partner_id)
    skipped = (
        list(range(partner.last_sequence_in + 1, row.sequence))
        if partner is not None and row.sequence is not None
        else []
    )
    uuid, row_id = row.bundle_uuid, row.id
    result = import_one(
        session,
        actor,
        row.content or b"",
        f"held bundle {row_id}",
        limits=limits,
        held=row,
        accept_gap=True,
    )
    audit.record(
        session,
        actor,
        "bundle.accept",
        "bundle",
        uuid,
        details={
            "held": row_id,
            "skipped_sequences": skipped,
            "reason": reason.strip(),
            "imported": result.imported,
        },
    )
    if not result.imported:
        return result
    return replace(result, applied_held=apply_held(session, actor, limits=limits))
