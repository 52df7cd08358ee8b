"""Deadline use cases: case facts and jurisdictions, recompute, list, record as met.

Deadline rows are derived data: ``recompute`` rewrites them from the case's facts and
jurisdictions (keeping what was recorded as met) and keeps ``Case.next_deadline_utc`` in step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.auditing import chain as audit
from app.casework.lookup import get_case
from app.casework.workflow import CLOSED
from app.concurrency import check_seen, guarded
from app.deadlines import casedata, engine
from app.deadlines.rules import EMBARGO_FACTS, THIS_CERT, RuleSet, builtin_rules
from app.errors import AccordError, UsageError
from app.identity.actor import Actor, Permission
from app.workspaces import txcache
from app.workspaces.driver import RowsInsert
from i18n import _
from models import (
    Analyst,
    Case,
    CaseFact,
    CaseJurisdiction,
    CasePartner,
    CaseStatus,
    Deadline,
    Partner,
    Report,
    Setting,
    utcnow,
)
from models.cases import jurisdictions_label

OVERRIDE_KEY = "deadlines.offset."
# Facts that name a time still to come (an embargo's end); every other fact is something that
# happened, and one dated in the future is refused. A minute of clock skew is tolerated.
FUTURE_FACTS = EMBARGO_FACTS
SKEW_SECONDS = 60
# Facts the workflow records (acknowledgement sent, triage decided, advisory published, case
# disclosed), known even when no loaded rule refers to them.
WORKFLOW_FACTS = ("acknowledged", "triaged", "published", "disclosed")
_OVERRIDES = txcache.register("deadline_overrides")
_INSERT_DEADLINE = RowsInsert(Deadline.__table__)


@dataclass(frozen=True)
class DeadlineView:
    """One obligation of a case, ready for the CLI and the views."""

    rule: str
    jurisdiction: str
    programme: str
    obligation: str
    recipient: str
    due_utc: datetime | None
    due_local: dict[str, str] = field(hash=False)
    state: str
    source: str
    binding: bool
    met_at: datetime | None
    evidence: str | None
    conflict: str | None
    version: int = 0  # what "mark met" from this view passes back (app.concurrency)
    owed_by: str = THIS_CERT
    owed_by_party: str | None = None
    owed_to: str = ""
    publishes: bool = False
    reason: str | None = None
    late_seconds: int | None = None
    state_text: str = ""
    recorded_by: str | None = None
    computation: str = "exact"
    computation_why: str = ""
    override: str | None = None
    provenance: dict[str, object] = field(default_factory=dict, hash=False)

    @property
    def watch(self) -> bool:
        """Another party's duty: shown as "owed by X — watch", tracked apart from ours."""
        return self.owed_by != THIS_CERT

    @property
    def owner_text(self) -> str:
        if not self.watch:
            return _("ours")
        return _("owed by {party} — watch").format(party=self.owed_by_party or self.owed_by)

    def as_json(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "jurisdiction": self.jurisdiction,
            "programme": self.programme,
            "obligation": self.obligation,
            "recipient": self.recipient,
            "due_utc": self.due_utc.isoformat() if self.due_utc else None,
            "due_local": dict(self.due_local),
            "state": self.state,
            "source": self.source,
            "binding": self.binding,
            "met_at": self.met_at.isoformat() if self.met_at else None,
            "evidence": self.evidence,
            "conflict": self.conflict,
            "owed_by": self.owed_by,
            "owed_by_party": self.owed_by_party,
            "owed_to": self.owed_to,
            "publishes": self.publishes,
            "watch": self.watch,
            "owner": self.owner_text,
            "reason": self.reason,
            "late_seconds": self.late_seconds,
            "state_text": self.state_text,
            "recorded_by": self.recorded_by,
            "computation": self.computation,
            "computation_why": self.computation_why,
            "override": self.override,
            "provenance": dict(self.provenance),
        }


def _zone_of(session: Session, actor: Actor | None) -> str:
    if actor is None:
        return "UTC"
    tz = session.scalar(select(Analyst.timezone).where(Analyst.id == actor.id))
    return tz or "UTC"


