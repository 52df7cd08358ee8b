"""A case's parties: statuses with deadlines, contacts with files in the store, version checks,
audit events without content, reporters' credit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app import parties
from app.advisories import content, drafting
from app.auditing import chain as audit
from app.casework import cases
from app.errors import ConflictError, NotFound, UsageError
from app.parties import service
from app.workspaces.lifecycle import Workspace
from models import Attachment, AuditEvent, CaseParty, Reporter

NOTIFIED = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def _case(ws: Workspace, title: str = "Portico LLM Gateway prompt injection") -> str:
    with ws.session() as s:
        return cases.create_case(s, ws.require_actor(), title).key


def test_timeline_deadlines_and_contact_log(any_ws: Workspace) -> None:
    key = _case(any_ws)
    actor = any_ws.require_actor()
    with any_ws.session() as s:
        added = parties.add(
            s, actor, key, "vendor", "Helix  AI", contacts=["psirt@helix.example"],
            channel="e-mail",
        )  # fmt: skip
        assert (added.name, added.status, added.notified_at) == ("Helix AI", None, None)
    with any_ws.session() as s:
        info = parties.set_status(s, actor, key, "helix ai", "notified", "report sent", at=NOTIFIED)
    # The clocks run from the first notification (VINCE: 7-day reminder, 45-day due date).
    assert info.acknowledgement_due == NOTIFIED + timedelta(days=7)
    assert info.response_due == NOTIFIED + timedelta(days=45)
    assert info.overdue(NOTIFIED + timedelta(days=8)) == ("acknowledgement",)
    reply = NOTIFIED + timedelta(days=3)
    with any_ws.session() as s:
        info = parties.log_contact(
            s, actor, key, info.id, "received", "e-mail", "vendor confirms receipt",
            files=[("reply.eml", b"From: psirt@helix.example\n\nThanks")], at=reply,
        )  # fmt: skip
    assert info.acknowledged_at == reply and info.overdue(NOTIFIED + timedelta(days=8)) == ()
    assert info.overdue(NOTIFIED + timedelta(days=46)) == ("response",)
    with any_ws.session() as s:
        parties.set_status(s, actor, key, info.id, "under investigation", at=reply)
        info = parties.set_status(
            s, actor, key, info.id, "Fixed", "3.4.2 released", at=NOTIFIED + timedelta(days=20)
        )
    assert [t.status for t in info.timeline] == [
        "notified", "under-investigation", "fixed"
    ]  # fmt: skip
    assert info.status == "fixed" and info.latest is not None
    assert info.latest.statement == "3.4.2 released" and info.latest.origin == "local"
    assert info.responded_at == NOTIFIED + timedelta(days=20)
    assert info.overdue(NOTIFIED + timedelta(days=60)) == ()
    [entry] = info.log
    assert (entry.direction, entry.channel, entry.by) == ("received", "e-mail", "alice")
    with any_ws.session() as s:
        att = s.get(Attachment, entry.attachment_ids[0])
        assert att is not None and att.content.startswith(b"From:") and not att.hazardous
        assert [p.name for p in parties.list_parties(s, key)] == ["Helix AI"]


def test_a_stale_version_is_refused(ws: Workspace) -> None:
    key = _case(ws)
    actor = ws.require_actor()
    with ws.session() as s:
        seen = parties.add(s, actor, key, "vendor", "Helix AI").version
    with ws.session() as s:
        parties.set_status(s, actor, key, "Helix AI", "notified")
    with ws.session() as s, pytest.raises(ConflictError, match="alice"):
        parties.set_status(s, actor, key, "Helix AI", "affected", expected_version=seen)
    with ws.session() as s:
        assert [t.status for t in parties.get(s, key, "Helix AI").timeline] == ["notified"]


def test_a_concurrent_change_is_a_conflict_not_a_lost_update(ws: Workspace) -> None:
    """Two sessions read the same party; the second to write is refused."""
    key = _case(ws)
    actor = ws.require_actor()
    with ws.session() as s:
        party_id = parties.add(s, actor, key, "vendor", "Helix AI").id
    first, second = ws.session(), ws.session()
    with first as s1, second as s2:
        row1 = s1.get(CaseParty, party_id)
        row2 = s2.get(CaseParty, party_id)
        assert row1 is not None and row2 is not None
        service.update(s1, actor, key, party_id, channel="portal")
        s1.commit()
        with pytest.raises(ConflictError):
            service.update(s2, actor, key, party_id, channel="phone")
    with ws.session() as s:
        assert parties.get(s, key, party_id).channel == "portal"


def test_every_change_is_audited_without_its_content(ws: Workspace) -> None:
    key = _case(ws)
    actor = ws.require_actor()
    with ws.session() as s:
        pid = parties.add(s, actor, key, "vendor", "Secret Vendor GmbH").id
        parties.set_status(s, actor, key, pid, "affected", "confidential statement")
        parties.log_contact(s, actor, key, pid, "sent", "e-mail", "confidential summary")
        parties.update(s, actor, key, pid, contacts=["a@b.example"])
    with ws.session() as s:
        events = s.scalars(
            select(AuditEvent).where(AuditEvent.case_key == key).order_by(AuditEvent.seq)
        ).all()
        assert [e.action for e in events][-4:] == [
            "party.add", "party.status", "party.contact", "party.update"
        ]  # fmt: skip
        dumped = repr([e.details for e in events])
        for secret in ("Secret Vendor", "confidential", "a@b.example"):
            assert secret not in dumped
        assert audit.verify_session(s).events >= 5


def test_names_kinds_and_statuses_are_checked(ws: Workspace) -> None:
    key = _case(ws)
    actor = ws.require_actor()
    with ws.session() as s:
        with pytest.raises(UsageError):
            parties.add(s, actor, key, "supplier", "X")
        with pytest.raises(UsageError):
            parties.add(s, actor, key, "vendor", "   ")
        parties.add(s, actor, key, "vendor", "Helix AI")
        with pytest.raises(UsageError, match="already"):
            parties.add(s, actor, key, "vendor", "HELIX ai")
        with pytest.raises(UsageError, match="status"):
            parties.set_status(s, actor, key, "Helix AI", "pwned")
        with pytest.raises(NotFound):
            parties.set_status(s, actor, key, "Nobody", "affected")
        with pytest.raises(NotFound):
            parties.add(s, actor, key, "cert", "CERT-X", partner="CERT-X")


def test_reporter_credit_pseudonymity_and_safe_harbour(ws: Workspace) -> None:
    key = _case(ws)
    actor = ws.require_actor()
    with ws.session() as s:
        info = parties.add(
            s, actor, key, "reporter", "n0name", pseudonymous=True,
            credit="n0name of the Night Lab", safe_harbour=True,
        )  # fmt: skip
        assert info.pseudonymous and info.safe_harbour_at is not None
        case = cases.get_case(s, key)
        reporter = s.get(Reporter, case.reporter_id)
        # The case's reporter record, made from the handle, without consent to be named.
        assert reporter is not None and reporter.handle == "n0name"
        assert not reporter.consent_to_be_named and info.reporter_id == reporter.id
        drafting.create(s, actor, key, "en")
        loaded = content.load(s, key)
    assert loaded.credits == ("n0name of the Night Lab",)
    assert loaded.texts["credits"] == "Reported by n0name of the Night Lab."
    # Text an analyst wrote wins; the names still go with it.
    with ws.session() as s:
        drafting.set_text(s, actor, key, "credits", "en", "Thanks to the Night Lab.")
        loaded = content.load(s, key)
    assert loaded.texts["credits"] == "Thanks to the Night Lab."
    assert loaded.credits == ("n0name of the Night Lab",)


def test_a_pseudonymous_reporter_is_never_credited_by_real_name(ws: Workspace) -> None:
    key = _case(ws)
    actor = ws.require_actor()
    with ws.session() as s:
        from app.casework import reporters

        rid = reporters.add(
            s, actor, "h4x", consent_to_be_named=True, real_identity="Jane Realname"
        )
        cases.get_case(s, key).reporter_id = rid
        s.flush()
        parties.add(s, actor, key, "reporter", "h4x", pseudonymous=True)
        assert parties.credits(s, cases.get_case(s, key).id) == ["h4x"]
        parties.update(s, actor, key, "h4x", pseudonymous=False)
        assert parties.credits(s, cases.get_case(s, key).id) == ["Jane Realname"]


def test_a_partner_document_is_read_defensively(ws: Workspace) -> None:
    """Junk, unknown kinds or statuses, naive times and oversize text from a bundle are
    skipped or cut; a status the partner sent twice is kept once."""
    from app.parties import exchange
    from models import Partner

    key = _case(ws)
    actor = ws.require_actor()
    fpr = "AB" * 20
    with ws.session() as s:
        partner = Partner(name="CERT-B", country="DE")
        s.add(partner)
        s.flush()
        case = cases.get_case(s, key)
        items = [
            "junk",
            {"kind": "overlord", "name": "X", "statuses": []},
            {"kind": "vendor", "name": "  ", "statuses": []},
            {
                "kind": "vendor",
                "name": "Helix AI",
                "statuses": [
                    {"status": "pwned", "at": NOTIFIED.isoformat()},
                    {"status": "affected", "at": "2026-03-02T09:30:00"},  # no zone
                    {"status": "affected", "at": NOTIFIED.isoformat(), "statement": "x" * 50_000},
                    {"status": "affected", "at": NOTIFIED.isoformat()},
                    {"status": "notified", "at": NOTIFIED.isoformat(), "fixed_version": "9"},
                ],
            },
        ]
        assert exchange.merge(s, actor, case, items, partner, fpr) == 2
        assert exchange.merge(s, actor, case, {"not": "a list"}, partner, fpr) == 0
        info = parties.get(s, key, "Helix AI")
        assert info.origin == fpr and [t.status for t in info.timeline] == ["affected", "notified"]
        assert len(info.timeline[0].statement) == exchange.MAX_STATEMENT
        assert info.timeline[1].fixed_version is None  # only with "fixed"
        # Clocks of a party only the partner knows run from the partner's notification.
        assert info.acknowledgement_due == NOTIFIED + timedelta(days=7)
        assert exchange.merge(s, actor, case, items, partner, fpr) == 0
