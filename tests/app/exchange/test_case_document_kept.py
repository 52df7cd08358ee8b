"""A partner's case document, kept as the report that links its case to theirs, is stored
compressed (models/rawcodec.py) and reads back as it came in the bundle."""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import select

from app.casework import editing
from app.exchange import export, importer
from models import Report
from tests.app.exchange.conftest import Org, open_case


def test_a_partners_case_document_reads_back_from_its_bundle(orgs: tuple[Org, Org]) -> None:
    a, b = orgs
    key = open_case(a)
    with a.ws.session() as s:
        data = export.export_bundle(s, a.ws.require_actor(), ["CERT-B"], [key], "AMBER").data
    with b.ws.session() as s:
        assert importer.import_bundle(s, b.ws.require_actor(), data, name="in.bundle").imported
    with b.ws.session() as s:
        link = s.scalars(select(Report).where(Report.format == importer.ORIGIN_FORMAT)).one()
        original = link.raw
        assert hashlib.sha256(original).hexdigest() == link.raw_sha256
        assert json.loads(original)["title"] == "Prompt injection through tool output"
        assert link.raw_codec == "zlib"


def test_an_updated_case_document_keeps_the_earlier_one_as_stored(
    orgs: tuple[Org, Org],
) -> None:
    """A later bundle of the case: the earlier document becomes a revision, its stored bytes
    moved as they are (never inflated and compressed again, and a damaged one moves too)."""
    from sqlalchemy import text

    from models import ReportRevision

    a, b = orgs
    key = open_case(a)
    bundles = []
    for title in ("Prompt injection through tool output", "Tool output injection, fixed"):
        with a.ws.session() as s:
            with editing.edit(s, key) as case:
                case.title = title
            got = export.export_bundle(s, a.ws.require_actor(), ["CERT-B"], [key], "AMBER")
            bundles.append(got.data)
    with b.ws.session() as s:
        assert importer.import_bundle(s, b.ws.require_actor(), bundles[0], name="1.bundle").imported
    damaged = b"x\x9c not what was stored"
    with b.ws.engine.begin() as conn:
        [(first_sha,)] = conn.execute(text("SELECT raw_sha256 FROM report")).all()
        conn.execute(text("UPDATE report SET raw = :raw"), {"raw": damaged})
    with b.ws.session() as s:
        assert importer.import_bundle(s, b.ws.require_actor(), bundles[1], name="2.bundle").imported
    with b.ws.session() as s:
        link = s.scalars(select(Report).where(Report.format == importer.ORIGIN_FORMAT)).one()
        assert json.loads(link.raw)["title"] == "Tool output injection, fixed"
        [kept] = s.scalars(select(ReportRevision)).all()
        assert (kept.stored_raw, kept.raw_codec, kept.raw_sha256) == (damaged, "zlib", first_sha)
