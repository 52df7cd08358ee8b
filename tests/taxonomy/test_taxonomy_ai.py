"""The AI vulnerability taxonomy data files and their loader."""

from __future__ import annotations

import re

import pytest
import yaml

from taxonomy import ai
from tests.taxonomy.shared_data import shared


def test_owasp_llm_2025_has_ten_entries_with_2025_ids() -> None:
    items = ai.entries("owasp-llm-2025")
    assert [e.id for e in items] == [f"LLM{i:02d}:2025" for i in range(1, 11)]
    assert ai.lookup("LLM01:2025").name == "Prompt Injection"
    assert ai.lookup("LLM06:2025").name == "Excessive Agency"
    assert all(e.description and "OWASP" in e.source for e in items)


def test_atlas_matches_the_published_5_6_0_release() -> None:
    release = yaml.safe_load(shared("ai", "atlas", "dist", "ATLAS.yaml").read_text())
    assert str(release["version"]) == "5.6.0"
    matrix = release["matrices"][0]
    tactics, techniques = ai.entries("atlas-tactics"), ai.entries("atlas-techniques")
    assert [t.id for t in tactics] == [t["id"] for t in matrix["tactics"]]
    assert {t.id: t.name for t in techniques} == {t["id"]: t["name"] for t in matrix["techniques"]}
    assert all(e.version == "5.6.0" for e in (*tactics, *techniques))
    sub = ai.lookup("AML.T0051.000")
    assert sub.extra["parent"] == "AML.T0051"


def test_atlas_technique_tactics_are_known_tactics() -> None:
    tactic_ids = {t.id for t in ai.entries("atlas-tactics")}
    for technique in ai.entries("atlas-techniques"):
        assert set(technique.extra["tactics"]) <= tactic_ids, technique.id


def test_avid_has_three_domains_categories_and_lifecycle_stages() -> None:
    entries = ai.entries("avid")
    categories = [e for e in entries if e.kind == "avid-category"]
    stages = [e for e in entries if e.kind == "avid-lifecycle"]
    assert {e.extra["domain"] for e in categories} == {"Security", "Ethics", "Performance"}
    assert [s.id for s in stages] == ["L01", "L02", "L03", "L04", "L05", "L06"]
    for entry in categories:
        assert re.fullmatch(r"[SEP]0[1-6]0\d", entry.id)
        parent = entry.extra["parent"]
        assert parent is None or ai.lookup(parent).extra["parent"] is None


def test_every_avid_code_used_in_the_avid_database_is_in_the_taxonomy() -> None:
    import json

    folder = shared("ai", "avid")
    for path in folder.glob("**/*.json"):
        impact = (json.loads(path.read_text()).get("impact") or {}).get("avid") or {}
        for label in (impact.get("sep_view") or []) + (impact.get("lifecycle_view") or []):
            assert ai.is_known(label.split(":")[0]), (path.name, label)


def test_owasp_to_atlas_mappings_point_at_known_ids() -> None:
    mappings = ai.owasp_to_atlas()
    assert set(mappings) <= {e.id for e in ai.entries("owasp-llm-2025")}
    assert "AML.T0051.000" in mappings["LLM01:2025"]
    for ids in mappings.values():
        for atlas_id in ids:
            assert ai.is_known(atlas_id), atlas_id
    assert "LLM01:2025" in ai.atlas_to_owasp("AML.T0051")


def test_unknown_list_and_id_are_refused() -> None:
    with pytest.raises(ai.TaxonomyError, match="choose one of owasp-llm-2025"):
        ai.entries("cwe")
    with pytest.raises(ai.TaxonomyError, match="unknown AI taxonomy id"):
        ai.lookup("LLM11:2025")
