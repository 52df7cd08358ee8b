"""Drafting: one advisory per case, translation state missing/current/stale, audit."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app import advisories
from app.advisories.fields import source_hash, state_of
from app.errors import AccordError, UsageError
from app.workspaces.lifecycle import Workspace
from models import AdvisoryText, AuditEvent
from tests.app.advisories.conftest import SOURCE, TITLES, seed_case


def test_new_advisory_is_seeded_from_the_case_and_unique(ws: Workspace) -> None:
    key = seed_case(ws)
    with ws.session() as s:
        info = advisories.create(s, ws.require_actor(), key, "en")
        assert info.status == "draft"
        assert info.states["title"]["en"] == "source"
        assert info.states["summary"]["en"] == "missing"
        assert info.states["title"]["fr"] == "missing"
        assert info.languages[0] == "en" and len(info.languages) == 8
    with ws.session() as s, pytest.raises(AccordError, match="has an advisory already"):
        advisories.create(s, ws.require_actor(), key, "en")


def test_translation_becomes_stale_when_the_source_changes(ws: Workspace, drafted: str) -> None:
    actor = ws.require_actor()
    with ws.session() as s:
        cell = advisories.set_text(s, actor, drafted, "title", "fr", TITLES["fr"])
        assert cell.state == "current"
        row = s.scalar(
            select(AdvisoryText).where(AdvisoryText.field == "title", AdvisoryText.language == "fr")
        )
        assert row is not None and row.source_hash == source_hash(SOURCE["title"])
    with ws.session() as s:
        advisories.set_text(s, actor, drafted, "title", "en", SOURCE["title"] + " (updated)")
        info = advisories.status(s, drafted)
        assert info.states["title"]["fr"] == "stale"
        assert info.states["title"]["de"] == "missing"
        assert info.states["summary"]["en"] == "source"
    with ws.session() as s:
        cell = advisories.set_text(s, actor, drafted, "title", "fr", TITLES["fr"] + " (mis à jour)")
        assert cell.state == "current"
    with ws.session() as s:
        # Writing the very same source text back makes the old translation current again.
        advisories.set_text(s, actor, drafted, "summary", "de", "Zusammenfassung")
        advisories.set_text(s, actor, drafted, "summary", "en", "other")
        assert advisories.status(s, drafted).states["summary"]["de"] == "stale"
        advisories.set_text(s, actor, drafted, "summary", "en", SOURCE["summary"])
        assert advisories.status(s, drafted).states["summary"]["de"] == "current"


def test_state_of_rules() -> None:
    assert state_of("", "x", None) == "missing"
    assert state_of("src", "", source_hash("src")) == "missing"
    assert state_of("src", "t", source_hash("src")) == "current"
    assert state_of("src2", "t", source_hash("src")) == "stale"


def test_a_translation_needs_its_source_and_a_known_field_and_language(ws: Workspace) -> None:
    key = seed_case(ws)
    actor = ws.require_actor()
    with ws.session() as s:
        advisories.create(s, actor, key, "en")
    with ws.session() as s, pytest.raises(UsageError, match="source language"):
        advisories.set_text(s, actor, key, "impact", "fr", "Impact")
    with ws.session() as s, pytest.raises(UsageError, match="unknown advisory field"):
        advisories.set_text(s, actor, key, "colour", "en", "x")
    with ws.session() as s, pytest.raises(UsageError, match="unsupported language"):
        advisories.set_text(s, actor, key, "title", "xx", "x")
    with ws.session() as s:
        # BCP 47 spellings are accepted for the shipped catalogs.
        assert advisories.set_text(s, actor, key, "title", "pt-BR", "Título").language == "pt_BR"
        assert advisories.set_text(s, actor, key, "title", "zh-Hans-CN", "标题").language == "zh_CN"


def test_edits_are_audited_with_ids_and_states_only(ws: Workspace, drafted: str) -> None:
    with ws.session() as s:
        advisories.set_text(s, ws.require_actor(), drafted, "title", "ja", TITLES["ja"])
        events = s.scalars(select(AuditEvent).where(AuditEvent.action == "advisory.text")).all()
        assert events and events[-1].details == {
            "field": "title",
            "language": "ja",
            "state": "current",
        }
        assert all(TITLES["ja"] not in str(e.details) for e in events)


def test_tlp_labels(ws: Workspace, drafted: str) -> None:
    with ws.session() as s:
        assert advisories.set_tlp(s, ws.require_actor(), drafted, "tlp:amber").tlp == "AMBER"
    with ws.session() as s, pytest.raises(UsageError):
        advisories.set_tlp(s, ws.require_actor(), drafted, "PURPLE")
