"""Deadline use cases: case facts and jurisdictions, recompute, list, record as met.

Deadline rows are derived data: ``recompute`` rewrites them from the case's facts and
jurisdictions (keeping what was recorded as met) and keeps ``Case.next_deadline_utc`` in step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from app import audit, txcache
from app.actor import Actor, Permission
from app.cases import get_case
from app.concurrency import check_seen, guarded
from app.deadlines import engine
from app.deadlines.rules import RuleSet, builtin_rules
from app.errors import AccordError, UsageError
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

OVERRIDE_KEY = "deadlines.offset."
_OVERRIDES = txcache.register("deadline_overrides")
_INSERT_DEADLINE = insert(Deadline)


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
    """The case's recorded facts; ``reported`` defaults to the first report or the case opening."""
    rows = session.scalars(select(CaseFact).where(CaseFact.case_id == case.id)).all()
    facts = {f.name: f.at for f in rows}
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
) -> list[engine.Computed]:
    """Every applicable rule applied to the facts, earliest first; ``recorded``: rule id ->
    the time an analyst recorded it as met."""
    computed = [
        engine.compute(
            rule,
            f,
            facts,
            now,
            met_at=recorded.get(rule.id),
            amount=overrides.get(rule.id) if rule.configurable else None,
        )
        for f in rules.files_for(codes)
        for rule in f.rules
    ]
    return sorted(computed, key=engine.sort_key)


def _values(c: engine.Computed) -> dict[str, Any]:
    """A deadline row's derived columns (met ones are kept by the caller when recorded)."""
    return {
        "jurisdiction": c.rule.jurisdiction,
        "obligation": c.rule.obligation,
        "recipient": c.rule.recipient,
        "due_utc": c.due_utc,
        "state": c.state,
        "binding": c.rule.binding,
        "source": c.rule.cited_source[:500],
    }


def _next_due(status: CaseStatus, computed: list[engine.Computed]) -> datetime | None:
    from app.queue_filters import CLOSED

    open_dues = [c.due_utc for c in computed if c.state in engine.OPEN_STATES and c.due_utc]
    # The queue's next-deadline column: nothing for a case that is closed, rejected or a duplicate.
    return min(open_dues) if open_dues and status not in CLOSED else None


def recompute(
    session: Session, case: Case, rules: RuleSet | None = None, now: datetime | None = None
) -> list[Deadline]:
    """Rewrite the case's deadline rows from its facts; returns them earliest first."""
    rules = rules or builtin_rules()
    now = now or utcnow()
    existing = {
        d.rule_id: d for d in session.scalars(select(Deadline).where(Deadline.case_id == case.id))
    }
    recorded = {k: d.met_at for k, d in existing.items() if d.met_by_id is not None}
    computed = _compute(
        rules, _codes(session, case.id), _facts(session, case), now, _overrides(session), recorded
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
        if c.state == engine.MET and row.met_by_id is None:
            row.met_at = c.met_at
            row.evidence = _("fact {fact} recorded").format(fact=c.rule.met_by)
        elif c.state != engine.MET:
            row.met_at, row.met_by_id, row.evidence = None, None, None
    for rule_id, row in list(existing.items()):
        if rule_id not in keep:
            session.delete(row)
    case.next_deadline_utc = _next_due(case.status, computed)
    session.flush()
    return sorted((existing[k] for k in keep), key=lambda d: _row_key(d))


@dataclass(frozen=True)
class FirstClocks:
    """The deadline rows of a case about to be opened, and its next deadline."""

    computed: tuple[engine.Computed, ...]
    next_due: datetime | None

    def insert(self, session: Session, case_ids: Sequence[int]) -> None:
        """These rows for each of the cases, in one insert."""
        rows = []
        for c in self.computed:
            met = c.state == engine.MET
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
            session.execute(_INSERT_DEADLINE, rows)


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
    from app.queue_filters import CLOSED

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
    """The case's obligations, earliest first, with local times and embargo conflicts."""
    case = get_case(session, key)
    rows = recompute(session, case, rules, now)
    embargo = embargo_of(case, _facts(session, case))
    zones = zones_for(session, case, actor)
    out = []
    for d in rows:
        conflict = None
        if embargo is not None and engine.embargo_conflict(d.due_utc, d.state, d.binding, embargo):
            conflict = _("embargo until {embargo} falls after this binding deadline").format(
                embargo=embargo.isoformat()
            )
        out.append(
            DeadlineView(
                rule=d.rule_id,
                jurisdiction=d.jurisdiction,
                programme=(rules or builtin_rules()).file_of(d.rule_id).code,
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
            )
        )
    return out


def set_fact(
    session: Session,
    actor: Actor,
    key: str,
    name: str,
    at: datetime | None,
    rules: RuleSet | None = None,
    now: datetime | None = None,
) -> datetime | None:
    """Record (or with ``None`` clear) a dated case fact and recompute; returns the old time."""
    rules = rules or builtin_rules()
    name = name.strip().lower()
    if name not in rules.facts():
        raise UsageError(
            _("unknown fact {fact}; facts are: {facts}").format(
                fact=name, facts=", ".join(rules.facts())
            )
        )
    case = get_case(session, key)
    row = session.scalar(select(CaseFact).where(CaseFact.case_id == case.id, CaseFact.name == name))
    old = row.at if row else None
    if at is None:
        if row is not None:
            session.delete(row)
    elif row is None:
        session.add(CaseFact(case_id=case.id, name=name, at=at))
    else:
        row.at = at
    if name == "embargo-until":
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
            "from": old.isoformat() if old else None,
            "to": at.isoformat() if at else None,
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
    if row.due_utc is None:
        raise AccordError(
            _("{rule} does not apply to {key} (its trigger fact is not set)").format(
                rule=rule_id, key=case.key
            )
        )
    met = at or utcnow()
    was_late = met > row.due_utc
    row.met_at, row.met_by_id, row.evidence, row.state = met, actor.id, evidence, engine.MET
    session.flush()
    audit.record(
        session,
        actor,
        "deadline.met",
        "deadline",
        row.id,
        case_key=case.key,
        details={"rule": rule_id, "due_utc": row.due_utc.isoformat(), "late": was_late},
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


def check_zone(zone: str) -> str:
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(_("unknown time zone {zone}").format(zone=zone)) from None
    return zone
