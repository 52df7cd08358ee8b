"""The column-mapping step of a spreadsheet import, driven as an analyst would: keyboard and
mouse, then the reports and the saved mapping checked in the database."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from sqlalchemy import func, select

from app.intake import mapping
from models import Report, SourceMapping
from tests.app.intake.helpers import csaf_doc, write_json
from tests.app.intake.test_mapping import BOUNTY
from views.intake.column_mapping import COLUMN, ORIGIN, SAMPLES, ColumnMappingStep
from views.intake.import_dialog import ImportDialog

LEFT = Qt.MouseButton.LeftButton


def _bounty(folder: Path) -> Path:
    path = folder / "bounty.csv"
    path.write_text(BOUNTY, encoding="utf-8")
    return path


def _dialog(qtbot, ws, paths: list[Path], source: str) -> ImportDialog:  # type: ignore[no-untyped-def]
    dialog = ImportDialog(lambda: ws)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    dialog.add_paths([str(p) for p in paths])
    dialog.source.clear()
    qtbot.keyClicks(dialog.source, source)
    return dialog


def _open_step(qtbot, dialog: ImportDialog) -> ColumnMappingStep:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(dialog.mapping_shown, timeout=20000):
        qtbot.mouseClick(dialog.import_button, LEFT)
    assert dialog.pages.currentWidget() is dialog.mapping_step
    return dialog.mapping_step


def _reports(ws) -> list[tuple[str | None, str, str]]:  # type: ignore[no-untyped-def]
    with ws.session() as s:
        rows = s.execute(
            select(Report.document_id, Report.title, Report.description).order_by(Report.id)
        )
        return [tuple(r) for r in rows]


def _saved(ws, source: str) -> dict[str, str] | None:  # type: ignore[no-untyped-def]
    with ws.session() as s:
        row = s.get(SourceMapping, source)
        return dict(row.columns) if row is not None else None


def test_choose_fields_with_the_keyboard_then_import(qtbot, ws, tmp_path):
    path = _bounty(tmp_path)
    dialog = _dialog(qtbot, ws, [path], "acme")
    step = _open_step(qtbot, dialog)
    # Nothing in this export is recognisably a title or a description: the import would
    # refuse it, so the step says so and will not import.
    assert step.warning.isVisible() and str(path) in step.warning.text()
    assert not step.ok_button.isEnabled()
    assert step.preview.rowCount() == 0
    assert step.table.item(0, COLUMN).text() == "Ref"
    assert step.table.item(0, SAMPLES).text() == "BB-1 · BB-2"
    assert step.table.item(3, ORIGIN).text() == "guessed from the header"  # Target → product

    ref = step.combo("Ref")
    qtbot.waitUntil(ref.hasFocus)  # the keyboard starts on the first column's field
    qtbot.keyClick(ref, Qt.Key.Key_Home)  # the first field: Identifier
    assert ref.currentData() == "identifier"
    qtbot.keyClick(ref, Qt.Key.Key_Tab)
    headline = step.combo("Headline")
    assert headline.hasFocus()
    assert step.table.currentRow() == 1  # the row being edited follows the keyboard
    qtbot.keyClicks(headline, "Ti")  # type-ahead: Title
    assert headline.currentData() == "title"
    assert step.table.item(1, ORIGIN).text() == "your choice"
    assert not step.warning.isVisible() and step.ok_button.isEnabled()
    qtbot.keyClick(headline, Qt.Key.Key_Tab)
    details = step.combo("Details text")
    assert details.hasFocus()
    qtbot.keyClicks(details, "De")
    assert details.currentData() == "description"
    assert [
        [step.preview.item(r, c).text() for c in range(3)] for r in range(step.preview.rowCount())
    ] == [
        ["acme:BB-1", "Jailbreak of VisionBot", "An image prompt bypasses the filter."],
        ["acme:BB-2", "Tool call injection", "A crafted page makes the agent send mail."],
    ]

    with qtbot.waitSignal(dialog.imported, timeout=20000) as blocker:
        qtbot.mouseClick(step.ok_button, LEFT)
    assert blocker.args[0].imported == 2
    assert dialog.pages.currentWidget() is dialog.main_page
    assert "2 reports imported" in dialog.summary.toPlainText()
    assert _reports(ws) == [
        ("acme:BB-1", "Jailbreak of VisionBot", "An image prompt bypasses the filter."),
        ("acme:BB-2", "Tool call injection", "A crafted page makes the agent send mail."),
    ]
    assert _saved(ws, "acme") == {
        "Ref": "identifier",
        "Headline": "title",
        "Details text": "description",
        "Target": "product",
        "Internal notes": "ignore",
    }


def test_saved_mapping_prefills_and_the_mnemonic_imports(qtbot, ws, tmp_path):
    path = _bounty(tmp_path)
    with ws.session() as s:
        mapping.save_mapping(
            s, ws.require_actor(), "acme", {"Headline": "title", "Details text": "description"}
        )
    dialog = _dialog(qtbot, ws, [path], "acme")
    step = _open_step(qtbot, dialog)
    assert step.combo("Headline").currentData() == "title"
    assert step.table.item(1, ORIGIN).text() == "saved for this source"
    assert step.combo("Internal notes").currentData() == "ignore"
    assert step.table.item(4, ORIGIN).text() == "not recognised"
    assert step.ok_button.isEnabled() and not step.warning.isVisible()
    assert step.preview.rowCount() == 2
    qtbot.waitUntil(step.combo("Ref").hasFocus)
    # A mnemonic reaches only the active window: after other tests, another may be active.
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    with qtbot.waitSignal(dialog.imported, timeout=20000):
        qtbot.keyClick(step.combo("Ref"), Qt.Key.Key_I, Qt.KeyboardModifier.AltModifier)
        # A mnemonic presses its button a moment later (an animated click).
        try:
            qtbot.waitUntil(lambda: dialog.pages.currentWidget() is dialog.main_page, timeout=5000)
        except Exception:
            state = (
                QApplication.activePopupWidget(),
                QApplication.activeModalWidget(),
                QApplication.activeWindow(),
                QApplication.focusWidget(),
                [w for w in QApplication.topLevelWidgets() if w.isVisible()],
            )
            raise AssertionError(f"Alt+I did not press Import: {state}") from None
    assert [t for _d, t, _x in _reports(ws)] == ["Jailbreak of VisionBot", "Tool call injection"]
    assert _saved(ws, "acme")["Target"] == "product"


@pytest.mark.parametrize("how", ["button", "escape"])
def test_cancelling_the_step_imports_nothing(qtbot, ws, tmp_path, how):
    path = _bounty(tmp_path)
    dialog = _dialog(qtbot, ws, [path], "acme")
    step = _open_step(qtbot, dialog)
    qtbot.keyClicks(step.combo("Headline"), "Ti")
    imported = []
    dialog.imported.connect(imported.append)
    if how == "button":
        qtbot.mouseClick(step.cancel_button, LEFT)
    else:
        qtbot.keyClick(step.combo("Headline"), Qt.Key.Key_Escape)
    assert dialog.pages.currentWidget() is dialog.main_page
    assert not dialog.mapping_pending and dialog.import_button.isEnabled()
    assert dialog.current.text() == "Nothing imported: the column mapping was cancelled."
    qtbot.wait(50)
    assert imported == [] and _reports(ws) == [] and _saved(ws, "acme") is None
    # Import again: the step comes back, with the proposal, not the abandoned choice.
    step = _open_step(qtbot, dialog)
    assert step.combo("Headline").currentData() == "ignore"


def test_folder_with_a_workbook_and_other_documents(qtbot, ws, tmp_path):
    folder = tmp_path / "batch"
    folder.mkdir()
    write_json(folder / "advisory.json", csaf_doc())
    wb = Workbook()
    wb.active.append(["Reference", "Name", "Body", "Asset"])
    wb.active.append(["BC-7", "Jailbreak of VisionBot", "Image prompt bypasses it.", "VisionBot"])
    wb.save(folder / "bugcrowd.xlsx")
    (folder / "broken.xlsx").write_bytes(b"PK\x03\x04 not a workbook")
    dialog = _dialog(qtbot, ws, [folder], "bugcrowd")
    step = _open_step(qtbot, dialog)
    assert step.problems.isVisible()
    assert f"{folder / 'broken.xlsx'}: not a readable XLSX file" in step.problems.text()
    assert step.ok_button.isEnabled()  # Name and Body are recognised
    name = step.combo("Name")
    name.setFocus()
    qtbot.keyClick(name, Qt.Key.Key_Down)  # Title → Description: the sheet still has Body
    assert name.currentData() == "description" and step.ok_button.isEnabled()
    qtbot.keyClick(name, Qt.Key.Key_Up)
    with qtbot.waitSignal(dialog.imported, timeout=20000) as blocker:
        qtbot.mouseClick(step.ok_button, LEFT)
    report = blocker.args[0]
    assert report.imported == 2
    assert [r.path for r in report.rejected] == [str(folder / "broken.xlsx")]
    titles = {t for _d, t, _x in _reports(ws)}
    assert "Jailbreak of VisionBot" in titles and len(titles) == 2
    assert _saved(ws, "bugcrowd") == {
        "Reference": "identifier",
        "Name": "title",
        "Body": "description",
        "Asset": "product",
    }


def test_without_spreadsheets_there_is_no_mapping_step(qtbot, ws, tmp_path):
    doc = write_json(tmp_path / "a.json", csaf_doc())
    dialog = _dialog(qtbot, ws, [doc], "psirt")
    shown = []
    dialog.mapping_shown.connect(shown.append)
    with qtbot.waitSignal(dialog.imported, timeout=20000) as blocker:
        qtbot.mouseClick(dialog.import_button, LEFT)
    assert blocker.args[0].imported == 1 and shown == []
    assert dialog.pages.currentWidget() is dialog.main_page
    with ws.session() as s:
        assert s.scalar(select(func.count()).select_from(SourceMapping)) == 0


def test_tab_order_runs_through_the_fields_then_the_buttons(qtbot, ws, tmp_path):
    path = _bounty(tmp_path)
    with ws.session() as s:
        mapping.save_mapping(s, ws.require_actor(), "acme", {"Headline": "title"})
    dialog = _dialog(qtbot, ws, [path], "acme")
    step = _open_step(qtbot, dialog)
    qtbot.waitUntil(step.combos[0].hasFocus)
    expected = [*step.combos[1:], step.preview, step.ok_button, step.cancel_button]
    for widget in expected:
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        assert QApplication.focusWidget() is widget
    assert step.columns_label.buddy() is step.combos[0]
    assert step.preview_label.buddy() is step.preview
    for label in (step.intro, step.warning, step.problems):
        assert label.textFormat() == Qt.TextFormat.PlainText


def _proposal(tmp_path: Path) -> mapping.MappingProposal:
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not a workbook")
    scan = mapping.scan_paths([_bounty(tmp_path), broken])
    return mapping.propose(scan, "acme", {"Headline": "title", "Details text": "description"})


def _step(qtbot, proposal: mapping.MappingProposal) -> ColumnMappingStep:  # type: ignore[no-untyped-def]
    step = ColumnMappingStep()
    qtbot.addWidget(step)
    step.resize(960, 620)
    step.set_proposal(proposal)
    step.show()
    qtbot.waitExposed(step)
    return step


def _save_png(widget, path: Path) -> None:  # type: ignore[no-untyped-def]
    assert widget.grab().save(str(path))
    assert path.stat().st_size > 1000


def test_mapping_step_screenshot(qtbot, tmp_path):
    step = _step(qtbot, _proposal(tmp_path))
    assert not step.isRightToLeft()
    assert step.problems.isVisible() and step.preview.rowCount() == 2
    _save_png(step, tmp_path / "column-mapping.png")


def test_mapping_step_right_to_left_in_arabic(qtbot, tmp_path):
    from i18n import _
    from views.shell.application import apply_language

    qapp = QApplication.instance()
    proposal = _proposal(tmp_path)
    try:
        apply_language(qapp, "ar")
        step = _step(qtbot, proposal)
        assert step.isRightToLeft() and step.table.isRightToLeft()
        table = step.table
        # The header column comes first, at the right; the buttons are mirrored too.
        assert table.columnViewportPosition(COLUMN) > table.columnViewportPosition(SAMPLES)
        assert step.ok_button.x() > step.cancel_button.x()
        title = step.combo("Headline").currentText()
        assert title == _("Title") and title != "Title"
        assert step.table.item(1, ORIGIN).text() == _("saved for this source")
        assert "acme" in step.intro.text() and not step.intro.text().startswith("Reports")
        _save_png(step, tmp_path / "column-mapping-rtl.png")
    finally:
        apply_language(qapp, "en")
    assert qapp.layoutDirection() == Qt.LayoutDirection.LeftToRight
