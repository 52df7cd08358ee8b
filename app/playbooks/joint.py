"""Joint runs: partner-owned steps travel in bundles, their completions come back signed.

The exchange code calls :func:`partner_steps_for_export` when it builds a case bundle and
:func:`apply_partner_completion` for each step completion in a verified incoming bundle,
passing the fingerprint of the key that signed it; the step records that fingerprint.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app import audit
from app.actor import Actor
from app.errors import AccordError, NotFound, UsageError, VerificationError
from app.playbooks import definition, runner
from app.playbooks.runner import DONE, PENDING, RUNNING, SKIPPED, RunStatus
from i18n import _
from models import Case, CasePartner, Partner, PartnerKey, PlaybookRun, utcnow

PAYLOAD_KIND = "accord.playbook-step/1"


def _norm_fpr(fpr: str) -> str:
    return "".join(fpr.split()).upper()


def partner_steps_for_export(session: Session, case_id: int) -> list[dict[str, Any]]:
    """Every partner-owned step of the case's runs, as JSON-able dicts for the bundle."""
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
        for row in run.steps:
            sd = pb.step(row.step_id)
            if sd.partner is None:
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
                }
            )
    return out


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
    case = session.scalar(select(Case).where(Case.key == case_key.strip().upper()))
    if case is None:
        raise NotFound(_("no case {key}").format(key=case_key))
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
        .where(PlaybookRun.case_id == case.id, PlaybookRun.playbook_id == pid)
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
