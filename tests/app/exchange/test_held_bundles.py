"""A genuine bundle that arrives before an earlier one is held, not refused for good; refused
bundles are kept in quarantine within stated caps (issue 12 item 12)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from app.errors import PermissionDenied, UsageError
from app.exchange import holding, importer
from app.identity.actor import Actor
from models import AuditEvent, Bundle, Case, Partner, QuarantineItem, Role
from tests.app.exchange.conftest import Org, base_manifest, craft


def _bundle(sender: Org, to: Org, sequence: int) -> bytes:
    key = f"ACC-2026-{sequence:04d}"
    doc = {
        "format": "accord-case",
        "format_version": 1,
        "key": key,
        "origin": {"org_fingerprint": sender.fingerprint, "case": key},
        "title": f"Partner case {sequence}",
        "assessments": [],
    }
    bundle_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{sender.name}/{sequence}"))
    manifest = base_manifest(sender, to, sequence=sequence, bundle_id=bundle_id)
    return craft(sender, manifest, {f"cases/{key}.json": json.dumps(doc).encode()})


def _import(org: Org, data: bytes) -> importer.ImportResult:
    with org.ws.session() as s:
        return importer.import_bundle(s, org.ws.require_actor(), data, name="in.bundle")


def _last_in(org: Org) -> int:
    with org.ws.session() as s:
        return int(s.scalar(select(Partner.last_sequence_in)) or 0)


def test_early_bundle_is_held_and_applied_when_the_gap_fills(orgs: tuple[Org, Org]) -> None:
    a, b = orgs
    assert _import(a, _bundle(b, a, 1)).imported
    early = _import(a, _bundle(b, a, 3))
    assert not early.imported and early.held and early.quarantine_id is None
    assert early.report.ok and early.report.waiting_for == 2
    assert "waiting for sequence 2" in early.outcome_text()
    assert a.case_count() == 1 and _last_in(a) == 1
    with a.ws.session() as s:
        [held] = holding.list_bundles(s, held_only=True)
        assert held.status == "held: waiting for sequence 2" and held.sequence == 3
        assert held.partner == "CERT-B" and held.size > 0
    again = _import(a, _bundle(b, a, 3))
    assert not again.imported and not again.held and "already held" in (again.report.reason or "")

    filled = _import(a, _bundle(b, a, 2))
    assert filled.imported, filled.report.reason
    assert filled.applied_held == (early.report.bundle_id,)
    assert a.case_count() == 3 and _last_in(a) == 3
    with a.ws.session() as s:
        assert holding.list_bundles(s, held_only=True) == []
        row = s.scalar(select(Bundle).where(Bundle.bundle_uuid == early.report.bundle_id))
        assert row is not None and row.state == "done" and row.content is None
        titles = set(s.scalars(select(Case.title)))
        assert titles == {"Partner case 1", "Partner case 2", "Partner case 3"}


def test_coordinator_accepts_a_held_bundle_with_a_reason(orgs: tuple[Org, Org]) -> None:
    a, b = orgs
    assert _import(a, _bundle(b, a, 1)).imported
    held = _import(a, _bundle(b, a, 4))
    assert held.held and held.held_id is not None
    analyst = Actor(id=0, name="ann", role=Role.ANALYST)
    with a.ws.session() as s, pytest.raises(PermissionDenied):
        holding.accept(s, analyst, str(held.held_id), "lost in transit")
    with a.ws.session() as s, pytest.raises(UsageError):
        holding.accept(s, a.ws.require_actor(), str(held.held_id), "  ")
    with a.ws.session() as s:
        result = holding.accept(
            s, a.ws.require_actor(), str(held.held_id), "CERT-B says 2 and 3 were withdrawn"
        )
    assert result.imported, result.report.reason
    assert _last_in(a) == 4 and a.case_count() == 2
    with a.ws.session() as s:
        ev = s.scalar(select(AuditEvent).where(AuditEvent.action == "bundle.accept"))
        assert ev is not None and ev.details["skipped_sequences"] == [2, 3]
        assert ev.details["reason"] == "CERT-B says 2 and 3 were withdrawn"
    late = _import(a, _bundle(b, a, 2))
    assert not late.imported and "old sequence number" in (late.report.reason or "")


def test_refused_bundles_are_kept_within_the_caps(
    orgs: tuple[Org, Org], monkeypatch: pytest.MonkeyPatch
) -> None:
    a, _b = orgs
    monkeypatch.setattr(importer, "QUARANTINE_ITEM_MAX_BYTES", 1000)
    monkeypatch.setattr(importer, "QUARANTINE_TOTAL_MAX_BYTES", 2500)
    junk = b"not a bundle " * 400  # 5,200 bytes
    kept = []
    for _ in range(4):
        result = _import(a, junk)
        assert not result.imported and result.quarantine_id is not None
        kept.append(result.kept_bytes)
        text = result.outcome_text()
        assert f"the first {result.kept_bytes} of its {len(junk)} bytes" in text
        assert result.report.sha256 in text
    assert kept == [1000, 1000, 500, 0]
    with a.ws.session() as s:
        rows = s.scalars(select(QuarantineItem).order_by(QuarantineItem.id)).all()
        assert [len(r.content) for r in rows] == kept
        assert {r.size for r in rows} == {len(junk)}
        total = s.scalar(select(func.sum(func.length(QuarantineItem.content))))
        assert total == 2500


def test_cli_says_what_quarantine_kept(initialised_cli: Any, tmp_path: Path) -> None:
    cli = initialised_cli
    big = tmp_path / "big.bundle"
    big.write_bytes(b"x" * (importer.QUARANTINE_ITEM_MAX_BYTES + 10))
    out = cli("bundle", "import", str(big))
    assert out.code == 4
    assert f"the first {importer.QUARANTINE_ITEM_MAX_BYTES} of its" in out.out
    [item] = cli("quarantine", "list", "--json").json()
    assert item["kept_bytes"] == importer.QUARANTINE_ITEM_MAX_BYTES
    assert item["size"] == importer.QUARANTINE_ITEM_MAX_BYTES + 10
    shown = cli("quarantine", "show", str(item["id"]), "--json").json()
    assert shown["kind"] == "bundle" and "kept" in shown["content"]
