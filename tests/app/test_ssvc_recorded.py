"""All five SSVC tables recordable in assessments: the model (accord-severity 1.1) says which
tables feed the tier (cisa, deployer, supplier) and which are recorded only (coordinator
triage and publication); 1.0 stays computable for the assessments that name it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from app import severity
from app.casework import cases
from app.errors import AccordError, UsageError
from app.workspaces.lifecycle import Workspace
from taxonomy.model import ModelError, default_model, model_for, validate
from taxonomy.severity import Inputs, evaluate

V31 = "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:L/I:L/A:N"
CISA = ["E=A", "A=Y", "TI=T", "MWI=H"]
TRIAGE = ["RP=N", "SCON=Y", "RC=C", "SC=M", "SE=U", "U=S", "PSI=S"]
PUBLISH = ["SINV=FR", "E=A", "PVA=P"]


def _pairs(pairs: list[str]) -> dict[str, str]:
    return dict(p.split("=") for p in pairs)


def test_the_model_states_which_tables_feed_the_tier() -> None:
    model = default_model()
    assert model.ref == "accord-severity/1.1"
    assert model.tier_tables() == ["cisa", "deployer", "supplier"]
    assert model.recorded_tables() == ["coordinator-triage", "coordinator-publication"]
    old = model_for("accord-severity/1.0")
    assert (old.ref, old.recorded_tables()) == ("accord-severity/1.0", [])
    with pytest.raises(ModelError, match="no severity model"):
        model_for("accord-severity/9.9")


def test_a_recorded_table_may_not_also_feed_the_tier() -> None:
    data = json.loads(json.dumps(default_model().data))
    data["ssvc"]["recorded_only"].append("cisa")
    with pytest.raises(ModelError) as err:
        validate(data)
    assert err.value.field == "ssvc.recorded_only[2]"
    data["ssvc"]["recorded_only"] = ["nope"]
    with pytest.raises(ModelError, match="unknown SSVC table"):
        validate(data)


def test_coordinator_decisions_are_recorded_and_never_move_the_tier() -> None:
    alone = evaluate(Inputs(cvss=V31))
    triage = evaluate(Inputs(cvss=V31, ssvc=_pairs(TRIAGE), ssvc_table="coordinator-triage"))
    assert (triage.tier, triage.sla_hours, triage.ssvc) == (alone.tier, alone.sla_hours, None)
    assert [(d.table, d.decision) for d in triage.recorded] == [
        ("ssvc:DT_COORD_TRIAGE:1.0.0", "Coordinate")
    ]
    both = evaluate(
        Inputs(
            cvss=V31, ssvc=_pairs(CISA),
            ssvc_more=(("coordinator-triage", _pairs(TRIAGE)),
                       ("coordinator-publication", _pairs(PUBLISH))),
        )
    )  # fmt: skip
    cisa_only = evaluate(Inputs(cvss=V31, ssvc=_pairs(CISA)))
    assert (both.tier, both.sla_hours) == (cisa_only.tier, cisa_only.sla_hours) == ("High", 24)
    assert both.ssvc is not None and both.ssvc.decision == "Act"
    assert [d.decision for d in both.recorded] == ["Coordinate", "Publish"]


def test_one_table_sets_the_tier_and_none_twice() -> None:
    deployer = {"E": "A", "EXP": "O", "A": "Y", "HI": "VH"}
    with pytest.raises(Exception, match="only one SSVC table sets the tier"):
        evaluate(Inputs(cvss=V31, ssvc=_pairs(CISA), ssvc_more=(("deployer", deployer),)))
    with pytest.raises(Exception, match="answered twice"):
        evaluate(
            Inputs(
                cvss=V31, ssvc=_pairs(TRIAGE), ssvc_table="coordinator-triage",
                ssvc_more=(("coordinator-triage", _pairs(TRIAGE)),),
            )
        )  # fmt: skip


def test_model_1_0_still_refuses_the_coordinator_tables() -> None:
    """An assessment naming 1.0 recomputes as 1.0 did: reproducible, not silently upgraded."""
    inputs = Inputs(cvss=V31, ssvc=_pairs(TRIAGE), ssvc_table="coordinator-triage")
    with pytest.raises(Exception, match="the model uses SSVC tables cisa, deployer, supplier"):
        evaluate(inputs, model_for("accord-severity/1.0"))


def test_assess_stores_recorded_decisions_and_history_shows_them(ws: Workspace) -> None:
    with ws.session() as s:
        key = cases.create_case(s, ws.require_actor(), "Gateway tool-call injection").key
    inputs = severity.build_inputs(
        V31, CISA, (), None,
        ssvc_groups=[["table=coordinator-triage", *TRIAGE],
                     ["table=coordinator-publication", *PUBLISH]],
    )  # fmt: skip
    with ws.session() as s:
        data = severity.assess(s, ws.require_actor(), key, inputs)
        later = severity.assess(
            s, ws.require_actor(), key,
            severity.build_inputs(V31, ["table=coordinator-triage", *TRIAGE[:-1], "PSI=M"]),
        )  # fmt: skip
        rows = severity.history(s, key)
    assert (data["tier"], data["ssvc_decision"]) == ("High", "Act")
    assert [r["decision"] for r in data["ssvc_recorded"]] == ["Coordinate", "Publish"]
    assert "Coordinator Triage decision Coordinate" in data["explanation"]
    assert later["ssvc_decision"] is None and later["tier"] == "Medium"  # CVSS 5.4 alone
    first, second = rows
    assert first["model"] == "accord-severity/1.1"
    assert [r["table"] for r in first["ssvc_recorded"]] == [
        "ssvc:DT_COORD_TRIAGE:1.0.0", "ssvc:DT_COORD_PUBLISH:1.0.0"
    ]  # fmt: skip
    assert first["ssvc_recorded"][0]["inputs"]["SE"] == "U"
    fields = {c["field"]: c for c in severity.changes(first, second)}
    assert fields["ssvc[coordinator-triage]:PSI"]["to"] == "M"
    assert fields["ssvc[coordinator-publication]"] == {
        "field": "ssvc[coordinator-publication]", "from": "Publish", "to": None
    }  # fmt: skip
    # Recomputed with the model each row names, every stored result comes back.
    for row in rows:
        again = severity.recompute(row)
        assert (again["tier"], again["sla_hours"], again["model"]) == (
            row["tier"], row["sla_hours"], row["model"]
        )  # fmt: skip
        assert again["ssvc_recorded"] == row["ssvc_recorded"]


def test_recompute_uses_the_version_an_old_assessment_names() -> None:
    row: dict[str, Any] = {
        "model": "accord-severity/1.0", "cvss_vector": V31, "ssvc_table": "cisa",
        "ssvc_inputs": _pairs(CISA), "ai_factors": {"success": {"k": 7, "n": 10}},
        "sector": "health", "ssvc_recorded": [],
    }  # fmt: skip
    assert severity.recompute(row)["model"] == "accord-severity/1.0"
    with pytest.raises(AccordError):
        severity.recompute(dict(row, model="accord-severity/0.1"))


def test_cli_records_coordinator_triage_and_publication(initialised_cli: Any) -> None:
    cli = initialised_cli
    key = cli("case", "new", "--title", "Gateway tool-call injection", "--json").json()["id"]
    triage = cli("assess", key, "--cvss", V31, "--ssvc", "table=coordinator-triage", *TRIAGE,
                 "--json")  # fmt: skip
    assert triage.code == 0, triage.err
    assert triage.json()["ssvc_recorded"][0]["decision"] == "Coordinate"
    both = cli("assess", key, "--cvss", V31, "--ssvc", *CISA,
               "--ssvc", "table=coordinator-triage", *TRIAGE,
               "--ssvc", "table=coordinator-publication", *PUBLISH, "--json")  # fmt: skip
    assert both.code == 0, both.err
    data = both.json()
    assert (data["tier"], data["ssvc_decision"]) == ("High", "Act")
    assert [r["decision"] for r in data["ssvc_recorded"]] == ["Coordinate", "Publish"]
    history = cli("assessments", key, "--json").json()
    assert [len(h["ssvc_recorded"]) for h in history] == [1, 2]
    missing = cli("assess", key, "--cvss", V31, "--ssvc", *CISA, "--ssvc", *TRIAGE)
    assert missing.code == 2 and "table=NAME" in missing.err
    twice = cli("assess", key, "--cvss", V31, "--ssvc", *CISA, "--ssvc", "table=deployer",
                "E=A", "EXP=O", "A=Y", "HI=VH")  # fmt: skip
    assert twice.code == 1 and "only one SSVC table" in twice.err


def test_build_inputs_refuses_a_bad_group() -> None:
    with pytest.raises(UsageError):
        severity.build_inputs(V31, CISA, ssvc_groups=[["table=coordinator-triage", "RP"]])
