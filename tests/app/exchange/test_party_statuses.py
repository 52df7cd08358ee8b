"""Party statuses travel in bundles and merge on the other side as the sender's, beside ours."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from app import parties
from app.exchange import export, importer
from models import AuditEvent, CaseParty, PartyStatus
from tests.app.exchange.conftest import Org, open_case

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
T1 = datetime(2026, 3, 5, 14, 0, tzinfo=UTC)
T2 = datetime(2026, 3, 9, 8, 0, tzinfo=UTC)


def _export(org: Org, to: str, key: str) -> bytes:
    with org.ws.session() as s:
        return export.export_bundle(s, org.ws.require_actor(), [to], [key], "GREEN").data


def _import(org: Org, data: bytes) -> importer.ImportResult:
    with org.ws.session() as s:
        result = importer.import_bundle(s, org.ws.require_actor(), data, name="in.bundle")
    assert result.imported, result.report.reason
    return result


def _timeline(org: Org, key: str, party: str) -> list[tuple[str, str]]:
    with org.ws.session() as s:
        info = parties.get(s, key, party)
    return [(t.status, t.origin) for t in info.timeline]


def test_statuses_merge_with_provenance_both_ways(orgs: tuple[Org, Org]) -> None:
    a, b = orgs
    key = open_case(a)
    with a.ws.session() as s:
        actor = a.ws.require_actor()
        parties.add(s, actor, key, "vendor", "Helix AI", contacts=["psirt@helix.example"])
        parties.set_status(s, actor, key, "Helix AI", "notified", "sent by CERT-A", at=T0)
        parties.set_status(s, actor, key, "Helix AI", "affected", "3.2.0-3.4.1", at=T1)
        parties.add(s, actor, key, "reporter", "n0name", pseudonymous=True, credit="n0name")
        parties.log_contact(s, actor, key, "Helix AI", "sent", "e-mail", "initial report")

    result = _import(b, _export(a, "CERT-B", key))
    theirs = result.cases[0].case
    assert any("2 party statuses" in n for n in result.notes)
    assert _timeline(b, theirs, "Helix AI") == [
        ("notified", a.fingerprint), ("affected", a.fingerprint)
    ]  # fmt: skip
    with b.ws.session() as s:
        info = parties.get(s, theirs, "Helix AI")
        # Contacts and the contact log are CERT-A's relationship with the vendor: not sent.
        assert info.contacts == () and info.log == () and info.origin == a.fingerprint
        assert info.status == "affected" and info.latest is not None
        assert info.latest.origin == a.fingerprint  # shown as A's, not as ours
        assert parties.get(s, theirs, "n0name").credit == "n0name"
        # B hears from the vendor itself: its own status sits beside A's.
        parties.set_status(s, b.ws.require_actor(), theirs, "Helix AI", "fixed", "3.4.2", at=T2)

    _import(a, _export(b, "CERT-A", theirs))
    assert _timeline(a, key, "Helix AI") == [
        ("notified", "local"), ("affected", "local"), ("fixed", b.fingerprint)
    ]  # fmt: skip
    with a.ws.session() as s:
        info = parties.get(s, key, "Helix AI")
        # Our latest word is still ours; B's is kept as B's and never replaced it.
        assert info.status == "affected" and info.latest is not None
        assert info.latest.origin == "local"
        assert [c.summary for c in info.log] == ["initial report"]
        rows = s.scalars(select(PartyStatus).where(PartyStatus.origin_fingerprint.is_(None)))
        assert [(r.status, r.statement) for r in rows] == [
            ("notified", "sent by CERT-A"), ("affected", "3.2.0-3.4.1")
        ]  # fmt: skip
        actions = set(s.scalars(select(AuditEvent.action)))
        assert "party.status.import" in actions

    # A sends again: B's copy gains nothing twice, and A's statuses B echoed are not doubled.
    _import(b, _export(a, "CERT-B", key))
    assert _timeline(b, theirs, "Helix AI") == [
        ("notified", a.fingerprint), ("affected", a.fingerprint), ("fixed", "local")
    ]  # fmt: skip


def test_a_bundle_cannot_rewrite_our_statuses(orgs: tuple[Org, Org]) -> None:
    """B claims statuses for a vendor of our case (with our party's exact times): they are
    added as B's, ours stay as they were."""
    a, b = orgs
    key = open_case(a)
    with a.ws.session() as s:
        actor = a.ws.require_actor()
        parties.add(s, actor, key, "vendor", "Helix AI")
        parties.set_status(s, actor, key, "Helix AI", "affected", "ours", at=T1)
    theirs = _import(b, _export(a, "CERT-B", key)).cases[0].case
    with b.ws.session() as s:
        parties.set_status(
            s, b.ws.require_actor(), theirs, "Helix AI", "not-affected", "B says", at=T1
        )
    _import(a, _export(b, "CERT-A", theirs))
    with a.ws.session() as s:
        party = s.scalar(select(CaseParty).where(CaseParty.name == "Helix AI"))
        assert party is not None
        got = sorted((st.status, st.statement, st.origin_fingerprint) for st in party.statuses)
        assert got == [("affected", "ours", None), ("not-affected", "B says", b.fingerprint)]
        assert parties.get(s, key, "Helix AI").status == "affected"
