"""Version ranges from intake to impact (issue 14, item 2): CSAF, CVE 5, OSV and e-mail ranges
are stored as vers: URIs and match the inventory rows in range, and only those."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app import impact
from app.intake import import_paths
from app.workspaces.lifecycle import Workspace
from models import AffectedProduct, Case, Vulnerability
from tests.app.intake.helpers import csaf_doc, write_json
from tests.conftest import shared_data

HEADER = "Organization,Deployment ID,Product,Vendor,Version,Monthly Active Users\n"


def _inventory(tmp_path: Path, product: str, vendor: str, versions: list[str]) -> Path:
    rows = [f"Org {i},dep-{v},{product},{vendor},{v},100" for i, v in enumerate(versions)]
    path = tmp_path / f"inventory-{len(list(tmp_path.iterdir()))}.csv"
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def _import(ws: Workspace, path: Path) -> str:
    result = import_paths(ws, [path])
    assert result.imported == 1, result.rejected
    return result.case_keys[0]


def _stored(ws: Workspace, key: str) -> set[tuple[str, str | None, str | None]]:
    with ws.session() as s:
        rows = s.execute(
            select(AffectedProduct.name, AffectedProduct.version, AffectedProduct.version_range)
            .join(Vulnerability, AffectedProduct.vulnerability_id == Vulnerability.id)
            .join(Case, Vulnerability.case_id == Case.id)
            .where(Case.key == key)
        ).all()
    return {tuple(r) for r in rows}  # type: ignore[misc]


def _matched(ws: Workspace, key: str, inventory: Path) -> dict[str, list[str]]:
    """The deployments the estimate found, by how they matched."""
    with ws.session() as s:
        result = impact.estimate(s, ws.require_actor(), key, impact.load([inventory]))
    out: dict[str, list[str]] = {}
    for d in result["deployments"]:
        if d["match"]:
            out.setdefault(d["match"], []).append(d["version"])
    return {k: sorted(v) for k, v in out.items()}


def _portico_csaf(branch: dict[str, Any]) -> dict[str, Any]:
    doc = csaf_doc("HLX-SA-2026-017", cve="CVE-2026-41234", family="Portico LLM Gateway")
    vendor = doc["product_tree"]["branches"][0]
    vendor["name"] = "Helix"
    vendor["branches"][0]["branches"] = [branch]
    return doc


PORTICO = ["3.1.9", "3.2.0", "3.3.7", "3.4.1", "3.4.2"]


def test_csaf_vers_range_matches_the_three_rows_in_range(ws: Workspace, tmp_path: Path) -> None:
    doc = _portico_csaf(
        {
            "category": "product_version_range",
            "name": "vers:semver/>=3.2.0|<=3.4.1",
            "product": {"name": "Helix Portico LLM Gateway", "product_id": "CSAFPID-0001"},
        }
    )
    key = _import(ws, write_json(tmp_path / "hlx.json", doc))
    stored = _stored(ws, key)
    assert stored == {("Portico LLM Gateway", None, "vers:semver/>=3.2.0|<=3.4.1")}
    inventory = _inventory(tmp_path, "Portico LLM Gateway", "Helix", PORTICO)
    assert _matched(ws, key, inventory) == {"version": ["3.2.0", "3.3.7", "3.4.1"]}


def test_csaf_free_text_range_is_stored_as_vers(ws: Workspace, tmp_path: Path) -> None:
    doc = _portico_csaf(
        {
            "category": "product_version_range",
            "name": "< 3.4.2",
            "product": {"name": "Portico LLM Gateway < 3.4.2", "product_id": "CSAFPID-0001"},
        }
    )
    key = _import(ws, write_json(tmp_path / "hlx.json", doc))
    assert _stored(ws, key) == {("Portico LLM Gateway", None, "vers:generic/<3.4.2")}


def test_email_range_matches(ws: Workspace, tmp_path: Path) -> None:
    eml = tmp_path / "report.eml"
    eml.write_bytes(
        b"From: Researcher <r@example.org>\r\nTo: cert@example.org\r\n"
        b"Subject: Prompt injection in the Portico gateway\r\nMessage-ID: <p-1@example.org>\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
        b"Hello,\r\n\r\nThe gateway follows instructions hidden in tool output.\r\n"
        b"Product: Portico LLM Gateway 3.2.0 - 3.4.1\r\n"
    )
    key = _import(ws, eml)
    assert _stored(ws, key) == {("Portico LLM Gateway", None, "vers:generic/>=3.2.0|<=3.4.1")}
    inventory = _inventory(tmp_path, "Portico LLM Gateway", "Helix", PORTICO)
    assert _matched(ws, key, inventory) == {"version": ["3.2.0", "3.3.7", "3.4.1"]}


def _cve_record(versions: list[dict[str, Any]]) -> dict[str, Any]:
    record: dict[str, Any] = json.loads(
        shared_data("cve5", "full-record-basic-example.json").read_text()
    )
    record["cveMetadata"]["cveId"] = "CVE-2026-41234"
    record["containers"]["cna"]["affected"] = [
        {
            "vendor": "Helix",
            "product": "Portico LLM Gateway",
            "versions": versions,
            "defaultStatus": "unaffected",
        }
    ]
    return record


def test_cve5_less_than_imports_and_matches(ws: Workspace, tmp_path: Path) -> None:
    record = _cve_record(
        [{"version": "3.2.0", "lessThan": "3.4.2", "status": "affected", "versionType": "semver"}]
    )
    key = _import(ws, write_json(tmp_path / "cve.json", record))
    assert _stored(ws, key) == {("Portico LLM Gateway", None, "vers:semver/>=3.2.0|<3.4.2")}
    inventory = _inventory(tmp_path, "Portico LLM Gateway", "Helix", PORTICO)
    assert _matched(ws, key, inventory) == {"version": ["3.2.0", "3.3.7", "3.4.1"]}


def test_real_cve5_records(ws: Workspace, tmp_path: Path) -> None:
    """CISA vulnrichment records: a semver range, and Siemens' V-prefixed custom versions."""
    sample = shared_data("cve5", "cisa-vulnrichment-sample")
    key = _import(ws, sample / "CVE-2024-43202.json")
    assert _stored(ws, key) == {("Apache DolphinScheduler", None, "vers:semver/>=3.0.0|<3.2.2")}
    asf = "Apache Software Foundation"
    inventory = _inventory(tmp_path, "Apache DolphinScheduler", asf, ["2.9.9", "3.1.4", "3.2.2"])
    assert _matched(ws, key, inventory) == {"version": ["3.1.4"]}

    key = _import(ws, sample / "CVE-2024-26277.json")
    stored = _stored(ws, key)
    assert ("Parasolid V36.0", None, "vers:generic/<V36.0.207") in stored
    inventory = _inventory(
        tmp_path, "Parasolid V36.0", "Siemens", ["V36.0.198", "V36.0.207", "V36.0.210"]
    )
    assert _matched(ws, key, inventory) == {"version": ["V36.0.198"]}


