"""Parties feed the obligations (issues 14 and 16): a vendor party is the manufacturer the
CRA's duties fall on, and writing to the reporter acknowledges their report."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app import deadlines as dl
from app.parties import service as parties
from app.workspaces.lifecycle import Workspace
from models import CaseFact
from tests.app.deadlines.test_obligations import NOW, _case, _views


def test_a_vendor_party_holds_the_manufacturers_duties(ws: Workspace) -> None:
    key = _case(ws, "EU")
    with ws.session() as s:
        dl.set_fact(
            s, ws.require_actor(), key, "exploited-aware", NOW - timedelta(hours=2), now=NOW
        )
    assert _views(ws, key)["eu-cra-14-2a-early-warning"].state == "not-applicable"
    with ws.session() as s:
        parties.add(s, ws.require_actor(), key, "vendor", "Portico Labs")
    v = _views(ws, key)["eu-cra-14-2a-early-warning"]
    assert v.watch and v.owner_text == "owed by Portico Labs — watch"


def test_a_contact_sent_to_the_reporter_records_the_acknowledgement(ws: Workspace) -> None:
    key = _case(ws)
    with ws.session() as s:
        actor = ws.require_actor()
        parties.add(s, actor, key, "reporter", "R. Searcher")
        parties.add(s, actor, key, "vendor", "Portico Labs")
        parties.log_contact(s, actor, key, "Portico Labs", "sent", "e-mail", "notified")
    with ws.session() as s:
        names = s.scalars(select(CaseFact.name)).all()
        assert "acknowledged" not in names  # a vendor notification acknowledges no one
        parties.log_contact(s, ws.require_actor(), key, "R. Searcher", "sent", "e-mail", "thanks")
    with ws.session() as s:
        fact = s.scalars(select(CaseFact).where(CaseFact.name == "acknowledged")).one()
        assert fact.source and "contact sent" in fact.source
