"""Report text reaches the screens as plain text: a title full of markup is shown as the
characters it is, in the case detail (every tab) and in the queue's tooltip."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from app.intake import import_paths
from app.queueing.queue import COLUMN_KEYS
from views.shell.main_window import MainWindow
from views.shell.prefs import Prefs

MARKUP = "<b>bold</b> <a href='https://evil.example'>click</a>"


def test_markup_in_a_report_title_is_never_rendered(qtbot, ws, tmp_path, qsettings):
    page = tmp_path / "report.md"
    page.write_text(f"# {MARKUP}\n\n<img src=x onerror=alert(1)> body", encoding="utf-8")
    assert import_paths(ws, [page]).imported == 1
    window = MainWindow(ws, prefs=Prefs(qsettings))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.queue.select_row(0)
    qtbot.waitUntil(lambda: window.detail.detail is not None)
    assert MARKUP in window.detail.heading.full_text()
    seen = 0
    for tab in range(window.detail.tabs.count()):
        window.detail.tabs.setCurrentIndex(tab)
        for label in window.findChildren(QLabel):
            if "<b>" in label.text():
                seen += 1
                assert label.textFormat() == Qt.TextFormat.PlainText, label.objectName()
    assert seen >= 1
    title = window.model.index(0, COLUMN_KEYS.index("title"))
    tip = window.model.data(title, Qt.ItemDataRole.ToolTipRole)
    assert "<b>" not in tip and "&lt;b&gt;bold&lt;/b&gt;" in tip
