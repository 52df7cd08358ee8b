"""Near-duplicates beyond identical product names: a shared CVE or document id, and product
names equal once case, punctuation and a vendor prefix are set aside (issue 14.1)."""

from __future__ import annotations

from sqlalchemy import select

from app.casework import cases, identifiers
from app.intake import dedup
from app.intake.model import ParsedDoc, ParsedVuln, Product
from app.workspaces.lifecycle import Workspace
from models import AffectedProduct, Case, Identifier, Report, Vulnerability
from models.vulnerabilities import product_key

GHSA = "GHSA-4Q2X-8R5M-VW9C"
TEXT = "Prompt injection in the Portico LLM gateway lets a web page call internal tools"


def _existing(ws: Workspace, product: str, vendor: str | None, doc_id: str | None = None) -> str:
    with ws.session() as s:
        case = cases.create_case(s, ws.require_actor(), "Portico gateway injection", TEXT)
        r = Report(case_id=case.id, title="Portico gateway injection", description=TEXT)
        r.document_id = doc_id
        s.add(r)
        s.flush()
        v = Vulnerability(case_id=case.id, report_id=r.id, title="injection")
        v.affected.append(AffectedProduct(name=product, vendor=vendor))
        s.add(v)
        return case.key


def _candidates(ws: Workspace, doc: ParsedDoc) -> list[dict[str, object]]:
    with ws.session() as s:
        case = cases.create_case(s, ws.require_actor(), doc.title, doc.description)
        r = Report(case_id=case.id, title=doc.title, description=doc.description)
        s.add(r)
        s.flush()
        rows = dedup.candidate_rows(s, r.id, case.id, doc.title, doc.description, doc)
        keys = {cid: key for cid, key in s.execute(select(Case.id, Case.key))}
    return [{**row, "case": keys[int(str(row["other_case_id"]))]} for row in rows]


def test_product_key_ignores_case_punctuation_and_vendor_prefix() -> None:
    assert product_key("Helix Portico-LLM gateway", "Helix") == "portico llm gateway"
    assert product_key("portico llm Gateway") == "portico llm gateway"
    assert product_key("Helix", "Helix") == "helix"  # a name that is only the vendor stays


def test_names_that_differ_only_in_form_are_proposed(ws: Workspace) -> None:
    key = _existing(ws, "Portico LLM Gateway", "Helix")
    doc = ParsedDoc(
        format="email", raw=b"", title="Portico gateway injection", description=TEXT,
        vulns=(ParsedVuln(products=(Product(name="Helix portico-llm GATEWAY"),)),),
    )  # fmt: skip
    found = _candidates(ws, doc)
    assert [c["case"] for c in found] == [key]
    assert "Portico LLM Gateway" in str(found[0]["reason"])


def test_a_shared_cve_or_document_id_is_proposed_whatever_the_text(ws: Workspace) -> None:
    by_cve = _existing(ws, "Something else entirely", None)
    with ws.session() as s:
        identifiers.add(s, ws.require_actor(), by_cve, "cve", "CVE-2026-41234")
    by_doc = _existing(ws, "Other product", None, doc_id="HLX-SA-2026-017")
    doc = ParsedDoc(
        format="csaf", raw=b"", title="Helix advisory", description="unrelated words",
        document_id="HLX-SA-2026-017",
        identifiers=(("CVE", "cve-2026-41234"),),
    )  # fmt: skip
    found = _candidates(ws, doc)
    assert sorted(str(c["case"]) for c in found) == sorted([by_cve, by_doc])
    assert all(c["score"] == 100.0 for c in found)
    reasons = " ".join(str(c["reason"]) for c in found)
    assert "CVE-2026-41234" in reasons and "HLX-SA-2026-017" in reasons


def test_unrelated_products_are_not_proposed(ws: Workspace) -> None:
    _existing(ws, "Portico LLM Gateway", "Helix")
    doc = ParsedDoc(
        format="email", raw=b"", title="Portico gateway injection", description=TEXT,
        vulns=(ParsedVuln(products=(Product(name="Lattice vector store"),)),),
    )  # fmt: skip
    assert _candidates(ws, doc) == []


def test_a_case_identifier_is_found_behind_many_report_identifiers(ws: Workspace) -> None:
    """The cases' own identifiers are looked up apart from reports' (each part bounded): 60
    reports carrying an advisory id must not crowd out the case an analyst gave it to."""
    crowd = _existing(ws, "Crowded product", None)
    with ws.session() as s:
        case_id = s.scalar(select(Case.id).where(Case.key == crowd))
        for n in range(60):
            r = Report(case_id=case_id, title=f"copy {n}", description=TEXT)
            s.add(r)
            s.flush()
            s.add(Identifier(report_id=r.id, scheme="ghsa", value=GHSA))
    by_analyst = _existing(ws, "Something else entirely", None)
    with ws.session() as s:
        identifiers.add(s, ws.require_actor(), by_analyst, "ghsa", GHSA)
    doc = ParsedDoc(
        format="csaf", raw=b"", title="Helix advisory", description="unrelated words",
        identifiers=(("GHSA", GHSA),),
    )  # fmt: skip
    found = {str(c["case"]) for c in _candidates(ws, doc)}
    assert by_analyst in found
