"""The three-organisation exercise of issue 14, driven through the CLI as a coordinator would.

CERT-DE receives a researcher's e-mail about an exploited prompt injection in the Portico LLM
Gateway, then the vendor's CSAF advisory, the CVE 5 record and an OSV record of it
(tests/fixtures/three-org). It merges them into one case, finds it by CVE, estimates the impact
on an inventory, records the parties, drafts and exports the advisory as CSAF 2.0 and 2.1, and
exchanges signed bundles with CERT-FR and CERT-JP, each in its own SQLCipher workspace.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from app.advisories import csaf_export
from tests.app.exchange.conftest import reuse_generated_keys  # noqa: F401  (autouse fixture)
from tests.conftest import FIXTURES

DATA = FIXTURES / "three-org"
CVE = "CVE-2026-41234"
VENDOR_DOC = "HLX-SA-2026-017"
INVENTORY = DATA / "deployments.csv"
AFFECTED_DEPLOYMENTS = {"rb-assist", "sl-triage", "kw-ops"}  # 3.2.0, 3.3.5, 3.4.1 of 5 rows
CREDIT = "Mio Tanaka (Kyoto Lab)"
CVSS4 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:L/VA:N/SC:H/SI:L/SA:N/E:A"


@dataclass
class OrgCli:
    """One organisation's workspace, reached through ``accord --workspace DIR``."""

    cli: Any
    name: str
    home: Path

    def __call__(self, *argv: str, ok: bool = True) -> Any:
        result = self.cli("--workspace", str(self.home / "ws"), *argv)
        if ok:
            assert result.code == 0, (argv, result.err)
        return result

    def json(self, *argv: str) -> Any:
        return self(*argv, "--json").json()


def _organisation(cli: Any, tmp_path: Path, name: str) -> tuple[OrgCli, str, Path]:
    """A new workspace with its organisation key; returns it, its fingerprint, its certificate."""
    org = OrgCli(cli, name, tmp_path / name)
    org.home.mkdir()
    org("init", "--org", name, "--analyst", "coordinator")
    fingerprint = org.json("org", "key", "generate")["fingerprint"]
    cert = org.home / f"{name}.asc"
    org("org", "key", "export", "--out", str(cert))
    return org, fingerprint, cert


def _befriend(a: OrgCli, b: OrgCli, b_fpr: str, b_cert: Path, country: str, tz: str) -> None:
    a("partner", "add", "--name", b.name, "--country", country, "--tz", tz, "--key", str(b_cert))
    a("partner", "verify", b.name, "--fingerprint", b_fpr)


def _send(sender: OrgCli, to: OrgCli, key: str, tmp_path: Path) -> dict[str, Any]:
    """A signed, encrypted AMBER bundle of one case, exported by one and imported by the other."""
    out = tmp_path / f"{sender.name}-to-{to.name}-{key}.bundle"
    sender("bundle", "export", "--to", to.name, "--case", key, "--tlp", "AMBER", "--out", str(out))
    assert to.json("bundle", "verify", str(out))["valid"] is True
    got = to.json("bundle", "import", str(out))
    assert got["imported"] is True, got
    return got  # type: ignore[no-any-return]


def _impact(org: OrgCli, key: str) -> dict[str, str]:
    """``accord impact`` on the inventory: deployment → the affected range that matched it."""
    result = org.json("impact", key, "--inventory", str(INVENTORY))
    assert result["deployments_seen"] == 5
    return {d["deployment"]: d["affected_by"] for d in result["deployments"]}


def _only_case(org: OrgCli) -> str:
    [case] = org.json("cases", "list")
    return str(case["id"])


def _csaf(org: OrgCli, key: str, out: Path, version: str, *extra: str) -> dict[str, Any]:
    """Export the advisory as CSAF (Accord refuses a document failing a mandatory test), then
    run the csaf package's schema and mandatory tests on the file a consumer receives."""
    org(
        "advisory", "export", key, "--format", "csaf", "--csaf-version", version,
        "--out", str(out), *extra,
    )  # fmt: skip
    doc: dict[str, Any] = json.loads(out.read_text("utf-8"))
    assert csaf_export.validate(doc, version) == []
    return doc