def parse_time(value: str, default_zone: str = "UTC") -> datetime:
    """ISO-8601 instant; without an offset it is read in ``default_zone`` (the analyst's)."""
    try:
        at = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            _("{value} is not an ISO-8601 time such as 2026-03-28T23:30+01:00").format(value=value)
        ) from None
    if at.tzinfo is None:
        at = at.replace(tzinfo=ZoneInfo(default_zone))
    return at.astimezone(UTC)


def _facts(session: Session, case: Case) -> dict[str, datetime]:
    """The case's recorded facts (a party's own as ``name@party``); ``reported`` defaults to
    the first report or the case opening."""
    rows = session.scalars(select(CaseFact).where(CaseFact.case_id == case.id)).all()
    facts = {f"{f.name}@{f.party}" if f.party else f.name: f.at for f in rows}
    if "reported" not in facts:
        first = session.scalar(
            select(func.min(Report.received_at)).where(Report.case_id == case.id)
        )
        facts["reported"] = first or case.created_at
    return facts


def _codes(session: Session, case_id: int) -> list[str]:
    return list(
        session.scalars(
            select(CaseJurisdiction.code)
            .where(CaseJurisdiction.case_id == case_id)
            .order_by(CaseJurisdiction.code)
        )
    )


def _overrides(session: Session) -> dict[str, int]:
    """Configured rule offsets, read once per transaction (``configure`` drops the copy)."""
    cached: dict[str, int] | None = session.info.get(_OVERRIDES)
    if cached is None:
        rows = session.scalars(select(Setting).where(Setting.key.startswith(OVERRIDE_KEY)))
        cached = {r.key[len(OVERRIDE_KEY) :]: int(r.value) for r in rows}
        session.info[_OVERRIDES] = cached
    return cached


def embargo_of(case: Case, facts: dict[str, datetime]) -> datetime | None:
    dates = [
        d
        for d in (case.embargo_until, facts.get("embargo-until"), facts.get("publication-planned"))
        if d is not None
    ]
    return max(dates) if dates else None


def _compute(
    rules: RuleSet,
    codes: list[str],
    facts: dict[str, datetime],
    now: datetime,
    overrides: dict[str, int],
    recorded: dict[str, datetime | None],
    roles: dict[str, list[str]] | None = None,
    per_case: dict[str, casedata.Override] | None = None,
) -> list[engine.Computed]:
    """Every rule applied to the facts, earliest first; ``recorded``: rule id -> the time an
    analyst recorded it as met; ``per_case``: this case's own period overrides."""
    per_case = per_case or {}
    out = []
    for f in rules.files_for(codes):
        for rule in f.rules:
            own = per_case.get(rule.id)
            amount = overrides.get(rule.id) if rule.configurable else None
            if own is not None and own.amount is not None:
                amount = own.amount
            out.append(
                engine.compute(
                    rule,
                    f,
                    facts,
                    now,
                    met_at=recorded.get(rule.id),
                    amount=amount,
                    computation=own.computation if own is not None else None,
                    roles=roles,
                )
            )
    return sorted(out, key=engine.sort_key)


def _values(c: engine.Computed) -> dict[str, Any]:
    """A deadline row's derived columns (met ones are kept by the caller when recorded)."""
    return {
        "owed_by": THIS_CERT if c.ours else c.rule.owed_by,
        "owed_by_party": c.owed_by_party,
        "reason": c.reason,
        "late_seconds": int(c.late_by.total_seconds()) if c.late_by else None,
        "jurisdiction": c.rule.jurisdiction,
        "obligation": c.rule.obligation,
        "recipient": c.rule.recipient,
        "due_utc": c.due_utc,
        "state": c.state,
        "binding": c.rule.binding,
        "source": c.rule.cited_source[:500],
    }


def _next_due(status: CaseStatus, computed: list[engine.Computed]) -> datetime | None:
    # Only our own obligations: another party's duty is watched, not ours to meet.
    open_dues = [
        c.due_utc for c in computed if c.ours and c.state in engine.OPEN_STATES and c.due_utc
    ]
    # The queue's next-deadline column: nothing for a case that is closed, rejected or a duplicate.
    return min(open_dues) if open_dues and status not in CLOSED else None


