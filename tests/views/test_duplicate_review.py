"""Duplicate review: side by side; confirm, dismiss and merge act on the database."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from sqlalchemy import select

from app.intake import import_paths
from models import Case, CaseStatus, DuplicateCandidate, Report
from tests.app.intake.helpers import csaf_doc, write_json
from views.intake.duplicate_review import DuplicateReview


def _pairs(ws, tmp_path: Path, n: int = 1) -> None:  # type: ignore[no-untyped-def]
    for i in range(n):
        a = write_json(
            tmp_path / f"a{i}.json",
            csaf_doc(
                tracking_id=f"A-{i}",
                cve=f"CVE-2026-{1100 + i}",
                product=f"Bot {i}",
                family=f"Bot {i}",
                title=f"Prompt injection in Bot {i} tool calling",
            ),
        )
        b = write_json(
            tmp_path / f"b{i}.json",
            csaf_doc(
                tracking_id=f"B-{i}",
                cve=f"CVE-2026-{1200 + i}",
                product=f"Bot {i}",
                family=f"Bot {i}",
                title=f"Prompt injection in Bot {i} tool calling feature",
            ),
        )
        import_paths(ws, [a])
        import_paths(ws, [b])


def _screen(qtbot, ws):  # type: ignore[no-untyped-def]
    screen = DuplicateReview(lambda: ws)
    qtbot.addWidget(screen)
    screen.show()
    return screen


def test_side_by_side_and_merge(qtbot, ws, tmp_path):
    _pairs(ws, tmp_path)
    screen = _screen(qtbot, ws)
    assert screen.candidates.count() == 1
    assert "B-0" in screen.new_side.toPlainText()
    assert "A-0" in screen.existing_side.toPlainText()
    assert "same product" in screen.reason.text()
    with qtbot.waitSignal(screen.decided) as blocker:
        qtbot.mouseClick(screen.merge_button, Qt.MouseButton.LeftButton)
    assert blocker.args[1] == "merge"
    assert screen.candidates.count() == 0
    assert not screen.merge_button.isEnabled()
    assert "merged into" in screen.status.text()
    with ws.session() as s:
        case_ids = {r.case_id for r in s.scalars(select(Report))}
        assert len(case_ids) == 1
        assert s.scalar(select(DuplicateCandidate.state)) == "merged"


def test_confirm_and_dismiss(qtbot, ws, tmp_path):
    _pairs(ws, tmp_path, 2)
    screen = _screen(qtbot, ws)
    assert screen.candidates.count() == 2
    screen.candidates.setCurrentRow(0)
    first = screen.current()
    qtbot.mouseClick(screen.confirm_button, Qt.MouseButton.LeftButton)
    assert screen.candidates.count() == 1
    qtbot.mouseClick(screen.dismiss_button, Qt.MouseButton.LeftButton)
    assert screen.candidates.count() == 0
    with ws.session() as s:
        states = dict(s.execute(select(DuplicateCandidate.id, DuplicateCandidate.state)).all())
        marked = s.scalar(select(Case).where(Case.key == first.new.case_key))
    assert sorted(states.values()) == ["confirmed", "dismissed"]
    assert marked.status == CaseStatus.DUPLICATE


def test_duplicate_review_screenshot(qtbot, ws, tmp_path):
    _pairs(ws, tmp_path)
    screen = _screen(qtbot, ws)
    out = tmp_path / "duplicates.png"
    assert screen.grab().save(str(out))
    assert out.stat().st_size > 0


def test_labels_never_render_report_html(qtbot, ws, tmp_path):
    from PySide6.QtCore import Qt as QtNs

    screen = _screen(qtbot, ws)
    assert screen.reason.textFormat() == QtNs.TextFormat.PlainText
    assert screen.status.textFormat() == QtNs.TextFormat.PlainText
