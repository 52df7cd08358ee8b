"""Issue 15 item 7: a language whose script no installed font can draw is reported at start,
in English, with what to install, instead of boxes with no word why."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QFontDatabase

from views.shell import fonts

pytestmark = [
    pytest.mark.qt_log_level_fail("WARNING"),
    pytest.mark.qt_log_ignore("propagateSizeHints", "does not support raise"),
]


def test_missing_cjk_font_is_named_with_a_way_out(qapp) -> None:  # type: ignore[no-untyped-def]
    message = fonts.missing_script("ja", families=lambda _ws: [])
    assert message is not None
    assert "Japanese" in message and "fonts-noto-cjk" in message and "Language menu" in message
    assert fonts.missing_script("ja", families=lambda _ws: ["Noto Sans CJK JP"]) is None
    assert fonts.missing_script("fr", families=lambda _ws: []) is None  # Latin: always drawn


def test_start_warning_opens_without_blocking(qtbot, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(QFontDatabase, "families", staticmethod(lambda *_a: []))
    box = fonts.warn_if_unrenderable(None, "ar")
    assert box is not None
    qtbot.addWidget(box)
    assert box.isVisible() and "Arabic" in box.text()
    box.accept()
    monkeypatch.undo()
    installed = bool(QFontDatabase.families(QFontDatabase.WritingSystem.Arabic))
    assert (fonts.warn_if_unrenderable(None, "ar") is None) == installed