def recompute(
    session: Session, case: Case, rules: RuleSet | None = None, now: datetime | None = None
) -> list[Deadline]:
    """Rewrite the case's deadline rows from its facts; returns them earliest first."""
    now = now or utcnow()
    codes = _codes(session, case.id)
    rules, _prov = casedata.case_rules(session, case, rules or builtin_rules(), codes)
    existing = {
        d.rule_id: d for d in session.scalars(select(Deadline).where(Deadline.case_id == case.id))
    }
    recorded = {k: d.met_at for k, d in existing.items() if d.met_by_id is not None}
    computed = _compute(
        rules,
        codes,
        _facts(session, case),
        now,
        _overrides(session),
        recorded,
        casedata.roles_of(session, case.id),
        casedata.overrides_of(session, case.id),
    )
    keep: set[str] = set()
    for c in computed:
        keep.add(c.rule.id)
        row = existing.get(c.rule.id)
        if row is None:
            row = Deadline(case_id=case.id, rule_id=c.rule.id)
            session.add(row)
            existing[c.rule.id] = row
        for name, value in _values(c).items():
            setattr(row, name, value)
        if c.state in engine.MET_STATES and row.met_by_id is None:
            row.met_at = c.met_at
            row.evidence = _fact_evidence(session, case, c.rule.met_by, c.rule.fact_party)
        elif c.state not in engine.MET_STATES:
            row.met_at, row.met_by_id, row.evidence = None, None, None
    for rule_id, row in list(existing.items()):
        if rule_id not in keep:
            session.delete(row)
    case.next_deadline_utc = _next_due(case.status, computed)
    session.flush()
    return sorted((existing[k] for k in keep), key=lambda d: _row_key(d))


def _fact_evidence(session: Session, case: Case, name: str | None, party: str | None) -> str:
    """ "fact notification-sent recorded by alice (from: e-mail Date: of report 12)"."""
    rows = session.scalars(
        select(CaseFact).where(CaseFact.case_id == case.id, CaseFact.name == (name or ""))
    ).all()
    row = next((r for r in rows if party and r.party == party), None) or next(
        (r for r in rows if not r.party), None
    )
    who = None
    if row is not None and row.recorded_by_id is not None:
        who = session.scalar(select(Analyst.name).where(Analyst.id == row.recorded_by_id))
    text = _("fact {fact} recorded by {who}").format(fact=name, who=who or _("an unknown analyst"))
    if row is not None and row.source:
        text = _("{text} (from {source})").format(text=text, source=row.source)
    return text


@dataclass(frozen=True)
class FirstClocks:
    """The deadline rows of a case about to be opened, and its next deadline."""

    computed: tuple[engine.Computed, ...]
    next_due: datetime | None

    @property
    def jurisdictions(self) -> str:
        """The cases' ``jurisdictions_label``: they have no codes yet, only these rules'."""
        return jurisdictions_label(c.rule.jurisdiction for c in self.computed)

    def insert(self, session: Session, case_ids: Sequence[int]) -> None:
        """These rows for each of the cases, in one insert."""
        rows = []
        for c in self.computed:
            met = c.state in engine.MET_STATES
            evidence = _("fact {fact} recorded").format(fact=c.rule.met_by) if met else None
            values = {
                "rule_id": c.rule.id,
                **_values(c),
                "met_at": c.met_at if met else None,
                "met_by_id": None,
                "evidence": evidence,
            }
            rows += [{"case_id": case_id, **values} for case_id in case_ids]
        if rows:
            _INSERT_DEADLINE.run(session, rows)


def first_clocks(
    session: Session,
    created_at: datetime,
    status: CaseStatus,
    rules: RuleSet | None = None,
    now: datetime | None = None,
) -> FirstClocks:
    """What ``recompute`` would write for a case opened now: such a case has no facts,
    jurisdictions or deadline rows yet, so nothing is read back (intake opens thousands of
    cases in one go), and its next deadline goes into the case row as it is inserted."""
    computed = _compute(
        rules or builtin_rules(),
        [],
        {"reported": created_at},
        now or utcnow(),
        _overrides(session),
        {},
    )
    return FirstClocks(tuple(computed), _next_due(status, computed))


