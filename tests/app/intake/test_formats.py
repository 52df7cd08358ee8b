"""Every supported format imports, with the facts each one carries."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.intake import import_paths
from models import (
    AffectedProduct,
    Attachment,
    Case,
    Identifier,
    Report,
    SourceMapping,
    Vulnerability,
)
from tests.app.intake.helpers import INTAKE
from tests.conftest import shared_data


def _sample(folder: Path, pattern: str, n: int, seed: int = 7) -> list[Path]:
    files = sorted(folder.rglob(pattern))
    random.Random(seed).shuffle(files)
    return files[:n]


def test_oasis_folder_valid_imported_schema_invalid_rejected(ws):
    root = shared_data("csaf", "oasis")
    data = root / "csaf_2.0" / "test" / "validator" / "data"
    cases = json.loads((data / "testcases.json").read_text())
    must_import = {str(data / v["name"]) for t in cases["tests"] for v in t.get("valid", [])}
    failures = {str(data / v["name"]) for t in cases["tests"] for v in t.get("failures", [])}
    examples = {str(p) for p in (root / "csaf_2.0" / "examples" / "csaf").rglob("*.json")}

    result = import_paths(ws, [root])

    rejected = {r.path: r.reason for r in result.rejected}
    assert result.total == len([p for p in root.rglob("*") if p.is_file()])
    assert result.imported + result.duplicates + len(rejected) >= result.total
    for path in must_import | examples:
        assert path not in rejected, (path, rejected.get(path))
    with ws.session() as s:
        names = set(s.scalars(select(Report.filename)))
        warned = {r.filename: r.warnings for r in s.scalars(select(Report))}
    assert all(p in names for p in must_import | examples)
    # The suite's failing files: schema-invalid ones are refused, the rest are imported with
    # the failed mandatory test on record.
    for path in failures:
        if path in rejected:
            assert "schema violation" in rejected[path], rejected[path]
        elif "/mandatory/" in path:
            assert any("mandatory test" in w for w in warned[path]), path
    assert sum("/mandatory/" in p for p in failures if p in rejected) == 3
    # Files that are not reports (schemas, feeds, provider metadata) are refused by name.
    assert (
        "not a recognised report format"
        in rejected[str(root / "csaf_2.0" / "json_schema" / "csaf_json_schema.json")]
    )
    # Every CSAF 2.1 example imports. Those written to an earlier committee draft than the
    # csaf package's current one (CSD02's publisher/contact_details) are checked against that
    # draft, and say so on the report.
    examples21 = {str(p) for p in (root / "csaf_2.1" / "examples" / "csaf").rglob("*.json")}
    assert examples21 and not examples21 & set(rejected)
    drafted = {p for p in examples21 if any("committee draft CSD02" in w for w in warned[p])}
    assert {Path(p).name for p in drafted} >= {"cisco-sa-20180328-smi2.json", "rhsa-2019_1862.json"}


def test_cisa_csaf_sample(ws):
    files = _sample(shared_data("csaf", "cisa-sample"), "*.json", 20)
    result = import_paths(ws, files)
    assert result.rejected == ()
    assert result.imported == 20
    with ws.session() as s:
        assert s.scalar(select(func.count()).select_from(Vulnerability)) >= 20
        assert s.scalar(select(func.count()).select_from(AffectedProduct)) > 0
        scored = [v.scores for v in s.scalars(select(Vulnerability)) if v.scores]
    assert scored and all(sc[0]["score"] is not None for sc in scored)


def test_cve5_sample_and_example(ws):
    files = _sample(shared_data("cve5", "cisa-vulnrichment-sample"), "*.json", 20)
    files.append(shared_data("cve5", "full-record-basic-example.json"))
    result = import_paths(ws, files)
    assert result.rejected == ()
    assert result.imported == 21
    with ws.session() as s:
        cves = set(s.scalars(select(Vulnerability.cve)))
        assert "CVE-1900-1234" in cves
        assert s.scalar(select(func.count()).select_from(Case)) == 21


def test_cve5_score_disagreement_flagged(ws):
    path = shared_data("cve5", "cisa-vulnrichment-sample", "CVE-2024-28179.json")
    result = import_paths(ws, [path])
    [d] = result.score_disagreements
    assert (d.stated, d.computed) == (9.1, 9.0)
    with ws.session() as s:
        report = s.scalars(select(Report)).one()
    assert any("disagrees" in w for w in report.warnings)


def test_osv_yaml_and_json(ws):
    root = shared_data("osv", "pypa")
    files = _sample(root / "vulns", "*.yaml", 15) + _sample(root / "json_ai_subset", "*.json", 5)
    result = import_paths(ws, files)
    bad = [r for r in result.rejected if "does not match" not in r.reason]
    assert bad == []
    assert result.imported + len(result.rejected) == 20
    with ws.session() as s:
        schemes = set(s.scalars(select(Identifier.scheme)))
    assert "PYSEC" in schemes


def test_osv_ecosystem_becomes_the_purl_not_the_vendor(ws):
    """PyPA's Jinja2 record: PyPI publishes the package, it does not make it. The product keeps
    no vendor (so it can match an inventory row naming the real one) and gains its purl."""
    path = shared_data("osv", "pypa", "vulns", "jinja2", "PYSEC-2019-217.yaml")
    assert import_paths(ws, [path]).rejected == ()
    with ws.session() as s:
        rows = s.execute(select(AffectedProduct.vendor, AffectedProduct.purl)).all()
    assert set(rows) == {(None, "pkg:pypi/jinja2")}


@pytest.mark.parametrize(
    ("ecosystem", "name", "purl"),
    [
        ("npm", "@llm/gateway", "pkg:npm/%40llm/gateway"),
        ("Maven", "org.example:model-server", "pkg:maven/org.example/model-server"),
        ("Go", "github.com/example/agent", "pkg:golang/github.com/example/agent"),
        ("crates.io", "tokenizers", "pkg:cargo/tokenizers"),
        ("Debian:12", "python3-torch", None),  # a distribution's purl needs its release
        ("Unknown", "thing", None),
    ],
)
def test_osv_purls_per_ecosystem(ecosystem, name, purl):
    from app.versions.sources import purl_for_osv

    assert purl_for_osv(ecosystem, name) == purl


def test_osv_record_with_malformed_commit_is_refused(ws):
    path = shared_data("osv", "pypa", "vulns", "matrix-synapse", "PYSEC-2021-424.yaml")
    result = import_paths(ws, [path])
    [r] = result.rejected
    assert "schema violation at /affected/0/ranges/0/events/1/fixed" in r.reason


def test_avid_reports_and_vulnerabilities(ws):
    root = shared_data("ai", "avid")
    files = _sample(root / "reports", "*.json", 10) + _sample(root / "vulnerabilities", "*.json", 5)
    result = import_paths(ws, files)
    assert result.rejected == ()
    assert result.imported == 15
    with ws.session() as s:
        kinds = set(s.scalars(select(AffectedProduct.kind)))
        assert kinds & {"model", "system", "dataset"}
        assert (
            s.scalar(
                select(func.count()).select_from(Identifier).where(Identifier.scheme == "AVID")
            )
            >= 15
        )


def test_markdown_report(ws):
    result = import_paths(ws, [INTAKE / "jailbreak-report.md"])
    assert result.imported == 1
    with ws.session() as s:
        report = s.scalars(select(Report)).one()
        products = set(s.scalars(select(AffectedProduct.name)))
        vuln = s.scalars(select(Vulnerability)).one()
    assert report.format == "markdown"
    assert report.title == "System prompt exfiltration through tool output in HelpBot"
    assert "<script>" in report.description  # kept as written, shown as plain text
    assert products == {"HelpBot-7B", "HelpBot Enterprise"}  # "3.2" is its version
    assert vuln.scores[0]["score"] == 6.5


def test_csv_auto_mapping_is_saved_per_source(ws):
    result = import_paths(ws, [INTAKE / "hackerone-export.csv"], source="hackerone")
    assert result.imported == 2
    with ws.session() as s:
        mapping = s.get(SourceMapping, "hackerone").columns
        reports = s.scalars(select(Report).order_by(Report.id)).all()
        ident = set(s.scalars(select(Identifier.value)))
    assert mapping["vulnerability_information"] == "description"
    assert mapping["asset_identifier"] == "product"
    assert reports[0].title == "Prompt injection leaks customer emails"
    assert "HACKERONE:H1-1001" in ident
    again = import_paths(ws, [INTAKE / "hackerone-export.csv"], source="hackerone")
    assert (again.imported, again.duplicates) == (0, 2)


def test_xlsx_with_explicit_mapping(ws, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    sheet = wb.active
    sheet.append(["Ref", "Headline", "Body", "Target"])
    sheet.append(
        ["BC-7", "Jailbreak of VisionBot", "Image prompt bypasses the filter.", "VisionBot"]
    )
    path = tmp_path / "bugcrowd.xlsx"
    wb.save(path)
    mapping = {"Ref": "identifier", "Headline": "title", "Body": "description", "Target": "product"}
    result = import_paths(ws, [path], source="bugcrowd", mapping=mapping)
    assert result.imported == 1, result.rejected
    with ws.session() as s:
        assert s.get(SourceMapping, "bugcrowd").columns == mapping
        assert s.scalars(select(AffectedProduct.name)).one() == "VisionBot"


def test_csv_without_title_or_description_mapping_is_refused(ws, tmp_path):
    path = tmp_path / "odd.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    [r] = import_paths(ws, [path]).rejected
    assert "--map COLUMN=title" in r.reason


def test_email_with_attachment(ws):
    result = import_paths(ws, [INTAKE / "report-with-attachment.eml"])
    assert result.imported == 1
    with ws.session() as s:
        report = s.scalars(select(Report)).one()
        attachment = s.scalars(select(Attachment)).one()
        idents = set(s.scalars(select(Identifier.value)))
    assert report.format == "email"
    assert report.title == "Training data extraction in SummarAI 1.4"
    assert attachment.filename == "prompts.txt"
    assert attachment.report_id == report.id
    assert "CVE-2026-20002" in idents


def _org_key():  # type: ignore[no-untyped-def]
    import pysequoia

    tsk = pysequoia.Tsk.generate("CERT <cert@example.org>")
    return tsk, tsk.extract_certificate()


def _inline_mail(cert) -> bytes:  # type: ignore[no-untyped-def]
    import pysequoia

    armored = pysequoia.encrypt(recipients=[cert], bytes=b"Model: SecretLLM\nLeaks keys.")
    return (
        b"From: r@example.org\r\nSubject: Encrypted finding\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + armored
    )


def _pgp_mime_mail(cert) -> bytes:  # type: ignore[no-untyped-def]
    """RFC 3156 section 4: multipart/encrypted with the encrypted MIME entity inside."""
    import pysequoia

    inner = (
        b"Content-Type: multipart/mixed; boundary=in\r\n\r\n--in\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nModel: VaultBot\r\nSecret finding.\r\n"
        b"--in\r\nContent-Type: application/octet-stream\r\n"
        b'Content-Disposition: attachment; filename="poc.bin"\r\n\r\nPOC\r\n--in--\r\n'
    )
    armored = pysequoia.encrypt(recipients=[cert], bytes=inner)
    return (
        b"From: r@example.org\r\nSubject: PGP/MIME finding\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; '
        b"boundary=out\r\n\r\n--out\r\nContent-Type: application/pgp-encrypted\r\n\r\n"
        b"Version: 1\r\n\r\n--out\r\nContent-Type: application/octet-stream\r\n\r\n"
        + armored
        + b"\r\n--out--\r\n"
    )


def _store_key(ws, tsk, cert) -> None:  # type: ignore[no-untyped-def]
    from models import OrgKey

    with ws.session() as s:
        s.add(OrgKey(fingerprint=cert.fingerprint, secret_key=str(tsk), certificate=str(cert)))


@pytest.mark.parametrize("build", [_inline_mail, _pgp_mime_mail])
def test_encrypted_mail_without_org_key_is_refused(ws, tmp_path, build):
    _tsk, cert = _org_key()
    path = tmp_path / "secret.eml"
    path.write_bytes(build(cert))
    [r] = import_paths(ws, [path]).rejected
    assert r.reason == "cannot decrypt: no organisation key"


def test_inline_pgp_mail_decrypted_with_org_key(ws, tmp_path):
    tsk, cert = _org_key()
    _store_key(ws, tsk, cert)
    path = tmp_path / "secret.eml"
    path.write_bytes(_inline_mail(cert))
    result = import_paths(ws, [path])
    assert result.rejected == () and result.imported == 1
    with ws.session() as s:
        report = s.scalars(select(Report)).one()
    assert "Leaks keys." in report.description
    assert report.raw.count(b"BEGIN PGP MESSAGE") == 1  # the original stays as received


def test_pgp_mime_mail_decrypted_with_org_key(ws, tmp_path):
    tsk, cert = _org_key()
    _store_key(ws, tsk, cert)
    path = tmp_path / "mime.eml"
    path.write_bytes(_pgp_mime_mail(cert))
    result = import_paths(ws, [path])
    assert result.rejected == () and result.imported == 1
    with ws.session() as s:
        report = s.scalars(select(Report)).one()
        attachment = s.scalars(select(Attachment)).one()
        products = set(s.scalars(select(AffectedProduct.name)))
    assert report.title == "PGP/MIME finding"
    assert "Secret finding." in report.description
    assert attachment.filename == "poc.bin" and attachment.content.strip() == b"POC"
    assert products == {"VaultBot"}


def test_mail_encrypted_to_another_key_is_refused(ws, tmp_path):
    tsk, cert = _org_key()
    _store_key(ws, tsk, cert)
    _other, stranger = _org_key()
    path = tmp_path / "x.eml"
    path.write_bytes(_inline_mail(stranger))
    [r] = import_paths(ws, [path]).rejected
    assert r.reason == "cannot decrypt: not encrypted to an organisation key"
