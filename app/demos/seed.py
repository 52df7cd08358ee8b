"""``accord demo``: fill a workspace with realistic, deterministic AI-vulnerability cases.

Every case is planned first (a seeded ``random.Random``, no database), then all planned steps
of all cases are replayed in time order through the same use cases the CLI and the GUI use
(``cases.create_case``, ``cases.transition``, ``cases.assign``, ``severity.assess``), so the
workflow checks run and the audit chain is real. Each replayed step is dated in the past,
where the plan puts it: the audit event it wrote is re-stamped and re-hashed before the next
event is chained to it, so ``accord audit verify`` passes and the history reads like months
of work.
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.auditing import chain as audit
from app.casework import cases, reporters
from app.demos.text import CaseText, DemoData, compose, fake_sha256, load
from app.errors import AccordError, UsageError
from app.identity import analysts
from app.identity.actor import Actor, Permission
from app.queueing import search
from app.workspaces import files
from i18n import _
from models import (
    AffectedProduct,
    Analyst,
    Assessment,
    AuditEvent,
    Case,
    CaseFact,
    CaseJurisdiction,
    CasePartner,
    CaseStatus,
    Partner,
    Report,
    Role,
    Vulnerability,
)

DEMO_SEED = 20261127
DEFAULT_COUNT = 220

# Final state → (weight, (min, max) age in days, path of transitions from ``new``).
STATES: dict[str, tuple[int, tuple[float, float], tuple[str, ...]]] = {
    "new": (18, (0.1, 6), ()),
    "triage": (22, (1, 15), ("triage",)),
    "needs-info": (14, (4, 45), ("triage", "needs-info")),
    "accepted": (22, (6, 40), ("triage", "accepted")),
    "coordinating": (34, (14, 95), ("triage", "accepted", "coordinating")),
    "remediation": (30, (30, 130), ("triage", "accepted", "coordinating", "remediation")),
    "disclosed": (
        22, (45, 200), ("triage", "accepted", "coordinating", "remediation", "disclosed"),
    ),
    "closed": (
        34, (70, 300),
        ("triage", "accepted", "coordinating", "remediation", "disclosed", "closed"),
    ),
    "duplicate": (12, (2, 120), ("triage", "duplicate")),
    "rejected": (14, (5, 160), ("triage", "rejected")),
}  # fmt: skip


@dataclass(frozen=True)
class DemoSummary:
    """What ``accord demo`` made; ``as_json`` is the CLI's ``--json`` output."""

    workspace: str
    cases: int
    states: dict[str, int]
    partners: int
    countries: int
    analysts: int
    reporters: int
    audit_events: int
    demo_marker: bool = False
    showcase: dict[str, object] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        return {
            "workspace": self.workspace, "cases": self.cases, "states": dict(self.states),
            "partners": self.partners, "countries": self.countries, "analysts": self.analysts,
            "reporters": self.reporters, "audit_events": self.audit_events,
            "demo_marker": self.demo_marker, "showcase": dict(self.showcase),
        }  # fmt: skip


@dataclass
class _Plan:
    """One planned case: its text, its people, and its dated steps."""

    index: int
    text: CaseText
    final: str
    created: datetime
    source_partner: int | None
    partners: list[int]
    assignee: str | None
    creator: str = ""
    steps: list[tuple[datetime, str, tuple[str, ...]]] = field(default_factory=list)


# -- planning (pure) -------------------------------------------------------------------------


def _between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    span = max((end - start).total_seconds(), 60.0)
    return (start + timedelta(seconds=rng.uniform(0, span))).replace(microsecond=0)


def _path(rng: random.Random, final: str) -> list[str]:
    path = list(STATES[final][2])
    if final == "needs-info" and rng.random() < 0.3:
        path = ["needs-info"]
    elif final == "rejected" and rng.random() < 0.3:
        path = ["triage", "needs-info", "rejected"]
    if "coordinating" in path and rng.random() < 0.1:
        i = path.index("coordinating") + 1
        path[i:i] = ["needs-info", "triage", "accepted", "coordinating"]
    if "remediation" in path and final != "remediation" and rng.random() < 0.15:
        i = path.index("remediation") + 1
        path[i:i] = ["coordinating", "remediation"]
    if final == "closed" and rng.random() < 0.06:
        path += ["triage", "accepted", "coordinating", "remediation", "disclosed", "closed"]
    return path


