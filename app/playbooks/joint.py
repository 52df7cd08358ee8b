"""Joint runs: partner-owned steps travel in bundles, their completions come back signed.

The exchange code calls :func:`partner_steps_for_export` when it builds a case bundle and
:func:`apply_partner_completion` for each step completion in a verified incoming bundle,
passing the fingerprint of the key that signed it; the step records that fingerprint.

On the partner's side, :func:`mirror_partner_steps` turns the steps addressed to it into a
mirrored run on its copy of the case (``PlaybookRun.origin_fingerprint`` set): the steps it
owns can be completed there with ``accord playbook complete`` like any other, the rest is
read-only context, and the completions travel back in its next bundle.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.auditing import chain as audit
from app.casework.cases import get_case
from app.errors import AccordError, NotFound, UsageError, VerificationError
from app.identity.actor import Actor
from app.playbooks import definition, runner
from app.playbooks.runner import BLOCKED, DONE, PENDING, RUNNING, SKIPPED, RunStatus
from i18n import _
from models import Case, CasePartner, Partner, PartnerKey, PlaybookRun, PlaybookStep, utcnow

PAYLOAD_KIND = "accord.playbook-step/1"


def _norm_fpr(fpr: str) -> str:
    return "".join(fpr.split()).upper()


def partner_steps_for_export(session: Session, case_id: int) -> list[dict[str, Any]]:
    """Every partner-owned step of the case's runs, as JSON-able dicts for the bundle.

    From our own runs: every partner-owned step, open or closed, with the verified fingerprint
    of the partner it names (``owner_fingerprint``; None for ``partner:*``), so the recipient
    knows which steps are its own. From a partner's run mirrored here: only the steps we own
    and have closed, marked ``mirrored_from`` so that they go back as our completions and are
    never taken for a run of ours by a third party.
    """
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(_("no case with id {id}").format(id=case_id))
    out: list[dict[str, Any]] = []
    found = session.scalars(
        select(PlaybookRun).where(PlaybookRun.case_id == case_id).order_by(PlaybookRun.id)
    ).all()
    for run in found:
        pb = definition.get(run.playbook_id, run.version)
        runner.refresh(session, run, pb)
        mirrored = run.origin_fingerprint is not None
        for row in run.steps:
            sd = pb.step(row.step_id)
            if sd.partner is None:
                continue
            if mirrored and not (
                runner.owned_here(run, row.owner) and row.state in (DONE, SKIPPED)
            ):
                continue
            out.append(
                {
                    "kind": PAYLOAD_KIND,
                    "case": case.key,
                    "playbook": run.playbook_id,
                    "version": run.version,
                    "run_started_at": run.started_at.isoformat(),
                    "step_id": row.step_id,
                    "title": row.title,
                    "owner": row.owner,
                    "state": row.state,
                    "due_utc": row.due_utc.isoformat() if row.due_utc else None,
                    "inputs": list(sd.inputs),
                    "checks": list(sd.checks),
                    "decision": (
                        {"input": sd.decision.input, "values": list(sd.decision.values)}
                        if sd.decision
                        else None
                    ),
                    "outputs": dict(row.outputs or {}),
                    "completed_by": row.completed_by,
                    "completed_at": row.completed_at.isoformat() if row.completed_at else None,
                    "skip_reason": row.skip_reason,
                    "partner_fingerprint": row.partner_fingerprint,
                    "owner_fingerprint": (
                        None if mirrored else _owner_fingerprint(session, sd.partner)
                    ),
                    "mirrored_from": run.origin_fingerprint,
                    "origin_case": run.origin_case,
                }
            )
    return out


def _owner_fingerprint(session: Session, name: str) -> str | None:
    """The verified fingerprint of the partner a step names (None for ``*`` or unknown)."""
    if name == "*":
        return None
    return session.scalar(select(Partner.verified_fingerprint).where(Partner.name == name))


def _partner_for(session: Session, fingerprint: str) -> Partner:
    fpr = _norm_fpr(fingerprint)
    partner = session.scalar(
        select(Partner)
        .outerjoin(PartnerKey, PartnerKey.partner_id == Partner.id)
        .where(or_(Partner.verified_fingerprint == fpr, PartnerKey.fingerprint == fpr))
        .limit(1)
    )
    if partner is None:
        raise VerificationError(
            _("step completion signed by {fpr}, which is no known partner's key").format(fpr=fpr)
        )
    return partner


def apply_partner_completion(
    session: Session,
    actor: Actor,
    case_key: str,
    step_payload: dict[str, Any],
    partner_fingerprint: str,
) -> RunStatus:
    """Record a partner's completion (or skip) of a step it owns, with its signing fingerprint.

    Replaying the same completion is a no-op; a different completion of a closed step, a step
    owned by another organisation, or one not yet open on our side is refused.
    """
    case = get_case(session, case_key)
    try:
        pid, step_id = str(step_payload["playbook"]), str(step_payload["step_id"])
        state = str(step_payload.get("state", DONE))
        outputs = dict(step_payload.get("outputs") or {})
    except (KeyError, TypeError, ValueError) as exc:
        raise UsageError(_("step completion lacks {field}").format(field=exc)) from None
    if state not in (DONE, SKIPPED):
        raise UsageError(
            _("step completion state must be done or skipped, not {state}").format(state=state)
        )
    partner = _partner_for(session, partner_fingerprint)
    fpr = _norm_fpr(partner_fingerprint)
    run = session.scalar(
        select(PlaybookRun)
        .where(
            PlaybookRun.case_id == case.id,
            PlaybookRun.playbook_id == pid,
            PlaybookRun.origin_fingerprint.is_(None),
        )
        .order_by(PlaybookRun.started_at.desc(), PlaybookRun.id.desc())
        .limit(1)
    )
    if run is None:
        raise NotFound(
            _("playbook {playbook} was never started on {key}").format(playbook=pid, key=case.key)
        )
    version = step_payload.get("version")
    if version is not None and str(version) != run.version:
        raise AccordError(
            _("the partner completed version {theirs} of {playbook}; ours is {ours}").format(
                theirs=version, playbook=pid, ours=run.version
            )
        )
    pb = definition.get(run.playbook_id, run.version)
    sd = pb.step(step_id)
    if sd.partner is None:
        raise AccordError(
            _("step {step} is owned by {owner}, not by a partner").format(
                step=step_id, owner=sd.owner
            )
        )
    if sd.partner != "*" and sd.partner != partner.name:
        raise AccordError(
            _("step {step} is owned by {owner}; {partner} may not complete it").format(
                step=step_id, owner=sd.owner, partner=partner.name
            )
        )
    if sd.partner == "*":
        members = set(
            session.scalars(select(CasePartner.partner_id).where(CasePartner.case_id == case.id))
        )
        if members and partner.id not in members:
            raise AccordError(
                _("{partner} is not a partner on {key}").format(partner=partner.name, key=case.key)
            )
    runner.refresh(session, run, pb)
    row = next(r for r in run.steps if r.step_id == step_id)
    if row.state in (DONE, SKIPPED):
        same = (
            row.partner_fingerprint == fpr
            and row.state == state
            and (row.outputs or {}) == runner.check_outputs(sd, outputs)
            if state == DONE
            else row.partner_fingerprint == fpr and row.state == state
        )
        if same:
            return runner.snapshot(run, pb, case.key)
        raise AccordError(
            _("step {step} is already {state}; the partner's completion differs").format(
                step=step_id, state=row.state
            )
        )
    if run.state != RUNNING or row.state != PENDING:
        raise AccordError(
            _(
                "step {step} is {state} on {key}; the partner's completion cannot be applied yet"
            ).format(step=step_id, state=row.state, key=case.key)
        )
    if state == DONE:
        row.outputs = runner.check_outputs(sd, outputs)
    else:
        if sd.decision is not None:
            raise AccordError(
                _("step {step} decides the branch; a partner cannot skip it").format(step=step_id)
            )
        reason = str(step_payload.get("skip_reason") or "").strip()
        if not reason:
            raise UsageError(
                _("the partner skipped step {step} without a reason").format(step=step_id)
            )
        row.skip_reason = reason
    row.state = state
    row.completed_by = partner.name
    row.completed_at = _parse_time(step_payload.get("completed_at")) or utcnow()
    row.partner_fingerprint = fpr
    audit.record(
        session,
        actor,
        "playbook.step.partner",
        "playbook_step",
        row.id,
        case_key=case.key,
        details={
            "run": run.id,
            "playbook": pid,
            "step": step_id,
            "state": state,
            "partner": partner.id,
            "fingerprint": fpr,
            "outputs": sorted(row.outputs or {}),
        },
    )
    runner.settle(session, actor, run, pb, case)
    return runner.snapshot(run, pb, case.key)


def _parse_time(value: object) -> datetime | None:
    if not value:
        return None
    try:
        at = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return at if at.tzinfo is not None else None


def _has_run(session: Session, case_id: int, playbook_id: object, *, mirrored: bool) -> bool:
    origin = PlaybookRun.origin_fingerprint
    stmt = select(PlaybookRun.id).where(
        PlaybookRun.case_id == case_id,
        PlaybookRun.playbook_id == str(playbook_id),
        origin.is_not(None) if mirrored else origin.is_(None),
    )
    return session.scalar(stmt.limit(1)) is not None


def has_own_run(session: Session, case_id: int, playbook_id: object) -> bool:
    """Whether we ran this playbook on the case ourselves (not only mirrored a partner's run)."""
    return _has_run(session, case_id, playbook_id, mirrored=False)


def has_mirrored_run(session: Session, case_id: int, playbook_id: object) -> bool:
    """Whether the case carries a partner's run of this playbook, mirrored from a bundle."""
    return _has_run(session, case_id, playbook_id, mirrored=True)


def _same_time(a: datetime, b: datetime) -> bool:
    # SQLite hands datetimes back naive (stored in UTC); compare as UTC instants.
    return a.replace(tzinfo=a.tzinfo or UTC) == b.replace(tzinfo=b.tzinfo or UTC)


def mirror_partner_steps(
    session: Session,
    actor: Actor,
    case: Case,
    doc: dict[str, Any],
    signer_fingerprint: str,
    own_fingerprints: set[str],
) -> tuple[int, list[str]]:
    """Mirror the partner's runs that give us steps onto our copy of the case.

    ``doc`` is the partner's case document (``playbook_steps`` and ``playbook_runs``), signed
    by ``signer_fingerprint``. A step is ours when its owner is ``partner:*`` or names the
    partner whose verified fingerprint is one of ``own_fingerprints``. A run is created the
    first time (the partner's playbook id, version, start time and step ids) and updated on
    later bundles: the partner's closed steps fill in the context, a step of ours that we have
    not closed yet takes the partner's record of it. Returns how many steps changed, and notes.
    """
    signer = _norm_fpr(signer_fingerprint)
    own = {_norm_fpr(f) for f in own_fingerprints}
    origin = doc.get("origin") or {}
    origin_case = str(origin.get("case") or doc.get("key") or "")[:40]
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for step in doc.get("playbook_steps") or []:
        if not isinstance(step, dict) or step.get("mirrored_from"):
            continue  # a completion of a run of somebody else's, not a run of the signer's
        key = (str(step.get("playbook")), str(step.get("version")), str(step.get("run_started_at")))
        groups.setdefault(key, []).append(step)
    changed = 0
    notes: list[str] = []
    for (pid, version, started), steps in groups.items():
        ours = [
            s
            for s in steps
            if s.get("owner") == "partner:*"
            or _norm_fpr(str(s.get("owner_fingerprint") or "")) in own
        ]
        if not ours or has_own_run(session, case.id, pid):
            # Nothing for us, or we run this playbook on the case ourselves: then these are
            # completions of our own steps (apply_partner_completion), never a second run.
            continue
        try:
            pb = definition.get(pid, version)
        except AccordError as exc:
            notes.append(
                _(
                    "{key}: the partner's playbook {playbook} {version} is not known here: {error}"
                ).format(key=case.key, playbook=pid, version=version, error=exc)
            )
            continue
        started_at = _parse_time(started)
        if started_at is None:
            notes.append(
                _("{key}: the partner's run of {playbook} has no valid start time").format(
                    key=case.key, playbook=pid
                )
            )
            continue
        named = [str(s["owner"]) for s in ours if s.get("owner") != "partner:*"]
        run = next(
            (
                r
                for r in session.scalars(
                    select(PlaybookRun).where(
                        PlaybookRun.case_id == case.id,
                        PlaybookRun.playbook_id == pb.id,
                        PlaybookRun.version == pb.version,
                        PlaybookRun.origin_fingerprint == signer,
                    )
                )
                if _same_time(r.started_at, started_at)
            ),
            None,
        )
        created = run is None
        if run is None:
            run = PlaybookRun(
                case_id=case.id,
                playbook_id=pb.id,
                version=pb.version,
                state=RUNNING,
                started_by_id=None,
                started_at=started_at,
                origin_fingerprint=signer,
                origin_case=origin_case,
                local_owner=named[0][:200] if named else None,
            )
            run.steps = [
                PlaybookStep(
                    step_id=s.id,
                    position=i,
                    title=s.title,
                    owner=s.owner,
                    state=BLOCKED,
                    outputs={},
                )
                for i, s in enumerate(pb.steps)
            ]
            session.add(run)
        elif named and run.local_owner is None:
            run.local_owner = named[0][:200]
        rows = {r.step_id: r for r in run.steps}
        # What the partner closed: its own steps (playbook_runs) and partner-owned ones.
        closed: list[tuple[dict[str, Any], str]] = [
            (s, _norm_fpr(str(s.get("partner_fingerprint") or signer)))
            for s in steps
            if s.get("state") in (DONE, SKIPPED)
        ]
        for r in doc.get("playbook_runs") or []:
            if not isinstance(r, dict):
                continue
            if str(r.get("playbook_id")) != pb.id or str(r.get("version")) != pb.version:
                continue
            closed.extend(
                (s, signer)
                for s in r.get("steps") or []
                if isinstance(s, dict) and s.get("state") in (DONE, SKIPPED)
            )
        updated: list[str] = []
        for s, fpr in closed:
            row = rows.get(str(s.get("step_id")))
            if row is None or row.state in (DONE, SKIPPED):
                continue  # unknown to this version, or closed already (ours stay ours)
            row.state = str(s["state"])
            outputs = s.get("outputs")
            row.outputs = dict(outputs) if isinstance(outputs, dict) else {}
            row.completed_by = str(s.get("completed_by") or "")[:200] or None
            row.completed_at = _parse_time(s.get("completed_at")) or utcnow()
            row.skip_reason = s.get("skip_reason") if row.state == SKIPPED else None
            row.partner_fingerprint = fpr[:64]
            updated.append(row.step_id)
        runner.refresh(session, run, pb)
        session.flush()
        if created or updated:
            audit.record(
                session,
                actor,
                "playbook.mirror",
                "playbook_run",
                run.id,
                case_key=case.key,
                details={
                    "playbook": pb.id,
                    "version": pb.version,
                    "origin_case": origin_case,
                    "fingerprint": signer,
                    "created": created,
                    "ours": sorted(r.step_id for r in run.steps if runner.owned_here(run, r.owner)),
                    "updated": sorted(updated),
                },
            )
        changed += len(updated) + (len(ours) if created else 0)
    return changed, notes
