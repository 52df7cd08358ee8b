"""CSAF a downstream consumer can use (issue 14 item 4): one vulnerability per CVE, products
with their vendor, the fixed version in the remediation, scores in the version CSAF can carry
(and saying so when it cannot), ids when there is no CVE, the VEX profile; and the demo's
advisories passing the csaf package's mandatory tests in 2.0 and 2.1."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select

from app import parties
from app.advisories import content, csaf_export
from app.demos import seed as demo
from app.workspaces import lifecycle as ws_mod
from app.workspaces.lifecycle import Workspace
from models import AffectedProduct, Assessment, Case, Vulnerability

T = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
VERSIONS = ("2.0", "2.1")


def _build(ws: Workspace, key: str, version: str, profile: str = "advisory") -> dict[str, Any]:
    with ws.session() as s:
        doc = csaf_export.build(content.load(s, key), version, profile)
    assert csaf_export.validate(doc, version) == []
    return doc


def _vuln_of(ws: Workspace, key: str) -> Vulnerability:
    with ws.session() as s:
        case = s.scalar(select(Case).where(Case.key == key))
        assert case is not None
        vuln = s.scalar(select(Vulnerability).where(Vulnerability.case_id == case.id))
        assert vuln is not None
        s.expunge(vuln)
        return vuln


@pytest.mark.parametrize("version", VERSIONS)
def test_reports_of_one_cve_are_one_vulnerability_and_one_product(
    ws: Workspace, drafted: str, version: str
) -> None:
    """A merged case holds the same issue reported three times: the advisory names the CVE
    once, and a product named without a vendor by the mail is the vendor's product."""
    first = _vuln_of(ws, drafted)
    with ws.session() as s:
        for vendor, cve in ((None, None), ("Example Corp", "CVE-2026-12345")):
            again = Vulnerability(case_id=first.case_id, cve=cve, title="again")
            again.affected.append(
                AffectedProduct(kind="system", name="examplechat", vendor=vendor, version="2.3")
            )
            s.add(again)
    doc = _build(ws, drafted, version)
    [vuln] = doc["vulnerabilities"]
    assert vuln["cve"] == "CVE-2026-12345" and vuln["title"] == "Indirect prompt injection"
    [vendor] = doc["product_tree"]["branches"]
    assert vendor["name"] == "Example Corp"
    names = [n["name"] for n in vendor["branches"]]
    assert names == ["ExampleChat", "LLM-7B"]  # "examplechat" 2.3 is ExampleChat 2.3, once


def test_a_vendorless_product_takes_the_only_vendor_party(ws: Workspace, drafted: str) -> None:
    with ws.session() as s:
        for p in s.scalars(select(AffectedProduct)):
            p.vendor = None
        parties.add(s, ws.require_actor(), drafted, "vendor", "Example Corp")
    doc = _build(ws, drafted, "2.0")
    assert [b["name"] for b in doc["product_tree"]["branches"]] == ["Example Corp"]


@pytest.mark.parametrize("version", VERSIONS)
def test_fixed_version_in_the_vendor_fix(ws: Workspace, drafted: str, version: str) -> None:
    with ws.session() as s:
        parties.add(s, ws.require_actor(), drafted, "vendor", "Example Corp")
        parties.set_status(
            s, ws.require_actor(), drafted, "Example Corp", "fixed", "2.4 out", fixed_version="2.4"
        )
    doc = _build(ws, drafted, version)
    [vuln] = doc["vulnerabilities"]
    fixed = vuln["product_status"]["fixed"]
    labels = {
        leaf["product"]["product_id"]: leaf["product"]["name"]
        for v in doc["product_tree"]["branches"]
        for n in v["branches"]
        for leaf in n["branches"]
    }
    assert [labels[f] for f in fixed] == ["Example Corp ExampleChat 2.4", "Example Corp LLM-7B 2.4"]
    fixes = [r for r in vuln["remediations"] if "which fixes it" in r["details"]]
    assert [r["details"].split("\n")[0] for r in fixes] == [
        "Update to Example Corp ExampleChat 2.4, which fixes it.",
        "Update to Example Corp LLM-7B 2.4, which fixes it.",
    ]
    assert all(r["category"] == "vendor_fix" for r in fixes)
    # The advisory's own remediation text goes with each fix.
    assert all("Upgrade ExampleChat to 2.4" in r["details"] for r in fixes)


def test_cvss_4_only_is_said_in_2_0_and_carried_in_2_1(ws: Workspace, drafted: str) -> None:
    with ws.session() as s:
        s.execute(delete(Assessment).where(Assessment.cvss_version == "3.1"))
    doc = _build(ws, drafted, "2.0")
    [vuln] = doc["vulnerabilities"]
    assert "scores" not in vuln
    [note] = [n for n in vuln["notes"] if n["category"] == "other"]
    assert "CVSS 4.0" in note["text"] and "CVSS:4.0/AV:N" in note["text"]
    [vuln] = _build(ws, drafted, "2.1")["vulnerabilities"]
    assert {k for m in vuln["metrics"] for k in m["content"]} == {"cvss_v4", "ssvc_v2"}
    assert all(n["category"] != "other" for n in vuln["notes"])


