"""CVSS parsing and scoring through the project's own API (taxonomy.cvss_scores)."""

from __future__ import annotations

import ast
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from taxonomy.cvss_scores import CvssError, metric_values, normalise, parse, severity_rating
from tests.taxonomy.shared_data import shared

V3_FILES = ["vectors_simple3", "vectors_simple31", "vectors_calculator3", "vectors_cvsslib3"]
V4_FILES = ["vectors_simple4", "vectors_security4", "vectors_supplemental4", "vectors_threat4"]
V2_FILES = ["vectors_simple2", "vectors_calculator2", "vectors_cvsslib2"]


def _lines(name: str) -> list[tuple[str, object]]:
    path = shared("cvss", "redhat-test-vectors", "tests", name)
    rows = []
    for line in path.read_text().splitlines():
        if line.strip():
            vector, _, expected = line.partition(" - ")
            rows.append((vector.strip(), ast.literal_eval(expected.strip())))
    assert rows, f"{name} is empty"
    return rows


@pytest.mark.parametrize("name", V3_FILES)
def test_redhat_v3_vectors_score_as_published(name: str) -> None:
    for vector, expected in _lines(name):
        result = parse(vector)
        assert isinstance(expected, tuple)
        assert (result.base_score, result.temporal_score, result.environmental_score) == tuple(
            float(x) for x in expected
        ), vector
        assert result.version == vector[5:8]
        assert result.severity == severity_rating(result.score)


@pytest.mark.parametrize("name", V4_FILES)
def test_redhat_v4_vectors_score_as_published(name: str) -> None:
    for vector, expected in _lines(name):
        result = parse(vector)
        score = expected[0] if isinstance(expected, tuple) else expected
        assert result.score == float(score), vector  # type: ignore[arg-type]
        assert result.base_score <= 10.0
        if result.nomenclature == "CVSS-B":
            assert result.base_score == result.score, vector
        assert result.temporal_score is None and result.environmental_score is None
        assert result.nomenclature.startswith("CVSS-B")


@pytest.mark.parametrize("name", V2_FILES)
def test_redhat_v2_vectors_are_refused_with_the_supported_versions(name: str) -> None:
    for vector, _ in _lines(name):
        with pytest.raises(CvssError, match=r"CVSS:3\.0/, CVSS:3\.1/ or CVSS:4\.0/"):
            parse(vector)


def test_v4_nomenclature_names_the_groups_present() -> None:
    base = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"
    assert parse(base).nomenclature == "CVSS-B"
    assert parse(base + "/E:U").nomenclature == "CVSS-BT"
    assert parse(base + "/MAV:L").nomenclature == "CVSS-BE"
    assert parse(base + "/E:P/CR:H").nomenclature == "CVSS-BTE"
    assert parse(base + "/E:X/S:P").nomenclature == "CVSS-B"  # supplemental and X change nothing
    threat = parse(base + "/E:U")
    assert threat.score < parse(base).score
    assert threat.base_score == parse(base).score == parse(base).base_score


def test_v3_score_is_the_most_specific_group_present() -> None:
    base = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
    assert parse(base).score == 9.8 and parse(base).nomenclature == "base"
    temporal = parse(base + "/E:U/RL:O")
    assert temporal.nomenclature == "temporal" and temporal.score == temporal.temporal_score < 9.8
    env = parse(base + "/E:U/MAV:P")
    assert env.nomenclature == "environmental" and env.score == env.environmental_score


@pytest.mark.parametrize(
    ("vector", "metric", "value"),
    [
        ("CVSS:3.1/AV:Q/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "AV", "Q"),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/ZZ:1", "ZZ", "1"),
        ("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:Z", "E", "Z"),
        ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:Q/SC:N/SI:N/SA:N", "VA", "Q"),
        ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/U:Blue", "U", "Blue"),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H", "A", None),
        ("CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "AV", "N"),
        ("CVSS:2.0/AV:N", "CVSS", "2.0"),
    ],
)
def test_invalid_vectors_name_the_bad_metric_and_value(
    vector: str, metric: str, value: str | None
) -> None:
    with pytest.raises(CvssError) as info:
        parse(vector)
    assert info.value.metric == metric and info.value.value == value
    assert metric in str(info.value)
    if value is not None:
        assert value in str(info.value)


@pytest.mark.parametrize("vector", ["", "   ", "CVSS:3.1/", "CVSS:3.1/AV", "CVSS:3.1/AV:N/"])
def test_malformed_vectors_are_refused(vector: str) -> None:
    with pytest.raises(CvssError):
        parse(vector)


@st.composite
def vectors(draw: st.DrawFn) -> tuple[str, list[tuple[str, str]]]:
    """A valid vector with mandatory metrics, some optional ones, in a shuffled order."""
    version = draw(st.sampled_from(["3.0", "3.1", "4.0"]))
    allowed = metric_values(version)
    mandatory = list(allowed)[:11] if version == "4.0" else list(allowed)[:8]
    pairs = []
    for metric, values in allowed.items():
        if metric in mandatory or draw(st.booleans()):
            pairs.append((metric, draw(st.sampled_from(values))))
    shuffled = draw(st.permutations(pairs))
    return "CVSS:" + version + "/" + "/".join(f"{m}:{v}" for m, v in shuffled), pairs


@settings(max_examples=300, deadline=None)
@given(vectors())
def test_printed_vector_is_the_same_vector_in_specification_order(
    case: tuple[str, list[tuple[str, str]]],
) -> None:
    vector, pairs = case
    result = parse(vector)
    version = vector[5:8]
    expected = "/".join(f"{m}:{v}" for m, v in pairs if v != "X")
    assert result.vector == f"CVSS:{version}/{expected}"
    again = parse(result.vector)
    assert again.vector == result.vector
    assert (again.base_score, again.score, again.severity) == (
        result.base_score,
        result.score,
        result.severity,
    )
    assert normalise(result.vector) == result.vector


def test_metric_order_does_not_change_the_score() -> None:
    rng = random.Random(7)
    vector = "AV:N/AC:H/PR:L/UI:R/S:C/C:L/I:H/A:N/E:P/RL:T/CR:H/MAV:A"
    parts = vector.split("/")
    expected = parse("CVSS:3.1/" + "/".join(parts))
    for _ in range(20):
        rng.shuffle(parts)
        assert parse("CVSS:3.1/" + "/".join(parts)) == expected


def test_severity_rating_bands() -> None:
    assert [severity_rating(s) for s in (0.0, 0.1, 3.9, 4.0, 6.9, 7.0, 8.9, 9.0, 10.0)] == [
        "None", "Low", "Low", "Medium", "Medium", "High", "High", "Critical", "Critical",
    ]  # fmt: skip
