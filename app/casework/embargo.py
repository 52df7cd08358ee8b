"""A case's embargo: until when nothing about it is published, exported at TLP:CLEAR or sent
outside its sharing list (app/trust.py reads it). Setting it is audited; ending it earlier
than a partner asked for needs a coordinator's recorded override."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import trust
from app.casework.editing import edit, record
from app.errors import UsageError
from app.identity.actor import Actor, Permission
from i18n import _
from models import AuditEvent, CaseFact, Partner

FACT = "embargo-until"


def partner_embargo(session: Session, case_key: str) -> tuple[datetime, str] | None:
    """The latest embargo a partner's bundle set on the case, and that partner's name."""
    events = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.case_key == case_key, AuditEvent.action == "case.trust.received")
        .order_by(AuditEvent.seq.desc())
    )
    for ev in events:
        details = ev.details or {}
        until = details.get("embargo_until")
        if isinstance(until, str):
            partner = session.get(Partner, details.get("partner"))
            return datetime.fromisoformat(until), partner.name if partner else "?"
    return None


def set_embargo(
    session: Session,
    actor: Actor,
    key: str,
    until: datetime | None,
    *,
    reason: str = "",
    override: str | None = None,
    expected_version: int | None = None,
) -> tuple[datetime | None, datetime | None]:
    """Set (or with ``None`` clear) the case's embargo; returns (old end, new end).

    Shortening or clearing it needs a reason; going below an embargo a partner's bundle set
    needs a coordinator's ``override`` (the partner's terms bind us, app/trust.py)."""
    with edit(session, key, expected_version) as case:
        old = trust.embargo_end(session, case)
        shorter = old is not None and (until is None or until < old)
        if shorter and not (reason.strip() or (override or "").strip()):
            raise UsageError(_("ending an embargo earlier needs --reason"))
        received = partner_embargo(session, case.key)
        details: dict[str, object] = {
            "from": old.isoformat() if old else None,
            "to": until.isoformat() if until else None,
        }
        if received is not None and (until is None or until < received[0]):
            if not (override or "").strip():
                raise UsageError(
                    _("{partner} set the embargo of {key} until {until}; ending it earlier "
                      "needs a coordinator's --override REASON").format(
                        partner=received[1], key=case.key, until=received[0].isoformat()
                    )
                )  # fmt: skip
            actor.require(Permission.OVERRIDE_TRUST)
            details["override"] = True
            details["justification"] = override
        if reason.strip():
            details["reason"] = reason.strip()
        case.embargo_until = until
        fact = session.scalar(
            select(CaseFact).where(CaseFact.case_id == case.id, CaseFact.name == FACT)
        )
        if until is None and fact is not None:
            session.delete(fact)
        elif until is not None and fact is not None:
            fact.at = until
        session.flush()
        from app.deadlines.service import recompute  # deadlines build on cases

        recompute(session, case)
        record(session, actor, case, "case.embargo", details)
    return old, until
