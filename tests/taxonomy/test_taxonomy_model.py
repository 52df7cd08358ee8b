"""The shared severity model: loading, refusing broken files, and evaluation."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from taxonomy.model import ModelError, default_model, load_model, validate
from taxonomy.severity import InputError, Inputs, evaluate, wilson_lower_bound

FIXTURES = Path(__file__).parents[1] / "fixtures" / "severity"
V31_HIGH = "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:L/A:N"  # 7.1
V31_MEDIUM = "CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:U/C:L/I:L/A:N"  # 4.6
AF = "ai_factors."
DH = AF + "ai_class.default_harm."
CISA_ACT = {"E": "A", "A": "Y", "TI": "T", "MWI": "H"}


def _data() -> dict[str, Any]:
    return copy.deepcopy(default_model().data)


def test_shipped_model_loads_with_id_and_version() -> None:
    model = load_model()
    assert model.ref == "accord-severity/1.1"
    assert model.tier_names() == ["Critical", "High", "Medium", "Low", "Informational"]
    assert set(model.sectors()) == {"general", "finance", "health", "critical-infrastructure"}


def test_broken_model_file_is_refused_naming_the_field() -> None:
    with pytest.raises(ModelError) as info:
        load_model(FIXTURES / "broken-missing-sla.yaml")
    assert info.value.field == "tiers[1].sla_hours"
    assert "tiers[1].sla_hours" in str(info.value)


def _set(path: str, value: Any) -> dict[str, Any]:
    data = _data()
    *parents, last = path.split(".")
    node: Any = data
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    if value is KeyError:
        del node[int(last) if last.isdigit() else last]
    else:
        node[int(last) if last.isdigit() else last] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("id", KeyError, "id"),
        ("version", 1.0, "version"),
        ("tiers.1.min_points", "seven", "tiers[1].min_points"),
        ("tiers.1.min_points", 9.5, "tiers[1].min_points"),
        ("tiers.4.min_points", 0.5, "tiers[4].min_points"),
        ("tiers.0.colour", "red", "tiers[0].colour"),
        (AF + "access.values.weights.points", "lots", AF + "access.values.weights.points"),
        (AF + "harm_type.values.Bad Name", {"label": "x", "points": 0}, AF + "harm_type.values"),
        (AF + "success_rate.method", "mean", AF + "success_rate.method"),
        (DH + "LLM99:2025", "poisoning", DH + "LLM99:2025"),
        (DH + "LLM01:2025", "sadness", DH + "LLM01:2025"),
        ("sectors.health.harm_points.sadness", 1.0, "sectors.health.harm_points.sadness"),
        ("sectors.general", KeyError, "sectors.general"),
        ("ssvc.tables.cisa.Act.floor", "Severe", "ssvc.tables.cisa.Act.floor"),
        ("ssvc.tables.cisa.Act", KeyError, "ssvc.tables.cisa"),
        ("ssvc.default_table", "deployer2", "ssvc.default_table"),
        ("adjustment_limits.max", -1, "adjustment_limits.max"),
    ],
)  # fmt: skip
def test_each_broken_field_is_named(path: str, value: Any, field: str) -> None:
    with pytest.raises(ModelError) as info:
        validate(_set(path, value))
    assert info.value.field == field


def test_broken_yaml_and_missing_file_are_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: [unclosed\n")
    with pytest.raises(ModelError, match="not valid YAML"):
        load_model(bad)
    with pytest.raises(ModelError, match="cannot read"):
        load_model(tmp_path / "absent.yaml")


def test_a_valid_variant_round_trips_through_a_file(tmp_path: Path) -> None:
    data = _data()
    data["version"] = "1.1"
    data["tiers"][0]["sla_hours"] = 12
    path = tmp_path / "variant.yaml"
    path.write_text(yaml.safe_dump(data))
    model = load_model(path)
    result = evaluate(Inputs(cvss="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"), model)
    assert result.model == "accord-severity/1.1" and result.sla_hours == 12


def test_cvss_alone_maps_to_the_tier_bands() -> None:
    assert evaluate(Inputs(cvss=V31_HIGH)).tier == "High"
    assert evaluate(Inputs(cvss=V31_MEDIUM)).tier == "Medium"
    none = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N"
    assert evaluate(Inputs(cvss=none)).tier == "Informational"
    result = evaluate(Inputs(cvss=V31_HIGH))
    assert result.moves == () and result.points == 7.1 and result.sla_hours == 72


def test_ai_factors_move_the_tier_and_are_reported() -> None:
    up = evaluate(Inputs(cvss=V31_MEDIUM, access="none", transferability="cross-vendor",
                         harm_type="data-exfiltration-via-tools"))  # fmt: skip
    assert up.points == pytest.approx(4.6 + 3.0) and up.tier == "High"
    assert [m.factor for m in up.moves] == ["access", "transferability", "harm_type"]
    down = evaluate(Inputs(cvss=V31_HIGH, access="weights", success_k=0, success_n=20))
    assert down.points == pytest.approx(7.1 - 2.5) and down.tier == "Medium"


def test_adjustments_are_clamped_so_cvss_stays_the_anchor() -> None:
    result = evaluate(Inputs(cvss=V31_MEDIUM, access="none", transferability="cross-vendor",
                             harm_type="excessive-agency", sector="critical-infrastructure",
                             success_k=20, success_n=20))  # fmt: skip
    assert result.raw_adjustment == pytest.approx(5.0)
    assert result.adjustment == 3.0 and result.points == pytest.approx(7.6)


def test_success_rate_uses_the_wilson_lower_bound() -> None:
    assert wilson_lower_bound(1, 1, 1.96) == pytest.approx(0.2065, abs=1e-4)
    assert wilson_lower_bound(50, 100, 1.96) == pytest.approx(0.4038, abs=1e-4)
    one = evaluate(Inputs(cvss=V31_HIGH, success_k=1, success_n=1)).moves[0]
    many = evaluate(Inputs(cvss=V31_HIGH, success_k=18, success_n=20)).moves[0]
    rare = evaluate(Inputs(cvss=V31_HIGH, success_k=1, success_n=50)).moves[0]
    assert (one.label, many.label, rare.label) == ("intermittent", "reliable", "rare")
    with pytest.raises(InputError, match="k of n"):
        evaluate(Inputs(cvss=V31_HIGH, success_k=3, success_n=2))


def test_ai_class_sets_the_harm_type_directly_or_through_atlas() -> None:
    owasp = evaluate(Inputs(cvss=V31_MEDIUM, ai_class="LLM06:2025"))
    assert owasp.moves[0].value == "excessive-agency" and owasp.harm_from_class
    atlas = evaluate(Inputs(cvss=V31_MEDIUM, ai_class="AML.T0051.000"))
    assert atlas.moves[0].value == "unsafe-content"
    explicit = evaluate(Inputs(cvss=V31_MEDIUM, ai_class="LLM06:2025", harm_type="model-theft"))
    assert explicit.moves[0].value == "model-theft" and not explicit.harm_from_class
    with pytest.raises(InputError) as info:
        evaluate(Inputs(cvss=V31_MEDIUM, ai_class="LLM42:2025"))
    assert info.value.field == "ai_class"


def test_sector_overlay_adds_sector_and_harm_specific_points() -> None:
    general = evaluate(Inputs(cvss=V31_MEDIUM, harm_type="privacy-leak"))
    health = evaluate(Inputs(cvss=V31_MEDIUM, harm_type="privacy-leak", sector="health"))
    assert health.points - general.points == pytest.approx(1.5)
    assert [m.factor for m in health.moves] == ["harm_type", "sector", "sector_harm"]


def test_ssvc_decision_raises_the_tier_to_its_floor_and_tightens_the_sla() -> None:
    result = evaluate(Inputs(cvss=V31_MEDIUM, ssvc=CISA_ACT))
    assert result.ssvc is not None and result.ssvc.decision == "Act"
    assert (result.points_tier, result.tier, result.floor) == ("Medium", "High", "High")
    assert result.sla_hours == 24 and result.sla_source == "ssvc"
    track = evaluate(Inputs(cvss=V31_HIGH, ssvc={"E": "N", "A": "N", "TI": "P", "MWI": "L"}))
    assert track.ssvc is not None and track.ssvc.decision == "Track"
    assert track.tier == "High" and track.floor is None and track.sla_hours == 72
    deployer = evaluate(Inputs(cvss=V31_MEDIUM, ssvc_table="deployer",
                               ssvc={"E": "A", "EXP": "O", "A": "Y", "HI": "VH"}))  # fmt: skip
    assert deployer.ssvc is not None and deployer.ssvc.decision == "Immediate"
    assert deployer.tier == "High"


@pytest.mark.parametrize(
    ("inputs", "field"),
    [
        (Inputs(cvss=V31_HIGH, access="root"), "access"),
        (Inputs(cvss=V31_HIGH, transferability="galaxy"), "transferability"),
        (Inputs(cvss=V31_HIGH, harm_type="sadness"), "harm_type"),
        (Inputs(cvss=V31_HIGH, sector="retail"), "sector"),
        (Inputs(cvss=V31_HIGH, ssvc={"E": "A"}), "ssvc"),
        (Inputs(cvss=V31_HIGH, ssvc=CISA_ACT, ssvc_table="nope"), "ssvc_table"),
    ],
)
def test_bad_inputs_are_refused_naming_the_input(inputs: Inputs, field: str) -> None:
    with pytest.raises(InputError) as info:
        evaluate(inputs)
    assert info.value.field == field


def test_result_dict_records_the_model_and_is_reproducible() -> None:
    inputs = Inputs(cvss=V31_MEDIUM, ssvc=CISA_ACT, access="public-api", sector="finance")
    first, second = evaluate(inputs).as_dict(), evaluate(inputs).as_dict()
    assert first == second and first["model"] == "accord-severity/1.1"
    assert first["cvss"]["vector"] == V31_MEDIUM and first["ssvc"]["decision"] == "Act"
