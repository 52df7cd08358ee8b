"""Shift handover: drafted from the audit log since the previous one, edited and signed off by
the outgoing lead, acknowledged by the incoming lead. History kept; signed text never changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import audit
from app.actor import Actor, Permission
from app.concurrency import check_seen, guarded
from app.errors import AccordError, NotFound, PermissionDenied, UsageError
from app.identity import checkpoints
from i18n import _
from models import Analyst, AuditEvent, Case, CaseStatus, Deadline, Handover, utcnow

PENDING_DECISION = (CaseStatus.NEW, CaseStatus.TRIAGE, CaseStatus.NEEDS_INFO)


def _iso(d: datetime | None) -> str | None:
    return d.isoformat() if d else None


@dataclass(frozen=True)
class HandoverInfo:
    id: int
    period_start: datetime | None
    period_end: datetime
    author: str | None
    body: str
    summary: dict[str, Any]
    signed_off_at: datetime | None
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    version: int = 0  # what an edit made from this view passes back (app.concurrency)

    @property
    def state(self) -> str:
        if self.acknowledged_at:
            return "acknowledged"
        return "signed" if self.signed_off_at else "draft"

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "state": self.state,
            "period_start": _iso(self.period_start),
            "period_end": _iso(self.period_end),
            "author": self.author,
            "body": self.body,
            "summary": self.summary,
            "signed_off_at": _iso(self.signed_off_at),
            "acknowledged_by": self.acknowledged_by,
            "acknowledged_at": _iso(self.acknowledged_at),
        }


def _name(session: Session, analyst_id: int | None) -> str | None:
    if analyst_id is None:
        return None
    return session.scalar(select(Analyst.name).where(Analyst.id == analyst_id))


def _info(session: Session, h: Handover) -> HandoverInfo:
    return HandoverInfo(
        h.id,
        h.period_start,
        h.period_end,
        _name(session, h.author_id),
        h.body,
        dict(h.summary),
        h.signed_off_at,
        _name(session, h.acknowledged_by_id),
        h.acknowledged_at,
        h.row_version,
    )


def _deadline_items(session: Session, conds: list[Any]) -> list[dict[str, str]]:
    rows = session.execute(
        select(
            Case.key, Deadline.rule_id, Deadline.jurisdiction, Deadline.due_utc, Deadline.owed_by
        )
        .join(Case, Case.id == Deadline.case_id)
        .where(Deadline.met_at.is_(None), Deadline.due_utc.is_not(None), *conds)
        .order_by(Deadline.due_utc)
    )
    # owed_by: "this-cert", or the role of the party whose duty it is (watched, issue 16).
    return [
        {"case": k, "rule": r, "jurisdiction": j, "due_utc": _iso(d) or "", "owed_by": o}
        for k, r, j, d, o in rows
    ]


def summarise(
    session: Session, since_seq: int, since: datetime | None, now: datetime
) -> dict[str, Any]:
    """What happened since audit event ``since_seq`` and what is owed next: ids and states."""
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.seq > since_seq).order_by(AuditEvent.seq)
    ).all()
    new_cases = [e.case_key for e in events if e.action == "case.create" and e.case_key]
    transitions = [
        {"case": e.case_key, "from": e.details.get("from"), "to": e.details.get("to")}
        for e in events
        if e.action == "case.transition"
    ]
    met = [
        {"case": e.case_key, "rule": e.details.get("rule"), "late": bool(e.details.get("late"))}
        for e in events
        if e.action == "deadline.met"
    ]
    missed_conds: list[Any] = [Deadline.due_utc <= now]
    if since is not None:
        missed_conds.append(Deadline.due_utc > since)
    pending = session.execute(
        select(Case.key, Case.status).where(Case.status.in_(PENDING_DECISION)).order_by(Case.id)
    )
    return {
        "new_cases": new_cases,
        "transitions": transitions,
        "deadlines_met": met,
        "deadlines_missed": _deadline_items(session, missed_conds),
        "deadlines_next_24h": _deadline_items(
            session, [Deadline.due_utc > now, Deadline.due_utc <= now + timedelta(hours=24)]
        ),
        "decisions_pending": [{"case": k, "status": s.value} for k, s in pending],
        "events": len(events),
    }


def render(summary: dict[str, Any]) -> str:
    """The draft text the outgoing lead starts from."""
    lines = [_("Shift handover"), ""]

    def section(title: str, items: list[str]) -> None:
        lines.append(f"{title} ({len(items)})")
        lines.extend(f"  - {i}" for i in items)
        lines.append("")

    section(_("New cases"), list(summary["new_cases"]))
    section(
        _("Transitions"),
        [
            _("{case}: {src} → {dst}").format(case=t["case"], src=t["from"], dst=t["to"])
            for t in summary["transitions"]
        ],
    )
    section(
        _("Deadlines met"),
        [
            f"{m['case']}: {m['rule']}" + (_(" (late)") if m["late"] else "")
            for m in summary["deadlines_met"]
        ],
    )
    section(
        _("Deadlines missed"),
        [f"{d['case']}: {d['rule']} ({d['due_utc']})" for d in summary["deadlines_missed"]],
    )
    section(
        _("Due in the next 24 hours"),
        [f"{d['case']}: {d['rule']} ({d['due_utc']})" for d in summary["deadlines_next_24h"]],
    )
    section(
        _("Decisions pending"),
        [f"{d['case']}: {d['status']}" for d in summary["decisions_pending"]],
    )
    lines.append(_("Notes:"))
    return "\n".join(lines)


def _get(session: Session, handover_id: int) -> Handover:
    h = session.get(Handover, handover_id)
    if h is None:
        raise NotFound(_("no handover {id}").format(id=handover_id))
    return h


def new(session: Session, actor: Actor, now: datetime | None = None) -> HandoverInfo:
    """Draft a handover from the audit log since the previous one."""
    actor.require(Permission.ASSIGN_OTHERS)
    now = now or utcnow()
    draft = session.scalar(select(Handover).where(Handover.signed_off_at.is_(None)).limit(1))
    if draft is not None:
        raise AccordError(
            _("handover {id} is still a draft: edit and sign it first").format(id=draft.id)
        )
    prev = session.scalar(select(Handover).order_by(Handover.id.desc()).limit(1))
    since_seq = prev.last_audit_id if prev else 0
    since = prev.period_end if prev else None
    summary = summarise(session, since_seq, since, now)
    last = session.scalar(select(func.max(AuditEvent.seq))) or 0
    h = Handover(
        period_start=since,
        period_end=now,
        last_audit_id=last,
        summary=summary,
        body=render(summary),
        author_id=actor.id,
        created_at=now,
    )
    session.add(h)
    session.flush()
    audit.record(
        session,
        actor,
        "handover.new",
        "handover",
        h.id,
        details={"since_seq": since_seq, "last_seq": last},
    )
    return _info(session, h)


def _own_draft(session: Session, actor: Actor, handover_id: int) -> Handover:
    h = _get(session, handover_id)
    if h.author_id != actor.id:
        raise PermissionDenied(
            _("only the author of handover {id} may change it").format(id=handover_id)
        )
    if h.signed_off_at is not None:
        raise AccordError(
            _("handover {id} is signed off and can no longer change").format(id=handover_id)
        )
    return h


def edit(
    session: Session,
    actor: Actor,
    handover_id: int,
    body: str,
    *,
    expected_version: int | None = None,
) -> HandoverInfo:
    """Replace the draft's text, against the version read (or ``expected_version``)."""
    h = _own_draft(session, actor, handover_id)
    if not body.strip():
        raise UsageError(_("a handover needs some text"))
    label = _("handover {id}").format(id=h.id)
    check_seen(session, expected_version, h.row_version, label, entity="handover", entity_id=h.id)
    with guarded(session, label, entity="handover", entity_id=h.id):
        h.body = body
        audit.record(
            session, actor, "handover.edit", "handover", h.id, details={"chars": len(body)}
        )
    return _info(session, h)


