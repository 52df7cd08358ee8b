"""accord import / quarantine / duplicates / report, with their JSON fields and exit codes."""

from __future__ import annotations

from tests.app.intake.helpers import INTAKE, csaf_doc, write_json


def test_import_json_contract_and_exit_codes(initialised_cli, tmp_path):
    good = write_json(tmp_path / "good.json", csaf_doc(stated=9.0))
    result = initialised_cli("import", str(good), "--source", "acme", "--json")
    assert result.code == 0, result.err
    data = result.json()
    assert set(data) == {"imported", "duplicates", "updated", "rejected", "score_disagreements"}
    assert (data["imported"], data["duplicates"], data["updated"]) == (1, 0, 0)
    assert data["rejected"] == []
    assert data["score_disagreements"] == [
        {
            "path": str(good),
            "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            "stated": 9.0,
            "computed": 9.8,
        }
    ]
    bad = tmp_path / "bad.json"
    bad.write_bytes(b"\xff\xfe{")
    again = initialised_cli("import", str(good), str(bad), "--json")
    assert again.code == 1
    data = again.json()
    assert data["duplicates"] == 1
    assert data["rejected"] == [{"path": str(bad), "reason": "invalid UTF-8 at byte 0"}]


def test_quarantine_list_show_discard(initialised_cli, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"x": <b>1</b>}', encoding="utf-8")
    assert initialised_cli("import", str(bad)).code == 1
    [item] = initialised_cli("quarantine", "list", "--json").json()
    assert item["path"] == str(bad) and item["reason"].startswith("invalid JSON")
    shown = initialised_cli("quarantine", "show", str(item["id"]))
    assert '{"x": <b>1</b>}' in shown.out
    assert initialised_cli("quarantine", "discard", str(item["id"])).code == 0
    assert initialised_cli("quarantine", "list", "--json").json() == []
    assert initialised_cli("quarantine", "show", str(item["id"])).code == 1


def test_duplicates_and_report_show(initialised_cli, tmp_path):
    a = write_json(tmp_path / "a.json", csaf_doc(tracking_id="ACME-1", cve="CVE-2026-3001"))
    b = write_json(tmp_path / "b.json", csaf_doc(tracking_id="OTHER-7", cve="CVE-2026-3002"))
    assert initialised_cli("import", str(a), str(b)).code == 0
    [cand] = initialised_cli("duplicates", "list", "--json").json()
    assert cand["state"] == "open"
    merged = initialised_cli("duplicates", "merge", str(cand["id"]), "--json").json()
    assert merged["state"] == "merged"
    assert initialised_cli("duplicates", "list", "--json").json() == []
    assert len(initialised_cli("duplicates", "list", "--state", "all", "--json").json()) == 1
    shown = initialised_cli("report", "show", "1", "--json").json()
    assert shown["document_id"] == "ACME-1" and shown["format"] == "csaf"
    raw = initialised_cli("report", "show", "1", "--raw")
    assert raw.out.strip() == a.read_text(encoding="utf-8").strip()


def test_import_with_column_map(initialised_cli):
    result = initialised_cli(
        "import",
        str(INTAKE / "hackerone-export.csv"),
        "--source",
        "h1",
        "--map",
        "reporter=ignore",
        "--json",
    )
    assert result.code == 0, result.err
    assert result.json()["imported"] == 2
    bad = initialised_cli("import", str(INTAKE / "hackerone-export.csv"), "--map", "x=nonsense")
    assert bad.code == 2 and "unknown field" in bad.err
