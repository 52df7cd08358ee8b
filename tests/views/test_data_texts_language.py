"""The data files' texts (rule obligations, playbook steps, the severity model's labels) follow
a live language switch on the Deadlines tab, the Playbooks tab, the handover window and the
severity factors; the database keeps the English."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTreeWidgetItem
from sqlalchemy import select

from app import deadlines as dl
from app.casework import cases
from app.workspaces.lifecycle import Workspace
from models import Deadline, PlaybookStep
from views.deadlines.panel import DeadlinesPanel
from views.playbooks.runner import PlaybookRunner
from views.severity.ai_factors import AiFactorsForm
from views.shell.language import switch_language
from views.shift.handover_screen import HandoverScreen

pytestmark = [
    pytest.mark.usefixtures("back_to_english"),
    pytest.mark.qt_log_level_fail("WARNING"),
    pytest.mark.qt_log_ignore("propagateSizeHints", "does not support raise"),
]

ACK = {
    "en": "Acknowledge receipt of the report to the reporter",
    "ja": "報告者に報告の受領を通知する",
    "ar": "أكّد للمبلّغ استلام البلاغ",
}
REPRODUCE = {
    "en": "Try to reproduce the finding",
    "ja": "報告内容の再現を試みる",
    "ar": "حاول إعادة إنتاج النتيجة",
}
TRIAGE = {
    "en": "Initial triage of an AI vulnerability report",
    "ja": "AI脆弱性報告の初期トリアージ",
    "ar": "الفرز الأولي لبلاغ عن ثغرة في نظام ذكاء اصطناعي",
}


def _overdue_case(ws: Workspace) -> tuple[int, str]:
    with ws.session() as s:
        actor = ws.require_actor()
        c = cases.create_case(s, actor, "Calendar invitation injection")
        dl.set_fact(s, actor, c.key, "reported", datetime.now(UTC) - timedelta(days=30))
        return c.id, c.key


def _obligations(panel: DeadlinesPanel) -> list[str]:
    return [panel.table.item(row, 5).text() for row in range(panel.table.rowCount())]


def test_deadlines_tab_names_the_obligations_in_the_language(qtbot, ws: Workspace) -> None:  # type: ignore[no-untyped-def]
    case_id, _key = _overdue_case(ws)
    panel = DeadlinesPanel(ws, case_id)
    qtbot.addWidget(panel)
    panel.show()
    assert any(text.startswith(ACK["en"]) for text in _obligations(panel))
    for code in ("ja", "ar", "en"):
        switch_language(code)
        assert any(text.startswith(ACK[code]) for text in _obligations(panel)), code
        if code == "ja":  # why the period is counted so, in the tooltip
            tips = [panel.table.item(r, 5).toolTip() for r in range(panel.table.rowCount())]
            assert any("UTC暦の営業日で、同じ時刻まで" in tip for tip in tips)
    with ws.session() as s:
        stored = s.scalars(select(Deadline.obligation).where(Deadline.case_id == case_id)).all()
    assert ACK["en"] in stored


def test_playbooks_tab_follows_a_switch_and_the_run_stays_english(qtbot, ws: Workspace) -> None:  # type: ignore[no-untyped-def]
    case_id, _key = _overdue_case(ws)
    runner = PlaybookRunner(ws, case_id)
    qtbot.addWidget(runner)
    runner.resize(1100, 600)
    runner.show()
    runner.playbook_box.setCurrentIndex(runner.playbook_box.findData("initial-triage"))
    qtbot.mouseClick(runner.start_button, Qt.MouseButton.LeftButton)
    runner.select_step("reproduce")
    for code in ("ja", "ar", "en"):
        switch_language(code)
        assert runner.playbook_box.currentText().startswith(TRIAGE[code]), code
        assert runner.run_box.currentText().startswith(TRIAGE[code]), code
        row = runner.row_of("reproduce")
        assert runner.table.item(row, 1).text() == REPRODUCE[code]
        assert REPRODUCE[code] in runner.step_title.text()
        assert runner.checks.text().count("☐") == 2
    switch_language("ja")
    assert "本番の認証情報のない隔離された環境を使う" in runner.checks.text()
    with ws.session() as s:
        titles = s.scalars(select(PlaybookStep.title)).all()
    assert REPRODUCE["en"] in titles


def _tree_texts(item: QTreeWidgetItem) -> Iterator[str]:
    yield item.text(2)
    for index in range(item.childCount()):
        yield from _tree_texts(item.child(index))


def test_handover_window_names_the_rules_in_the_language(qtbot, ws: Workspace) -> None:  # type: ignore[no-untyped-def]
    _overdue_case(ws)
    screen = HandoverScreen(lambda: ws)
    qtbot.addWidget(screen)
    screen.show()
    with qtbot.waitSignal(screen.changed):
        qtbot.mouseClick(screen.new_button, Qt.MouseButton.LeftButton)
    for code in ("ja", "ar", "en"):
        switch_language(code)
        tree = screen.sections
        shown = [
            t for i in range(tree.topLevelItemCount()) for t in _tree_texts(tree.topLevelItem(i))
        ]
        assert any(text.startswith(ACK[code]) for text in shown), (code, shown)


def test_severity_factors_use_the_model_labels_in_the_language(qtbot) -> None:  # type: ignore[no-untyped-def]
    form = AiFactorsForm()
    qtbot.addWidget(form)
    form.show()
    harm = form.combos["harm_type"]
    index = harm.findData("privacy-leak")
    assert harm.itemText(index) == "privacy-leak: leak of personal or confidential data"
    switch_language("ja")
    assert harm.itemText(index) == "privacy-leak: 個人データまたは機密データの漏えい"
    assert (
        form.help_labels["access"].text()
        == "弱点を悪用するために攻撃者が持っている必要があるもの。"
    )
    sectors = form.combos["sector"]
    assert sectors.itemText(sectors.findData("health")) == "医療"
    assert form.sector() == "general"  # the stored value is still the model's key
