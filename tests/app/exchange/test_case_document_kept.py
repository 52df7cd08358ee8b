"""A partner's case document, kept as the report that links its case to theirs, is stored
compressed (models/rawcodec.py) and reads back as it came in the bundle."""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import select

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
