"""Running a playbook on a case: start, status, complete a step with its outputs, skip one.

Step states: ``pending`` (all applicable predecessors closed), ``blocked`` (a predecessor is
still open), ``done``, ``skipped`` and ``not-applicable`` (on a branch a decision did not
take). States and due times are recomputed after every change from the definition, the
step rows and the case's facts, so a fact recorded later (``vendor-contacted``) fills in the
due times that hang off it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auditing import chain as audit
from app.casework.cases import get_case
from app.concurrency import check_seen, guarded
from app.errors import AccordError, NotFound, PermissionDenied, UsageError
from app.identity.actor import Actor
from app.playbooks import definition
from app.playbooks.definition import ROLE_RANK, Playbook, StepDef
from i18n import _
from models import Case, CaseFact, PlaybookRun, PlaybookStep, utcnow

PENDING, BLOCKED, DONE, SKIPPED, NOT_APPLICABLE = (
    "pending",
    "blocked",
    "done",
    "skipped",
    "not-applicable",
)
CLOSED = frozenset({DONE, SKIPPED})
TERMINAL = frozenset({DONE, SKIPPED, NOT_APPLICABLE})
RUNNING, COMPLETED = "running", "completed"


@dataclass(frozen=True)
class StepStatus:
    id: str
    title: str
    owner: str
    state: str
    due_utc: datetime | None
    completed_by: str | None
    completed_at: datetime | None
    outputs: Mapping[str, Any]
    skip_reason: str | None
    partner_fingerprint: str | None
    inputs: tuple[str, ...]
    checks: tuple[str, ...]
    decision_input: str | None
    branch_values: tuple[str, ...]
    branch: str | None
    blocked_by: tuple[str, ...]
    # Whether this workspace closes the step: on a partner's mirrored run only our own steps.
    local: bool = True
    version: int = 0  # what a completion made from this view passes back (app.concurrency)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "owner": self.owner,
            "state": self.state,
            "due_utc": self.due_utc.isoformat() if self.due_utc else None,
            "completed_by": self.completed_by,
            "outputs": dict(self.outputs),
            "completed_at": self.completed_at.isoformat() if self.completed_at else None,
            "skip_reason": self.skip_reason,
            "partner_fingerprint": self.partner_fingerprint,
            "inputs": list(self.inputs),
            "checks": list(self.checks),
            "decision": (
                {"input": self.decision_input, "values": list(self.branch_values)}
                if self.decision_input
                else None
            ),
            "branch": self.branch,
            "blocked_by": list(self.blocked_by),
            "local": self.local,
        }


@dataclass(frozen=True)
class RunStatus:
    run_id: int
    case_key: str
    playbook: str
    version: str
    title: str
    state: str
    started_at: datetime
    finished_at: datetime | None
    steps: tuple[StepStatus, ...] = field(default=())
    # The partner's case key when this run is mirrored from a partner's bundle.
    origin_case: str | None = None

    def step(self, step_id: str) -> StepStatus:
        for s in self.steps:
            if s.id == step_id:
                return s
        raise NotFound(_("no step {step}").format(step=step_id))

    def as_json(self) -> dict[str, Any]:
        return {
            "playbook": self.playbook,
            "version": self.version,
            "title": self.title,
            "case": self.case_key,
            "state": self.state,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "steps": [s.as_json() for s in self.steps],
            "origin_case": self.origin_case,
        }


@dataclass(frozen=True)
class PlaybookInfo:
    id: str
    version: str
    title: str
    description: str
    steps: int
    applies_to: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "version": self.version,
            "title": self.title,
            "description": self.description,
            "steps": self.steps,
            "applies_to": list(self.applies_to),
        }


def list_playbooks() -> list[PlaybookInfo]:
    return [
        PlaybookInfo(p.id, p.version, p.title, p.description, len(p.steps), p.applies_to)
        for p in definition.all_playbooks()
    ]


def refresh(session: Session, run: PlaybookRun, pb: Playbook, now: datetime | None = None) -> None:
    """Recompute every step's state and due time; close the run when nothing is left open."""
    now = now or utcnow()
    facts = {
        f.name: f.at
        for f in session.scalars(select(CaseFact).where(CaseFact.case_id == run.case_id))
    }
    rows = {r.step_id: r for r in run.steps}
    applicable: set[str] = set()
    stack = [pb.steps[0].id]
    while stack:
        sid = stack.pop()
        if sid in applicable:
            continue
        applicable.add(sid)
        sd, row = pb.step(sid), rows[sid]
        if sd.decision is not None and row.state == DONE:
            target = sd.decision.target(str(row.outputs.get(sd.decision.input, "")))
            stack.extend([target] if target else [])
        else:
            stack.extend(sd.successors)
    ready_at: dict[str, datetime | None] = {}
    # A step closed ahead of its turn (skipped while blocked) clears the way only once
    # everything before it is closed too.
    cleared: dict[str, bool] = {}
    for sid in definition.topological(pb):
        sd, row = pb.step(sid), rows[sid]
        if sid not in applicable:
            if row.state not in CLOSED:
                row.state = NOT_APPLICABLE
            continue
        preds = [p for p in pb.predecessors[sid] if p in applicable]
        open_before = not all(cleared[p] for p in preds)
        cleared[sid] = row.state in CLOSED and not open_before
        if row.state in CLOSED:
            ready_at[sid] = row.completed_at
            continue
        row.state = BLOCKED if open_before else PENDING
        bases = [ready_at.get(p) for p in preds]
        base: datetime | None = (
            None if any(b is None for b in bases) else max([*bases, run.started_at])  # type: ignore[type-var]
        )
        if sd.due_after is not None:
            origin = run.started_at if sd.due_from == "start" else facts.get(sd.due_from or "")
            row.due_utc = origin + sd.due_after if origin is not None else None
        elif sd.duration is not None:
            row.due_utc = base + sd.duration if base is not None else None
        else:
            row.due_utc = None
        ready_at[sid] = row.due_utc or base
    if run.state == RUNNING and all(r.state in TERMINAL for r in run.steps):
        run.state = COMPLETED
        run.finished_at = now


