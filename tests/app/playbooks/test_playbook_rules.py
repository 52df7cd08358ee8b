"""The runner's refusals, skipping, roles, and joint runs with partner-owned steps."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.errors import AccordError, NotFound, PermissionDenied, UsageError, VerificationError
from app.identity.actor import Actor
from app.playbooks import (
    apply_partner_completion,
    complete,
    partner_steps_for_export,
    skip,
    start,
    status,
)
from app.workspaces.lifecycle import Workspace
from models import Analyst, AuditEvent, PlaybookStep, Role
from tests.app.playbooks.conftest import OTHER_FPR, CaseSetup


def test_required_inputs_and_blocked_steps(ws: Workspace, case: CaseSetup) -> None:
    a = ws.require_actor()
    with ws.session() as s:
        start(s, a, case.key, "initial-triage")
    with ws.session() as s, pytest.raises(UsageError, match="needs: ack_channel"):
        complete(s, a, case.key, "acknowledge", {})
    with ws.session() as s, pytest.raises(AccordError, match="blocked by: acknowledge"):
        complete(s, a, case.key, "scope", {"affected_components": "x"})
    with ws.session() as s:
        st = complete(s, a, case.key, "acknowledge", {"ack_channel": " e-mail "})
    assert st.step("acknowledge").outputs == {"ack_channel": "e-mail"}
    assert st.step("scope").state == "pending"
    with ws.session() as s, pytest.raises(AccordError, match="is done"):
        complete(s, a, case.key, "acknowledge", {"ack_channel": "e-mail"})


def test_decision_value_must_be_a_branch(ws: Workspace, case: CaseSetup) -> None:
    a = ws.require_actor()
    with ws.session() as s:
        start(s, a, case.key, "jailbreak-probabilistic")
        complete(
            s,
            a,
            case.key,
            "record-prompt",
            {"model": "m", "model_version": "1", "temperature": "0.7"},
        )
    with ws.session() as s, pytest.raises(UsageError, match="impossible"):
        complete(
            s, a, case.key, "trials", {"model_version": "1", "k_successes": "21", "n_trials": "20"}
        )
    with ws.session() as s, pytest.raises(UsageError, match="whole numbers"):
        complete(
            s,
            a,
            case.key,
            "trials",
            {"model_version": "1", "k_successes": "many", "n_trials": "20"},
        )
    with ws.session() as s:
        st = complete(
            s, a, case.key, "trials", {"model_version": "1", "k_successes": "13", "n_trials": "20"}
        )
    assert st.step("trials").outputs["k_successes"] == 13
    with ws.session() as s, pytest.raises(UsageError, match="reliable, sporadic, none"):
        complete(s, a, case.key, "reproducibility", {"reproducibility": "maybe"})
    with ws.session() as s, pytest.raises(AccordError, match="complete it instead"):
        skip(s, a, case.key, "reproducibility", "no time")
    with ws.session() as s:
        st = complete(s, a, case.key, "reproducibility", {"reproducibility": "none"})
    assert st.step("not-reproduced").state == "pending"
    assert {st.step(x).state for x in ("more-trials", "transfer", "partner-trials")} == {
        "not-applicable"
    }
    with ws.session() as s, pytest.raises(AccordError, match="not-applicable"):
        skip(s, a, case.key, "transfer", "n/a")


def test_skip_needs_reason_and_closes_the_step(ws: Workspace, case: CaseSetup) -> None:
    a = ws.require_actor()
    with ws.session() as s:
        start(s, a, case.key, "publication")
    with ws.session() as s, pytest.raises(UsageError, match="reason"):
        skip(s, a, case.key, "draft", "  ")
    with ws.session() as s:
        st = skip(s, a, case.key, "translate", "single-language constituency")
    assert st.step("translate").state == "skipped"
    assert st.step("translate").skip_reason == "single-language constituency"
    assert st.step("approve").state == "blocked"  # draft is still open
    assert st.step("approve").blocked_by == ("draft",)
    with ws.session() as s:
        st = complete(s, a, case.key, "draft", {"advisory_ref": "ADV-1"})
    assert st.step("approve").state == "pending"
    with ws.session() as s:
        ev = s.scalars(select(AuditEvent).where(AuditEvent.action == "playbook.step.skip")).one()
    assert ev.details == {
        "run": 1,
        "playbook": "publication",
        "step": "translate",
        "state": "skipped",
    }


def test_roles_and_partner_steps(ws: Workspace, case: CaseSetup) -> None:
    a = ws.require_actor()
    with ws.session() as s:
        s.add(Analyst(name="bob", role=Role.ANALYST))
    bob = ws.act_as("bob")
    ws.actor = a
    with ws.session() as s:
        start(s, a, case.key, "impact-estimation")
        complete(s, a, case.key, "define-scope", {"affected_products": "m 1.x"})
    with ws.session() as s, pytest.raises(AccordError, match="partner's bundle"):
        complete(s, a, case.key, "partner-inventories", {"matches_shared": "yes"})
    with ws.session() as s:
        complete(s, bob, case.key, "gather-inventories", {"inventories": "2"})
        apply_partner_completion(
            s,
            a,
            case.key,
            {
                "playbook": "impact-estimation",
                "step_id": "partner-inventories",
                "outputs": {"matches_shared": "3 deployments"},
            },
            case.fingerprint,
        )
        complete(s, bob, case.key, "run-estimate", {"affected_deployments": "5"})
    with ws.session() as s, pytest.raises(PermissionDenied, match="shift-lead"):
        complete(s, bob, case.key, "review-assumptions", {"assumptions": "accepted"})


def test_start_twice_and_unknowns(ws: Workspace, case: CaseSetup) -> None:
    a = ws.require_actor()
    with ws.session() as s:
        start(s, a, case.key, "publication")
    with ws.session() as s, pytest.raises(AccordError, match="already running"):
        start(s, a, case.key, "publication")
    with ws.session() as s, pytest.raises(NotFound, match="playbooks are: "):
        start(s, a, case.key, "no-such")
    with ws.session() as s, pytest.raises(NotFound, match="no case"):
        start(s, a, "ACC-1999-0001", "publication")
    with ws.session() as s, pytest.raises(NotFound, match="step nope"):
        complete(s, a, case.key, "nope", {})
    with ws.session() as s:
        start(s, a, case.key, "impact-estimation")
        st = status(s, case.key, "publication")
    assert st.playbook == "publication"
    with ws.session() as s:
        assert status(s, case.key).playbook == "impact-estimation"


def _partner_run(ws: Workspace, case: CaseSetup) -> Actor:
    a = ws.require_actor()
    with ws.session() as s:
        start(s, a, case.key, "coordination-embargo")
        complete(s, a, case.key, "identify-parties", {"parties": "vendor, CERT-Example"})
        complete(s, a, case.key, "contact-vendor", {"vendor_channel": "security.txt"})
        complete(s, a, case.key, "vendor-response", {"vendor_response": "responsive"})
        complete(s, a, case.key, "propose-embargo", {"embargo_until": "2027-01-15"})
    return a


ACK = {
    "playbook": "coordination-embargo",
    "version": "1.0",
    "step_id": "partner-ack",
    "state": "done",
    "outputs": {"embargo_accepted": "yes"},
    "completed_by": "dora",
    "completed_at": "2026-11-20T10:00:00+00:00",
}


def test_partner_steps_for_export_and_completion(ws: Workspace, case: CaseSetup) -> None:
    a = _partner_run(ws, case)
    with ws.session() as s:
        exported = partner_steps_for_export(s, case.case_id)
    assert [e["step_id"] for e in exported] == ["partner-ack"]
    e = exported[0]
    assert e["owner"] == "partner:*" and e["state"] == "pending" and e["case"] == case.key
    assert e["inputs"] == ["embargo_accepted"] and e["version"] == "1.0"
    assert e["due_utc"] is not None
    with ws.session() as s:
        st = apply_partner_completion(s, a, case.key, ACK, case.fingerprint.lower())
    step = st.step("partner-ack")
    assert step.state == "done" and step.completed_by == case.partner
    assert step.partner_fingerprint == case.fingerprint
    assert step.completed_at is not None and step.completed_at.day == 20
    assert st.step("share-details").state == "pending"
    # A replay of the same completion changes nothing; a different one is refused.
    with ws.session() as s:
        apply_partner_completion(s, a, case.key, ACK, case.fingerprint)
    changed = {**ACK, "outputs": {"embargo_accepted": "no"}}
    with ws.session() as s, pytest.raises(AccordError, match="differs"):
        apply_partner_completion(s, a, case.key, changed, case.fingerprint)
    with ws.session() as s:
        row = s.scalars(select(PlaybookStep).where(PlaybookStep.step_id == "partner-ack")).one()
        assert row.partner_fingerprint == case.fingerprint
        assert row.outputs == {"embargo_accepted": "yes"}
        n = len(
            s.scalars(select(AuditEvent).where(AuditEvent.action == "playbook.step.partner")).all()
        )
    assert n == 1


def test_partner_completion_refusals(ws: Workspace, case: CaseSetup) -> None:
    a = ws.require_actor()
    with ws.session() as s:
        start(s, a, case.key, "coordination-embargo")
    with ws.session() as s, pytest.raises(VerificationError, match="no known partner"):
        apply_partner_completion(s, a, case.key, ACK, "AA" * 20)
    with ws.session() as s, pytest.raises(AccordError, match="cannot be applied yet"):
        apply_partner_completion(s, a, case.key, ACK, case.fingerprint)
    # CERT-Elsewhere is a known partner but not on this case.
    _partner_run_rest(ws, case, a)
    with ws.session() as s, pytest.raises(AccordError, match="not a partner on"):
        apply_partner_completion(s, a, case.key, ACK, OTHER_FPR)
    own = {**ACK, "step_id": "share-details"}
    with ws.session() as s, pytest.raises(AccordError, match="not by a partner"):
        apply_partner_completion(s, a, case.key, own, case.fingerprint)
    with ws.session() as s, pytest.raises(AccordError, match=r"version 2\.0"):
        apply_partner_completion(s, a, case.key, {**ACK, "version": "2.0"}, case.fingerprint)
    with ws.session() as s, pytest.raises(UsageError, match="without a reason"):
        apply_partner_completion(s, a, case.key, {**ACK, "state": "skipped"}, case.fingerprint)
    with ws.session() as s, pytest.raises(UsageError, match="lacks"):
        apply_partner_completion(s, a, case.key, {"state": "done"}, case.fingerprint)
    with ws.session() as s:
        st = apply_partner_completion(
            s,
            a,
            case.key,
            {**ACK, "state": "skipped", "skip_reason": "not in our scope"},
            case.fingerprint,
        )
    assert st.step("partner-ack").state == "skipped"


def _partner_run_rest(ws: Workspace, case: CaseSetup, a: Actor) -> None:
    with ws.session() as s:
        complete(s, a, case.key, "identify-parties", {"parties": "vendor"})
        complete(s, a, case.key, "contact-vendor", {"vendor_channel": "security.txt"})
        complete(s, a, case.key, "vendor-response", {"vendor_response": "unresponsive"})
        complete(s, a, case.key, "escalate", {"escalation_channel": "national CERT"})
        complete(s, a, case.key, "propose-embargo", {"embargo_until": "2027-01-15"})
