"""Every core screen renders offscreen: unlock dialog, main window, detail pane."""

from __future__ import annotations

from views.shell.unlock_dialog import UnlockDialog


def _saved(widget, path) -> None:  # type: ignore[no-untyped-def]
    assert widget.grab().save(str(path))
    assert path.exists() and path.stat().st_size > 1000


def test_unlock_dialog_screenshot(qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    dialog = UnlockDialog(tmp_path)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.show_error("wrong passphrase for workspace /tmp/example")
    _saved(dialog, tmp_path / "unlock.png")


def test_main_window_screenshot(qtbot, window, tmp_path) -> None:  # type: ignore[no-untyped-def]
    window.queue.select_row(0)
    _saved(window, tmp_path / "main.png")


def test_detail_pane_screenshot(qtbot, window, tmp_path) -> None:  # type: ignore[no-untyped-def]
    window.queue.select_row(2)
    window.detail.tabs.setCurrentIndex(2)
    _saved(window.detail, tmp_path / "detail.png")
    window.detail.clear()
    _saved(window.detail, tmp_path / "empty.png")