def plan(
    now: datetime,
    *,
    seed: int = DEMO_SEED,
    count: int = DEFAULT_COUNT,
    data: DemoData | None = None,
) -> list[_Plan]:
    """Plan ``count`` cases; the same seed and ``now`` always give the same plan."""
    data = data or load()
    rng = random.Random(seed)
    people = data.people
    workers = [a["name"] for a in people["analysts"] if a["role"] == "analyst"]
    leads = [a["name"] for a in people["analysts"] if a["role"] == "shift-lead"]
    coords = [a["name"] for a in people["analysts"] if a["role"] == "coordinator"]
    n_partners = len(people["partners"])
    names = list(STATES)
    weights = [STATES[s][0] for s in names]
    finals = (names + rng.choices(names, weights=weights, k=max(0, count - len(names))))[:count]
    rng.shuffle(finals)
    plans: list[_Plan] = []
    for index, final in enumerate(finals):
        text = compose(rng, data)
        lo, hi = STATES[final][1]
        created = (now - timedelta(days=rng.uniform(lo, hi))).replace(microsecond=0)
        path = _path(rng, final)
        end = now - timedelta(minutes=rng.randrange(20, 600))
        times = sorted(_between(rng, created + timedelta(minutes=30), end) for _ in path)
        source = rng.randrange(n_partners) if rng.random() < 0.25 else None
        p = _Plan(index, text, final, created, source, [], None, rng.choice(workers + leads))
        if source is not None:
            p.partners.append(source)
        assignee = rng.choice(workers) if path and path[0] != "needs-info" else None
        lead = rng.choice(leads)
        for at, state in zip(times, path, strict=True):
            actor = assignee or lead
            if state in ("coordinating", "disclosed", "closed"):
                actor = rng.choice(coords)
            if state == "triage" and assignee and not p.assignee:
                who = assignee if rng.random() < 0.2 else lead
                p.steps.append((at - timedelta(minutes=7), "assign", (who, assignee)))
                p.assignee = assignee
            if state == "coordinating" and len(p.partners) < 3:
                extra = rng.sample(range(n_partners), rng.randrange(1, 3))
                p.partners += [x for x in extra if x not in p.partners]
                linked = tuple(str(x) for x in p.partners)
                p.steps.append((at + timedelta(minutes=3), "partners", (actor, *linked)))
                p.steps.append((at + timedelta(minutes=4), "fact", (actor, "vendor-contacted")))
            p.steps.append((at, "transition", (actor, state)))
            fact = {"triage": "acknowledged", "accepted": "triaged", "disclosed": "published"}
            if state in fact:
                p.steps.append((at + timedelta(minutes=2), "fact", (actor, fact[state])))
            if state == "disclosed":
                fixed = at - timedelta(days=rng.uniform(1, 12))
                p.steps.append((max(fixed, created), "fact", (actor, "fix-available")))
            if state in ("accepted", "triage") and not any(s[1] == "assess" for s in p.steps):
                p.steps.append((at + timedelta(minutes=50), "assess", (actor,)))
        if p.assignee and final not in ("closed", "rejected") and rng.random() < 0.12:
            other = rng.choice([w for w in workers if w != p.assignee])
            p.steps.append((end + timedelta(minutes=5), "assign", (lead, other)))
            p.assignee = other
        if "coordinating" in path and rng.random() < 0.15:
            p.steps.append((end + timedelta(minutes=9), "assess", (p.assignee or lead,)))
        if rng.random() < 0.08 and path:
            aware = _between(rng, created, end)
            p.steps.append((aware, "fact", (p.assignee or lead, "exploited-aware")))
        if final in ("coordinating", "remediation"):
            p.steps.append((end + timedelta(minutes=11), "embargo", (rng.choice(coords),)))
        plans.append(p)
    return plans


# -- replay (through the use cases) ---------------------------------------------------------


def _jurisdictions(data: DemoData, text: CaseText, partner_countries: list[str]) -> list[str]:
    table = data.people["jurisdictions"]
    eu = set(table["eu_members"])
    codes: set[str] = {"ACCORD"}
    for vendor in (text.model["vendor"], text.product["vendor"]):
        country = table["vendor_countries"].get(vendor, "")
        codes.add("EU" if country in eu else country)
    codes.update("EU" if c in eu else c for c in partner_countries)
    known = {"EU", "US", "JP", "CN", "ACCORD"}
    return sorted(c for c in codes if c in known)


