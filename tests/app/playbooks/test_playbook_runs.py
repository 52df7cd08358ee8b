"""Every shipped playbook, run to completion along each of its branches."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from app.playbooks import (
    all_playbooks,
    apply_partner_completion,
    complete,
    definition,
    start,
    status,
)
from app.playbooks.definition import Playbook, StepDef
from app.workspaces.lifecycle import Workspace
from models import AuditEvent, PlaybookRun
from tests.app.playbooks.conftest import REPORTED, CaseSetup

SHIPPED = {
    "initial-triage",
    "impact-estimation",
    "coordination-embargo",
    "remediation-verification",
    "publication",
    "prompt-injection-agents",
    "model-supply-chain",
    "training-data-leakage",
    "jailbreak-probabilistic",
}


def branch_choices(pb: Playbook) -> list[dict[str, str]]:
    """Every combination of decision values (step id → chosen value)."""
    decisions = [s for s in pb.steps if s.decision is not None]
    combos = itertools.product(*[s.decision.values for s in decisions if s.decision])
    return [{d.id: v for d, v in zip(decisions, combo, strict=True)} for combo in combos]


def outputs_for(sd: StepDef, choice: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {k: f"{k} value" for k in sd.inputs}
    if "k_successes" in out:
        out["k_successes"], out["n_trials"] = "7", "20"
    if sd.decision is not None:
        out[sd.decision.input] = choice[sd.id]
    return out


def reachable(pb: Playbook, choice: dict[str, str]) -> set[str]:
    seen: set[str] = set()
    stack = [pb.steps[0].id]
    while stack:
        sid = stack.pop()
        if sid in seen:
            continue
        seen.add(sid)
        sd = pb.step(sid)
        if sd.decision is not None:
            stack.append(sd.decision.target(choice[sid]) or "")
        else:
            stack.extend(sd.successors)
    return seen


def test_all_nine_shipped_playbooks_load() -> None:
    assert {p.id for p in all_playbooks()} == SHIPPED
    for pb in all_playbooks():
        assert pb.version
        assert any(s.decision for s in pb.steps), f"{pb.id} has no decision"


CASES = [(pb.id, choice) for pb in all_playbooks() for choice in branch_choices(pb)]


@pytest.mark.parametrize(
    ("playbook_id", "choice"),
    CASES,
    ids=[f"{p}-" + "-".join(c.values()) for p, c in CASES],
)
def test_run_to_completion_along_branch(
    ws: Workspace, case: CaseSetup, playbook_id: str, choice: dict[str, str]
) -> None:
    pb = definition.get(playbook_id)
    actor = ws.require_actor()
    with ws.session() as s:
        st = start(s, actor, case.key, playbook_id)
    assert st.steps[0].state == "pending"
    assert all(x.state == "blocked" for x in st.steps[1:] if x.id not in pb.steps[0].next)
    for _round in range(len(pb.steps) + 1):
        pending = [x for x in st.steps if x.state == "pending"]
        if not pending:
            break
        for step in pending:
            sd = pb.step(step.id)
            with ws.session() as s:
                if sd.partner is not None:
                    payload = {
                        "playbook": pb.id,
                        "version": pb.version,
                        "step_id": sd.id,
                        "state": "done",
                        "outputs": outputs_for(sd, choice),
                    }
                    st = apply_partner_completion(s, actor, case.key, payload, case.fingerprint)
                else:
                    st = complete(s, actor, case.key, sd.id, outputs_for(sd, choice))
    assert st.state == "completed"
    taken = reachable(pb, choice)
    for x in st.steps:
        if x.id in taken:
            assert x.state == "done", (x.id, x.state)
            assert x.completed_by in (actor.name, case.partner)
        else:
            assert x.state == "not-applicable", (x.id, x.state)
    with ws.session() as s:
        run = s.scalar(select(PlaybookRun))
        assert run is not None and run.state == "completed" and run.finished_at is not None
        actions = s.scalars(select(AuditEvent.action).where(AuditEvent.case_key == case.key)).all()
    assert actions.count("playbook.start") == 1
    assert actions.count("playbook.complete") == 1
    assert actions.count("playbook.step.complete") + actions.count("playbook.step.partner") == len(
        taken
    )


def test_due_times_from_start_facts_and_durations(ws: Workspace, case: CaseSetup) -> None:
    with ws.session() as s:
        st = start(s, ws.require_actor(), case.key, "initial-triage")
        started = st.started_at
    # acknowledge: due 2 days after the "reported" fact.
    assert st.step("acknowledge").due_utc == REPORTED + timedelta(days=2)
    # scope (4 h) follows acknowledge; it cannot start before the run did (acknowledge's due
    # time is in the past), so it is projected 4 h after the start.
    assert st.step("scope").due_utc == started + timedelta(hours=4)
    with ws.session() as s:
        st = complete(s, ws.require_actor(), case.key, "acknowledge", {"ack_channel": "e-mail"})
    acked = st.step("acknowledge").completed_at
    assert acked is not None and acked >= started
    assert st.step("scope").due_utc == acked + timedelta(hours=4)
    assert st.step("scope").state == "pending"
    with ws.session() as s:
        st2 = start(s, ws.require_actor(), case.key, "model-supply-chain")
    assert st2.step("pin-artifact").due_utc == st2.started_at + timedelta(hours=4)


def test_fact_relative_due_appears_when_fact_is_recorded(ws: Workspace, case: CaseSetup) -> None:
    from models import CaseFact

    with ws.session() as s:
        st = start(s, ws.require_actor(), case.key, "coordination-embargo")
    assert st.step("vendor-response").due_utc is None
    contacted = REPORTED + timedelta(days=3)
    with ws.session() as s:
        s.add(CaseFact(case_id=case.case_id, name="vendor-contacted", at=contacted))
    with ws.session() as s:
        st = status(s, case.key)
    assert st.step("vendor-response").due_utc == contacted + timedelta(days=14)
    assert st.step("escalate").due_utc == contacted + timedelta(days=30)
