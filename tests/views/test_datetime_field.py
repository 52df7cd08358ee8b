"""Issue 15 item 7: in Arabic a date-time field showed 00:18 UTC as "UTC18:00" and typed
digits landed in the wrong sections. Driven as a user would, in Arabic, right to left."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from PySide6.QtCore import QDateTime, Qt
from PySide6.QtWidgets import QApplication, QDateTimeEdit
from sqlalchemy import select

from app import deadlines as dl
from app.casework import cases
from app.workspaces.lifecycle import Workspace
from i18n.build import compile_catalogs
from i18n.catalog import reload_catalogs, set_language
from models import CaseFact
from views.common.datetime_field import instant_edit, instant_of
from views.deadlines.panel import DeadlinesPanel

pytestmark = [
    pytest.mark.qt_log_level_fail("WARNING"),
    pytest.mark.qt_log_ignore("propagateSizeHints", "does not support raise"),
]


@pytest.fixture
def arabic(qapp: QApplication) -> Iterator[None]:
    compile_catalogs()
    reload_catalogs()
    set_language("ar")
    qapp.setLayoutDirection(Qt.LayoutDirection.RightToLeft)
    yield
    set_language("en")
    qapp.setLayoutDirection(Qt.LayoutDirection.LeftToRight)


def _type_instant(qtbot, edit: QDateTimeEdit, digits: str) -> None:  # type: ignore[no-untyped-def]
    edit.setFocus()
    edit.setSelectedSection(QDateTimeEdit.Section.YearSection)
    qtbot.keyClicks(edit, digits)


def test_field_reads_and_types_left_to_right_in_arabic(qtbot, arabic) -> None:  # type: ignore[no-untyped-def]
    edit = instant_edit("UTC")
    qtbot.addWidget(edit)
    edit.show()
    edit.setDateTime(QDateTime.fromString("2026-12-09T00:18:00Z", Qt.DateFormat.ISODate))
    assert edit.text() == "2026-12-09 00:18 UTC"  # was " UTC18:00 09-12-2026"
    edit.setDateTime(QDateTime.fromString("2025-01-01T12:00:00Z", Qt.DateFormat.ISODate))
    _type_instant(qtbot, edit, "202612090018")
    assert instant_of(edit) == datetime(2026, 12, 9, 0, 18, tzinfo=UTC)
    assert edit.text() == "2026-12-09 00:18 UTC"


def test_field_in_the_analysts_zone_names_it(qtbot, arabic) -> None:  # type: ignore[no-untyped-def]
    edit = instant_edit("Europe/Paris")
    qtbot.addWidget(edit)
    edit.show()
    _type_instant(qtbot, edit, "202612090118")
    assert edit.text() == "2026-12-09 01:18 Europe/Paris"
    assert instant_of(edit) == datetime(2026, 12, 9, 0, 18, tzinfo=UTC)


def test_fact_time_typed_in_arabic_is_the_stored_instant(qtbot, arabic, ws: Workspace) -> None:  # type: ignore[no-untyped-def]
    """The CRA 24-hour clock starts at the instant typed, not 18 hours off."""
    with ws.session() as s:
        c = cases.create_case(s, ws.require_actor(), "exploited model")
        dl.set_jurisdictions(s, ws.require_actor(), c.key, ["EU"], [])
        case_id = c.id
    panel = DeadlinesPanel(ws, case_id)
    qtbot.addWidget(panel)
    panel.show()
    assert panel.fact.findData("exploited-aware") >= 0
    panel.fact.setCurrentIndex(panel.fact.findData("exploited-aware"))
    assert panel.fact.currentText() != "exploited-aware"  # a translated, human fact name
    # A fact lies in the past (the field stops at now): 1 December 2026, 00:18 UTC.
    _type_instant(qtbot, panel.when, "202612010018")
    with qtbot.waitSignal(panel.changed):
        qtbot.mouseClick(panel.set_button, Qt.MouseButton.LeftButton)
    with ws.session() as s:
        at = s.scalar(select(CaseFact.at).where(CaseFact.case_id == case_id))
    assert at == datetime(2026, 12, 1, 0, 18, tzinfo=UTC)
