"""The case screens that were CLI-only (issue 15.2): New case, the Jurisdictions & sharing tab,
the case header (TLP, embargo countdown, reporter, jurisdictions, sharing list), and one refresh
path for every tab — a colleague's change, made through another connection, appears on F5."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from sqlalchemy import select

from app import severity
from app.casework import cases, embargo, notes
from app.deadlines import service as dl
from app.workspaces import lifecycle as ws_mod
from models import Case, CaseJurisdiction, CasePartner, Partner
from tests.app.test_team_identity import team  # noqa: F401 - the team database fixture
from tests.conftest import PASSPHRASE, own_passphrase
from views.case.new_case import NewCaseDialog
from views.case.scope_panel import ScopePanel


def _tab(window, kind):  # type: ignore[no-untyped-def]
    found = [w for w in window.detail.feature_tabs if isinstance(w, kind)]
    assert found, [type(w).__name__ for w in window.detail.feature_tabs]
    return found[0]


def test_new_case_from_the_file_menu(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    ws = window.workspace
    window.new_case_action.trigger()
    dialog = window.new_case_dialog
    assert isinstance(dialog, NewCaseDialog) and dialog.isVisible()
    ok = dialog.buttons.buttons()[0]
    assert not ok.isEnabled()  # no title yet
    qtbot.keyClicks(dialog.title, "Model weights exfiltrated through a tool call")
    qtbot.keyClicks(dialog.description, "Reported by a researcher; reproducible.")
    dialog.tlp.setCurrentIndex(dialog.tlp.findData("RED"))
    dialog.check("EU")
    dialog.check("JP")
    assert ok.isEnabled()
    qtbot.keyClick(dialog.title, Qt.Key.Key_Return)  # the dialog's default button
    qtbot.waitUntil(lambda: not dialog.isVisible())
    with ws.session() as s:
        case = s.scalar(select(Case).where(Case.title.like("Model weights exfiltrated%")))
        assert case is not None and case.tlp == "RED"
        assert case.description == "Reported by a researcher; reproducible."
        codes = set(
            s.scalars(select(CaseJurisdiction.code).where(CaseJurisdiction.case_id == case.id))
        )
        assert codes == {"EU", "JP"}
        key = case.key
    # The new case is selected and its header names TLP and jurisdictions.
    qtbot.waitUntil(lambda: window.detail.detail is not None and window.detail.detail.key == key)
    assert window.detail.values["tlp"].text() == "TLP:RED"
    assert window.detail.values["jurisdictions"].text() == "EU, JP"


def test_new_case_refuses_an_empty_title(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    dialog = NewCaseDialog(lambda: window.workspace, dl.builtin_rules)
    qtbot.addWidget(dialog)
    dialog.title.setText("   ")
    dialog.submit()
    assert dialog.error.text() and not dialog.result()


def test_scope_tab_edits_jurisdictions_sharing_and_tlp(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    ws = window.workspace
    with ws.session() as s:
        s.add(Partner(name="CERT-EE", country="EE"))
    window.queue.select_row(0)
    key = window.detail.detail.key
    panel = _tab(window, ScopePanel)
    window.detail.tabs.setCurrentWidget(panel)

    panel.code_choice.setCurrentIndex(panel.code_choice.findData("EU-CRA"))
    with qtbot.waitSignal(panel.changed):
        qtbot.mouseClick(panel.code_add, Qt.MouseButton.LeftButton)
    with ws.session() as s:
        case = cases.get_case(s, key)
        assert list(
            s.scalars(select(CaseJurisdiction.code).where(CaseJurisdiction.case_id == case.id))
        ) == ["EU-CRA"]
    # The header follows the tab's change (one refresh path).
    qtbot.waitUntil(lambda: window.detail.values["jurisdictions"].text() == "EU-CRA")

    panel = _tab(window, ScopePanel)
    panel.partner_choice.setCurrentIndex(panel.partner_choice.findData("CERT-EE"))
    qtbot.mouseClick(panel.share_add, Qt.MouseButton.LeftButton)
    with ws.session() as s:
        case = cases.get_case(s, key)
        assert s.scalar(select(CasePartner).where(CasePartner.case_id == case.id)) is not None
    qtbot.waitUntil(lambda: window.detail.values["partners"].text() == "CERT-EE")

    panel = _tab(window, ScopePanel)
    panel.tlp_choice.setCurrentIndex(panel.tlp_choice.findData("AMBER"))
    qtbot.mouseClick(panel.tlp_raise, Qt.MouseButton.LeftButton)
    with ws.session() as s:
        assert cases.get_case(s, key).tlp == "AMBER"
    qtbot.waitUntil(lambda: window.detail.values["tlp"].text() == "TLP:AMBER")

    panel = _tab(window, ScopePanel)
    panel.partners.setCurrentRow(0)
    qtbot.mouseClick(panel.share_remove, Qt.MouseButton.LeftButton)
    panel = _tab(window, ScopePanel)
    panel.codes.setCurrentRow(0)
    qtbot.mouseClick(panel.code_remove, Qt.MouseButton.LeftButton)
    with ws.session() as s:
        case = cases.get_case(s, key)
        assert s.scalar(select(CasePartner).where(CasePartner.case_id == case.id)) is None
        assert s.scalar(select(CaseJurisdiction).where(CaseJurisdiction.case_id == case.id)) is None


def test_sharing_is_a_coordinators_job(qtbot, case_ws) -> None:  # type: ignore[no-untyped-def]
    with case_ws.session() as s:
        s.add(Partner(name="CERT-EE", country="EE"))
        key = s.scalars(select(Case.key).order_by(Case.id)).first()
        case_id = cases.get_case(s, key).id
    case_ws.actor = None
    case_ws.act_as("bob")  # an analyst
    panel = ScopePanel(case_ws, case_id, dl.builtin_rules)
    qtbot.addWidget(panel)
    assert not panel.share_add.isEnabled()
    assert "coordinators" in panel.share_add.toolTip()
    assert panel.code_add.isEnabled()  # jurisdictions: any analyst


def test_header_shows_embargo_countdown_with_zone_and_reporter(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    ws = window.workspace
    window.queue.select_row(1)
    key = window.detail.detail.key
    until = datetime.now(UTC) + timedelta(days=3, hours=2)
    with ws.session() as s:
        embargo.set_embargo(s, ws.require_actor(), key, until)
    qtbot.keyClick(window, Qt.Key.Key_F5)
    text = window.detail.values["embargo"].text()
    assert "UTC" in text and "ends in 3 d" in text, text


def test_f5_shows_a_colleagues_changes_in_every_tab(qtbot, cipher_dir: Path, qsettings) -> None:  # type: ignore[no-untyped-def]
    """Two connections to one workspace file, as two analysts on a shared machine: bob's
    note, jurisdiction and assessment appear in alice's header and tabs after F5."""
    from views.case.editing import NotesPanel
    from views.severity.assessment_panel import AssessmentPanel
    from views.shell.main_window import MainWindow
    from views.shell.prefs import Prefs

    alice = ws_mod.open_workspace(cipher_dir, PASSPHRASE)
    bob = ws_mod.open_workspace(cipher_dir, own_passphrase("bob"))
    window = MainWindow(alice, prefs=Prefs(qsettings))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.queue.select_row(0)
    key = window.detail.detail.key
    assessment = _tab(window, AssessmentPanel)
    window.detail.tabs.setCurrentWidget(assessment)
    qtbot.waitUntil(lambda: assessment._built)
    before = assessment.history.table.rowCount()
    assert window.detail.values["jurisdictions"].text() == "—"

    actor = bob.require_actor()
    with bob.session() as s:
        notes.add(s, actor, key, "Vendor confirmed by phone.")
        dl.set_jurisdictions(s, actor, key, ["EU"], [])
        inputs = severity.build_inputs(
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", ["E=A", "A=Y", "TI=T", "MWI=H"]
        )
        tier = severity.assess(s, actor, key, inputs)["tier"]

    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window, Qt.Key.Key_F5)  # the View menu's shortcut: one refresh path
    assert window.detail.values["jurisdictions"].text() == "EU"
    notes_tab = _tab(window, NotesPanel)
    assert any(
        "Vendor confirmed by phone." in notes_tab.timeline.item(i).text()
        for i in range(notes_tab.timeline.count())
    )
    assert assessment.history.table.rowCount() == before + 1
    assert window.detail.values["tier"].text() == tier
    window.close()
    bob.lock()
    QApplication.processEvents()


