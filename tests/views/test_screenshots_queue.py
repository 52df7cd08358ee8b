"""The queue as it opens, rendered offscreen in English, Arabic and Japanese at 1366×768 and
1440×900: the key columns (Key … Assignee) are never cut. PNGs go to ACCORD_SHOTS (or the
test's temporary folder) for a look."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from i18n.build import compile_catalogs
from i18n.catalog import reload_catalogs
from tests.views.test_queue_screen import _deadlines
from views.queue.view import KEY_COLUMNS
from views.shell.application import apply_language
from views.shell.main_window import MainWindow
from views.shell.prefs import Prefs


@pytest.fixture(autouse=True)
def catalogs() -> Iterator[None]:
    compile_catalogs()
    reload_catalogs()
    yield
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    apply_language(app, "en")


# Arabic: views/deadlines/panel.py's date-time editor warns under right-to-left (not ours).
@pytest.mark.qt_log_ignore(
    "QDateTimeParser::sectionFormat", "propagateSizeHints", "does not support raise"
)
@pytest.mark.parametrize("size", [(1366, 768), (1440, 900)], ids=["1366", "1440"])
@pytest.mark.parametrize("language", ["en", "ar", "ja"])
def test_queue_screenshot(qtbot, case_ws, tmp_path, language, size) -> None:  # type: ignore[no-untyped-def]
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    apply_language(app, language)
    _deadlines(case_ws)
    settings = QSettings(str(tmp_path / "prefs.ini"), QSettings.Format.IniFormat)
    w = MainWindow(case_ws, prefs=Prefs(settings))
    qtbot.addWidget(w)
    w.resize(*size)
    w.show()
    qtbot.waitExposed(w)
    w.fit_queue()
    qtbot.waitUntil(lambda: w.detail.detail is not None, timeout=3000)
    table = w.queue.table
    last = KEY_COLUMNS - 1
    if table.isRightToLeft():
        left = table.columnViewportPosition(last)
        assert left >= 0
    else:
        assert table.columnViewportPosition(last) + table.columnWidth(last) <= (
            table.viewport().width()
        )
    assert w.detail.detail is not None  # the most urgent case is shown beside the queue
    out = Path(os.environ.get("ACCORD_SHOTS", tmp_path))
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"queue-{language}-{size[0]}x{size[1]}.png"
    assert w.grab().save(str(path))
    assert path.stat().st_size > 10_000