def open_before(pb: Playbook, rows: Mapping[str, PlaybookStep], step_id: str) -> tuple[str, ...]:
    """The nearest open steps that keep ``step_id`` blocked (through closed ones, too)."""
    found: dict[str, None] = {}
    stack = list(pb.predecessors[step_id])
    seen: set[str] = set()
    while stack:
        p = stack.pop(0)
        if p in seen:
            continue
        seen.add(p)
        if rows[p].state in (PENDING, BLOCKED):
            found[p] = None
        elif rows[p].state in CLOSED:
            stack.extend(pb.predecessors[p])
    return tuple(found)


def owned_here(run: PlaybookRun, owner: str) -> bool:
    """On a partner's run mirrored here (app.playbooks.joint): is a step with this owner ours?"""
    return run.origin_fingerprint is not None and owner in ("partner:*", run.local_owner)


def snapshot(run: PlaybookRun, pb: Playbook, case_key: str) -> RunStatus:
    rows = {r.step_id: r for r in run.steps}
    steps = []
    for row in sorted(run.steps, key=lambda r: r.position):
        sd = pb.step(row.step_id)
        blocked_by = open_before(pb, rows, sd.id) if row.state == BLOCKED else ()
        steps.append(
            StepStatus(
                id=row.step_id,
                title=row.title,
                owner=row.owner,
                state=row.state,
                due_utc=row.due_utc,
                completed_by=row.completed_by,
                completed_at=row.completed_at,
                outputs=dict(row.outputs or {}),
                skip_reason=row.skip_reason,
                partner_fingerprint=row.partner_fingerprint,
                inputs=sd.inputs,
                checks=sd.checks,
                decision_input=sd.decision.input if sd.decision else None,
                branch_values=sd.decision.values if sd.decision else (),
                branch=pb.branch_labels.get(sd.id),
                blocked_by=blocked_by,
                local=(
                    owned_here(run, row.owner)
                    if run.origin_fingerprint is not None
                    else sd.partner is None
                ),
                version=row.row_version,
            )
        )
    return RunStatus(
        run_id=run.id,
        case_key=case_key,
        playbook=run.playbook_id,
        version=run.version,
        title=pb.title,
        state=run.state,
        started_at=run.started_at,
        finished_at=run.finished_at,
        steps=tuple(steps),
        origin_case=run.origin_case,
    )


