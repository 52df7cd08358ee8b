"""Parties in bundles: what of them leaves, and how a partner's merge in beside ours.

What leaves is each party's kind and name, a reporter's credit wording, and the statuses we
recorded ourselves. Contacts, channels, the contact log and safe-harbour records stay here:
they are our relationship with the party (and a reporter's personal data). A partner's
statuses are kept as theirs (``origin_fingerprint``), never replacing ours, and a status that
came from a third party is not passed on (as with playbook steps: each sends its own work).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auditing import chain as audit
from app.identity.actor import Actor
from app.parties.service import KINDS, STATUSES, name_key, start_clocks
from models import Case, CaseParty, Partner, PartyStatus

FORMAT_KEY = "parties"
MAX_PARTIES = 500  # per case in one bundle; beyond that the rest is ignored
MAX_STATUSES = 200  # per party
MAX_STATEMENT = 20_000


def party_documents(session: Session, case: Case) -> list[dict[str, Any]]:
    """The case's parties as they travel: names, kinds, reporters' credit, our own statuses."""
    out: list[dict[str, Any]] = []
    rows = session.scalars(
        select(CaseParty).where(CaseParty.case_id == case.id).order_by(CaseParty.id)
    ).all()
    for row in rows:
        own = [s for s in row.statuses if s.origin_fingerprint is None]
        if row.origin_fingerprint is not None and not own:
            continue  # a partner's party we said nothing about: theirs to send, not ours
        item: dict[str, Any] = {
            "kind": row.kind,
            "name": row.name,
            "statuses": [
                {"status": s.status, "statement": s.statement, "at": s.at.isoformat(),
                 "by": s.by, "fixed_version": s.fixed_version}
                for s in sorted(own, key=lambda s: (s.at, s.id))
            ],
        }  # fmt: skip
        if row.kind == "reporter" and row.credit:
            item["credit"] = row.credit
        out.append(item)
    return out


def _time(value: object) -> datetime | None:
    try:
        at = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return at if at.tzinfo is not None else None


def merge(
    session: Session,
    actor: Actor,
    case: Case,
    items: object,
    partner: Partner,
    fingerprint: str,
) -> int:
    """Merge a partner's parties into ``case``: a party we lack is added (marked as the
    partner's), each new status of theirs is appended with their fingerprint. Returns how many
    statuses were added; nothing of ours is changed."""
    if not isinstance(items, list):
        return 0
    added = 0
    for item in items[:MAX_PARTIES]:
        if not isinstance(item, dict):
            continue
        kind, name = str(item.get("kind") or ""), " ".join(str(item.get("name") or "").split())
        if kind not in KINDS or not name:
            continue
        row = session.scalar(
            select(CaseParty).where(
                CaseParty.case_id == case.id,
                CaseParty.kind == kind,
                CaseParty.name_key == name_key(name),
            )
        )
        if row is None:
            row = _new_party(session, case, kind, name, item, partner, fingerprint)
            audit.record(
                session, actor, "party.import", "party", row.id, case_key=case.key,
                details={"partner": partner.id, "fingerprint": fingerprint, "kind": kind},
            )  # fmt: skip
        added += _statuses(session, actor, case, row, item.get("statuses"), partner, fingerprint)
    return added


def _new_party(
    session: Session,
    case: Case,
    kind: str,
    name: str,
    item: dict[str, Any],
    partner: Partner,
    fingerprint: str,
) -> CaseParty:
    row = CaseParty(
        case_id=case.id, kind=kind, name=name[:200], name_key=name_key(name), contacts=[],
        origin_fingerprint=fingerprint, origin_partner_id=partner.id,
    )  # fmt: skip
    if kind == "reporter" and item.get("credit"):
        row.credit = str(item["credit"])[:300]
    if kind == "cert":
        linked = session.scalar(select(Partner.id).where(Partner.name == name))
        row.partner_id = linked
    session.add(row)
    session.flush()
    return row


def _statuses(
    session: Session,
    actor: Actor,
    case: Case,
    row: CaseParty,
    items: object,
    partner: Partner,
    fingerprint: str,
) -> int:
    if not isinstance(items, list):
        return 0
    seen = {(s.status, s.at) for s in row.statuses if s.origin_fingerprint == fingerprint}
    added = 0
    for item in items[:MAX_STATUSES]:
        if not isinstance(item, dict):
            continue
        status, at = str(item.get("status") or ""), _time(item.get("at"))
        if status not in STATUSES or at is None or (status, at) in seen:
            continue
        seen.add((status, at))
        row.statuses.append(
            PartyStatus(
                status=status, statement=str(item.get("statement") or "")[:MAX_STATEMENT], at=at,
                by=str(item.get("by") or "")[:200], origin_fingerprint=fingerprint,
                partner_id=partner.id,
                fixed_version=(str(item.get("fixed_version") or "")[:100] or None)
                if status == "fixed" else None,
            )
        )  # fmt: skip
        if status == "notified" and row.notified_at is None and row.origin_fingerprint:
            start_clocks(row, at)  # a party only the partner knows: its clocks are theirs
        added += 1
    if added:
        session.flush()
        audit.record(
            session, actor, "party.status.import", "party", row.id, case_key=case.key,
            details={"partner": partner.id, "fingerprint": fingerprint, "statuses": added},
        )  # fmt: skip
    return added
