"""Auto-lock: idle time clears every case view, locks the workspace, and asks again."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QLabel

from app.workspaces.settings import Settings
from tests.conftest import PASSPHRASE
from views.shell.application import Gui
from views.shell.autolock import IdleWatcher


def _unlocked_window(qtbot, cipher_dir, settings=None):  # type: ignore[no-untyped-def]
    gui = Gui(cipher_dir, analyst="alice", settings=settings or Settings())
    dialog = gui.start()
    qtbot.addWidget(dialog)
    dialog.passphrase.setText(PASSPHRASE)
    assert dialog.unlock()
    window = gui.window
    qtbot.addWidget(window)
    return window


def test_idle_locks_clears_and_unlock_brings_the_queue_back(qtbot, cipher_dir) -> None:  # type: ignore[no-untyped-def]
    window = _unlocked_window(qtbot, cipher_dir)
    assert window.idle.interval_ms == 15 * 60_000  # the declared default
    seen: list[int] = []
    window.add_case_tab("Notes", lambda case_id: seen.append(case_id) or QLabel(str(case_id)))
    window.queue.select_row(1)
    assert window.detail.detail is not None
    notes = [w for w in window.detail.feature_tabs if isinstance(w, QLabel)]
    assert len(notes) == 1 and seen[-1] == window.detail.case_id
    old_ws = window.workspace
    locked = []
    window.locked.connect(lambda: locked.append(True))

    window.idle.set_interval_ms(150)
    window.idle.start()
    qtbot.waitUntil(lambda: window.unlock_dialog is not None, timeout=3000)

    assert locked == [True]
    assert window.workspace is None
    assert old_ws.actor is None
    assert window.model.rowCount() == 0
    assert window.detail.detail is None and window.detail.heading.text() == ""
    assert window.detail.history.rowCount() == 0 and window.detail.reports.rowCount() == 0
    assert window.detail.feature_tabs == []
    assert not window.isVisible()
    dialog = window.unlock_dialog
    qtbot.addWidget(dialog)
    assert dialog.isVisible()
    assert dialog.location.isReadOnly()

    dialog.passphrase.setText("wrong passphrase!")
    assert not dialog.unlock()
    assert "wrong passphrase" in dialog.error.text()
    assert window.workspace is None

    dialog.passphrase.setText(PASSPHRASE)
    assert dialog.unlock()
    dialog.analyst.setCurrentIndex(dialog.analyst.findText("alice"))
    dialog.submit()
    assert window.workspace is not None and window.workspace.actor.name == "alice"
    assert window.isVisible()
    assert window.model.rowCount() == 6
    assert window.detail.detail is not None  # the first case is shown again
    window.workspace.lock()


def test_activity_postpones_the_lock(qtbot, cipher_dir) -> None:  # type: ignore[no-untyped-def]
    window = _unlocked_window(qtbot, cipher_dir)
    # Activity every 300 ms for 1.8 s outlasts a 1.5 s idle interval: only activity can have
    # postponed the lock. (Each Down loads a case's tabs: on a loaded machine that alone can
    # take longer than a shorter interval, which made this test flaky.)
    window.idle.set_interval_ms(1500)
    window.idle.start()
    for _ in range(6):
        qtbot.wait(300)
        qtbot.keyClick(window.queue.table, Qt.Key.Key_Down)
        qtbot.mouseMove(window.queue.table, QPoint(10, 10))
    assert window.workspace is not None
    qtbot.waitUntil(lambda: window.workspace is None, timeout=6000)
    qtbot.addWidget(window.unlock_dialog)
    window.unlock_dialog.reject()


def test_zero_minutes_turns_auto_lock_off(qtbot) -> None:  # type: ignore[no-untyped-def]
    watcher = IdleWatcher(0)
    fired = []
    watcher.idle.connect(lambda: fired.append(True))
    watcher.start()
    assert not watcher.active
    watcher.set_interval_ms(50)
    watcher.start()
    qtbot.waitUntil(lambda: fired == [True], timeout=2000)
    assert not watcher.active


def test_lock_now_from_the_file_menu(qtbot, cipher_dir) -> None:  # type: ignore[no-untyped-def]
    window = _unlocked_window(qtbot, cipher_dir, Settings(autolock_minutes=1))
    assert window.idle.interval_ms == 60_000
    window.lock_action.trigger()
    assert window.workspace is None
    qtbot.addWidget(window.unlock_dialog)
    window.unlock_dialog.reject()


def test_closing_a_locked_window_closes_its_unlock_dialog(qtbot, cipher_dir) -> None:  # type: ignore[no-untyped-def]
    window = _unlocked_window(qtbot, cipher_dir)
    window.lock()
    dialog = window.unlock_dialog
    assert dialog is not None and dialog.isVisible()
    window.close()
    assert not dialog.isVisible() and window.unlock_dialog is None
