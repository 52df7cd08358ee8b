"""The Import… screen: choose files, import in the background with progress and Cancel, see
the summary; files dropped on the main window import too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication
from sqlalchemy import func, select

from app import intake
from models import QuarantineItem, Report
from tests.app.intake.helpers import csaf_doc, write_json
from views.intake.import_dialog import ImportDialog


def _docs(tmp_path: Path, n: int) -> list[Path]:
    return [
        write_json(
            tmp_path / f"d{i}.json", csaf_doc(tracking_id=f"G-{i}", cve=f"CVE-2026-{8000 + i}")
        )
        for i in range(n)
    ]


def _count(ws, model) -> int:  # type: ignore[no-untyped-def]
    with ws.session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_import_with_progress_and_summary(qtbot, ws, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    _docs(folder, 3)
    (folder / "broken.json").write_text("{", encoding="utf-8")
    dialog = ImportDialog(lambda: ws)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.add_paths([str(folder)])
    dialog.source.clear()
    qtbot.keyClicks(dialog.source, "psirt-inbox")
    assert dialog.paths.count() == 1
    with qtbot.waitSignal(dialog.imported, timeout=20000) as blocker:
        qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    report = blocker.args[0]
    assert (report.imported, len(report.rejected)) == (3, 1)
    assert dialog.bar.maximum() == 4 and dialog.bar.value() == 4
    assert dialog.bar.text() == "4 of 4 documents"
    text = dialog.summary.toPlainText()
    assert "3 reports imported" in text
    assert "broken.json: invalid JSON" in text
    assert dialog.import_button.isEnabled() and not dialog.cancel_button.isEnabled()
    with ws.session() as s:
        assert set(s.scalars(select(Report.source))) == {"psirt-inbox"}
    assert _count(ws, QuarantineItem) == 1


def test_cancel_stops_between_documents(qtbot, ws, tmp_path, monkeypatch):
    paths = _docs(tmp_path, 8)
    dialog = ImportDialog(lambda: ws)
    qtbot.addWidget(dialog)
    dialog.add_paths([str(p) for p in paths])
    real = intake.importer._Writer.add
    started = []

    def slow(*args, **kwargs):  # type: ignore[no-untyped-def]
        started.append(1)
        if len(started) == 2:
            dialog.job.cancel()  # the user presses Cancel while document 2 is handled
        return real(*args, **kwargs)

    monkeypatch.setattr(intake.importer._Writer, "add", slow)
    with qtbot.waitSignal(dialog.imported, timeout=20000) as blocker:
        qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    report = blocker.args[0]
    # The document being stored when Cancel came finishes whole; nothing after it starts.
    assert report.cancelled and report.imported == report.done == 2
    assert _count(ws, Report) == report.imported
    assert "Cancelled after" in dialog.summary.toPlainText()
    assert dialog.current.text() == "Cancelled."


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_drop_on_main_window_imports(qtbot, window, tmp_path):
    [path] = _docs(tmp_path, 1)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    enter = QDragEnterEvent(
        QPoint(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    assert QApplication.sendEvent(window, enter)  # the window accepts dragged files
    assert enter.isAccepted()
    # Qt delivers a drop only during a real drag; hand it to the window's filter as Qt would.
    drop = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    assert window.drop_importer.eventFilter(window, drop)
    dialog = window.open_tool(window.import_action)
    assert isinstance(dialog, ImportDialog)
    assert dialog.chosen() == [str(path)]
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=20000)
    assert dialog.report.imported == 1
    with window.workspace.session() as s:
        assert s.scalar(select(Report.document_id)) == "G-0"


def test_import_dialog_screenshot(qtbot, ws, tmp_path):
    dialog = ImportDialog(lambda: ws)
    qtbot.addWidget(dialog)
    dialog.add_paths([str(p) for p in _docs(tmp_path, 2)])
    with qtbot.waitSignal(dialog.imported, timeout=20000):
        dialog.start()
    out = tmp_path / "import.png"
    assert dialog.grab().save(str(out))
    assert out.stat().st_size > 0
    assert json.loads(json.dumps(dialog.report.as_json()))["imported"] == 2


def test_progress_shows_documents_done_of_total_and_the_current_file(qtbot, ws):
    dialog = ImportDialog(lambda: ws)
    qtbot.addWidget(dialog)
    dialog._on_progress(3, 10, "/reports/<b>acme</b>.json")  # as the job's poll reports it
    assert dialog.bar.text() == "3 of 10 documents"
    assert dialog.current.text() == "/reports/<b>acme</b>.json"
    assert dialog.current.textFormat() == Qt.TextFormat.PlainText
