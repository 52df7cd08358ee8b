"""Case use cases: open, show, transition, assign. Each change is audited."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import trust
from app.auditing import chain as audit
from app.casework import workflow
from app.casework.lookup import get_case as get_case  # re-exported: callers find it here too
from app.casework.lookup import key_for_id as key_for_id
from app.concurrency import check_seen, guarded, hold_writer_lock
from app.deadlines.evidence import STATUS_FACTS, record_event
from app.deadlines.service import first_clocks, recompute
from app.errors import AccordError, NotFound, UsageError
from app.identity.actor import Actor, Permission
from app.queueing import search
from app.workspaces import txcache
from app.workspaces.driver import IdsInOrder
from i18n import _
from models import Analyst, AuditEvent, Case, CaseStatus, Report, utcnow

TIER_RANK = {"Critical": 5, "High": 4, "Medium": 3, "Low": 2, "Informational": 1}
_NUMBERS = txcache.register("case_numbers")  # year -> last number drawn in this transaction
_NUMBER_LOCK = 7263002  # the advisory lock that serialises case numbering (audit: 7263001)
_INSERT_CASES = IdsInOrder(Case.__table__)  # their ids in row order


@dataclass(frozen=True)
class ReportInfo:
    id: int
    title: str
    source: str
    format: str
    document_id: str | None
    received_at: datetime


@dataclass(frozen=True)
class CaseDetail:
    id: int
    key: str
    title: str
    description: str
    status: str
    tier: str | None
    assignee: str | None
    partners: str
    created_at: datetime
    updated_at: datetime
    next_deadline_utc: datetime | None
    allowed_transitions: tuple[str, ...]
    reports: tuple[ReportInfo, ...]
    version: int = 1  # what a change made from this view passes back (app.concurrency)
    ref: str | None = None  # unique across organisations (app.casework.refs)

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.key,
            "title": self.title,
            "description": self.description,
            "status": self.status,
            "tier": self.tier,
            "assignee": self.assignee,
            "partners": [p for p in self.partners.split(", ") if p],
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "next_deadline_utc": (
                self.next_deadline_utc.isoformat() if self.next_deadline_utc else None
            ),
            "allowed_transitions": list(self.allowed_transitions),
            "version": self.version,
            "ref": self.ref,
            "reports": [
                {
                    "id": r.id,
                    "title": r.title,
                    "source": r.source,
                    "format": r.format,
                    "document_id": r.document_id,
                    "received_at": r.received_at.isoformat(),
                }
                for r in self.reports
            ],
        }


def next_key(session: Session, year: int) -> tuple[str, int]:
    """The next case key of the year. Drawn from a per-transaction counter after the first
    look-up: an import opens thousands of cases in one transaction."""
    drawn: dict[int, int] = session.info.setdefault(_NUMBERS, {})
    last = drawn.get(year)
    if last is None:
        # Two analysts opening cases at once must not both read the same maximum.
        hold_writer_lock(session, _NUMBER_LOCK)
        last = session.scalar(select(func.max(Case.number)).where(Case.year == year)) or 0
    drawn[year] = last + 1
    return f"ACC-{year}-{last + 1:04d}", last + 1


@dataclass(frozen=True)
class NewCase:
    """A case to open: ``search_text`` is more text for its search document (the reports
    it is opened for, so a new case is indexed once). ``indexed``, when given, is instead its
    whole search document after the key, already ``search.plain`` with no empty part: the
    title, the description and the rest, as intake's parser processes prepare them."""

    title: str
    description: str = ""
    search_text: tuple[str, ...] = ()
    indexed: tuple[str, ...] | None = None


def open_cases(
    session: Session,
    actor: Actor,
    new: Sequence[NewCase],
    *,
    created_at: datetime | None = None,
    status: CaseStatus = CaseStatus.NEW,
) -> list[tuple[int, str]]:
    """Open cases with their search documents, audit events and first deadline clocks (the
    rules that always apply, the consortium's default policy); returns their ids and keys.

    Multi-row Core inserts with no ORM objects: intake opens thousands of cases in one go."""
    if any(not n.title.strip() for n in new):
        raise UsageError(_("a case needs a title"))
    if not new:
        return []
    at = created_at or utcnow()
    clocks = first_clocks(session, at, status)  # the same for every case opened at ``at``
    from app.casework import refs  # refs names cases; it needs nothing of this module

    tag = refs.own_tag(session)
    keys: list[str] = []
    rows = []
    for n in new:
        key, number = next_key(session, at.astimezone(UTC).year)
        keys.append(key)
        rows.append(
            {
                "key": key,
                "ref": f"{key}@{tag}" if tag else None,
                "year": at.year,
                "number": number,
                "title": n.title.strip(),
                "description": n.description,
                "status": status,
                "next_deadline_utc": clocks.next_due,
                "jurisdictions_label": clocks.jurisdictions,
                "created_at": at,
                "updated_at": at,
            }
        )
    ids = _INSERT_CASES.run(session, rows)
    clocks.insert(session, ids)
    search.index_new(
        session,
        [
            (case_id, (key, n.title.strip(), n.description, *n.search_text), ())
            if n.indexed is None
            else (case_id, (key,), n.indexed)
            for case_id, key, n in zip(ids, keys, new, strict=True)
        ],
    )
    audit.record_all(
        session,
        actor,
        [
            audit.Event("case.create", "case", case_id, case_key=key, at=at)
            for case_id, key in zip(ids, keys, strict=True)
        ],
    )
    return list(zip(ids, keys, strict=True))