def sign(
    session: Session, actor: Actor, handover_id: int, now: datetime | None = None
) -> HandoverInfo:
    h = _own_draft(session, actor, handover_id)
    h.signed_off_at = now or utcnow()
    audit.record(session, actor, "handover.sign", "handover", h.id)
    checkpoints.create(session, actor, "handover", required=False)  # anchor the signed shift
    return _info(session, h)


def acknowledge(
    session: Session, actor: Actor, handover_id: int, now: datetime | None = None
) -> HandoverInfo:
    """The incoming lead confirms they read it; not the author, and only once signed."""
    actor.require(Permission.ASSIGN_OTHERS)
    h = _get(session, handover_id)
    if h.signed_off_at is None:
        raise AccordError(_("handover {id} is not signed off yet").format(id=handover_id))
    if h.author_id == actor.id:
        raise PermissionDenied(_("the incoming lead, not the author, acknowledges a handover"))
    if h.acknowledged_at is not None:
        raise AccordError(_("handover {id} is already acknowledged").format(id=handover_id))
    h.acknowledged_by_id, h.acknowledged_at = actor.id, now or utcnow()
    audit.record(session, actor, "handover.ack", "handover", h.id)
    return _info(session, h)


def show(session: Session, handover_id: int) -> HandoverInfo:
    return _info(session, _get(session, handover_id))


def history(session: Session, limit: int = 200) -> list[HandoverInfo]:
    rows = session.scalars(select(Handover).order_by(Handover.id.desc()).limit(limit)).all()
    return [_info(session, h) for h in rows]
