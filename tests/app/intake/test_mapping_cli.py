"""accord mapping show|set|list, with their JSON fields and exit codes."""

from __future__ import annotations

from tests.app.intake.helpers import INTAKE, csaf_doc, write_json
from tests.app.intake.test_mapping import BOUNTY

H1 = str(INTAKE / "hackerone-export.csv")


def test_show_json_contract(initialised_cli):
    result = initialised_cli("mapping", "show", H1, "--source", "h1", "--json")
    assert result.code == 0, result.err
    data = result.json()
    assert set(data) == {"source", "saved", "columns", "sheets", "unreadable", "refused", "preview"}
    assert (data["source"], data["saved"], data["unreadable"], data["refused"]) == (
        "h1",
        False,
        [],
        [],
    )
    assert data["columns"][0] == {
        "column": "id",
        "field": "identifier",
        "origin": "guessed",
        "samples": ["H1-1001", "H1-1002"],
    }
    assert data["sheets"] == [
        {
            "path": H1,
            "columns": [
                "id", "title", "severity_rating", "weakness", "vulnerability_information",
                "asset_identifier", "cvss_vector", "reporter",
            ],
            "rows": 2,
        }
    ]  # fmt: skip
    assert set(data["preview"][0]) == {"path", "identifier", "title", "description"}
    assert data["preview"][0]["identifier"] == "h1:H1-1001"


def test_set_then_show_list_and_import_use_it(initialised_cli, tmp_path):
    path = tmp_path / "bounty.csv"
    path.write_text(BOUNTY, encoding="utf-8")
    refused = initialised_cli("mapping", "show", str(path), "--source", "acme")
    assert refused.code == 1  # nothing is a title or description: the import would refuse it
    assert f"{path} would be refused" in refused.out
    saved = initialised_cli(
        "mapping", "set", "--source", "acme", "Ref=identifier", "Headline=title", "--json"
    )
    assert saved.code == 0, saved.err
    assert saved.json() == {"source": "acme", "columns": {"Ref": "identifier", "Headline": "title"}}
    text = initialised_cli("mapping", "set", "--source", "acme", "Details text=description")
    assert text.out.strip() == "Saved the mapping of acme: 3 columns."
    shown = initialised_cli("mapping", "show", str(path), "--source", "acme", "--json")
    assert shown.code == 0, shown.err
    origins = {c["column"]: (c["field"], c["origin"]) for c in shown.json()["columns"]}
    assert origins["Headline"] == ("title", "saved")
    assert origins["Target"] == ("product", "guessed")
    assert origins["Internal notes"] == ("ignore", "none")
    assert initialised_cli("mapping", "list", "--json").json() == [
        {
            "source": "acme",
            "columns": {"Ref": "identifier", "Headline": "title", "Details text": "description"},
        }
    ]
    assert initialised_cli("mapping", "list").out.startswith("acme: Ref=identifier, ")
    imported = initialised_cli("import", str(path), "--source", "acme", "--json")
    assert imported.code == 0 and imported.json()["imported"] == 2
    replaced = initialised_cli(
        "mapping", "set", "--source", "acme", "Headline=title", "--replace", "--json"
    )
    assert replaced.json()["columns"] == {"Headline": "title"}
    events = initialised_cli("audit", "log", "--json").json()
    saves = [e for e in events if e["action"] == "intake.mapping.save"]
    # The import adds the guessed Target column to the saved mapping: audited too.
    assert [(e["entity_id"], e["details"]["columns"]) for e in saves] == [
        ("acme", 2),
        ("acme", 3),
        ("acme", 4),
        ("acme", 1),
    ]
    assert initialised_cli("audit", "verify").code == 0


def test_show_exit_codes(initialised_cli, tmp_path):
    doc = write_json(tmp_path / "a.json", csaf_doc())
    none = initialised_cli("mapping", "show", str(doc))
    assert none.code == 1 and "no spreadsheet" in none.err
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 no workbook")
    mixed = initialised_cli("mapping", "show", H1, str(broken), "--json")
    assert mixed.code == 1
    [problem] = mixed.json()["unreadable"]
    assert problem["path"] == str(broken) and problem["reason"].startswith("not a readable XLSX")
    assert initialised_cli("mapping", "show", H1, "--max-size", "0").code == 2


def test_set_usage_errors(initialised_cli):
    bad_field = initialised_cli("mapping", "set", "--source", "s", "Ref=nonsense")
    assert bad_field.code == 2 and "unknown field(s) nonsense" in bad_field.err
    assert initialised_cli("mapping", "set", "--source", "s", "Ref").code == 2
    assert initialised_cli("mapping", "set", "Ref=title").code == 2  # --source is required
    assert initialised_cli("mapping", "list", "--json").json() == []
