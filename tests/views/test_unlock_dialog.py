"""The unlock dialog over a real SQLCipher workspace: right, wrong, analyst choice, demo hint."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from app.errors import AccordError
from app.identity import analysts, unlock
from app.workspaces import lifecycle as ws_mod
from tests.conftest import PASSPHRASE, own_passphrase
from views.shell.application import Gui
from views.shell.main_window import MainWindow
from views.shell.unlock_dialog import UnlockDialog


def _gui(qtbot, directory: Path, **kw) -> Gui:  # type: ignore[no-untyped-def]
    gui = Gui(directory, **kw)
    dialog = gui.start()
    qtbot.addWidget(dialog)
    return gui


def _close(qtbot, gui: Gui) -> None:  # type: ignore[no-untyped-def]
    if gui.window is not None:
        qtbot.addWidget(gui.window)
        if gui.window.workspace is not None:
            gui.window.workspace.lock()


def test_the_passphrase_says_who_is_working(qtbot, cipher_dir) -> None:  # type: ignore[no-untyped-def]
    gui = _gui(qtbot, cipher_dir)
    dialog = gui.dialog
    assert dialog.analyst.isHidden()
    qtbot.keyClicks(dialog.passphrase, own_passphrase("bob"))
    qtbot.mouseClick(dialog.unlock_button, Qt.MouseButton.LeftButton)
    # No choosing a name: bob's passphrase opened bob's key slot.
    assert isinstance(gui.window, MainWindow)
    assert gui.window.isVisible()
    assert gui.window.workspace.actor.name == "bob"
    assert gui.window.model.rowCount() == 6
    assert dialog.analyst.isHidden() and dialog.passphrase.text() == ""
    assert not dialog.isVisible()
    _close(qtbot, gui)


def test_preselected_analyst_only_selects_among_own_slots(qtbot, cipher_dir) -> None:  # type: ignore[no-untyped-def]
    gui = _gui(qtbot, cipher_dir, analyst="carol")
    qtbot.keyClicks(gui.dialog.passphrase, PASSPHRASE)  # alice's passphrase, not carol's
    qtbot.keyClick(gui.dialog.passphrase, Qt.Key.Key_Return)
    assert gui.window is None and "wrong passphrase" in gui.dialog.error.text()
    gui.dialog.passphrase.setText(own_passphrase("carol"))
    qtbot.keyClick(gui.dialog.passphrase, Qt.Key.Key_Return)
    assert gui.window is not None
    assert gui.window.workspace.actor.name == "carol"
    _close(qtbot, gui)


def test_first_unlock_asks_for_an_own_passphrase(qtbot, cipher_dir) -> None:  # type: ignore[no-untyped-def]
    ws = ws_mod.open_workspace(cipher_dir, PASSPHRASE)
    with ws.session() as s:
        analysts.add(s, ws.require_actor(), "dora", "analyst")
    otp = unlock.reset_slot(ws, "dora")
    ws.lock()
    gui = _gui(qtbot, cipher_dir)
    dialog = gui.dialog
    qtbot.keyClicks(dialog.passphrase, otp)
    qtbot.keyClick(dialog.passphrase, Qt.Key.Key_Return)
    assert gui.window is None
    assert not dialog.new_passphrase.isHidden() and dialog.passphrase.isHidden()
    assert "one-time" in dialog.intro.text()
    qtbot.keyClicks(dialog.new_passphrase, "dora's own passphrase")
    qtbot.keyClicks(dialog.new_again, "dora's own typo")
    qtbot.mouseClick(dialog.unlock_button, Qt.MouseButton.LeftButton)
    assert gui.window is None and "differ" in dialog.error.text()
    dialog.new_again.setText("dora's own passphrase")
    qtbot.mouseClick(dialog.unlock_button, Qt.MouseButton.LeftButton)
    assert gui.window is not None and gui.window.workspace.actor.name == "dora"
    _close(qtbot, gui)
    with pytest.raises(AccordError):
        ws_mod.open_workspace(cipher_dir, otp)
    again = ws_mod.open_workspace(cipher_dir, "dora's own passphrase")
    assert again.actor is not None and again.actor.name == "dora"
    again.lock()


def test_wrong_passphrase_shows_the_error_and_opens_nothing(qtbot, cipher_dir) -> None:  # type: ignore[no-untyped-def]
    db = cipher_dir / ws_mod.DB_FILE
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    gui = _gui(qtbot, cipher_dir)
    dialog = gui.dialog
    qtbot.keyClicks(dialog.passphrase, "not the passphrase")
    qtbot.mouseClick(dialog.unlock_button, Qt.MouseButton.LeftButton)
    assert dialog.error.text() == f"wrong passphrase for workspace {cipher_dir}"
    assert not dialog.error.isHidden()
    assert gui.window is None
    assert dialog.workspace is None
    assert dialog.analyst.isHidden()
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    # and the right one still works afterwards
    dialog.passphrase.setText(PASSPHRASE)
    assert dialog.unlock()
    assert dialog.error.isHidden()
    assert dialog.workspace is not None and dialog.workspace.actor.name == "alice"
    _close(qtbot, gui)


def test_missing_workspace_names_the_folder(qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    dialog = UnlockDialog(tmp_path / "nowhere")
    qtbot.addWidget(dialog)
    dialog.passphrase.setText(PASSPHRASE)
    assert not dialog.unlock()
    assert str(tmp_path / "nowhere") in dialog.error.text()
    assert "accord init" in dialog.error.text()


def test_demo_passphrase_is_shown_for_the_demo_workspace_only(qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    demo = tmp_path / "demo"
    demo.mkdir()
    (demo / ws_mod.DEMO_MARKER).write_text("demo\n")
    dialog = UnlockDialog(demo)
    qtbot.addWidget(dialog)
    assert not dialog.demo_hint.isHidden()
    assert "accord-demo" in dialog.demo_hint.text()
    dialog.location.setText(str(tmp_path / "real"))
    assert dialog.demo_hint.isHidden()
    other = UnlockDialog(tmp_path / "real")
    qtbot.addWidget(other)
    assert other.demo_hint.isHidden()
    assert "accord-demo" not in other.demo_hint.text()


def test_single_analyst_workspace_opens_directly(qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    directory = tmp_path / "solo"
    ws_mod.create(directory, PASSPHRASE, "CERT-Test", "alice").lock()
    gui = _gui(qtbot, directory)
    gui.dialog.passphrase.setText(PASSPHRASE)
    gui.dialog.submit()
    assert gui.window is not None
    assert gui.window.workspace.actor.name == "alice"
    assert gui.window.model.rowCount() == 0
    _close(qtbot, gui)


def test_run_gui_resolves_the_workspace_like_the_cli(qtbot, cipher_dir, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """``accord`` with no command: ACCORD_WORKSPACE, unlock, main window, quit on close."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from views.shell.entry import main

    monkeypatch.setenv("ACCORD_WORKSPACE", str(cipher_dir))
    monkeypatch.setenv("ACCORD_ANALYST", "bob")
    seen: dict[str, object] = {}

    def drive() -> None:
        dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, UnlockDialog))
        seen["location"] = dialog.location.text()
        dialog.passphrase.setText(own_passphrase("bob"))
        dialog.submit()
        window = next(
            w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()
        )
        seen["analyst"] = window.workspace.actor.name
        seen["rows"] = window.model.rowCount()
        window.workspace.lock()
        window.close()

    QTimer.singleShot(0, drive)
    safety = QTimer()  # never hang the suite if the GUI does not come up
    safety.setSingleShot(True)
    safety.timeout.connect(QApplication.quit)
    safety.start(10_000)
    try:
        assert main([]) == 0
    finally:
        safety.stop()
    assert seen == {"location": str(cipher_dir), "analyst": "bob", "rows": 6}


