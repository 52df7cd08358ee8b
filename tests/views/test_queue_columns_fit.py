"""At 1366×768 with the case pane open, the queue's key columns (case, title, status, tier,
due, assignee) are whole and their headers fit, in English, Arabic and Japanese; the deadline
column is headed "Due" and its header's tooltip says what it counts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication

from app.queueing.queue import COLUMN_KEYS
from i18n import _
from i18n.build import compile_catalogs
from i18n.catalog import reload_catalogs
from tests.views.test_queue_screen import _deadlines
from views.queue.view import COLUMN_WIDTHS, KEY_COLUMNS
from views.shell.application import apply_language
from views.shell.main_window import MainWindow
from views.shell.prefs import Prefs

DUE = COLUMN_KEYS.index("next_deadline")


@pytest.fixture(autouse=True)
def catalogs(qapp: QApplication) -> Iterator[None]:
    compile_catalogs()
    reload_catalogs()
    yield
    apply_language(qapp, "en")


@pytest.mark.parametrize("language", ["en", "ar", "ja"])
def test_key_columns_are_whole_beside_the_case_pane(  # type: ignore[no-untyped-def]
    qtbot, qapp, case_ws, tmp_path, language
) -> None:
    apply_language(qapp, language)
    _deadlines(case_ws)
    settings = QSettings(str(tmp_path / "prefs.ini"), QSettings.Format.IniFormat)
    window = MainWindow(case_ws, prefs=Prefs(settings))
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    window.fit_queue()
    window.queue.select_row(0)
    qtbot.waitUntil(lambda: window.detail.detail is not None)
    QApplication.processEvents()

    model, table = window.model, window.queue.table
    header = table.horizontalHeader()
    assert model.headerData(DUE, Qt.Orientation.Horizontal) == _("Due")
    tip = model.headerData(DUE, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
    assert tip == _(
        "Next binding deadline, as a countdown; the exact time with its zone is in the "
        "cell's tooltip"
    )
    # "Due" fits the column's default width: the column is not widened into the case pane.
    assert header.sectionSizeFromContents(DUE).width() <= COLUMN_WIDTHS[DUE]
    assert KEY_COLUMNS == 6 and COLUMN_KEYS[:KEY_COLUMNS] == (
        "id", "title", "status", "tier", "next_deadline", "assignee",
    )  # fmt: skip
    width = table.viewport().width()
    for column in range(KEY_COLUMNS):
        text = model.headerData(column, Qt.Orientation.Horizontal)
        # The header's text and its sort arrow fit the column.
        assert header.sectionSizeFromContents(column).width() <= header.sectionSize(column), text
        left = table.columnViewportPosition(column)
        assert left >= 0 and left + table.columnWidth(column) <= width, text
    # The case pane beside it has room for its header (no sideways scrolling).
    assert window.detail_area.isVisible() and window.detail_area.width() >= 400
    assert window.detail_area.horizontalScrollBar().maximum() == 0
    cell = model.index(0, DUE).data(Qt.ItemDataRole.ToolTipRole)
    assert cell is None or "UTC" in cell  # the exact time names its zone