def test_real_osv_record(ws: Workspace, tmp_path: Path) -> None:
    """PyPA's PYSEC-2019-217 (Jinja2 before 2.10.1): the ECOSYSTEM range, compared as PEP 440."""
    key = _import(ws, shared_data("osv", "pypa", "vulns", "jinja2", "PYSEC-2019-217.yaml"))
    assert _stored(ws, key) == {("jinja2", None, "vers:pypi/<2.10.1")}
    inventory = _inventory(tmp_path, "jinja2", "PyPI", ["2.0rc1", "2.10", "2.10.1", "3.1.4"])
    assert _matched(ws, key, inventory) == {"version": ["2.0rc1", "2.10"]}


def test_real_csaf_advisories(ws: Workspace, tmp_path: Path) -> None:
    """The OASIS VEX example (ABC 2.4, 2.6 and vers:generic/>=2.9|<=4.1) and a CISA advisory
    whose Siemens ranges are written vers:all/<V…."""
    oasis = shared_data("csaf", "oasis", "csaf_2.0", "examples", "csaf", "csaf_vex")
    key = _import(ws, oasis / "2022-evd-uc-04-001.json")
    assert _stored(ws, key) == {
        ("ABC", "2.4", None),
        ("ABC", "2.6", None),
        ("ABC", None, "vers:generic/>=2.9|<=4.1"),
    }
    inventory = _inventory(
        tmp_path, "ABC", "Example Company", ["2.4", "2.5", "2.6", "2.9", "3.7.1", "4.1", "4.2"]
    )
    assert _matched(ws, key, inventory) == {"version": ["2.4", "2.6", "2.9", "3.7.1", "4.1"]}

    cisa = shared_data("csaf", "cisa-sample", "icsa-22-195-18.json")
    doc = json.loads(cisa.read_text())
    key = _import(ws, cisa)
    assert "vers:all/<V" in json.dumps(doc["product_tree"])
    ranges = {r for _n, _v, r in _stored(ws, key) if r}
    assert ranges == {"vers:all/*", "vers:generic/<V4.3.8", "vers:generic/<V5.6.0"}
