"""Clocks from the evidence: dated facts read from a case's documents, proposed for an
analyst to accept (one action, or in bulk after an import), and facts the workflow records.

Read from the stored report (its raw bytes and format): an e-mail's ``Date:`` (reported), a
CSAF advisory's ``initial_release_date`` (published) and exploitation threats, a CVE 5
record's CISA ADP KEV listing or SSVC "Exploitation: active" (exploited-aware) and its
publication date, an OSV record's ``published``. Each proposal names the document (report id
and SHA-256) it came from; accepting it records the fact with that source, audited.
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auditing import chain as audit
from app.casework.lookup import get_case
from app.deadlines.rules import RuleSet
from app.errors import AccordError, UsageError
from app.identity.actor import Actor
from i18n import _
from models import Case, CaseFact, FactProposal, Report, StoredRawError, utcnow

PROPOSED, ACCEPTED, REJECTED, SUPERSEDED = "proposed", "accepted", "rejected", "superseded"
# Playbook steps whose completion records a workflow fact (acknowledgement sent, triage
# decided, advisory published).
STEP_FACTS = {
    "acknowledge": "acknowledged",
    "accept": "triaged",
    "request-info": "triaged",
    "decline": "triaged",
    "publish": "published",
}
# Case states whose arrival records a fact: leaving triage decides it; disclosure publishes.
STATUS_FACTS = {
    "accepted": ("triaged",),
    "needs-info": ("triaged",),
    "rejected": ("triaged",),
    "disclosed": ("disclosed", "published"),
}


@dataclass(frozen=True)
class Found:
    """A dated fact found in a document, and the field it came from."""

    name: str
    at: datetime
    field: str


@dataclass(frozen=True)
class ProposalView:
    id: int
    case: str
    name: str
    at: datetime
    source: str
    state: str

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "case": self.case,
            "fact": self.name,
            "at": self.at.isoformat(),
            "source": self.source,
            "state": self.state,
        }


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        return None
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC)


def _mail(raw: bytes) -> Iterator[Found]:
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    date = msg.get("Date")
    if date:
        try:
            at = email.utils.parsedate_to_datetime(str(date))
        except (TypeError, ValueError):
            return
        if at.tzinfo is not None:
            yield Found("reported", at.astimezone(UTC), "Date:")


def _csaf(doc: dict[str, Any]) -> Iterator[Found]:
    tracking = (doc.get("document") or {}).get("tracking") or {}
    at = _time(tracking.get("initial_release_date"))
    if at:
        yield Found("published", at, "document/tracking/initial_release_date")
    for v in doc.get("vulnerabilities") or []:
        for t in v.get("threats") or [] if isinstance(v, dict) else []:
            if isinstance(t, dict) and t.get("category") == "exploit_status":
                when = _time(t.get("date")) or _time(tracking.get("current_release_date"))
                if when:
                    yield Found("exploited-aware", when, "vulnerabilities/threats/exploit_status")


def _cve5(doc: dict[str, Any]) -> Iterator[Found]:
    meta = doc.get("cveMetadata") or {}
    at = _time(meta.get("datePublished"))
    if at:
        yield Found("published", at, "cveMetadata/datePublished")
    for adp in (doc.get("containers") or {}).get("adp") or []:
        for m in adp.get("metrics") or [] if isinstance(adp, dict) else []:
            other = m.get("other") if isinstance(m, dict) else None
            if not isinstance(other, dict):
                continue
            content = other.get("content") or {}
            if other.get("type") == "kev":
                when = _time(content.get("dateAdded"))
                if when:
                    yield Found("exploited-aware", when, "ADP KEV dateAdded")
            elif other.get("type") == "ssvc":
                options = content.get("options") or []
                active = any(
                    isinstance(o, dict) and str(o.get("Exploitation", "")).lower() == "active"
                    for o in options
                )
                when = _time(content.get("timestamp"))
                if active and when:
                    yield Found("exploited-aware", when, "ADP SSVC Exploitation: active")


def _osv(doc: dict[str, Any]) -> Iterator[Found]:
    at = _time(doc.get("published"))
    if at:
        yield Found("published", at, "published")


def read_facts(fmt: str, raw: bytes) -> list[Found]:
    """The dated facts a stored document states; for each fact, the earliest instant."""
    found: list[Found] = []
    try:
        if fmt == "email":
            found = list(_mail(raw))
        elif fmt in ("csaf", "cve5", "osv"):
            doc = json.loads(raw.decode("utf-8"))
            if isinstance(doc, dict):
                found = list({"csaf": _csaf, "cve5": _cve5, "osv": _osv}[fmt](doc))
    except (ValueError, UnicodeDecodeError, AttributeError, TypeError):
        return []
    earliest: dict[str, Found] = {}
    for f in found:
        if f.name not in earliest or f.at < earliest[f.name].at:
            earliest[f.name] = f
    return sorted(earliest.values(), key=lambda f: (f.at, f.name))


def _source(report: Report, fmt: str, field: str) -> str:
    return _("{kind} {field} of report {id} (sha256 {sha})").format(
        kind=fmt, field=field, id=report.id, sha=report.raw_sha256[:16]
    )


def propose(session: Session, case: Case) -> list[FactProposal]:
    """Read the case's documents and add a proposal for each dated fact not yet proposed."""
    have = {
        (p.report_id, p.name)
        for p in session.scalars(select(FactProposal).where(FactProposal.case_id == case.id))
    }
    added = []
    reports = session.scalars(
        select(Report).where(Report.case_id == case.id).order_by(Report.id)
    ).all()
    for report in reports:
        try:
            raw = report.raw or b""
        except StoredRawError:
            continue  # a damaged original yields no facts; its report says it is damaged
        for f in read_facts(report.format, raw):
            if (report.id, f.name) in have:
                continue
            row = FactProposal(
                case_id=case.id,
                report_id=report.id,
                name=f.name,
                at=f.at,
                source=_source(report, report.format, f.field),
            )
            session.add(row)
            have.add((report.id, f.name))
            added.append(row)
    session.flush()
    return added