class _Replay:
    """Runs the planned steps against one session, keeping the demo's bookkeeping."""

    def __init__(self, session: Session, data: DemoData, actors: dict[str, Actor]) -> None:
        self.s = session
        self.data = data
        self.actors = actors
        self.partners = list(session.scalars(select(Partner).order_by(Partner.id)))
        self.reporter_ids: list[int] = []
        self.keys: dict[int, str] = {}
        self.case_ids: dict[int, int] = {}
        # Strong references: the session's identity map is weak, a lost Case is re-queried.
        self.case_rows: dict[int, Case] = {}
        # What this replay wrote, so that no step has to read it back.
        self.facts: dict[tuple[int, str], CaseFact] = {}
        self.linked: dict[int, set[int]] = {}
        self.codes: dict[int, set[str]] = {}

    def record(
        self, actor: Actor, action: str, case: Case, at: datetime, **details: object
    ) -> None:
        audit.record(
            self.s, actor, action, "case", case.id, case_key=case.key, at=at, details=details
        )

    def create(self, p: _Plan) -> Case:
        t = p.text
        actor = self.actors[p.creator]
        case = cases.create_case(self.s, actor, t.title, t.summary, created_at=p.created)
        reporter_id = self.reporter_ids[t.reporter]
        case.reporter_id = reporter_id
        partner = self.partners[p.source_partner] if p.source_partner is not None else None
        case.source_partner_id = partner.id if partner else None
        raw = t.body.encode("utf-8")
        report = Report(
            case_id=case.id, source=partner.name if partner else "reporter",
            format="text", title=t.title, description=t.summary,
            filename=f"report-{p.index + 1:04d}.txt", media_type="text/plain", raw=raw,
            raw_sha256=hashlib.sha256(raw).hexdigest(), reporter_id=reporter_id,
            partner_id=partner.id if partner else None, received_at=p.created,
            document_id=f"{partner.name.split()[0].upper()}-{p.created.year}-{p.index + 101:04d}"
            if partner else None,
        )  # fmt: skip
        self.s.add(report)
        self.s.flush()
        self.record(actor, "report.import", case, p.created, report=report.id)
        vuln = Vulnerability(
            case_id=case.id, report_id=report.id, cwe=t.cwe, title=t.title, description=t.summary,
            ai_class=t.owasp[0], atlas_ids=list(t.atlas), owasp_ids=list(t.owasp),
            created_at=p.created,
        )  # fmt: skip
        rng = random.Random(f"{DEMO_SEED}-{p.index}")
        # The malicious file's own hash, or the hash of the published weights.
        weights_hash = None
        if t.scenario == "malicious-model-file":
            weights_hash = f"sha256:{t.fields['hash']}"
        elif t.model["open_weights"] == "yes":
            weights_hash = f"sha256:{fake_sha256(rng)}"
        vuln.affected = [
            AffectedProduct(
                kind="model", name=t.model["name"], vendor=t.model["vendor"],
                version=t.model["version"],
                hash=weights_hash,
            ),
            AffectedProduct(
                kind=t.product["kind"], name=t.product["name"], vendor=t.product["vendor"],
                version=t.product["version"],
            ),
        ]  # fmt: skip
        self.s.add(vuln)
        reported = CaseFact(case_id=case.id, name="reported", at=p.created)
        self.facts[(case.id, "reported")] = reported
        self.s.add(reported)
        self.s.flush()
        self.record(actor, "case.vulnerability.add", case, p.created, vulnerability=vuln.id)
        search.reindex(self.s, case)
        first = [p.source_partner] if p.source_partner is not None else []
        self._partners(p, case, actor, p.created, first)
        self.keys[p.index] = case.key
        self.case_ids[p.index] = case.id
        self.case_rows[p.index] = case
        return case

    def step(self, p: _Plan, number: int, at: datetime, kind: str, args: tuple[str, ...]) -> None:
        """Replay step ``number`` of plan ``p``. Its random choices are seeded with the case and
        the step's place in the plan, not its time (which follows ``now``): built a minute
        later, the demo holds the same answers and reasons."""
        case = self.case_rows[p.index]
        actor = self.actors[args[0]]
        key = case.key
        if kind == "transition":
            reason = random.Random(f"{p.index}-{number}").choice(self.data.reasons[args[1]])
            with audit.clock(self.s, at):
                cases.transition(self.s, actor, key, args[1], reason)
        elif kind == "assign":
            with audit.clock(self.s, at):
                cases.assign(self.s, actor, key, args[1])
        elif kind == "assess":
            self._assess(p, number, case, actor, at)
        elif kind == "fact":
            self._fact(case, actor, args[1], at)
        elif kind == "partners":
            self._partners(p, case, actor, at, [int(x) for x in args[1:]])
        elif kind == "embargo":
            embargo = (p.created + timedelta(days=90)).replace(hour=14, minute=0, second=0)
            case.embargo_until = embargo
            self._fact(case, actor, "embargo-until", at, when=embargo)
        case.updated_at = at

    def _fact(
        self, case: Case, actor: Actor, name: str, at: datetime, when: datetime | None = None
    ) -> None:
        row = self.facts.get((case.id, name))
        if row is None:  # the workflow may have recorded it already (app.deadlines.evidence)
            row = self.s.scalar(
                select(CaseFact).where(
                    CaseFact.case_id == case.id, CaseFact.name == name, CaseFact.party == ""
                )
            )
            if row is not None:
                self.facts[(case.id, name)] = row
        if row is None:
            row = self.facts[(case.id, name)] = CaseFact(case_id=case.id, name=name, at=when or at)
            self.s.add(row)
        else:
            row.at = when or at
        self.record(actor, "case.fact", case, at, fact=name, to=(when or at).isoformat())

    def _partners(
        self, p: _Plan, case: Case, actor: Actor, at: datetime, indices: list[int]
    ) -> None:
        """Link partner CERTs, keep ``partners_label`` in step, derive the jurisdictions."""
        have = self.linked.setdefault(case.id, set())
        linked = [self.partners[i] for i in indices]
        for partner in linked:
            if partner.id not in have:
                self.s.add(CasePartner(case_id=case.id, partner_id=partner.id))
                have.add(partner.id)
        case.partners_label = ", ".join(sorted(x.name for x in linked))
        codes = _jurisdictions(self.data, p.text, [x.country for x in linked])
        current = self.codes.setdefault(case.id, set())
        for code in codes:
            if code not in current:
                self.s.add(CaseJurisdiction(case_id=case.id, code=code))
                current.add(code)
        self.record(
            actor, "case.partners", case, at, partners=sorted(x.id for x in linked),
            jurisdictions=codes,
        )  # fmt: skip

    def _assess(self, p: _Plan, number: int, case: Case, actor: Actor, at: datetime) -> None:
        try:
            from app import severity
        except ImportError:  # the severity model is optional for the demo
            return
        t = p.text
        rng = random.Random(f"assess-{p.index}-{number}")
        ai = [f"access={t.access}", f"transferability={t.transferability}",
              f"class={t.owasp[0]}", f"harm={t.harm}"]  # fmt: skip
        if t.success is not None:
            k, n = t.success
            if rng.random() < 0.3:  # a re-test: our own trials differ a little
                k = max(0, min(n, k + rng.randrange(-3, 4)))
            ai.append(f"success={k}/{n}")
        ssvc: list[str] = []
        if rng.random() < 0.6:
            ssvc = [f"E={rng.choice('NNNNNPPA')}", f"A={rng.choice('NY')}",
                    f"TI={rng.choice('PT')}", f"MWI={rng.choice('LMH')}"]  # fmt: skip
        inputs = severity.build_inputs(t.cvss, ssvc, ai, t.sector)
        with audit.clock(self.s, at):
            result = severity.assess(
                self.s, actor, case.key, inputs,
                rationale=_("Scored from the reporter's reproduction and our own trials."),
            )  # fmt: skip
        row = self.s.get(Assessment, result["id"])
        if row is not None:
            row.created_at = at


