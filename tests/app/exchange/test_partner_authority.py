"""A verified partner may update only the cases it received from us or originated itself.

The attack (issue 12 item 2): partner C signs a case document that claims our fingerprint as
origin and names our internal case by its guessable key; C's assessment, advisory text and C
itself as a partner landed in a case C never received.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from app.exchange import export, importer
from models import Advisory, Assessment, BundleCase, Case, CasePartner, QuarantineItem
from tests.app.exchange.conftest import Org, base_manifest, befriend, craft, make_org, open_case

INJECTED = "Advisory text injected by CERT-C"


@pytest.fixture
def three() -> Iterator[tuple[Org, Org, Org]]:
    """CERT-A (us) with two verified partners, CERT-B and CERT-C, who know us too."""
    a, b, c = make_org("CERT-A"), make_org("CERT-B"), make_org("CERT-C")
    for x, y in ((a, b), (b, a), (a, c), (c, a)):
        befriend(x, y)
    yield a, b, c
    for org in (a, b, c):
        org.ws.engine.dispose()


def _doc(origin_fpr: str, key: str, tier: str, text: str) -> dict[str, Any]:
    return {
        "format": "accord-case",
        "format_version": 1,
        "key": key,
        "origin": {"org_fingerprint": origin_fpr, "case": key},
        "title": "Updated by a partner",
        "assessments": [
            {
                "model_id": "accord-severity",
                "model_version": "1.0",
                "tier": tier,
                "created_at": "2026-11-27T10:00:00+00:00",
            }
        ],
        "advisory_draft": {
            "source_language": "en",
            "tlp": "CLEAR",
            "texts": [{"field": "summary", "language": "en", "text": text}],
        },
    }


def _bundle(sender: Org, to: Org, doc: dict[str, Any], sequence: int = 1) -> bytes:
    bundle_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{sender.name}/{sequence}"))
    manifest = base_manifest(sender, to, sequence=sequence, bundle_id=bundle_id)
    return craft(sender, manifest, {f"cases/{doc['key']}.json": json.dumps(doc).encode()})


def _import(org: Org, data: bytes) -> importer.ImportResult:
    with org.ws.session() as s:
        return importer.import_bundle(s, org.ws.require_actor(), data, name="in.bundle")


def _untouched(a: Org, key: str) -> None:
    with a.ws.session() as s:
        case = s.scalar(select(Case).where(Case.key == key))
        assert case is not None
        assert s.scalar(select(func.count()).select_from(Assessment)) == 0
        assert s.scalar(select(func.count()).select_from(Advisory)) == 0
        assert s.scalar(select(func.count()).select_from(CasePartner)) == 0
        assert case.partners_label == ""


def test_partner_cannot_write_into_a_case_it_never_received(three: tuple[Org, Org, Org]) -> None:
    a, _b, c = three
    key = open_case(a)  # internal: never sent to anyone
    result = _import(a, _bundle(c, a, _doc(a.fingerprint, key, "Low", INJECTED)))
    assert not result.imported
    assert result.report.failed_check == "authority"
    assert key in (result.report.reason or "") and "CERT-C" in (result.report.reason or "")
    _untouched(a, key)
    assert a.case_count() == 1
    with a.ws.session() as s:
        item = s.get(QuarantineItem, result.quarantine_id)
        assert item is not None and item.reason == result.report.reason


def test_partner_who_received_the_case_may_update_it(three: tuple[Org, Org, Org]) -> None:
    a, b, c = three
    key = open_case(a)
    with a.ws.session() as s:
        export.export_bundle(s, a.ws.require_actor(), ["CERT-B"], [key], "GREEN")
        assert s.scalar(select(func.count()).select_from(BundleCase)) == 1
    # C still may not, though the case has now left (to B only).
    refused = _import(a, _bundle(c, a, _doc(a.fingerprint, key, "Low", INJECTED)))
    assert not refused.imported and refused.report.failed_check == "authority"
    _untouched(a, key)
    ok = _import(a, _bundle(b, a, _doc(a.fingerprint, key, "High", "B's summary")))
    assert ok.imported, ok.report.reason
    assert [(m.case, m.created) for m in ok.cases] == [(key, False)]
    with a.ws.session() as s:
        tiers = s.scalars(select(Assessment.tier)).all()
        assert tiers == ["High"]


def test_a_partner_case_maps_by_its_origin_and_only_its_originator_updates_it(
    three: tuple[Org, Org, Org],
) -> None:
    a, b, c = three
    first = _import(a, _bundle(b, a, _doc(b.fingerprint, "ACC-2026-0042", "Medium", "B's")))
    assert first.imported, first.report.reason
    ours = first.cases[0].case
    again = _import(
        a, _bundle(b, a, _doc(b.fingerprint, "ACC-2026-0042", "High", "B's again"), sequence=2)
    )
    assert again.imported and [(m.case, m.created) for m in again.cases] == [(ours, False)]
    # C names B's case by B's origin: that is B's case, which C never received from us.
    forged = _import(a, _bundle(c, a, _doc(b.fingerprint, "ACC-2026-0042", "Low", INJECTED)))
    assert not forged.imported and forged.report.failed_check == "authority"
    with a.ws.session() as s:
        assert "Low" not in s.scalars(select(Assessment.tier)).all()
        texts = [t.text for adv in s.scalars(select(Advisory)) for t in adv.texts]
        assert INJECTED not in texts
