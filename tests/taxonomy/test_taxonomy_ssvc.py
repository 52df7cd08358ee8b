"""SSVC decision tables: every official row against the project's own data files."""

from __future__ import annotations

import csv
import itertools
import json

import pytest

from taxonomy import ssvc
from tests.taxonomy.shared_data import shared

OFFICIAL = {
    "cisa": "cisa_DT_CO_2.0.3",
    "deployer": "ssvc_DT_DP_1.0.0",
    "supplier": "ssvc_DT_SP_1.0.0",
    "coordinator-triage": "ssvc_DT_COORD_TRIAGE_1.0.0",
    "coordinator-publication": "ssvc_DT_COORD_PUBLISH_1.0.0",
}


@pytest.mark.parametrize(("name", "official"), OFFICIAL.items())
def test_every_official_csv_row_gives_the_same_decision(name: str, official: str) -> None:
    path = shared("ssvc", "decision-tables", official + ".csv")
    table = ssvc.table(name)
    with path.open(newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        rows = [r for r in reader if r]
    assert len(rows) == len(table.rows)
    *inputs, outcome = header
    assert table.outcome.id == outcome
    assert [dp.id for dp in table.decision_points] == inputs
    for row in rows:
        given = {dp_id.split(":")[1]: value for dp_id, value in zip(inputs, row[:-1], strict=True)}
        assert table.evaluate(given).outcome_key == row[-1], row


@pytest.mark.parametrize(("name", "official"), OFFICIAL.items())
def test_table_ids_versions_and_names_match_the_official_json(name: str, official: str) -> None:
    doc = json.loads(shared("ssvc", "decision-tables", official + ".json").read_text())
    table = ssvc.table(name)
    assert table.id == f"{doc['namespace']}:{doc['key']}:{doc['version']}"
    assert ssvc.table(table.id) is not None
    for dp in (*table.decision_points, table.outcome):
        official_dp = doc["decision_points"][dp.id]
        assert [(v.key, v.name) for v in dp.values] == [
            (v["key"], v["name"]) for v in official_dp["values"]
        ]


@pytest.mark.parametrize("name", ssvc.TABLE_NAMES)
def test_tables_cover_every_combination_exactly_once(name: str) -> None:
    table = ssvc.table(name)
    combos = itertools.product(*[[v.key for v in dp.values] for dp in table.decision_points])
    outcomes = {v.key for v in table.outcome.values}
    for combo in combos:
        assert table.rows[combo] in outcomes


def test_cisa_example_from_the_issue() -> None:
    decision = ssvc.evaluate("cisa", {"E": "A", "A": "Y", "TI": "T", "MWI": "H"})
    assert decision.as_dict() == {
        "table": "cisa:DT_CO:2.0.3",
        "decision": "Act",
        "outcome_key": "AC",
        "inputs": {"E": "A", "A": "Y", "TI": "T", "MWI": "H"},
    }
    assert decision.path[0] == ("Exploitation", "Active")


def test_value_names_and_case_are_accepted() -> None:
    by_name = ssvc.evaluate("cisa", {"e": "active", "A": "yes", "TI": "Total", "MWI": "high"})
    assert by_name.outcome_key == "AC"


def test_missing_key_lists_the_allowed_keys_and_values() -> None:
    with pytest.raises(ssvc.SsvcError) as info:
        ssvc.evaluate("cisa", {"E": "A", "A": "Y"})
    message = str(info.value)
    assert "needs TI, MWI" in message and "MWI=<L|M|H>" in message


def test_unknown_key_and_value_are_refused() -> None:
    with pytest.raises(ssvc.SsvcError, match=r"no decision point 'X'.*E=<N\|P\|A>"):
        ssvc.evaluate("cisa", {"X": "1"})
    with pytest.raises(ssvc.SsvcError, match=r"no value 'Q'; allowed: N \(None\)"):
        ssvc.evaluate("deployer", {"E": "Q", "EXP": "S", "A": "N", "HI": "L"})
    with pytest.raises(ssvc.SsvcError, match="unknown SSVC table"):
        ssvc.table("nope")
    with pytest.raises(ssvc.SsvcError, match="given twice"):
        ssvc.evaluate("cisa", {"E": "A", "e": "N", "A": "Y", "TI": "T", "MWI": "H"})