def _ensure_people(
    session: Session, actor: Actor, data: DemoData, at: datetime
) -> dict[str, Actor]:
    """Add the demo's analysts, partners and reporters (the acting coordinator keeps its name)."""
    for a in data.people["analysts"]:
        if session.scalar(select(Analyst.id).where(Analyst.name == a["name"])) is None:
            with audit.clock(session, at):
                analysts.add(session, actor, a["name"], a["role"], a["timezone"])
        row = session.scalar(select(Analyst).where(Analyst.name == a["name"]))
        assert row is not None
        row.language = a.get("language", "en")
    for p in data.people["partners"]:
        if session.scalar(select(Partner.id).where(Partner.name == p["name"])) is None:
            partner = Partner(
                name=p["name"], country=p["country"], timezone=p["timezone"],
                languages=list(p["languages"]), created_at=at,
            )  # fmt: skip
            session.add(partner)
            session.flush()
            audit.record(session, actor, "partner.add", "partner", partner.id, at=at,
                         details={"country": p["country"]})  # fmt: skip
    found: dict[str, Actor] = {}
    for row in session.scalars(select(Analyst)):
        # The acting coordinator signs with their own key: keep the actor they unlocked as.
        found[row.name] = actor if row.id == actor.id else Actor(row.id, row.name, row.role)
    return found


def check_empty(session: Session, label: str) -> None:
    """Refuse a workspace that has cases: the demo never mixes with (or duplicates) cases."""
    existing = session.scalar(select(func.count(Case.id))) or 0
    if existing:
        raise AccordError(
            _(
                "workspace {dir} already has {n} cases; accord demo fills only an empty workspace"
            ).format(dir=label or "?", n=existing)
        )


