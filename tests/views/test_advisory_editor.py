"""The advisory editor driven as a user would: typing, choosing languages, review buttons."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import select

from app import advisories
from app.workspaces.lifecycle import Workspace
from i18n.build import compile_catalogs
from i18n.catalog import reload_catalogs, set_language
from models import Advisory, AdvisoryText, Case
from tests.app.advisories.conftest import SOURCE, bob, seed_case
from views.advisories.editor import AdvisoryEditor, build_editor

pytestmark = [
    pytest.mark.qt_log_level_fail("WARNING"),
    pytest.mark.qt_log_ignore("propagateSizeHints", "does not support raise"),
]


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    compile_catalogs()
    reload_catalogs()
    set_language("en")
    yield
    set_language("en")


@pytest.fixture
def editor(qtbot, ws: Workspace) -> AdvisoryEditor:  # type: ignore[no-untyped-def]
    key = seed_case(ws)
    with ws.session() as s:
        actor = ws.require_actor()
        advisories.create(s, actor, key, "en")
        for name, text in SOURCE.items():
            advisories.set_text(s, actor, key, name, "en", text)
        case_id = s.scalar(select(Case.id).where(Case.key == key))
    assert case_id is not None
    widget = build_editor(ws, case_id)
    qtbot.addWidget(widget)
    widget.resize(1100, 700)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def _translation(ws: Workspace, field: str, lang: str) -> AdvisoryText | None:
    with ws.session() as s:
        return s.scalar(
            select(AdvisoryText).where(AdvisoryText.field == field, AdvisoryText.language == lang)
        )


def test_typing_a_translation_updates_markers_and_database(qtbot, ws, editor) -> None:  # type: ignore[no-untyped-def]
    editor.set_target_language("fr")
    editor.fields.setCurrentRow(1)  # summary
    assert editor.field == "summary"
    assert editor.state_of("summary") == "missing"
    assert editor.source_edit.toPlainText() == SOURCE["summary"]
    editor.target_edit.setFocus()
    qtbot.keyClicks(editor.target_edit, "Une page web exfiltre des donnees.")
    # The termbase hint appears once saved: the source says "prompt injection".
    qtbot.waitUntil(lambda: editor.state_of("summary") == "current", timeout=3000)
    row = _translation(ws, "summary", "fr")
    assert row is not None and row.text == "Une page web exfiltre des donnees."
    assert "injection de prompt" in editor.hints.text()
    assert "Une page web" in editor.preview.toPlainText()
    # Editing the source marks the translation stale.
    editor.source_edit.setFocus()
    editor.source_edit.moveCursor(editor.source_edit.textCursor().MoveOperation.End)
    qtbot.keyClicks(editor.source_edit, " Updated.")
    qtbot.waitUntil(lambda: editor.state_of("summary") == "stale", timeout=3000)
    with ws.session() as s:
        assert advisories.status(s, "ACC-2026-0001").states["summary"]["fr"] == "stale"
    # Switching the target language shows that language's markers.
    editor.set_target_language("ja")
    assert editor.state_of("summary") == "missing"
    assert editor.fields.item(0).data(Qt.ItemDataRole.UserRole) == "title"


def test_review_buttons_enforce_four_eyes(qtbot, ws, editor) -> None:  # type: ignore[no-untyped-def]
    qtbot.mouseClick(editor.submit_button, Qt.MouseButton.LeftButton)
    assert editor.status is not None and editor.status.status == "in-review"
    qtbot.mouseClick(editor.approve_button, Qt.MouseButton.LeftButton)
    assert "another analyst must approve" in editor.message.text()
    ws.actor = bob(ws)
    qtbot.mouseClick(editor.approve_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(editor.publish_button, Qt.MouseButton.LeftButton)
    with ws.session() as s:
        adv = s.scalars(select(Advisory)).one()
        assert (adv.status, adv.current_revision) == ("published", 1)
    assert "revision 1" in editor.header.text()


def test_publish_during_embargo_shows_the_refusal(qtbot, ws, editor) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime, timedelta

    from app import deadlines

    with ws.session() as s:
        until = datetime.now(UTC) + timedelta(days=30)
        deadlines.set_fact(s, ws.require_actor(), "ACC-2026-0001", "embargo-until", until)
    qtbot.mouseClick(editor.submit_button, Qt.MouseButton.LeftButton)
    ws.actor = bob(ws)
    qtbot.mouseClick(editor.approve_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(editor.publish_button, Qt.MouseButton.LeftButton)
    assert "under embargo" in editor.message.text()
    with ws.session() as s:
        assert s.scalars(select(Advisory)).one().status == "approved"


def test_export_from_the_editor(qtbot, ws, editor, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "adv.json"
    editor.set_target_language("de")
    editor.export_requested.emit("csaf", "de", str(out))
    assert out.exists() and '"lang": "de"' in out.read_text("utf-8")
    assert str(out) in editor.message.text()


def test_case_without_advisory_offers_to_start_one(qtbot, ws) -> None:  # type: ignore[no-untyped-def]
    key = seed_case(ws)
    with ws.session() as s:
        case_id = s.scalar(select(Case.id).where(Case.key == key))
    widget = build_editor(ws, int(case_id or 0))
    qtbot.addWidget(widget)
    assert widget.status is None and not widget.submit_button.isEnabled()
    widget.source_choice.setCurrentIndex(widget.source_choice.findData("fr"))
    qtbot.mouseClick(widget.create_button, Qt.MouseButton.LeftButton)
    assert widget.status is not None and widget.status.source_language == "fr"
    assert widget.status.states["title"]["fr"] == "source"
    assert widget.target_language != "fr"  # the target is never the source
    with ws.session() as s:
        assert s.scalars(select(Advisory)).one().source_language == "fr"


def test_tlp_choice_is_stored(qtbot, ws, editor) -> None:  # type: ignore[no-untyped-def]
    index = editor.tlp.findData("AMBER")
    editor.tlp.setCurrentIndex(index)
    editor.tlp.activated.emit(index)
    with ws.session() as s:
        assert s.scalars(select(Advisory)).one().tlp == "AMBER"
    assert "TLP:AMBER" in editor.header.text()


def test_screenshot_of_the_editor(qtbot, editor, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    editor.set_target_language("ar")
    assert editor.target_edit.layoutDirection() == Qt.LayoutDirection.RightToLeft
    assert editor.source_edit.layoutDirection() == Qt.LayoutDirection.LeftToRight
    path = tmp_path / "advisory-editor.png"
    assert editor.grab().save(str(path))
    assert path.exists() and path.stat().st_size > 0


def test_export_menu_offers_the_vex_profile(qtbot, ws, editor, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Export → "CSAF VEX profile" writes a csaf_vex document, as the CLI's --profile vex."""
    import json

    from views.common import file_dialogs

    out = tmp_path / "vex.json"
    monkeypatch.setattr(file_dialogs, "save_file", lambda *_a, **_k: str(out))
    menu = editor.export_button.menu()
    assert menu is not None and editor.vex_action in menu.actions()
    assert "VEX" in editor.vex_action.text()
    editor.vex_action.trigger()
    assert out.exists(), editor.message.text()
    doc = json.loads(out.read_text("utf-8"))
    assert doc["document"]["category"] == "csaf_vex"
    assert str(out) in editor.message.text()
    other = tmp_path / "advisory.json"
    monkeypatch.setattr(file_dialogs, "save_file", lambda *_a, **_k: str(other))
    editor.export_action.trigger()
    assert json.loads(other.read_text("utf-8"))["document"]["category"] == "csaf_security_advisory"