def _row_key(d: Deadline) -> tuple[int, datetime, int, str]:
    far = datetime.max.replace(tzinfo=UTC)
    return (0 if d.due_utc else 1, d.due_utc or far, 0 if d.binding else 1, d.rule_id)


def recompute_all(
    session: Session,
    rules: RuleSet | None = None,
    now: datetime | None = None,
    *,
    only_missing: bool = False,
) -> int:
    """Recompute every open case (after a rules change, or for cases opened elsewhere)."""
    stmt = select(Case).where(Case.status.not_in(CLOSED))
    if only_missing:
        stmt = stmt.where(~Case.id.in_(select(Deadline.case_id)))
    n = 0
    for case in session.scalars(stmt):
        recompute(session, case, rules, now)
        n += 1
    return n


def zones_for(session: Session, case: Case, actor: Actor | None) -> list[str]:
    """The acting analyst's zone, then each partner's on the case (no repeats)."""
    zones = [_zone_of(session, actor)]
    partner_zones = session.scalars(
        select(Partner.timezone)
        .join(CasePartner, CasePartner.partner_id == Partner.id)
        .where(CasePartner.case_id == case.id)
        .order_by(Partner.name)
    )
    for z in partner_zones:
        if z and z not in zones:
            zones.append(z)
    return zones


def deadlines(
    session: Session,
    actor: Actor | None,
    key: str,
    rules: RuleSet | None = None,
    now: datetime | None = None,
) -> list[DeadlineView]:
    """The case's obligations, earliest first, with local times, who owes each, and
    conflicts between the embargo and obligations whose recipient publishes."""
    case = get_case(session, key)
    rows = recompute(session, case, rules, now)
    case_set, prov = casedata.case_rules(
        session, case, rules or builtin_rules(), _codes(session, case.id)
    )
    per_case = casedata.overrides_of(session, case.id)
    embargo = embargo_of(case, _facts(session, case))
    zones = zones_for(session, case, actor)
    names = {i: n for i, n in session.execute(select(Analyst.id, Analyst.name))}
    out = []
    for d in rows:
        rule = case_set.rule(d.rule_id)
        file = case_set.file_of(d.rule_id)
        own = per_case.get(d.rule_id)
        conflict = None
        if embargo is not None and engine.embargo_conflict(
            d.due_utc, d.state, d.binding, embargo, rule.publishes
        ):
            conflict = _(
                "embargo until {embargo} falls after this binding deadline, and its recipient "
                "publishes"
            ).format(embargo=embargo.isoformat())
        late = timedelta(seconds=d.late_seconds) if d.late_seconds else None
        if d.state == engine.MET_LATE and late is None and d.met_at and d.due_utc:
            late = d.met_at - d.due_utc
        out.append(
            DeadlineView(
                rule=d.rule_id,
                jurisdiction=d.jurisdiction,
                programme=file.code,
                obligation=d.obligation,
                recipient=d.recipient,
                due_utc=d.due_utc,
                due_local=engine.local_times(d.due_utc, zones) if d.due_utc else {},
                state=d.state,
                source=d.source,
                binding=d.binding,
                met_at=d.met_at,
                evidence=d.evidence,
                conflict=conflict,
                version=d.row_version,
                owed_by=d.owed_by,
                owed_by_party=d.owed_by_party,
                owed_to=rule.owed_to,
                publishes=rule.publishes,
                reason=d.reason,
                late_seconds=int(late.total_seconds()) if late else None,
                state_text=engine.state_text(d.state, d.reason, late),
                recorded_by=names.get(d.met_by_id) if d.met_by_id else None,
                computation=(own.computation if own and own.computation else rule.computation),
                computation_why=rule.computation_why,
                override=own.reason if own else None,
                provenance=prov[file.code].as_json() if file.code in prov else {},
            )
        )
    return out


def known_facts(rules: RuleSet) -> list[str]:
    """Every fact an analyst may record: the rules' facts and the workflow's."""
    return sorted({*rules.facts(), *WORKFLOW_FACTS})