def _leaves(doc: dict[str, Any]) -> dict[str, tuple[str, str, str]]:
    """product id → (vendor, product name, version or range) from the product tree."""
    out = {}
    for vendor in doc["product_tree"]["branches"]:
        for name in vendor["branches"]:
            for leaf in name["branches"]:
                out[leaf["product"]["product_id"]] = (vendor["name"], name["name"], leaf["name"])
    return out


@pytest.fixture
def three(cli: Any, tmp_path: Path) -> tuple[OrgCli, OrgCli, OrgCli]:
    de, de_fpr, de_cert = _organisation(cli, tmp_path, "CERT-DE")
    fr, fr_fpr, fr_cert = _organisation(cli, tmp_path, "CERT-FR")
    jp, jp_fpr, jp_cert = _organisation(cli, tmp_path, "CERT-JP")
    _befriend(de, fr, fr_fpr, fr_cert, "FR", "Europe/Paris")
    _befriend(fr, de, de_fpr, de_cert, "DE", "Europe/Berlin")
    _befriend(de, jp, jp_fpr, jp_cert, "JP", "Asia/Tokyo")
    _befriend(jp, de, de_fpr, de_cert, "DE", "Europe/Berlin")
    return de, fr, jp


def test_three_organisation_exercise(three: tuple[OrgCli, OrgCli, OrgCli], tmp_path: Path) -> None:
    de, fr, jp = three

    # 1. CERT-DE: the researcher's e-mail opens a case; its free-text range is read as one.
    de("import", str(DATA / "researcher-report.eml"), "--source", "researcher")
    key = _only_case(de)
    [product] = de.json("case", "show", key)["affected"]
    assert (product["name"], product["range"]) == (
        "Portico LLM Gateway", "vers:generic/>=3.2.0|<=3.4.1"
    )  # fmt: skip
    assert _impact(de, key) == dict.fromkeys(
        AFFECTED_DEPLOYMENTS, "Portico LLM Gateway vers:generic/>=3.2.0|<=3.4.1"
    )
    # The CNA reserved a CVE for it; the coordinator records it on the case.
    de("case", "id", "add", key, "CVE", CVE)

    # 2. The vendor's CSAF advisory opens a case of its own, proposed as the same issue (it
    # shares the CVE), its product_version_range matching the same three deployments.
    de("import", str(DATA / f"{VENDOR_DOC}.json"), "--source", "helix-labs")
    [proposal] = de.json("duplicates", "list")
    vendor_case = proposal["new"]["case"]
    assert proposal["existing"]["case"] == key and CVE in proposal["reason"]
    assert _impact(de, vendor_case) == dict.fromkeys(
        AFFECTED_DEPLOYMENTS, "Portico LLM Gateway vers:semver/>=3.2.0|<=3.4.1"
    )
    # The CVE 5 record and the OSV record join the vendor's case (same CVE, from intake).
    de("import", str(DATA / f"{CVE}.json"), "--source", "cve.org")
    de("import", str(DATA / "GHSA-4f7m-9w2q-x8c3.json"), "--source", "osv")
    preview = de.json("case", "merge", vendor_case, key, "--preview")
    assert len(preview["moves"]["reports"]) == 3 and preview["moves"]["products"] == 3
    de("case", "merge", vendor_case, key, "--reason", "the vendor advisory of the mailed issue")
    assert de.json("case", "show", vendor_case)["merged_into"] == key
    merged = de.json("case", "show", key)
    assert sorted(r["format"] for r in merged["reports"]) == ["csaf", "cve5", "email", "osv"]
    assert {p["range"] for p in merged["affected"]} == {
        "vers:generic/>=3.2.0|<=3.4.1",  # e-mail
        "vers:semver/>=3.2.0|<=3.4.1",  # CSAF
        "vers:semver/>=3.2.0|<3.4.2",  # CVE 5 lessThan
        "vers:pypi/>=3.2.0|<3.4.2",  # OSV ECOSYSTEM introduced/fixed
    }
    # Four sources, still the same three of five deployments (3.2.0, 3.3.5, 3.4.1).
    assert set(_impact(de, key)) == AFFECTED_DEPLOYMENTS

    # 3. Search finds the case by its CVE and the vendor's document id.
    for needle in (CVE, VENDOR_DOC, "GHSA-4f7m-9w2q-x8c3"):
        found = [c["id"] for c in de.json("cases", "list", "--search", needle)]
        assert key in found, needle

    # 4. Parties: the vendor fixed it in 3.4.2; the reporter is credited as asked.
    de("case", "party", "add", key, "Helix Labs", "--kind", "vendor",
       "--contact", "psirt@helix-labs.example", "--channel", "e-mail")  # fmt: skip
    de("case", "party", "set", key, "Helix Labs", "--status", "notified",
       "--at", "2026-03-02T10:00:00+00:00")  # fmt: skip
    de("case", "party", "set", key, "Helix Labs", "--status", "fixed", "--fixed-in", "3.4.2",
       "--statement", "Portico LLM Gateway 3.4.2 quotes retrieved text as data.")  # fmt: skip
    de("case", "party", "add", key, "Mio Tanaka", "--kind", "reporter", "--credit", CREDIT,
       "--safe-harbour")  # fmt: skip
    de("assess", key, "--cvss", CVSS4)  # our own score: CVSS 4.0 only

    # 5. The advisory, as CSAF 2.0 and 2.1, each passing the csaf package's mandatory tests.
    de("advisory", "new", key)
    for field, text in (
        ("title", "Exploited indirect prompt injection in Portico LLM Gateway"),
        ("summary", "Portico LLM Gateway 3.2.0 to 3.4.1 forwards retrieved instructions."),
        ("description", "A page fetched by the retrieval plugin reaches the model as system "
         "text; the model calls tools for the attacker and leaks other tenants' API keys."),
        ("remediation", "Install 3.4.2 and rotate the API keys the gateway held."),
    ):  # fmt: skip
        de("advisory", "set", key, field, "--lang", "en", "--text", text)
    docs = {v: _csaf(de, key, tmp_path / f"csaf-{v}.json", v) for v in ("2.0", "2.1")}
    for version, doc in docs.items():
        leaves = _leaves(doc)
        by_label = {leaf: pid for pid, leaf in leaves.items()}
        gateway = ("Helix Labs", "Portico LLM Gateway")
        package = ("Helix Labs", "portico-gateway")  # OSV's PyPI package: the vendor's too
        ranged = {by_label[(*gateway, "vers:semver/>=3.2.0|<=3.4.1")],
                  by_label[(*gateway, "vers:semver/>=3.2.0|<3.4.2")],
                  by_label[(*package, "vers:pypi/>=3.2.0|<3.4.2")]}  # fmt: skip
        fixed = {by_label[(*gateway, "3.4.2")], by_label[(*package, "3.4.2")]}
        assert "Unknown vendor" not in {v for v, _n, _r in leaves.values()}
        assert (*gateway, "vers:generic/>=3.2.0|<=3.4.1") not in by_label  # one range, once
        [vuln] = doc["vulnerabilities"]  # four reports of one issue: one vulnerability
        assert vuln["cve"] == CVE
        assert {"system_name": "GitHub Security Advisories", "text": "GHSA-4f7m-9w2q-x8c3"} in (
            vuln["ids"]
        )
        cwe = vuln["cwes"][0] if version == "2.1" else vuln["cwe"]
        assert cwe["id"] == "CWE-1427"
        # The vendor's "fixed in 3.4.2": the ranges stay affected, 3.4.2 is fixed.
        status = vuln["product_status"]
        assert ranged <= set(status["known_affected"]) and set(status["fixed"]) == fixed
        fixes = [r for r in vuln["remediations"] if "3.4.2, which fixes it" in r["details"]]
        assert {r["category"] for r in fixes} == {"vendor_fix"}
        assert {pid for r in fixes for pid in r["product_ids"]} == ranged  # one per product
        names = [a["names"] for a in doc["document"]["acknowledgments"]]
        assert names == [[CREDIT]]
        scores = vuln["metrics"] if version == "2.1" else vuln["scores"]
        kinds = {k for sc in scores for k in (sc["content"] if version == "2.1" else sc)}
        # CVSS 3.1 as the vendor and CNA stated it; our CVSS 4.0 where CSAF can carry it.
        assert kinds - {"products"} == ({"cvss_v3", "cvss_v4"} if version == "2.1" else
                                        {"cvss_v3"})  # fmt: skip
    vex = _csaf(de, key, tmp_path / "vex.json", "2.1", "--profile", "vex")
    assert vex["document"]["category"] == "csaf_vex"

    # 6. CERT-FR and CERT-JP each got one source on their own; each range matches the same rows.
    fr("import", str(DATA / f"{CVE}.json"), "--source", "cve.org")
    fr_own = _only_case(fr)
    assert _impact(fr, fr_own) == dict.fromkeys(
        AFFECTED_DEPLOYMENTS, "Portico LLM Gateway vers:semver/>=3.2.0|<3.4.2"
    )
    jp("import", str(DATA / "GHSA-4f7m-9w2q-x8c3.json"), "--source", "osv")
    jp_own = _only_case(jp)
    assert _impact(jp, jp_own) == dict.fromkeys(
        AFFECTED_DEPLOYMENTS, "portico-gateway vers:pypi/>=3.2.0|<3.4.2"
    )
    assert key == fr_own == jp_own  # every workspace numbers ACC-2026-0001 ...

    # 7. Signed bundles: DE → FR and DE → JP, FR → DE. Statuses and shared notes arrive with
    # their provenance; the internal note stays home; the reference stays DE's everywhere.
    de("case", "note", "add", key, "--text", "Helix Labs confirmed exploitation.", "--shared")
    de("case", "note", "add", key, "--text", "Reporter's phone number is in the mail.")
    ref = de.json("case", "show", key)["ref"]
    de_fpr = de.json("org", "key", "export", "--out", str(tmp_path / "again.asc"))["fingerprint"]
    assert ref == f"{key}@{de_fpr[:16]}"
    at_fr = _send(de, fr, key, tmp_path)["cases"][0]["case"]
    at_jp = _send(de, jp, key, tmp_path)["cases"][0]["case"]
    for org, local in ((fr, at_fr), (jp, at_jp)):
        shown = org.json("case", "show", local)
        assert local != key and shown["ref"] == ref  # its own key, DE's reference beside it
        [vendor] = [p for p in org.json("case", "party", "list", local) if p["kind"] == "vendor"]
        assert (vendor["name"], vendor["status"]) == ("Helix Labs", "fixed")
        assert vendor["status_provenance"] == de_fpr and vendor["contacts"] == []
        assert [(n["text"], n["partner"]) for n in org.json("case", "note", "list", local)] == [
            ("Helix Labs confirmed exploitation.", "CERT-DE")
        ]
        found = [c["id"] for c in org.json("cases", "list", "--search", CVE)]
        assert local in found
    fr("case", "note", "add", at_fr, "--text", "Two French hospitals run 3.3.5.", "--shared")
    fr("case", "party", "set", at_fr, "Helix Labs", "--status", "fixed", "--fixed-in", "3.4.2",
       "--statement", "Confirmed to CERT-FR.")  # fmt: skip
    back = _send(fr, de, at_fr, tmp_path)
    assert back["cases"][0]["case"] == key  # DE's own case, not a new one
    notes = de.json("case", "note", "list", key)
    assert [(n["text"], n["partner"]) for n in notes if n["shared"]] == [
        ("Helix Labs confirmed exploitation.", None),
        ("Two French hospitals run 3.3.5.", "CERT-FR"),
    ]
    [vendor] = [p for p in de.json("case", "party", "list", key) if p["kind"] == "vendor"]
    assert vendor["status_provenance"] == "local"  # FR's word sits beside ours
    assert {e["provenance"] for e in vendor["timeline"]} >= {"local"}

    # 8. The references are unique across the three organisations: one per case, DE's case
    # holding DE's reference wherever it went.
    refs: dict[str, list[tuple[str, str]]] = {}
    for org in (de, fr, jp):
        for c in org.json("cases", "list"):
            shown = org.json("case", "show", c["id"])
            refs.setdefault(shown["ref"], []).append((org.name, c["id"]))
    assert sorted(refs[ref]) == [("CERT-DE", key), ("CERT-FR", at_fr), ("CERT-JP", at_jp)]
    assert all(len(v) == 1 for r, v in refs.items() if r != ref), refs
