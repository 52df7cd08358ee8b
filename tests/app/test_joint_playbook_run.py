"""Joint playbook runs between two organisations: a step owned by CERT-B travels with A's case,
B completes it in its own workspace (app API and CLI), and its completion comes back in B's
bundle, recorded at A with B's signing fingerprint."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import func, select

from app.casework import cases
from app.cli.context import CliContext
from app.cli.main import build_parser
from app.errors import PermissionDenied
from app.exchange import export, importer, keys
from app.identity.actor import Actor
from app.playbooks import definition, joint, runner
from app.workspaces.lifecycle import Workspace
from models import AuditEvent, PlaybookRun
from tests.app.exchange.conftest import (  # noqa: F401  (fixtures used by name)
    Org,
    befriend,
    make_org,
    open_case,
    orgs,
    reuse_generated_keys,
)
from tests.conftest import FIXTURES

PB = "joint-test"


@pytest.fixture(autouse=True)
def joint_playbook(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shipped catalog plus a test playbook with a step for CERT-B and one for any partner
    (both organisations run the same software, so both see it)."""
    pb = definition.load_file(FIXTURES / "joint-playbook" / "joint-test.yaml")
    catalog = {**definition._catalog(), (pb.id, pb.version): pb}
    monkeypatch.setattr(definition, "_catalog", lambda: catalog)


def _export(org: Org, to: str, key: str, tlp: str = "AMBER") -> bytes:
    with org.ws.session() as s:
        return export.export_bundle(s, org.ws.require_actor(), [to], [key], tlp).data


def _import(org: Org, data: bytes) -> importer.ImportResult:
    with org.ws.session() as s:
        return importer.import_bundle(s, org.ws.require_actor(), data, name="in.bundle")


def _status(org: Org, key: str, playbook: str = PB) -> runner.RunStatus:
    with org.ws.session() as s:
        return runner.status(s, key, playbook)


def _actions(org: Org, action: str) -> list[dict[str, object]]:
    with org.ws.session() as s:
        return [
            dict(e.details or {})
            for e in s.scalars(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
            )
        ]


def _cli(org: Org, *argv: str) -> tuple[int, dict[str, object]]:
    """The real `accord` parser and handler, on the organisation's open workspace."""
    args = build_parser().parse_args(list(argv))
    out = io.StringIO()
    rc = args.handler(CliContext(args, out=out, _ws=org.ws), args)
    return rc, json.loads(out.getvalue())


