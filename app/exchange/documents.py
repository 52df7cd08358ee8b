"""The JSON documents inside a bundle: a case with its vulnerabilities, our assessments and
playbook steps; an advisory as CSAF (or as its draft rows while it is unfinished)."""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import trust
from app.advisories import content as advisory_content
from app.advisories import csaf_export
from app.casework import notes as case_notes
from app.deadlines.casedata import export_rule_sets
from app.errors import AccordError
from app.parties import exchange as parties_exchange
from app.playbooks import joint
from models import Advisory, Assessment, Case, PlaybookRun, Report, Vulnerability

ORIGIN_FORMAT = "accord-bundle"


def iso(value: Any) -> Any:
    return value.isoformat() if value is not None and hasattr(value, "isoformat") else value


def json_bytes(data: Any) -> bytes:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False).encode("utf-8")


def safe_name(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "file"
    return cleaned[:120]


def case_origin(session: Session, case: Case, own_fpr: str) -> dict[str, str]:
    """Where a case was first opened: ours, or the partner's case it was imported from."""
    row = session.scalar(
        select(Report.document_id)
        .where(Report.case_id == case.id, Report.format == ORIGIN_FORMAT)
        .order_by(Report.id)
    )
    if row and ":" in row:
        fpr, key = row.split(":", 1)
        return {"org_fingerprint": fpr, "case": key}
    return {"org_fingerprint": own_fpr, "case": case.key}


def case_document(session: Session, case: Case, own_fpr: str) -> dict[str, Any]:
    """The case as JSON: facts, vulnerabilities, our assessments and finished playbook steps."""
    vulns = session.scalars(select(Vulnerability).where(Vulnerability.case_id == case.id)).all()
    assessments = session.scalars(
        select(Assessment)
        .where(Assessment.case_id == case.id, Assessment.partner_id.is_(None))
        .order_by(Assessment.id)
    ).all()
    # Our own runs; a partner's run mirrored here goes back only as our completions of the
    # steps it gave us (partner_steps below).
    runs = session.scalars(
        select(PlaybookRun).where(
            PlaybookRun.case_id == case.id, PlaybookRun.origin_fingerprint.is_(None)
        )
    ).all()
    return {
        "format": "accord-case",
        "format_version": 1,
        "origin": case_origin(session, case, own_fpr),
        "key": case.key,
        # The reference unique across organisations (app/casework/refs.py): the originator's.
        "ref": case.ref,
        "title": case.title,
        "description": case.description,
        "status": case.status.value,
        "tier": case.tier,
        "created_at": iso(case.created_at),
        "updated_at": iso(case.updated_at),
        "embargo_until": iso(case.embargo_until),
        "tlp": trust.case_tlp(case),
        "facts": [
            {"name": f.name, "at": iso(f.at), **({"party": f.party} if f.party else {})}
            for f in case.facts
        ],
        "jurisdictions": sorted(j.code for j in case.jurisdictions),
        # The rule files the case's obligations came from, with their text: a partner
        # without our team's file still evaluates them (issue 16).
        "rule_sets": export_rule_sets(session, case),
        "vulnerabilities": [
            {
                "ref": v.id,
                "cve": v.cve,
                "cwe": v.cwe,
                "title": v.title,
                "description": v.description,
                "ai_class": v.ai_class,
                "atlas_ids": list(v.atlas_ids or []),
                "owasp_ids": list(v.owasp_ids or []),
                "affected": [
                    {
                        "kind": a.kind,
                        "name": a.name,
                        "vendor": a.vendor,
                        "version": a.version,
                        "version_range": a.version_range,
                        "hash": a.hash,
                        "purl": a.purl,
                    }
                    for a in v.affected
                ],
                "references": [
                    {"url": r.url, "summary": r.summary, "category": r.category}
                    for r in v.references
                ],
            }
            for v in vulns
        ],
        "assessments": [
            {
                "ref": a.id,
                "vulnerability_ref": a.vulnerability_id,
                "model_id": a.model_id,
                "model_version": a.model_version,
                "cvss_version": a.cvss_version,
                "cvss_vector": a.cvss_vector,
                "cvss_score": a.cvss_score,
                "cvss_severity": a.cvss_severity,
                "ssvc_table": a.ssvc_table,
                "ssvc_inputs": a.ssvc_inputs,
                "ssvc_decision": a.ssvc_decision,
                "ssvc_recorded": list(a.ssvc_recorded or []),
                "ai_factors": a.ai_factors,
                "sector": a.sector,
                "tier": a.tier,
                "sla_hours": a.sla_hours,
                "explanation": a.explanation,
                "rationale": a.rationale,
                "created_at": iso(a.created_at),
            }
            for a in assessments
        ],
        "parties": parties_exchange.party_documents(session, case),
        "playbook_runs": [
            {
                "playbook_id": r.playbook_id,
                "version": r.version,
                "state": r.state,
                "steps": [
                    {
                        "step_id": s.step_id,
                        "position": s.position,
                        "title": s.title,
                        "owner": s.owner,
                        "state": s.state,
                        "completed_by": s.completed_by,
                        "completed_at": iso(s.completed_at),
                        "outputs": s.outputs,
                    }
                    for s in r.steps
                    # Only what we did ourselves; a third party's completions stay theirs.
                    if s.partner_fingerprint is None
                ],
            }
            for r in runs
        ],
        "notes": case_notes.for_bundle(session, case),  # shared notes only
    }


def advisory_document(advisory: Advisory, origin: dict[str, str]) -> dict[str, Any]:
    """An advisory draft as JSON (the rows), until a CSAF rendering is wired in."""
    return {
        "format": "accord-advisory-draft",
        "format_version": 1,
        "case_origin": origin,
        "status": advisory.status,
        "tlp": advisory.tlp,
        "source_language": advisory.source_language,
        "revision": advisory.current_revision,
        "texts": [
            {"field": t.field, "language": t.language, "text": t.text, "source_hash": t.source_hash}
            for t in sorted(advisory.texts, key=lambda t: (t.field, t.language))
        ],
    }


def csaf_file_name(tracking_id: str) -> str:
    """CSAF 2.0 section 5.1: lower-case tracking id, other than [+-a-z0-9] as ``_``."""
    return re.sub(r"[^+\-a-z0-9]+", "_", tracking_id.lower()) + ".json"


def advisory_file(session: Session, case: Case, draft: dict[str, Any]) -> tuple[bytes, str]:
    """The CSAF document when the draft makes a valid one, else the draft rows as JSON."""
    try:
        doc = csaf_export.build(advisory_content.load(session, case.key))
        if not csaf_export.validate(doc):
            tracking = str(doc["document"]["tracking"]["id"])
            return json_bytes(doc), csaf_file_name(tracking)
    except (AccordError, KeyError, ValueError):
        pass  # an unfinished draft travels as its rows; the partner merges it all the same
    return json_bytes(draft), f"{case.key}.json"


def partner_steps(session: Session, case: Case) -> list[dict[str, Any]]:
    """Partner-owned steps of the case's playbook runs (the playbooks' joint-run contract)."""
    try:
        return joint.partner_steps_for_export(session, case.id)
    except (AccordError, KeyError, ValueError):
        return []