def start(
    session: Session, actor: Actor, case_key: str, playbook_id: str, *, at: datetime | None = None
) -> RunStatus:
    """Start the newest version of a playbook on a case (one running run per playbook)."""
    case = get_case(session, case_key)
    pb = definition.get(playbook_id)
    running = session.scalar(
        select(PlaybookRun.id).where(
            PlaybookRun.case_id == case.id,
            PlaybookRun.playbook_id == pb.id,
            PlaybookRun.state == RUNNING,
        )
    )
    if running is not None:
        raise AccordError(
            _("playbook {playbook} is already running on {key}").format(
                playbook=pb.id, key=case.key
            )
        )
    at = at or utcnow()
    run = PlaybookRun(
        case_id=case.id,
        playbook_id=pb.id,
        version=pb.version,
        state=RUNNING,
        started_by_id=actor.id or None,
        started_at=at,
    )
    run.steps = [
        PlaybookStep(
            step_id=s.id, position=i, title=s.title, owner=s.owner, state=BLOCKED, outputs={}
        )
        for i, s in enumerate(pb.steps)
    ]
    session.add(run)
    refresh(session, run, pb, at)
    session.flush()
    audit.record(
        session,
        actor,
        "playbook.start",
        "playbook_run",
        run.id,
        case_key=case.key,
        details={"playbook": pb.id, "version": pb.version},
        at=at,
    )
    return snapshot(run, pb, case.key)


def runs(session: Session, case_key: str) -> list[RunStatus]:
    """Every playbook run of a case, newest first, with fresh states."""
    case = get_case(session, case_key)
    found = session.scalars(
        select(PlaybookRun)
        .where(PlaybookRun.case_id == case.id)
        .order_by(PlaybookRun.started_at.desc(), PlaybookRun.id.desc())
    ).all()
    out = []
    for run in found:
        pb = definition.get(run.playbook_id, run.version)
        refresh(session, run, pb)
        session.flush()  # the versions shown are the ones written
        out.append(snapshot(run, pb, case.key))
    return out


def status(session: Session, case_key: str, playbook_id: str | None = None) -> RunStatus:
    """The newest run on the case (of the given playbook, when named)."""
    for st in runs(session, case_key):
        if playbook_id is None or st.playbook == playbook_id:
            return st
    raise NotFound(
        _("no playbook run on {key}").format(key=case_key.upper())
        if playbook_id is None
        else _("playbook {playbook} was never started on {key}").format(
            playbook=playbook_id, key=case_key.upper()
        )
    )


def find_step(
    session: Session, case: Case, step_id: str, playbook_id: str | None
) -> tuple[PlaybookRun, Playbook, PlaybookStep]:
    """The open run holding ``step_id``; ambiguity asks for the playbook to be named."""
    q = select(PlaybookRun).where(PlaybookRun.case_id == case.id, PlaybookRun.state == RUNNING)
    if playbook_id:
        q = q.where(PlaybookRun.playbook_id == playbook_id)
    hits = [
        (run, row)
        for run in session.scalars(q.order_by(PlaybookRun.id)).all()
        for row in run.steps
        if row.step_id == step_id
    ]
    if not hits:
        raise NotFound(
            _("no running playbook on {key} has a step {step}").format(key=case.key, step=step_id)
        )
    if len(hits) > 1:
        names = ", ".join(run.playbook_id for run, _row in hits)
        raise UsageError(
            _(
                "step {step} is in several running playbooks ({names}); name one with --playbook"
            ).format(step=step_id, names=names)
        )
    run, row = hits[0]
    pb = definition.get(run.playbook_id, run.version)
    refresh(session, run, pb)
    return run, pb, row