def test_partner_step_round_trip_between_two_organisations(orgs: tuple[Org, Org]) -> None:  # noqa: F811
    a, b = orgs
    key_a = open_case(a)
    with a.ws.session() as s:
        actor = a.ws.require_actor()
        runner.start(s, actor, key_a, PB)
        runner.complete(s, actor, key_a, "scope", {"scope": "model X 1.2"})

    # A → B: the run travels with the case.
    first = _import(b, _export(a, "CERT-B", key_a))
    assert first.imported, first.report.reason
    # b-reproduce and any-ack are B's; scope, which A closed, came along as context
    assert first.playbook_steps == 3, first.notes
    key_b = first.cases[0].case
    st = _status(b, key_b)
    assert (st.playbook, st.version, st.origin_case) == (PB, "1.0", key_a)
    steps = {x.id: x for x in st.steps}
    assert [x.id for x in st.steps] == ["scope", "b-reproduce", "any-ack", "our-check", "wrap-up"]
    assert steps["scope"].state == "done" and not steps["scope"].local
    assert steps["scope"].outputs == {"scope": "model X 1.2"}
    assert steps["scope"].partner_fingerprint == a.fingerprint
    assert steps["b-reproduce"].state == "pending" and steps["b-reproduce"].local
    assert steps["any-ack"].state == "pending" and steps["any-ack"].local
    assert steps["our-check"].state == "pending" and not steps["our-check"].local
    assert steps["wrap-up"].state == "blocked"
    assert st.as_json()["steps"][1]["owner"] == "partner:CERT-B"
    mirrored = _actions(b, "playbook.mirror")
    assert mirrored[-1]["created"] is True and mirrored[-1]["origin_case"] == key_a
    assert mirrored[-1]["ours"] == ["any-ack", "b-reproduce"]

    # B may not close A's own steps, by any path.
    with b.ws.session() as s, pytest.raises(PermissionDenied, match="our-check"):
        runner.complete(s, b.ws.require_actor(), key_b, "our-check", {"note": "x"})
    with b.ws.session() as s, pytest.raises(PermissionDenied):
        runner.skip(s, b.ws.require_actor(), key_b, "our-check", "not ours to skip")
    with pytest.raises(PermissionDenied):
        _cli(b, "playbook", "complete", key_b, "wrap-up", "--output", "summary=x", "--json")
    assert _status(b, key_b).step("our-check").state == "pending"

    # B completes its steps: one through the app API, one through `accord playbook complete`.
    with b.ws.session() as s:
        runner.complete(
            s,
            b.ws.require_actor(),
            key_b,
            "b-reproduce",
            {"k_successes": "7", "n_trials": "10", "model_version": "1.2.0"},
        )
    rc, out = _cli(
        b, "playbook", "complete", key_b, "any-ack", "--output", "embargo_accepted=yes", "--json"
    )
    assert rc == 0
    by_id = {x["id"]: x for x in out["steps"]}  # type: ignore[attr-defined]
    assert by_id["any-ack"]["state"] == "done"
    assert by_id["any-ack"]["outputs"] == {"embargo_accepted": "yes"}
    done = [e["step"] for e in _actions(b, "playbook.step.complete")]
    assert done == ["b-reproduce", "any-ack"]

    # B → A: the completions come back and are recorded with B's signing fingerprint.
    back = _export(b, "CERT-A", key_b)
    result = _import(a, back)
    assert result.imported, result.report.reason
    assert result.cases[0].case == key_a and not result.cases[0].created
    assert result.playbook_steps == 2, result.notes
    st = _status(a, key_a)
    assert st.origin_case is None
    rep = st.step("b-reproduce")
    assert rep.state == "done" and rep.completed_by == "CERT-B"
    assert rep.outputs == {"k_successes": 7, "n_trials": 10, "model_version": "1.2.0"}
    assert rep.partner_fingerprint == b.fingerprint
    ack = st.step("any-ack")
    assert ack.state == "done" and ack.partner_fingerprint == b.fingerprint
    assert ack.outputs == {"embargo_accepted": "yes"}
    assert st.step("our-check").state == "pending"  # B's refused attempt left no trace
    recorded = _actions(a, "playbook.step.partner")
    assert sorted(str(e["step"]) for e in recorded) == ["any-ack", "b-reproduce"]
    assert {e["fingerprint"] for e in recorded} == {b.fingerprint}
    with a.ws.session() as s:  # our side holds one run of its own; nothing mirrored at A
        assert s.scalar(select(func.count()).select_from(PlaybookRun)) == 1

    # Replays: the same bundle is refused; a new bundle with the same completions, and the
    # same completion applied again by hand, change nothing.
    again = _import(a, back)
    assert not again.imported and "replay" in (again.report.reason or "").lower()
    fresh = _import(a, _export(b, "CERT-A", key_b))
    assert fresh.imported and fresh.playbook_steps == 0, fresh.notes
    with a.ws.session() as s:
        payload = {
            "playbook": PB,
            "version": "1.0",
            "step_id": "b-reproduce",
            "state": "done",
            "outputs": {"k_successes": 7, "n_trials": 10, "model_version": "1.2.0"},
        }
        joint.apply_partner_completion(s, a.ws.require_actor(), key_a, payload, b.fingerprint)
    assert len(_actions(a, "playbook.step.partner")) == 2
    assert _status(a, key_a).step("b-reproduce").completed_at == rep.completed_at

    # A closes its own step and sends the case again: B's context follows, B's steps stay B's.
    with a.ws.session() as s:
        runner.complete(s, a.ws.require_actor(), key_a, "our-check", {"note": "none of ours"})
    update = _import(b, _export(a, "CERT-B", key_a))
    assert update.imported and update.playbook_steps == 1, update.notes
    st = _status(b, key_b)
    assert st.step("our-check").state == "done" and not st.step("our-check").local
    assert st.step("b-reproduce").partner_fingerprint is None  # our own completion
    assert st.step("wrap-up").state == "pending" and not st.step("wrap-up").local
    with b.ws.session() as s:
        assert s.scalar(select(func.count()).select_from(PlaybookRun)) == 1