def proposals(
    session: Session, key: str | None = None, states: Sequence[str] = (PROPOSED,)
) -> list[ProposalView]:
    """Open proposals of one case (read from its documents first) or of every case."""
    stmt = select(FactProposal, Case.key).join(Case, Case.id == FactProposal.case_id)
    if key is not None:
        case = get_case(session, key)
        propose(session, case)
        stmt = stmt.where(FactProposal.case_id == case.id)
    rows = session.execute(
        stmt.where(FactProposal.state.in_(states)).order_by(FactProposal.case_id, FactProposal.at)
    ).all()
    return [ProposalView(p.id, k, p.name, p.at, p.source, p.state) for p, k in rows]


def propose_all(session: Session) -> int:
    """Proposals for every case with documents (after a bulk import); returns how many."""
    ids = session.scalars(select(Report.case_id).where(Report.case_id.is_not(None)).distinct())
    n = 0
    for case_id in list(ids):
        case = session.get(Case, case_id)
        if case is not None:
            n += len(propose(session, case))
    return n


def decide(
    session: Session,
    actor: Actor,
    ids: Sequence[int],
    accept: bool,
    rules: RuleSet | None = None,
) -> list[ProposalView]:
    """Accept (record the fact, with its source) or reject proposals, in one action.

    A fact already recorded earlier than the proposal is kept: the proposal is superseded
    (awareness, reporting and publication count from their first evidence)."""
    from app.deadlines.service import set_fact

    if not ids:
        raise UsageError(_("no proposals given"))
    out = []
    for pid in ids:
        p = session.get(FactProposal, pid)
        if p is None:
            raise UsageError(_("no fact proposal {id}").format(id=pid))
        case = session.get(Case, p.case_id)
        assert case is not None
        if p.state != PROPOSED:
            raise AccordError(_("proposal {id} is already {state}").format(id=pid, state=p.state))
        state = REJECTED
        if accept:
            current = session.scalar(
                select(CaseFact.at).where(
                    CaseFact.case_id == case.id,
                    CaseFact.name == p.name,
                    CaseFact.party == p.party,
                )
            )
            if current is not None and current <= p.at:
                state = SUPERSEDED
            else:
                set_fact(session, actor, case.key, p.name, p.at, rules, source=p.source)
                state = ACCEPTED
        p.state, p.decided_by_id, p.decided_at = state, actor.id, utcnow()
        audit.record(
            session, actor, "case.fact.proposal", "fact_proposal", p.id, case_key=case.key,
            details={"fact": p.name, "at": p.at.isoformat(), "state": state,
                     "report": p.report_id, "source": p.source},
        )  # fmt: skip
        out.append(ProposalView(p.id, case.key, p.name, p.at, p.source, state))
    session.flush()
    return out


def record_event(
    session: Session, actor: Actor, case: Case, facts: Sequence[str], source: str
) -> None:
    """The workflow records its facts (acknowledged, triaged, published, disclosed) the first
    time they happen; an analyst's earlier date is kept."""
    from app.deadlines.service import recompute

    now = audit.now(session)  # a replayed history (the demo) dates its facts with its clock
    added = []
    for name in facts:
        exists = session.scalar(
            select(CaseFact.id).where(
                CaseFact.case_id == case.id, CaseFact.name == name, CaseFact.party == ""
            )
        )
        if exists is None:
            session.add(
                CaseFact(
                    case_id=case.id, name=name, at=now, party="",
                    recorded_by_id=actor.id or None, recorded_at=now, source=source,
                )
            )  # fmt: skip
            added.append(name)
    if added:
        session.flush()
        audit.record(
            session, actor, "case.fact", "case", case.id, case_key=case.key,
            details={"facts": added, "to": now.isoformat(), "source": source},
        )  # fmt: skip
        recompute(session, case)
