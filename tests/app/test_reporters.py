from __future__ import annotations

from app.casework import reporters
from app.identity import analysts
from app.identity.actor import Actor
from app.workspaces.lifecycle import Workspace
from models import Role


def test_real_identity_only_for_coordinators(ws: Workspace) -> None:
    with ws.session() as s:
        info = analysts.add(s, ws.require_actor(), "bob", "analyst")
        rid = reporters.add(
            s,
            ws.require_actor(),
            "n0ct1s",
            contact_channel="signal:+00 000",
            real_identity="Dr. Jane Example",
            consent_to_be_named=False,
        )
        bob = Actor(info.id, info.name, Role.ANALYST)
        assert reporters.view(s, ws.require_actor(), rid).real_identity == "Dr. Jane Example"
        as_bob = reporters.view(s, bob, rid)
        assert as_bob.real_identity is None and as_bob.handle == "n0ct1s"
        assert reporters.view(s, ws.require_actor(), rid).credit_name == "n0ct1s"
