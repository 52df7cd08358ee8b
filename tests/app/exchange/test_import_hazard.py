"""A partner's attachments are classified on import as at intake (brief w2-exch item 3): the
partner's ``hazardous`` flag alone let an executable or an EICAR file in as harmless when the
partner's Accord (or a hostile partner) said so."""

from __future__ import annotations

import json

from sqlalchemy import select

from app.exchange import export, importer
from models import Attachment, Case
from tests.app.exchange.conftest import Org, base_manifest, craft, open_case
from tests.app.intake.test_hazard import EICAR, PE

HARMLESS = b"Steps to reproduce: paste the prompt, watch the tool call.\n"


def _attachment(path: str, name: str, **claims: object) -> dict[str, object]:
    return {"path": path, "filename": name, "media_type": "application/octet-stream", **claims}


def test_partner_attachments_are_classified_on_import(orgs: tuple[Org, Org]) -> None:
    a, b = orgs
    key = "ACC-2026-0042"
    files = {
        "attachments/1-payload.exe": PE,
        "attachments/2-notes.txt": EICAR,
        "attachments/3-steps.txt": HARMLESS,
        "attachments/4-tool.txt": HARMLESS,
        "attachments/5-readme.txt": HARMLESS,
    }
    doc = {
        "format": "accord-case",
        "format_version": 1,
        "key": key,
        "origin": {"org_fingerprint": b.fingerprint, "case": key},
        "title": "Tool output injection",
        "attachments": [
            # The partner says harmless: our own checks find otherwise.
            _attachment("attachments/1-payload.exe", "payload.exe", hazardous=False),
            _attachment("attachments/2-notes.txt", "notes.txt", hazardous=False),
            # The partner says hazardous: kept hazardous, with its reason or a flag of its own.
            _attachment(
                "attachments/3-steps.txt", "steps.txt", hazardous=True,
                hazard_kind="script", hazard_reasons=["script"],
            ),
            _attachment("attachments/4-tool.txt", "tool.txt", hazardous=True, hazard_kind="?!"),
            _attachment("attachments/5-readme.txt", "readme.txt", hazardous=False),
        ],
    }  # fmt: skip
    files[f"cases/{key}.json"] = json.dumps(doc).encode()
    with a.ws.session() as s:
        result = importer.import_bundle(
            s, a.ws.require_actor(), craft(b, base_manifest(b, a), files)
        )
    assert result.imported, result.report.reason
    with a.ws.session() as s:
        rows = {
            r.filename: (r.hazardous, r.hazard_kind, r.hazard_reasons)
            for r in s.scalars(select(Attachment))
        }
    assert rows == {
        "payload.exe": (True, "executable", ["executable"]),
        "notes.txt": (True, "test-signature", ["test-signature"]),
        "steps.txt": (True, "script", ["script"]),
        "tool.txt": (True, "partner-flagged", ["partner-flagged"]),
        "readme.txt": (False, None, []),
    }


def test_reasons_travel_in_our_own_bundles(orgs: tuple[Org, Org]) -> None:
    """Our bundles carry each attachment's reasons; the receiver adds what it finds itself."""
    a, b = orgs
    key = open_case(a)
    with a.ws.session() as s:
        case = s.scalar(select(Case).where(Case.key == key))
        assert case is not None
        s.add(
            Attachment(
                case_id=case.id, filename="model.pkl", media_type="application/octet-stream",
                content=b"\x80\x04K\x01.", sha256="0" * 64, size=5, hazardous=True,
                hazard_kind="pickle", hazard_reasons=["pickle"],
            )
        )  # fmt: skip
        s.flush()
        att_id = s.scalar(select(Attachment.id))
    with a.ws.session() as s:
        data = export.export_bundle(
            s, a.ws.require_actor(), ["CERT-B"], [key], "AMBER", [(int(att_id or 0), "CERT-B")]
        ).data
    with b.ws.session() as s:
        assert importer.import_bundle(s, b.ws.require_actor(), data).imported
        [row] = s.scalars(select(Attachment)).all()
        assert row.hazardous and row.hazard_reasons == ["pickle"]