def create_case(
    session: Session,
    actor: Actor,
    title: str,
    description: str = "",
    *,
    created_at: datetime | None = None,
    status: CaseStatus = CaseStatus.NEW,
) -> Case:
    """``open_cases`` for one case, returning it."""
    [(case_id, _key)] = open_cases(
        session, actor, [NewCase(title, description)], created_at=created_at, status=status
    )
    case = session.get(Case, case_id)
    assert case is not None
    return case


def detail(session: Session, key: str) -> CaseDetail:
    case = get_case(session, key)
    reports = session.scalars(
        select(Report).where(Report.case_id == case.id).order_by(Report.received_at, Report.id)
    ).all()
    return CaseDetail(
        id=case.id,
        key=case.key,
        title=case.title,
        description=case.description,
        status=case.status.value,
        tier=case.tier,
        assignee=case.assignee.name if case.assignee else None,
        partners=case.partners_label,
        created_at=case.created_at,
        updated_at=case.updated_at,
        next_deadline_utc=case.next_deadline_utc,
        allowed_transitions=tuple(s.value for s in workflow.allowed_from(case.status)),
        reports=tuple(
            ReportInfo(r.id, r.title, r.source, r.format, r.document_id, r.received_at)
            for r in reports
        ),
        version=case.row_version,
        ref=case.ref,
    )


def parse_status(value: str) -> CaseStatus:
    try:
        return CaseStatus(value.strip().lower())
    except ValueError:
        allowed = ", ".join(s.value for s in CaseStatus)
        raise UsageError(
            _("unknown state {state}; states are: {allowed}").format(state=value, allowed=allowed)
        ) from None


def transition(
    session: Session,
    actor: Actor,
    key: str,
    state: str,
    reason: str,
    *,
    undo: bool = False,
    override: str | None = None,
    expected_version: int | None = None,
) -> tuple[str, str]:
    """Move a case to ``state``; returns (old, new). ``undo`` reverts a transition just made.
    ``disclosed`` waits for the embargo's end unless a coordinator's ``override`` says why.

    Made against the version read here (or ``expected_version``, the one a screen showed):
    a concurrent change of the case is a ConflictError, never a lost update."""
    if not reason.strip():
        raise UsageError(_("a transition needs a reason"))
    case = get_case(session, key)
    check_seen(session, expected_version, case.row_version, case.key, case_key=case.key)
    with guarded(session, case.key, case_key=case.key):
        return _transition(session, actor, case, state, reason, undo=undo, override=override)


def _transition(
    session: Session,
    actor: Actor,
    case: Case,
    state: str,
    reason: str,
    *,
    undo: bool,
    override: str | None,
) -> tuple[str, str]:
    dst = parse_status(state)
    src = case.status
    if not undo and not workflow.is_allowed(src, dst):
        allowed = ", ".join(s.value for s in workflow.allowed_from(src)) or _("none")
        raise AccordError(
            _("cannot move {key} from {src} to {dst}; allowed: {allowed}").format(
                key=case.key, src=src.value, dst=dst.value, allowed=allowed
            )
        )
    trust.enforce(
        session, actor, trust.transition_violations(session, case, dst), override,
        action="case.transition", entity="case", entity_id=case.id, case_key=case.key,
    )  # fmt: skip
    case.status = dst
    case.updated_at = utcnow()
    recompute(session, case)  # a closed case owes nothing; a reopened one does again
    if not undo:
        # Leaving triage decides it; disclosure publishes (issue 16: those clocks stop).
        facts = STATUS_FACTS.get(dst.value, ())
        if facts:
            record_event(session, actor, case, facts, f"case moved to {dst.value}")
    audit.record(
        session,
        actor,
        "case.transition.undo" if undo else "case.transition",
        "case",
        case.id,
        case_key=case.key,
        details={"from": src.value, "to": dst.value, "reason": reason},
    )
    return src.value, dst.value


def assign(
    session: Session,
    actor: Actor,
    key: str,
    analyst: str | None,
    *,
    expected_version: int | None = None,
) -> str | None:
    """Assign (or with ``None`` unassign); returns the previous assignee's name. A concurrent
    change of the case is a ConflictError (see ``transition``)."""
    case = get_case(session, key)
    check_seen(session, expected_version, case.row_version, case.key, case_key=case.key)
    with guarded(session, case.key, case_key=case.key):
        return _assign(session, actor, case, analyst)


def _assign(session: Session, actor: Actor, case: Case, analyst: str | None) -> str | None:
    target: Analyst | None = None
    if analyst:
        target = session.scalar(select(Analyst).where(Analyst.name == analyst, Analyst.active))
        if target is None:
            raise NotFound(_("no active analyst named {name}").format(name=analyst))
    if target is None or target.id != actor.id:
        actor.require(Permission.ASSIGN_OTHERS)
    previous = case.assignee.name if case.assignee else None
    case.assignee_id = target.id if target else None
    case.updated_at = utcnow()
    audit.record(
        session,
        actor,
        "case.assign",
        "case",
        case.id,
        case_key=case.key,
        details={"from": previous, "to": target.name if target else None},
    )
    return previous


def history(session: Session, key: str, limit: int = 500) -> list[dict[str, object]]:
    case = get_case(session, key)
    events = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.case_key == case.key)
        .order_by(AuditEvent.seq.desc())
        .limit(limit)
    ).all()
    return [audit.as_dict(e) for e in events]
