"""Review: draft → in review → approved → published, four eyes, one revision per publication."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app import advisories
from app.errors import AccordError, PermissionDenied
from app.identity.actor import Actor
from app.workspaces.lifecycle import Workspace
from models import AdvisoryRevision, AuditEvent, Role
from tests.app.advisories.conftest import TITLES, bob


def test_author_cannot_approve_own_advisory(ws: Workspace, drafted: str) -> None:
    alice = ws.require_actor()
    with ws.session() as s:
        assert advisories.submit(s, alice, drafted).status == "in-review"
    with ws.session() as s, pytest.raises(PermissionDenied, match="another analyst must approve"):
        advisories.approve(s, alice, drafted)
    with ws.session() as s:
        assert advisories.status(s, drafted).status == "in-review"
        info = advisories.approve(s, bob(ws), drafted)
        assert (info.status, info.author, info.approver) == ("approved", "alice", "bob")


def test_plain_analyst_may_not_approve(ws: Workspace, drafted: str) -> None:
    with ws.session() as s:
        advisories.submit(s, ws.require_actor(), drafted)
    carol = Actor(999, "carol", Role.ANALYST)
    with ws.session() as s, pytest.raises(PermissionDenied):
        advisories.approve(s, carol, drafted)


def test_each_publication_is_a_new_revision(ws: Workspace, drafted: str) -> None:
    alice, reviewer = ws.require_actor(), bob(ws)
    with ws.session() as s, pytest.raises(AccordError, match="needs it to be approved"):
        advisories.publish(s, reviewer, drafted)
    with ws.session() as s:
        advisories.submit(s, alice, drafted)
        advisories.approve(s, reviewer, drafted)
        info = advisories.publish(s, reviewer, drafted, "First publication.")
        assert (info.status, info.revision) == ("published", 1)
    with ws.session() as s:
        # Editing a published advisory starts the next draft.
        advisories.set_text(s, alice, drafted, "remediation", "en", "Upgrade to 2.5.")
        assert advisories.status(s, drafted).status == "draft"
        advisories.submit(s, alice, drafted)
        advisories.approve(s, reviewer, drafted)
        assert advisories.publish(s, reviewer, drafted).revision == 2
        revs = s.scalars(select(AdvisoryRevision).order_by(AdvisoryRevision.number)).all()
        assert [(r.number, r.summary, r.approved_by_id) for r in revs] == [
            (1, "First publication.", reviewer.id),
            (2, "", reviewer.id),
        ]
        actions = s.scalars(select(AuditEvent.action).where(AuditEvent.entity == "advisory")).all()
        assert actions.count("advisory.published") == 2 and "advisory.reopen" in actions


def test_stale_translation_blocks_publication(ws: Workspace, drafted: str) -> None:
    alice, reviewer = ws.require_actor(), bob(ws)
    with ws.session() as s:
        advisories.set_text(s, alice, drafted, "title", "es", TITLES["es"])
        advisories.set_text(s, alice, drafted, "title", "en", "A new title")
        advisories.submit(s, alice, drafted)
        advisories.approve(s, reviewer, drafted)
    with ws.session() as s, pytest.raises(AccordError, match="stale translations: title/es"):
        advisories.publish(s, reviewer, drafted)


def test_submit_needs_the_required_source_fields(ws: Workspace) -> None:
    from tests.app.advisories.conftest import seed_case

    key = seed_case(ws)
    with ws.session() as s:
        advisories.create(s, ws.require_actor(), key)
    with ws.session() as s, pytest.raises(AccordError, match="summary"):
        advisories.submit(s, ws.require_actor(), key)
