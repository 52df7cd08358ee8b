"""The raw viewer shows the original bytes as plain text, never as HTML."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.intake import import_paths
from app.workspaces.lifecycle import Workspace
from models import Report
from views.intake.raw_viewer import CaseReportsTab, RawViewer


def test_raw_is_plain_text(qtbot: QtBot, ws: Workspace, tmp_path: Path) -> None:
    page = tmp_path / "x.md"
    raw = "# <b>Title</b>\n<img src=x onerror=alert(1)>\nModel: Bot\n"
    page.write_text(raw, encoding="utf-8")
    import_paths(ws, [page])
    with ws.session() as s:
        case_id = s.scalars(select(Report.case_id)).one()
    assert case_id is not None
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


def test_invalid_bytes_are_shown_replaced(qtbot: QtBot) -> None:
    viewer = RawViewer()
    qtbot.addWidget(viewer)
    viewer.show_raw(b"ok \xff end")
    assert viewer.toPlainText() == "ok \ufffd end"


def _mail_with(tmp_path: Path, files: dict[str, bytes]) -> Path:
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["Subject"] = "Pickled checkpoint of SummarAI 1.4 runs code on load"
    msg.set_content("See the attached checkpoint and notes.")
    for name, data in files.items():
        msg.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    path = tmp_path / "mail.eml"
    path.write_bytes(bytes(msg))
    return path


def test_hazardous_attachment_warned_and_saved_only_after_confirmation(
    qtbot: QtBot, ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pickle
    import stat

    from PySide6.QtWidgets import QMessageBox

    from i18n import _
    from views.common import file_dialogs

    checkpoint = pickle.dumps({"weights": [1, 2]})
    import_paths(ws, [_mail_with(tmp_path, {"model.pkl": checkpoint, "notes.txt": b"notes"})])
    with ws.session() as s:
        case_id = s.scalars(select(Report.case_id)).one()
    assert case_id is not None
    tab = CaseReportsTab(ws, case_id)
    qtbot.addWidget(tab)
    tab.show()
    assert tab.attachments.count() == 2
    pkl, txt = tab.attachments.item(0), tab.attachments.item(1)
    label = _("Python pickle: runs code when loaded")
    assert "model.pkl" in pkl.text() and label in pkl.text() and label in pkl.toolTip()
    assert not pkl.icon().isNull()
    assert label not in txt.text() and txt.icon().isNull()

    asked: list[str] = []
    answer = [QMessageBox.StandardButton.No]

    def warning(_parent: object, _title: str, text: str, *_a: object) -> object:
        asked.append(text)
        return answer[0]

    out = tmp_path / "saved.pkl"
    monkeypatch.setattr(QMessageBox, "warning", warning)
    monkeypatch.setattr(file_dialogs, "save_file", lambda *_a, **_k: str(out))

    tab.attachments.setCurrentRow(0)
    assert tab.hazard_note.isVisibleTo(tab) and label in tab.hazard_note.text()
    tab.save_button.click()  # No: nothing written
    assert len(asked) == 1 and label in asked[0] and not out.exists()
    answer[0] = QMessageBox.StandardButton.Yes
    with qtbot.waitSignal(tab.saved):
        tab.save_button.click()
    assert out.read_bytes() == checkpoint and stat.S_IMODE(out.stat().st_mode) == 0o600

    tab.attachments.setCurrentRow(1)  # a harmless one is saved without asking
    assert not tab.hazard_note.isVisibleTo(tab)
    with qtbot.waitSignal(tab.saved):
        tab.save_button.click()
    assert len(asked) == 2 and out.read_bytes() == b"notes"


def test_a_damaged_original_is_said_and_the_other_reports_still_show(
    qtbot: QtBot, ws: Workspace, tmp_path: Path
) -> None:
    from sqlalchemy import text

    from tests.app.intake.helpers import csaf_doc, write_json

    a = write_json(tmp_path / "a.json", csaf_doc("ACME-2026-001", cve="CVE-2026-4242"))
    b = write_json(tmp_path / "b.json", csaf_doc("ACME-2026-002", cve="CVE-2026-4242"))
    import_paths(ws, [a, b])
    with ws.engine.begin() as conn:
        conn.execute(text("UPDATE report SET raw = :raw WHERE id = 1"), {"raw": b"x\x9c garbage"})
    with ws.session() as s:
        case_id = s.scalars(select(Report.case_id).where(Report.id == 1)).one()
    assert case_id is not None
    tab = CaseReportsTab(ws, case_id)  # opens on the damaged report, the first
    qtbot.addWidget(tab)
    tab.show()
    assert tab.reports.count() == 2
    assert "report 1 is damaged" in tab.info.text()
    assert tab.raw.toPlainText() == "" and "report 1 is damaged" in tab.raw.placeholderText()
    tab.reports.setFocus()
    qtbot.keyClick(tab.reports, Qt.Key.Key_Down)
    assert tab.raw.toPlainText() == b.read_text(encoding="utf-8")
    assert tab.raw.placeholderText() == ""
    assert "csaf" in tab.info.text()
    qtbot.keyClick(tab.reports, Qt.Key.Key_Up)
    assert tab.raw.toPlainText() == "" and "report 1 is damaged" in tab.info.text()