def split_fact(name: str) -> tuple[str, str]:
    """``vendor-contacted@JPCERT/CC`` -> (``vendor-contacted``, ``JPCERT/CC``)."""
    fact, _sep, party = name.partition("@")
    return fact.strip().lower(), party.strip()[:200]


def check_not_future(at: datetime | None, name: str, now: datetime | None = None) -> None:
    """A fact says something happened: one dated in the future is refused (exit 1)."""
    now = now or utcnow()
    if at is not None and name not in FUTURE_FACTS and at > now + timedelta(seconds=SKEW_SECONDS):
        raise AccordError(
            _(
                "{fact} at {at} is in the future; a fact records something that has happened "
                "(it is now {now})"
            ).format(fact=name, at=at.isoformat(), now=now.replace(microsecond=0).isoformat())
        )


def set_fact(
    session: Session,
    actor: Actor,
    key: str,
    name: str,
    at: datetime | None,
    rules: RuleSet | None = None,
    now: datetime | None = None,
    *,
    party: str = "",
    source: str | None = None,
) -> datetime | None:
    """Record (or with ``None`` clear) a dated case fact and recompute; returns the old time.

    ``name@party`` (or ``party``) records that party's own fact (JPCERT/CC's contact date
    beside the shared one); ``source`` names the evidence it was read from. A fact dated in
    the future is refused, except the embargo's end and the planned publication."""
    rules = rules or builtin_rules()
    name, named_party = split_fact(name)
    party = (party or named_party).strip()[:200]
    if name not in known_facts(rules):
        raise UsageError(
            _("unknown fact {fact}; facts are: {facts}").format(
                fact=name, facts=", ".join(known_facts(rules))
            )
        )
    check_not_future(at, name, now)
    case = get_case(session, key)
    row = session.scalar(
        select(CaseFact).where(
            CaseFact.case_id == case.id, CaseFact.name == name, CaseFact.party == party
        )
    )
    old = row.at if row else None
    if at is None:
        if row is not None:
            session.delete(row)
    else:
        if row is None:
            row = CaseFact(case_id=case.id, name=name, at=at, party=party)
            session.add(row)
        row.at, row.recorded_by_id, row.recorded_at, row.source = at, actor.id, utcnow(), source
    if name == "embargo-until" and not party:
        case.embargo_until = at
    case.updated_at = utcnow()
    session.flush()
    audit.record(
        session,
        actor,
        "case.fact",
        "case",
        case.id,
        case_key=case.key,
        details={
            "fact": name,
            "party": party or None,
            "from": old.isoformat() if old else None,
            "to": at.isoformat() if at else None,
            "source": source,
        },
    )
    recompute(session, case, rules, now)
    return old


def set_jurisdictions(
    session: Session,
    actor: Actor,
    key: str,
    add: list[str],
    remove: list[str],
    rules: RuleSet | None = None,
    now: datetime | None = None,
) -> list[str]:
    """Add and remove jurisdiction or programme codes; returns the case's codes afterwards."""
    rules = rules or builtin_rules()
    known = rules.known_codes()
    case = get_case(session, key)
    current = set(_codes(session, case.id))
    for code in [c.strip().upper() for c in add]:
        if code not in known:
            raise UsageError(
                _("unknown jurisdiction {code}; known: {known}").format(
                    code=code, known=", ".join(known)
                )
            )
        if code not in current:
            session.add(CaseJurisdiction(case_id=case.id, code=code))
            current.add(code)
    for code in [c.strip().upper() for c in remove]:
        row = session.scalar(
            select(CaseJurisdiction).where(
                CaseJurisdiction.case_id == case.id, CaseJurisdiction.code == code
            )
        )
        if row is None:
            raise UsageError(_("{key} has no jurisdiction {code}").format(key=case.key, code=code))
        session.delete(row)
        current.discard(code)
    session.flush()
    audit.record(
        session,
        actor,
        "case.jurisdictions",
        "case",
        case.id,
        case_key=case.key,
        details={
            "added": sorted(c.upper() for c in add),
            "removed": sorted(c.upper() for c in remove),
            "now": sorted(current),
        },
    )
    recompute(session, case, rules, now)
    return sorted(current)


