"""The GUI refuses a change made from a stale view: a message box says who and when, and the
view reloads; an unexpected error shows its class, never its text."""

from __future__ import annotations

import sys

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from app.casework import cases
from models import CaseStatus
from tests.views.test_case_detail import _new_case_key, _select, _status


def _boxes() -> list[QMessageBox]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox)]


def test_a_transition_from_a_stale_view_is_refused_and_reloads(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    ws = window.workspace
    key = _new_case_key(ws)
    # Every state on screen: a rejected case leaves the default (open) view, and with it the pane.
    window.saved_filters.apply("status:all")
    _select(window, key)
    pane = window.detail
    with ws.session() as s:  # another analyst moves the case while it is on screen
        cases.transition(s, ws.require_actor(), key, "rejected", "out of scope")
    pane.target.setCurrentIndex(pane.target.findData("triage"))
    qtbot.keyClicks(pane.reason, "reproduced")
    qtbot.mouseClick(pane.move_button, Qt.MouseButton.LeftButton)

    assert _status(ws, key) == CaseStatus.REJECTED
    qtbot.waitUntil(lambda: bool(_boxes()))
    box = _boxes()[0]
    assert f"{key} was changed by alice at" in box.text()
    assert "reload and try again" in box.text()
    assert pane.values["status"].text() == "rejected"  # reloaded
    assert window.undo_stack.count() == 0
    box.close()


def test_an_unexpected_error_shows_its_class_not_its_text(qtbot, window, capsys) -> None:  # type: ignore[no-untyped-def]
    from views.common.failures import install_excepthook

    previous = sys.excepthook
    install_excepthook()
    try:
        try:
            raise RuntimeError("CANARY-gui-secret")
        except RuntimeError as exc:
            sys.excepthook(type(exc), exc, exc.__traceback__)
    finally:
        sys.excepthook = previous
    qtbot.waitUntil(lambda: bool(_boxes()))
    box = _boxes()[0]
    assert "RuntimeError" in box.text()
    assert "CANARY" not in box.text()
    assert "CANARY" not in capsys.readouterr().err
    box.close()
