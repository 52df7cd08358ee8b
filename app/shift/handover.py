"""Shift handover: drafted from the audit log since the previous one, edited and signed off by
the outgoing lead, acknowledged by the incoming lead. History kept; signed text never changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.auditing import chain as audit
from app.casework.cases import TIER_RANK
from app.concurrency import check_seen, guarded
from app.errors import AccordError, NotFound, PermissionDenied, UsageError
from app.identity import checkpoints
from app.identity.actor import Actor, Permission
from app.queueing.filters import CLOSED
from i18n import N_, _
from i18n.catalog import is_rtl
from i18n.data import rule_text
from i18n.formatting import format_cli_time, isolate_ltr
from i18n.labels import status_label, tier_label
from models import Analyst, AuditEvent, Case, CaseStatus, Deadline, Handover, utcnow

PENDING_DECISION = (CaseStatus.NEW, CaseStatus.TRIAGE, CaseStatus.NEEDS_INFO)
HIGH_TIER_RANK = TIER_RANK["High"]  # High and Critical are "high-tier"
SUMMARY_ITEMS = 15  # per summary section of the text; the rest is counted, not listed
DETAIL_ITEMS = 100  # per detail section of the text
SUMMARY_SECTIONS = ("overdue", "deadlines_next_24h", "unassigned_high", "new")
DETAIL_SECTIONS = ("transitions", "deadlines_met", "deadlines_missed", "decisions_pending")


STATE_LABELS = {
    "draft": N_("draft"),
    "signed": N_("signed off"),
    "acknowledged": N_("acknowledged"),
}


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
            "counts": counts(self.summary),
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


def _deadline_items(session: Session, conds: list[Any]) -> list[dict[str, Any]]:
    """Unmet obligations, earliest first, with the case title and the rule's own wording."""
    rows = session.execute(
        select(
            Case.key,
            Case.title,
            Deadline.rule_id,
            Deadline.obligation,
            Deadline.jurisdiction,
            Deadline.due_utc,
            Deadline.binding,
            Deadline.owed_by,
        )
        .join(Case, Case.id == Deadline.case_id)
        .where(Deadline.met_at.is_(None), Deadline.due_utc.is_not(None), *conds)
        .order_by(Deadline.due_utc, Case.id)
    )
    # owed_by: "this-cert", or the role of the party whose duty it is (watched, issue 16).
    return [
        {
            "case": k,
            "title": t,
            "rule": r,
            "rule_title": o or r,
            "jurisdiction": j,
            "due_utc": _iso(d) or "",
            "binding": bool(b),
            "owed_by": ob,
        }
        for k, t, r, o, j, d, b, ob in rows
    ]


def _titles(session: Session, keys: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for start in range(0, len(keys), 500):  # stay under every driver's parameter limit
        chunk = keys[start : start + 500]
        found.update(session.execute(select(Case.key, Case.title).where(Case.key.in_(chunk))).all())
    return found


def _obligations(session: Session, keys: list[str]) -> dict[tuple[str, str], str]:
    """The rules' own wording of the deadlines of cases ``keys``, by (case, rule id)."""
    found: dict[tuple[str, str], str] = {}
    for start in range(0, len(keys), 500):
        rows = session.execute(
            select(Case.key, Deadline.rule_id, Deadline.obligation)
            .join(Case, Case.id == Deadline.case_id)
            .where(Case.key.in_(keys[start : start + 500]))
        )
        found.update({(k, r): o for k, r, o in rows})
    return found


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
        select(Case.key, Case.title, Case.status)
        .where(Case.status.in_(PENDING_DECISION))
        .order_by(Case.id)
    )
    unassigned_high = session.execute(
        select(Case.key, Case.title, Case.tier, Case.status)
        .where(
            Case.assignee_id.is_(None),
            Case.tier_rank >= HIGH_TIER_RANK,
            Case.status.not_in(CLOSED),
        )
        .order_by(Case.tier_rank.desc(), Case.next_deadline_utc, Case.id)
    )
    keys = {str(k) for k in new_cases} | {str(t["case"]) for t in transitions if t["case"]}
    keys |= {str(m["case"]) for m in met if m["case"]}
    titles = _titles(session, sorted(keys))
    for t in transitions:
        t["title"] = titles.get(str(t["case"]), "")
    wording = _obligations(session, sorted({str(m["case"]) for m in met if m["case"]}))
    for m in met:
        m["title"] = titles.get(str(m["case"]), "")
        m["rule_title"] = wording.get((str(m["case"]), str(m["rule"])), "") or m["rule"]
    open_case = Case.status.not_in(CLOSED)
    return {
        # The summary a tired reader needs first (titles and the rules' own wording) ...
        "overdue": _deadline_items(session, [Deadline.due_utc <= now, open_case]),
        "deadlines_next_24h": _deadline_items(
            session,
            [Deadline.due_utc > now, Deadline.due_utc <= now + timedelta(hours=24), open_case],
        ),
        "unassigned_high": [
            {"case": k, "title": t, "tier": tier, "status": st.value}
            for k, t, tier, st in unassigned_high
        ],
        "new": [{"case": k, "title": titles.get(k, "")} for k in new_cases],
        # ... then the detail of the shift.
        "new_cases": new_cases,
        "transitions": transitions,
        "deadlines_met": met,
        "deadlines_missed": _deadline_items(session, missed_conds),
        "decisions_pending": [{"case": k, "title": t, "status": st.value} for k, t, st in pending],
        "events": len(events),
    }