def test_a_step_named_for_another_partner_is_context_only(orgs: tuple[Org, Org]) -> None:  # noqa: F811
    """A run whose partner steps name someone else is not mirrored as B's."""
    a, b = orgs
    key_a = open_case(a)
    with a.ws.session() as s:
        runner.start(s, a.ws.require_actor(), key_a, "impact-estimation")
    with a.ws.session() as s:
        steps = joint.partner_steps_for_export(s, cases.get_case(s, key_a).id)
    assert [x["owner"] for x in steps] == ["partner:*"]
    assert steps[0]["owner_fingerprint"] is None and steps[0]["mirrored_from"] is None
    # The same payload, re-addressed to a partner B is not: nothing becomes B's.
    doc = {
        "origin": {"org_fingerprint": a.fingerprint, "case": key_a},
        "playbook_steps": [{**steps[0], "owner": "partner:CERT-C", "owner_fingerprint": "AB" * 20}],
    }
    with b.ws.session() as s:
        key_b = open_case(b)
        case = cases.get_case(s, key_b)
        changed, notes = joint.mirror_partner_steps(
            s, b.ws.require_actor(), case, doc, a.fingerprint, {b.fingerprint}
        )
        assert (changed, notes) == (0, [])
        assert s.scalar(select(func.count()).select_from(PlaybookRun)) == 0
    # Where we run the playbook ourselves, a partner's steps never make a second run.
    with a.ws.session() as s:
        case = cases.get_case(s, key_a)
        doc["playbook_steps"] = steps
        changed, notes = joint.mirror_partner_steps(
            s, a.ws.require_actor(), case, doc, b.fingerprint, {a.fingerprint}
        )
        assert (changed, notes) == (0, [])
        assert s.scalar(select(func.count()).select_from(PlaybookRun)) == 1


def test_shipped_playbook_partner_step_returns_with_signer_fingerprint(
    orgs: tuple[Org, Org],  # noqa: F811
) -> None:
    """The shipped impact-estimation playbook: its partner:* step done at B, recorded at A."""
    a, b = orgs
    key_a = open_case(a)
    with a.ws.session() as s:
        runner.start(s, a.ws.require_actor(), key_a, "impact-estimation")
        runner.complete(s, a.ws.require_actor(), key_a, "define-scope", {"affected_products": "X"})
    key_b = _import(b, _export(a, "CERT-B", key_a, "GREEN")).cases[0].case
    analyst: Actor = b.ws.require_actor()
    with b.ws.session() as s:
        st = runner.complete(
            s, analyst, key_b, "partner-inventories", {"matches_shared": "3 operators"}
        )
        assert st.step("gather-inventories").state == "pending"
        assert not st.step("gather-inventories").local
    result = _import(a, _export(b, "CERT-A", key_b, "GREEN"))
    assert result.playbook_steps == 1, result.notes
    step = _status(a, key_a, "impact-estimation").step("partner-inventories")
    assert step.state == "done" and step.partner_fingerprint == b.fingerprint
    assert step.outputs == {"matches_shared": "3 operators"}