def mark_met(
    session: Session,
    actor: Actor,
    key: str,
    rule_id: str,
    evidence: str,
    rules: RuleSet | None = None,
    at: datetime | None = None,
    *,
    expected_version: int | None = None,
) -> DeadlineView:
    """Record an obligation as met, with evidence (e.g. the submission reference).

    Made against the obligation's version read here (or ``expected_version``, the one a
    screen showed): one recorded meanwhile by someone else is a ConflictError."""
    if not evidence.strip():
        raise UsageError(_("give --evidence (what shows the obligation was met)"))
    case = get_case(session, key)
    label = _("{rule} of {key}").format(rule=rule_id, key=case.key)
    seen = session.scalar(
        select(Deadline.row_version).where(Deadline.case_id == case.id, Deadline.rule_id == rule_id)
    )
    if seen is not None:
        check_seen(session, expected_version, seen, label, case_key=case.key)
    with guarded(session, label, case_key=case.key):
        return _mark_met(session, actor, case, key, rule_id, evidence, rules, at)


def _mark_met(
    session: Session,
    actor: Actor,
    case: Case,
    key: str,
    rule_id: str,
    evidence: str,
    rules: RuleSet | None,
    at: datetime | None,
) -> DeadlineView:
    recompute(session, case, rules)
    row = session.scalar(
        select(Deadline).where(Deadline.case_id == case.id, Deadline.rule_id == rule_id)
    )
    if row is None:
        raise UsageError(_("{key} has no deadline {rule}").format(key=case.key, rule=rule_id))
    if row.state == engine.NOT_APPLICABLE:
        raise AccordError(
            _("{rule} does not apply to {key}: {reason}").format(
                rule=rule_id, key=case.key, reason=row.reason or ""
            )
        )
    met = at or utcnow()
    check_not_future(met, "met")
    was_late = row.due_utc is not None and met > row.due_utc
    row.met_at, row.met_by_id, row.evidence = met, actor.id, evidence
    row.state = engine.MET_LATE if was_late else engine.MET
    session.flush()
    audit.record(
        session,
        actor,
        "deadline.met",
        "deadline",
        row.id,
        case_key=case.key,
        details={
            "rule": rule_id,
            "due_utc": row.due_utc.isoformat() if row.due_utc else None,
            "late": was_late,
        },
    )
    recompute(session, case, rules)
    return next(v for v in deadlines(session, actor, key, rules) if v.rule == rule_id)


def configure(
    session: Session, actor: Actor, rule_id: str, amount: int | None, rules: RuleSet | None = None
) -> int:
    """Set (or with ``None`` reset) the offset of a configurable rule; returns the offset in use."""
    actor.require(Permission.ASSIGN_OTHERS)
    rule = (rules or builtin_rules()).rule(rule_id)
    if not rule.configurable:
        raise UsageError(
            _("rule {rule} is fixed by its source and cannot be configured").format(rule=rule_id)
        )
    if amount is not None and amount < 0:
        raise UsageError(_("an offset cannot be negative"))
    row = session.get(Setting, OVERRIDE_KEY + rule_id)
    if amount is None:
        if row is not None:
            session.delete(row)
    elif row is None:
        session.add(Setting(key=OVERRIDE_KEY + rule_id, value=amount))
    else:
        row.value = amount
    session.info.pop(_OVERRIDES, None)
    audit.record(
        session,
        actor,
        "deadline.configure",
        "rule",
        rule_id,
        details={"unit": rule.unit, "amount": amount},
    )
    session.flush()
    for case_id in session.scalars(select(Deadline.case_id).where(Deadline.rule_id == rule_id)):
        case = session.get(Case, case_id)
        if case is not None:
            recompute(session, case, rules)
    return rule.amount if amount is None else amount


def deadlines_rules_for_case(session: Session, key: str, rules: RuleSet | None = None) -> RuleSet:
    """The rules a case is evaluated with: the loaded files and the copies kept with it."""
    case = get_case(session, key)
    return casedata.case_rules(session, case, rules or builtin_rules(), _codes(session, case.id))[0]


def check_zone(zone: str) -> str:
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(_("unknown time zone {zone}").format(zone=zone)) from None
    return zone