def fill(
    session: Session,
    actor: Actor,
    *,
    now: datetime | None = None,
    seed: int = DEMO_SEED,
    count: int = DEFAULT_COUNT,
    label: str = "",
    progress: Callable[[int, int], None] | None = None,
    showcase: bool = True,
) -> DemoSummary:
    """Fill an empty workspace with the demo; refuses a workspace that already has cases."""
    actor.require(Permission.MANAGE_ANALYSTS)
    if count < 1:
        raise UsageError(_("--count: the demo needs at least one case"))
    check_empty(session, label)
    now = (now or datetime.now(UTC)).replace(second=0, microsecond=0)
    data = load()
    plans = plan(now, seed=seed, count=count, data=data)
    start = min(p.created for p in plans) - timedelta(days=2)
    actors = _ensure_people(session, actor, data, start)
    actors.setdefault(data.people["analysts"][0]["name"], actor)
    replay = _Replay(session, data, actors)
    for i, r in enumerate(data.people["reporters"]):
        with audit.clock(session, start + timedelta(minutes=i)):
            replay.reporter_ids.append(reporters.add(
                session, actor, r["handle"], contact_channel=r.get("channel"),
                credit_preference=r.get("credit"), publication_preference=r.get("publication"),
                consent_to_be_named=bool(r.get("consent")), real_identity=r.get("identity"),
            ))  # fmt: skip
    events: list[tuple[datetime, int, int, str, tuple[str, ...]]] = []
    for p in plans:
        events.append((p.created, p.index, -1, "create", ()))
        events += [(at, p.index, j, kind, args) for j, (at, kind, args) in enumerate(p.steps)]
    events.sort(key=lambda e: (e[0], e[1], e[2]))
    for n, (at, index, number, kind, args) in enumerate(events):
        p = plans[index]
        if kind == "create":
            replay.create(p)
        else:
            replay.step(p, number, at, kind, args)
        if progress and n % 200 == 0:
            progress(n, len(events))
    _recompute_deadlines(session, list(replay.case_ids.values()), now)
    shown = None
    if showcase:
        from app.demos import showcase as demo_showcase

        chosen = demo_showcase.choose(replay.keys, plans)
        shown = demo_showcase.run(session, actor, actors, chosen, now)
    states = Counter(session.scalars(select(Case.status)))
    return DemoSummary(
        workspace=label,
        cases=len(plans),
        states={s.value: states.get(s, 0) for s in CaseStatus},
        partners=len(replay.partners),
        countries=len({x.country for x in replay.partners}),
        analysts=session.scalar(select(func.count(Analyst.id))) or 0,
        reporters=len(replay.reporter_ids),
        audit_events=session.scalar(select(func.count(AuditEvent.id))) or 0,
        showcase=shown.as_json() if shown else {},
    )


def _recompute_deadlines(session: Session, case_ids: list[int], now: datetime) -> None:
    """Let the deadlines engine derive obligations from the facts, when it is installed."""
    try:
        from app.deadlines import service
        from app.deadlines.rules import builtin_rules
    except ImportError:
        return
    rules = builtin_rules()
    for case_id in case_ids:
        case = session.get(Case, case_id)
        if case is not None:
            service.recompute(session, case, rules, now)


def write_marker(directory: Path) -> Path:
    """The public demo marker: its passphrase is printed in the README, so the dialog shows it."""
    from app.workspaces.lifecycle import DEMO_MARKER, DEMO_PASSPHRASE

    path = directory / DEMO_MARKER
    text = (
        "This is Accord's demo workspace; its passphrase is public: "
        f"{DEMO_PASSPHRASE}\nNever keep real cases in it.\n"
    )
    files.write_private_atomic(path, text.encode("utf-8"))
    return path


def analyst_passphrase(name: str) -> str:
    """The demo's public passphrase of each demo analyst: ``accord-demo-`` and their first
    name in lower case (the first coordinator's is the workspace's, ``accord-demo``)."""
    from app.workspaces.lifecycle import DEMO_PASSPHRASE

    return f"{DEMO_PASSPHRASE}-{name.split()[0].lower()}"


def first_coordinator(session: Session) -> Actor:
    row = session.scalar(
        select(Analyst).where(Analyst.role == Role.COORDINATOR, Analyst.active).order_by(Analyst.id)
    )
    if row is None:
        raise AccordError(_("the workspace has no coordinator to run the demo as"))
    return Actor(row.id, row.name, row.role)