def test_tab_titles_are_distinct(window) -> None:  # type: ignore[no-untyped-def]
    window.queue.select_row(0)
    titles = [window.detail.tabs.tabText(i) for i in range(window.detail.tabs.count())]
    assert len(titles) == len(set(titles)), titles
    assert "Jurisdictions && sharing" in titles  # shown as one "&", not a mnemonic


def test_deadlines_fold_not_applicable_obligations(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    from views.deadlines.panel import DeadlinesPanel

    ws = window.workspace
    window.queue.select_row(0)
    key = window.detail.detail.key
    with ws.session() as s:
        dl.set_jurisdictions(s, ws.require_actor(), key, ["EU"], [])
    qtbot.keyClick(window, Qt.Key.Key_F5)
    panel = _tab(window, DeadlinesPanel)
    states = [v.state for v in panel.views]
    folded = [r for r, st in enumerate(states) if st == "not-applicable"]
    assert folded, states
    assert all(panel.table.isRowHidden(r) for r in folded)
    assert not panel.show_na.isHidden() and str(len(folded)) in panel.show_na.text()
    panel.show_na.setChecked(True)
    assert not any(panel.table.isRowHidden(r) for r in folded)
    # A readable time with its zone, not an ISO string ("2026-10-29T…").
    texts = [panel.table.item(r, 1).text() for r in range(len(states))]
    assert not any(re.search(r"\dT\d", t) for t in texts), texts


@pytest.mark.postgres
def test_f5_shows_a_colleagues_change_on_the_team_database(qtbot, team, qsettings) -> None:  # type: ignore[no-untyped-def] # noqa: F811
    """The same on PostgreSQL: bob, through his own login, changes a case alice has open."""
    from app.casework import summary
    from tests.app.test_team_identity import _as
    from views.case.editing import NotesPanel
    from views.shell.main_window import MainWindow
    from views.shell.prefs import Prefs

    alice = ws_mod.open_workspace(None, None, db_url=team["url"])
    with alice.session() as s:
        key = summary.open_case(s, alice.require_actor(), "Shared case on the team database")
    url, env = _as(team, "bob")
    bob = ws_mod.open_workspace(None, env["ACCORD_PASSPHRASE"], db_url=url)
    window = MainWindow(alice, prefs=Prefs(qsettings))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    with alice.session() as s:
        case_id = cases.get_case(s, key).id
    window.queue.select_row(window.model.row_of(case_id))
    assert window.detail.detail.key == key
    with bob.session() as s:
        notes.add(s, bob.require_actor(), key, "Seen by bob on the team database.")
        dl.set_jurisdictions(s, bob.require_actor(), key, ["US"], [])
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window, Qt.Key.Key_F5)
    assert window.detail.values["jurisdictions"].text() == "US"
    notes_tab = _tab(window, NotesPanel)
    assert any(
        "Seen by bob" in notes_tab.timeline.item(i).text()
        for i in range(notes_tab.timeline.count())
    )
    window.close()
    bob.engine.dispose()
    alice.engine.dispose()