@pytest.mark.postgres
def test_team_database_needs_no_passphrase(qtbot, pg_url) -> None:  # type: ignore[no-untyped-def]
    from tests.views.conftest import populate

    ws = ws_mod.create(None, None, "CERT-Test", "alice", db_url=pg_url)
    populate(ws)
    ws.lock()
    gui = _gui(qtbot, Path("unused"), db_url=pg_url)
    dialog = gui.dialog
    assert dialog.passphrase.isHidden()
    assert "@" not in dialog.location.text() and dialog.location.isReadOnly()
    dialog.submit()
    # No choosing a name: the login (here the superuser, who created it as alice) is the
    # analyst (issue 13: team identity is PostgreSQL's).
    assert gui.window is not None and gui.window.model.rowCount() == 6
    assert gui.window.workspace.dialect == "postgresql"
    assert gui.window.workspace.require_actor().name == "alice"
    _close(qtbot, gui)


def test_remembers_the_last_analyst_of_this_machine(qtbot, cipher_dir, qsettings) -> None:  # type: ignore[no-untyped-def]
    """After bob unlocks, the next dialog on this machine names bob (a name only: nothing
    else of the workspace is written to the preferences)."""
    from views.shell.prefs import Prefs

    prefs = Prefs(qsettings)
    gui = _gui(qtbot, cipher_dir, prefs=prefs)
    assert gui.dialog.last_hint.isHidden()
    qtbot.keyClicks(gui.dialog.passphrase, own_passphrase("bob"))
    qtbot.keyClick(gui.dialog.passphrase, Qt.Key.Key_Return)
    assert gui.window is not None and gui.window.workspace.actor.name == "bob"
    _close(qtbot, gui)
    assert prefs.last_analyst() == "bob"
    stored = {k: qsettings.value(k) for k in qsettings.allKeys()}
    assert [v for k, v in stored.items() if k.startswith("unlock/")] == ["bob"]
    again = _gui(qtbot, cipher_dir, prefs=Prefs(qsettings))
    assert not again.dialog.last_hint.isHidden()
    assert "bob" in again.dialog.last_hint.text()
    _close(qtbot, again)


def test_team_chooser_shows_roles_and_preselects_the_last_analyst(
    qtbot, case_ws, qsettings
) -> None:  # type: ignore[no-untyped-def]
    """Where who is working is chosen (a team database without a login per analyst), each
    name shows its role, and the last analyst of this machine is preselected; Enter opens."""
    from views.shell.prefs import Prefs

    prefs = Prefs(qsettings)
    prefs.remember_analyst("carol")
    case_ws.actor = None
    dialog = UnlockDialog(Path("unused"), db_url="sqlite://", prefs=prefs)
    qtbot.addWidget(dialog)
    dialog.opener = lambda *_args, **_kw: case_ws
    dialog.show()
    qtbot.mouseClick(dialog.unlock_button, Qt.MouseButton.LeftButton)
    items = [dialog.analyst.itemText(i) for i in range(dialog.analyst.count())]
    assert "alice — coordinator" in items and "carol — shift lead" in items
    assert "bob — analyst" in items
    assert dialog.analyst.currentData() == "carol"
    with qtbot.waitSignal(dialog.unlocked):
        qtbot.keyClick(dialog.analyst, Qt.Key.Key_Return)
    assert case_ws.actor is not None and case_ws.actor.name == "carol"
    assert prefs.last_analyst() == "carol"
