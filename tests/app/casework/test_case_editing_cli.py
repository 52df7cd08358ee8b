"""Correcting a case from the CLI: identifiers, affected products, notes and embargo, each
audited, shown by ``case show --json`` and found by search."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import enrol


def _new(cli, title: str = "Prompt injection in the Portico LLM gateway") -> str:  # type: ignore[no-untyped-def]
    r = cli("case", "new", "--title", title, "--json")
    assert r.code == 0, r.err
    return str(r.json()["id"])


def _show(cli, key: str) -> dict:  # type: ignore[no-untyped-def,type-arg]
    r = cli("case", "show", key, "--json")
    assert r.code == 0, r.err
    return r.json()  # type: ignore[no-any-return]


def _audit(cli, key: str) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    r = cli("audit", "log", "--case", key, "--json")
    assert r.code == 0, r.err
    out = r.json()
    return out if isinstance(out, list) else [out]


def test_identifiers_are_validated_added_removed_and_audited(initialised_cli) -> None:  # type: ignore[no-untyped-def]
    cli = initialised_cli
    key = _new(cli)
    assert cli("case", "id", "add", key, "cve", "cve-2026-41234").code == 0
    assert cli("case", "id", "add", key, "cwe", "1427").code == 0
    assert cli("case", "id", "add", key, "ghsa", "GHSA-4xq2-9mpv-3c7r").code == 0
    assert cli("case", "id", "add", key, "vendor", "HLX-SA-2026-017").code == 0
    for kind, bad in (("cve", "CVE-26-1"), ("cwe", "CWE-x"), ("ghsa", "GHSA-1234"), ("x", "y")):
        r = cli("case", "id", "add", key, kind, bad)
        assert r.code == 2, (kind, bad, r.err)
    again = cli("case", "id", "add", key, "cve", "CVE-2026-41234")
    assert again.code == 1 and "already" in again.err
    shown = _show(cli, key)
    assert [(i["type"], i["value"]) for i in shown["identifiers"]] == [
        ("cve", "CVE-2026-41234"),
        ("cwe", "CWE-1427"),
        ("ghsa", "GHSA-4XQ2-9MPV-3C7R"),
        ("vendor", "HLX-SA-2026-017"),
    ]
    assert cli("case", "id", "remove", key, "cwe", "CWE-1427").code == 0
    assert cli("case", "id", "remove", key, "cwe", "CWE-1427").code == 1
    assert "CWE-1427" not in [i["value"] for i in _show(cli, key)["identifiers"]]
    actions = [e["action"] for e in _audit(cli, key)]
    assert actions.count("case.identifier.add") == 4
    assert actions.count("case.identifier.remove") == 1
    # the search document follows: a vendor id and a product are found
    found = cli("cases", "list", "--search", "HLX SA 2026 017", "--json").json()
    assert [c["id"] for c in found] == [key]


def test_affected_products_take_versions_ranges_hashes_and_purls(initialised_cli) -> None:  # type: ignore[no-untyped-def]
    cli = initialised_cli
    key = _new(cli)
    r = cli(
        "case", "affected", "add", key, "--name", "Portico LLM Gateway", "--vendor", "Helix",
        "--range", "3.2.0 - 3.4.1", "--json",
    )  # fmt: skip
    assert r.code == 0, r.err
    ranged = r.json()["affected"]
    assert ranged["range"] == "vers:generic/>=3.2.0|<=3.4.1" and ranged["version"] is None
    r = cli(
        "case", "affected", "add", key, "--name", "portico-sdk", "--version", "1.0.2",
        "--purl", "pkg:pypi/portico-sdk@1.0.2", "--hash", "sha256:" + "AB" * 32, "--kind",
        "product", "--json",
    )  # fmt: skip
    assert r.code == 0, r.err
    single = r.json()["affected"]
    assert single["version"] == "1.0.2" and single["hash"] == "sha256:" + "ab" * 32
    r = cli(
        "case", "affected", "add", key, "--name", "portico-sdk", "--purl", "pkg:pypi/portico-sdk",
        "--range", "before 1.0.3", "--json",
    )  # fmt: skip
    assert r.json()["affected"]["range"] == "vers:pypi/<1.0.3"
    # unreadable range, bad hash, bad purl, both version and range: usage errors
    assert cli("case", "affected", "add", key, "--name", "x", "--range", "soon").code == 2
    assert cli("case", "affected", "add", key, "--name", "x", "--hash", "sha256:12").code == 2
    assert cli("case", "affected", "add", key, "--name", "x", "--purl", "portico").code == 2
    both = cli("case", "affected", "add", key, "--name", "x", "--version", "1", "--range", "<2")
    assert both.code == 2
    shown = _show(cli, key)
    assert [p["name"] for p in shown["affected"]] == [
        "Portico LLM Gateway",
        "portico-sdk",
        "portico-sdk",
    ]
    assert cli("case", "affected", "remove", key, str(single["id"])).code == 0
    assert cli("case", "affected", "remove", key, str(single["id"])).code == 1
    assert len(_show(cli, key)["affected"]) == 2
    actions = [e["action"] for e in _audit(cli, key)]
    assert actions.count("case.affected.add") == 3 and "case.affected.remove" in actions
    found = cli("cases", "list", "--search", "Helix gateway", "--json").json()
    assert [c["id"] for c in found] == [key]


def test_notes_internal_and_shared_text_never_in_the_audit_log(  # type: ignore[no-untyped-def]
    initialised_cli, tmp_path: Path
) -> None:
    cli = initialised_cli
    key = _new(cli)
    assert cli("case", "note", "add", key, "--text", "called the vendor's PSIRT").code == 0
    note_file = tmp_path / "note.txt"
    note_file.write_text("Vendor confirms 3.4.2 fixes it.\nShare with partners.", "utf-8")
    r = cli("case", "note", "add", key, "--file", str(note_file), "--shared", "--json")
    assert r.code == 0, r.err
    assert cli("case", "note", "add", key, "--text", "  ").code == 2
    assert cli("case", "note", "add", key).code == 2  # --text or --file
    notes = _show(cli, key)["notes"]
    assert [(n["shared"], n["author"]) for n in notes] == [(False, "alice"), (True, "alice")]
    assert notes[1]["text"].startswith("Vendor confirms 3.4.2")
    listed = cli("case", "note", "list", key, "--json").json()
    assert len(listed) == 2
    events = [e for e in _audit(cli, key) if e["action"] == "case.note.add"]
    assert [e["details"]["shared"] for e in events] == [False, True]
    assert "vendor" not in str(events).lower()


def test_embargo_set_cleared_audited_and_read_by_the_trust_rules(initialised_cli) -> None:  # type: ignore[no-untyped-def]
    cli = initialised_cli
    key = _new(cli)
    r = cli("case", "embargo", key, "2099-01-15T09:00:00Z", "--json")
    assert r.code == 0, r.err
    assert _show(cli, key)["embargo_until"] == "2099-01-15T09:00:00+00:00"
    for state in ("triage", "accepted", "coordinating", "remediation"):
        assert cli("case", "transition", key, state, "--reason", "step").code == 0
    refused = cli("case", "transition", key, "disclosed", "--reason", "publish")
    assert refused.code == 1 and "embargo" in refused.err
    assert cli("case", "embargo", key, "--clear").code == 2  # earlier end needs a reason
    assert cli("case", "embargo", key, "--clear", "--reason", "vendor published").code == 0
    assert _show(cli, key)["embargo_until"] is None
    assert cli("case", "transition", key, "disclosed", "--reason", "publish").code == 0
    details = [e["details"] for e in _audit(cli, key) if e["action"] == "case.embargo"]
    assert details[0]["to"] == "2099-01-15T09:00:00+00:00" and details[1]["to"] is None


def test_an_analyst_edits_as_themselves(initialised_cli) -> None:  # type: ignore[no-untyped-def]
    cli = initialised_cli
    key = _new(cli)
    bob = enrol(cli, "bob")
    assert cli("case", "id", "add", key, "cve", "CVE-2026-1111", env=bob).code == 0
    events = [e for e in _audit(cli, key) if e["action"] == "case.identifier.add"]
    assert [e["actor"] for e in events] == ["bob"]


def test_case_show_has_the_screen_fields(initialised_cli) -> None:  # type: ignore[no-untyped-def]
    cli = initialised_cli
    key = _new(cli)
    assert cli("case", "jurisdictions", key, "--add", "EU").code == 0
    shown = _show(cli, key)
    for field in (
        "affected", "identifiers", "reporter", "jurisdictions", "tlp", "embargo_until",
        "notes", "ref", "links", "merged_into",
    ):  # fmt: skip
        assert field in shown, field
    assert shown["jurisdictions"] == ["EU"] and shown["tlp"] == "CLEAR"
    text = cli("case", "show", key)
    assert text.code == 0 and "reference:" in text.out