def _require_open(
    row: PlaybookStep, pb: Playbook, sd: StepDef, rows: dict[str, PlaybookStep]
) -> None:
    if row.state == BLOCKED:
        waiting = ", ".join(open_before(pb, rows, sd.id))
        raise AccordError(_("step {step} is blocked by: {steps}").format(step=sd.id, steps=waiting))
    if row.state != PENDING:
        raise AccordError(
            _("step {step} is {state}; only a pending step can be closed").format(
                step=sd.id, state=row.state
            )
        )


def check_outputs(sd: StepDef, outputs: Mapping[str, Any]) -> dict[str, Any]:
    """Every required input given (non-empty); a decision's value one of its branches."""
    clean = {str(k).strip(): (v.strip() if isinstance(v, str) else v) for k, v in outputs.items()}
    missing = [k for k in sd.inputs if clean.get(k) in (None, "")]
    if missing:
        raise UsageError(
            _("step {step} needs: {inputs}").format(step=sd.id, inputs=", ".join(missing))
        )
    if "k_successes" in clean or "n_trials" in clean:
        _check_trials(sd, clean)
    if sd.decision is not None:
        value = str(clean[sd.decision.input])
        if sd.decision.target(value) is None:
            raise UsageError(
                _("{input} must be one of: {values} (got {value})").format(
                    input=sd.decision.input, values=", ".join(sd.decision.values), value=value
                )
            )
        clean[sd.decision.input] = value
    return clean


def _check_trials(sd: StepDef, clean: dict[str, Any]) -> None:
    """AI exploits are probabilistic: k successes in n trials, 0 <= k <= n, n >= 1."""
    try:
        k, n = int(str(clean["k_successes"])), int(str(clean["n_trials"]))
    except (KeyError, ValueError):
        raise UsageError(
            _("step {step}: k_successes and n_trials must both be whole numbers").format(step=sd.id)
        ) from None
    if n < 1 or not 0 <= k <= n:
        raise UsageError(
            _("step {step}: {k} successes in {n} trials is impossible").format(step=sd.id, k=k, n=n)
        )
    clean["k_successes"], clean["n_trials"] = k, n


def _require_mirror_owned(run: PlaybookRun, sd: StepDef) -> None:
    """On a partner's mirrored run only the steps it gave us are ours; the rest is context."""
    if run.origin_fingerprint is not None and not owned_here(run, sd.owner):
        raise PermissionDenied(
            _(
                "step {step} is owned by {owner} in the partner's run of {key}; "
                "only the steps the partner gave us can be closed here"
            ).format(step=sd.id, owner=sd.owner, key=run.origin_case or "?")
        )


def settle(session: Session, actor: Actor, run: PlaybookRun, pb: Playbook, case: Case) -> None:
    was = run.state
    refresh(session, run, pb)
    if was == RUNNING and run.state == COMPLETED:
        audit.record(
            session,
            actor,
            "playbook.complete",
            "playbook_run",
            run.id,
            case_key=case.key,
            details={"playbook": pb.id, "version": pb.version},
        )


def complete(
    session: Session,
    actor: Actor,
    case_key: str,
    step_id: str,
    outputs: Mapping[str, Any] | None = None,
    *,
    playbook_id: str | None = None,
    expected_version: int | None = None,
) -> RunStatus:
    """Close a pending step with its outputs; a decision's output picks the branch.

    Made against the step's version read here (or ``expected_version``, the one a screen
    showed): a step changed meanwhile by someone else is a ConflictError."""
    case = get_case(session, case_key)
    label = _("step {step} of {key}").format(step=step_id, key=case.key)
    seen = session.scalar(
        select(PlaybookStep.row_version)
        .join(PlaybookRun, PlaybookRun.id == PlaybookStep.run_id)
        .where(PlaybookRun.case_id == case.id, PlaybookStep.step_id == step_id)
        .order_by(PlaybookRun.id.desc())
        .limit(1)
    )
    if seen is not None:  # read before ``find_step`` refreshes the run
        check_seen(session, expected_version, seen, label, case_key=case.key)
    with guarded(session, label, case_key=case.key):
        run, pb, row = find_step(session, case, step_id, playbook_id)
        return _complete(session, actor, case, run, pb, row, step_id, outputs)


