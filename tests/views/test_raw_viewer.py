"""The raw viewer shows the original bytes as plain text, never as HTML."""

from __future__ import annotations

from sqlalchemy import select

from app.intake import import_paths
from models import Report
from views.raw_viewer import CaseReportsTab, RawViewer


def test_raw_is_plain_text(qtbot, ws, tmp_path):
    page = tmp_path / "x.md"
    raw = "# <b>Title</b>\n<img src=x onerror=alert(1)>\nModel: Bot\n"
    page.write_text(raw, encoding="utf-8")
    import_paths(ws, [page])
    with ws.session() as s:
        case_id = s.scalar(select(Report.case_id))
    tab = CaseReportsTab(ws, case_id)
    qtbot.addWidget(tab)
    tab.show()
    assert tab.reports.count() == 1
    assert isinstance(tab.raw, RawViewer)
    assert tab.raw.toPlainText() == raw
    assert tab.raw.isReadOnly()
    assert "markdown from manual" in tab.info.text()
    out = tmp_path / "raw.png"
    assert tab.grab().save(str(out)) and out.stat().st_size > 0


def test_invalid_bytes_are_shown_replaced(qtbot):
    viewer = RawViewer()
    qtbot.addWidget(viewer)
    viewer.show_raw(b"ok \xff end")
    assert viewer.toPlainText() == "ok \ufffd end"