def counts(summary: dict[str, Any]) -> dict[str, int]:
    """How many items each section holds (summary sections first), for headlines."""
    return {name: len(summary.get(name, [])) for name in (*SUMMARY_SECTIONS, *DETAIL_SECTIONS)}


SECTION_TITLES = {
    "overdue": N_("Overdue"),
    "deadlines_next_24h": N_("Due in the next 24 hours"),
    "unassigned_high": N_("Unassigned high-tier cases"),
    "new": N_("New since the last handover"),
    "transitions": N_("Transitions"),
    "deadlines_met": N_("Deadlines met"),
    "deadlines_missed": N_("Deadlines missed this shift"),
    "decisions_pending": N_("Decisions pending"),
}


def item_columns(section: str, item: dict[str, Any], tz: str | None = None) -> tuple[str, ...]:
    """An item as (case, title, what, when): the rule's wording in the reader's language (the
    summary keeps the English and the id), never its id; times to the minute with their zone,
    in ``tz`` (UTC when not given)."""
    case, title = str(item.get("case", "")), str(item.get("title") or "")
    if section in ("overdue", "deadlines_next_24h", "deadlines_missed"):
        what = _("{rule} ({jurisdiction})").format(
            rule=rule_text(item.get("rule_title")) or item.get("rule", ""),
            jurisdiction=item.get("jurisdiction", ""),
        )
        return case, title, what, format_cli_time(item.get("due_utc"), tz)
    if section == "unassigned_high":
        what = _("{tier}, {status}").format(
            tier=tier_label(item.get("tier")), status=status_label(item.get("status"))
        )
        return case, title, what, ""
    if section == "transitions":
        what = _("{src} → {dst}").format(
            src=status_label(item.get("from")), dst=status_label(item.get("to"))
        )
        return case, title, what, ""
    if section == "deadlines_met":
        rule = rule_text(item.get("rule_title")) or str(item.get("rule", ""))
        what = rule + (_(" (late)") if item.get("late") else "")
        return case, title, what, ""
    if section == "decisions_pending":
        return case, title, status_label(item.get("status")), ""
    return case, title, "", ""


def item_text(section: str, item: dict[str, Any], tz: str | None = None) -> str:
    """One line of a section in the text: ``KEY title: what, due TIME``."""
    case, title, what, when = item_columns(section, item, tz)
    if when and is_rtl():  # after Arabic words "2026-11-25" read as "25-11-2026"
        when = isolate_ltr(when)
    head = f"{case} {title}".strip()
    text = _("{case}: {what}").format(case=head, what=what) if what else head
    return _("{text}, due {due}").format(text=text, due=when) if when else text


def section_items(summary: dict[str, Any], section: str) -> list[dict[str, Any]]:
    """A section's items; drafts made before a section existed give what they can."""
    items = summary.get(section)
    if items is None and section == "new":
        items = [{"case": k} for k in summary.get("new_cases", [])]
    return list(items or [])


def render(summary: dict[str, Any], tz: str | None = None) -> str:
    """The draft text the outgoing lead starts from: the summary, their notes, the detail."""
    lines = [_("Shift handover"), "", _("Summary")]
    for name in SUMMARY_SECTIONS:
        lines.append(
            _("  {section}: {n}").format(
                section=_(SECTION_TITLES[name]), n=len(section_items(summary, name))
            )
        )
    lines.append("")

    def section(name: str, limit: int) -> None:
        items = section_items(summary, name)
        lines.append(f"{_(SECTION_TITLES[name])} ({len(items)})")
        lines.extend(f"  - {item_text(name, i, tz)}" for i in items[:limit])
        if len(items) > limit:
            lines.append("  " + _("… and {n} more").format(n=len(items) - limit))
        lines.append("")

    for name in SUMMARY_SECTIONS:
        section(name, SUMMARY_ITEMS)
    lines.append(_("Detail"))
    lines.append("")
    for name in DETAIL_SECTIONS:
        section(name, DETAIL_ITEMS)
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