def test_partner_completes_its_step_in_the_playbooks_tab(  # type: ignore[no-untyped-def]
    qtbot,
    orgs: tuple[Org, Org],  # noqa: F811
    tmp_path,
) -> None:
    """B's Playbooks tab on the mirrored run: B's step is editable and completes; A's is not."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QLineEdit

    from views.playbooks.runner import PlaybookRunner

    a, b = orgs
    key_a = open_case(a)
    with a.ws.session() as s:
        runner.start(s, a.ws.require_actor(), key_a, PB)
        runner.complete(s, a.ws.require_actor(), key_a, "scope", {"scope": "model X 1.2"})
    key_b = _import(b, _export(a, "CERT-B", key_a, "GREEN")).cases[0].case
    with b.ws.session() as s:
        case_id = cases.get_case(s, key_b).id
    panel = PlaybookRunner(b.ws, case_id)
    qtbot.addWidget(panel)
    panel.resize(1100, 600)
    panel.show()
    assert panel.run is not None and panel.run.origin_case == key_a

    panel.select_step("our-check")
    assert not panel.complete_button.isEnabled() and not panel.skip_button.isEnabled()
    assert key_a in panel.step_info.text()

    panel.select_step("b-reproduce")
    assert panel.complete_button.isEnabled()
    for name, text in (("k_successes", "3"), ("n_trials", "20"), ("model_version", "1.2.0")):
        field = panel.findChild(QLineEdit, f"input-{name}")
        assert field is not None and field.isEnabled()
        qtbot.keyClicks(field, text)
    qtbot.mouseClick(panel.complete_button, Qt.MouseButton.LeftButton)
    step = _status(b, key_b).step("b-reproduce")
    assert step.state == "done", panel.status.text()
    assert step.outputs == {"k_successes": 3, "n_trials": 20, "model_version": "1.2.0"}
    shot = tmp_path / "joint-runner.png"
    panel.grab().save(str(shot))
    assert shot.exists() and shot.stat().st_size > 0

    result = _import(a, _export(b, "CERT-A", key_b, "GREEN"))
    assert result.playbook_steps == 1, result.notes
    assert _status(a, key_a).step("b-reproduce").partner_fingerprint == b.fingerprint


def test_mirrored_run_on_every_backend(any_ws: Workspace) -> None:
    """The partner side on in-memory SQLite, SQLCipher and PostgreSQL: the mirror is found
    again on the next bundle (start times survive the round trip) and the completion returns."""
    a = make_org("CERT-A")
    me = Org(any_ws, "CERT-B", "", "")
    with any_ws.session() as s:
        me.fingerprint = keys.generate(s, any_ws.require_actor()).fingerprint
        me.certificate = keys.export_public(s, any_ws.require_actor())[1]
    befriend(a, me)
    befriend(me, a)
    key_a = open_case(a)
    with a.ws.session() as s:
        runner.start(s, a.ws.require_actor(), key_a, PB)
        runner.complete(s, a.ws.require_actor(), key_a, "scope", {"scope": "model X 1.2"})
    key_b = _import(me, _export(a, "CERT-B", key_a, "GREEN")).cases[0].case
    with any_ws.session() as s:
        runner.complete(
            s,
            any_ws.require_actor(),
            key_b,
            "b-reproduce",
            {"k_successes": "1", "n_trials": "4", "model_version": "2"},
        )
    with a.ws.session() as s:
        runner.complete(s, a.ws.require_actor(), key_a, "our-check", {"note": "ok"})
    update = _import(me, _export(a, "CERT-B", key_a, "GREEN"))
    assert update.playbook_steps == 1, update.notes
    with any_ws.session() as s:
        assert s.scalar(select(func.count()).select_from(PlaybookRun)) == 1
    assert _status(me, key_b).step("our-check").state == "done"
    result = _import(a, _export(me, "CERT-A", key_b, "GREEN"))
    assert result.playbook_steps == 1, result.notes
    step = _status(a, key_a).step("b-reproduce")
    assert step.partner_fingerprint == me.fingerprint and step.outputs["n_trials"] == 4
    a.ws.engine.dispose()