def test_a_stated_cvss_3_fills_in_for_a_missing_assessment(ws: Workspace, drafted: str) -> None:
    """Our assessment is CVSS 4.0 only; the vendor stated CVSS 3.1: 2.0 carries the vendor's."""
    with ws.session() as s:
        s.execute(delete(Assessment).where(Assessment.cvss_version == "3.1"))
        vuln = s.scalar(select(Vulnerability))
        assert vuln is not None
        vector = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:L/A:N"
        vuln.scores = [{"vector": vector, "version": "3.1", "score": 9.3, "severity": "Critical"}]
    [vuln] = _build(ws, drafted, "2.0")["vulnerabilities"]
    assert vuln["scores"][0]["cvss_v3"]["vectorString"] == vector
    assert all(n["category"] != "other" for n in vuln["notes"])


@pytest.mark.parametrize("version", VERSIONS)
def test_without_a_cve_the_case_reference_is_the_id(
    ws: Workspace, drafted: str, version: str
) -> None:
    with ws.session() as s:
        for v in s.scalars(select(Vulnerability)):
            v.cve = None
    [vuln] = _build(ws, drafted, version)["vulnerabilities"]  # 2.1 test 6.1.27.8 passes
    assert "cve" not in vuln
    assert vuln["ids"] == [{"system_name": "CERT-Test", "text": drafted}]


@pytest.mark.parametrize("version", VERSIONS)
def test_vex_profile(ws: Workspace, drafted: str, version: str) -> None:
    """VEX: an unaffected product carries its vendor's statement as the impact statement, an
    affected one without any remediation gets "none available"."""
    with ws.session() as s:
        vuln = s.scalar(select(Vulnerability))
        assert vuln is not None
        vuln.affected.append(
            AffectedProduct(kind="system", name="Gatekeeper", vendor="Other AI", version="1.2")
        )
        actor = ws.require_actor()
        parties.add(s, actor, drafted, "vendor", "Example Corp")
        parties.set_status(
            s, actor, drafted, "Example Corp", "not-affected", "The parser is not shipped."
        )
    doc = _build(ws, drafted, version, "vex")
    assert doc["document"]["category"] == "csaf_vex"
    [vuln] = doc["vulnerabilities"]
    unaffected = vuln["product_status"]["known_not_affected"]
    [statement] = [t for t in vuln["threats"] if set(t["product_ids"]) == set(unaffected)]
    assert statement["details"] == "The parser is not shipped."
    [affected] = vuln["product_status"]["known_affected"]
    assert any(affected in r["product_ids"] for r in vuln["remediations"])

    with ws.session() as s:  # no remediation text at all: an action statement still
        from app import advisories

        advisories.set_text(s, ws.require_actor(), drafted, "remediation", "en", "")
        advisories.set_text(s, ws.require_actor(), drafted, "mitigation", "en", "")
    [vuln] = _build(ws, drafted, version, "vex")["vulnerabilities"]
    assert [r["category"] for r in vuln["remediations"]] == ["none_available"]


def test_profile_flag_on_the_cli(initialised_cli: Any, tmp_path: Path) -> None:
    cli = initialised_cli
    key = cli("case", "new", "--title", "x", "--json").json()["id"]
    assert cli("advisory", "new", key).code == 0
    html = cli(
        "advisory", "export", key, "--format", "html", "--profile", "vex",
        "--out", str(tmp_path / "a.html"),
    )  # fmt: skip
    assert html.code == 2 and "--format csaf" in html.err
    bad = cli("advisory", "export", key, "--format", "csaf", "--profile", "sbom", "--out", "x")
    assert bad.code == 2


def test_the_demos_advisories_pass_the_mandatory_tests() -> None:
    ws = ws_mod.create(None, None, "CERT-Demo", "alice", db_url="sqlite://")
    try:
        with ws.session() as s:
            summary = demo.fill(
                s, ws.require_actor(), now=datetime(2026, 11, 27, 9, 30, tzinfo=UTC), count=40,
                label="memory",
            )  # fmt: skip
        keys = list(summary.showcase["advisories"])  # type: ignore[call-overload]
        assert len(keys) == 3
        with ws.session() as s:
            for key in keys:
                for lang in ("en", "de", "ja"):
                    c = content.load(s, key, lang)
                    for version in VERSIONS:
                        for profile in csaf_export.PROFILES:
                            doc = csaf_export.build(c, version, profile)
                            found = csaf_export.validate(doc, version)
                            assert found == [], (key, lang, version, profile, found)
    finally:
        ws.engine.dispose()