def _complete(
    session: Session,
    actor: Actor,
    case: Case,
    run: PlaybookRun,
    pb: Playbook,
    row: PlaybookStep,
    step_id: str,
    outputs: Mapping[str, Any] | None,
) -> RunStatus:
    sd = pb.step(step_id)
    _require_mirror_owned(run, sd)
    if sd.partner is not None and run.origin_fingerprint is None:
        raise AccordError(
            _(
                "step {step} is owned by {owner}: its completion arrives in the partner's bundle "
                "(or skip it with a reason)"
            ).format(step=sd.id, owner=sd.owner)
        )
    if ROLE_RANK[actor.role.value] < ROLE_RANK.get(sd.owner, ROLE_RANK["analyst"]):
        raise PermissionDenied(
            _("step {step} is owned by a {owner}; {analyst} is a {role}").format(
                step=sd.id, owner=sd.owner, analyst=actor.name, role=actor.role.value
            )
        )
    _require_open(row, pb, sd, {r.step_id: r for r in run.steps})
    clean = check_outputs(sd, outputs or {})
    row.state, row.outputs = DONE, clean
    row.completed_by, row.completed_at = actor.name, utcnow()
    details: dict[str, Any] = {
        "run": run.id,
        "playbook": pb.id,
        "step": sd.id,
        "state": DONE,
        "outputs": sorted(clean),
    }
    if sd.decision is not None:
        details["branch"] = clean[sd.decision.input]
    audit.record(
        session,
        actor,
        "playbook.step.complete",
        "playbook_step",
        row.id,
        case_key=case.key,
        details=details,
    )
    settle(session, actor, run, pb, case)
    from app.deadlines.evidence import STEP_FACTS, record_event  # deadlines build on cases

    if sd.id in STEP_FACTS:  # acknowledgement sent, triage decided, advisory published
        record_event(session, actor, case, [STEP_FACTS[sd.id]], f"playbook step {pb.id}/{sd.id}")
    session.flush()  # the versions shown are the ones written
    return snapshot(run, pb, case.key)


def skip(
    session: Session,
    actor: Actor,
    case_key: str,
    step_id: str,
    reason: str,
    *,
    playbook_id: str | None = None,
) -> RunStatus:
    """Skip a pending or blocked step with a reason; a decision cannot be skipped."""
    if not reason.strip():
        raise UsageError(_("skipping a step needs a reason"))
    case = get_case(session, case_key)
    run, pb, row = find_step(session, case, step_id, playbook_id)
    sd = pb.step(step_id)
    _require_mirror_owned(run, sd)
    if sd.decision is not None:
        raise AccordError(
            _("step {step} decides the branch ({input}); complete it instead").format(
                step=sd.id, input=sd.decision.input
            )
        )
    if row.state not in (PENDING, BLOCKED):
        raise AccordError(
            _("step {step} is {state}; it cannot be skipped").format(step=sd.id, state=row.state)
        )
    row.state, row.skip_reason = SKIPPED, reason.strip()
    row.completed_by, row.completed_at = actor.name, utcnow()
    audit.record(
        session,
        actor,
        "playbook.step.skip",
        "playbook_step",
        row.id,
        case_key=case.key,
        details={"run": run.id, "playbook": pb.id, "step": sd.id, "state": SKIPPED},
    )
    settle(session, actor, run, pb, case)
    session.flush()  # the versions shown are the ones written
    return snapshot(run, pb, case.key)
