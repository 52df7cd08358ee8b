"""The Parties tab: add a party, record a status and log a contact with keyboard and mouse; the
database holds what the screen did, and a stale screen is refused, not overwritten."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from sqlalchemy import select

from app import parties
from app.casework import cases
from app.workspaces.lifecycle import Workspace
from models import AuditEvent, CaseParty, PartyContact, PartyStatus
from views.case.parties_panel import PartiesPanel


def _panel(qtbot, ws: Workspace) -> PartiesPanel:  # type: ignore[no-untyped-def]
    with ws.session() as s:
        case = cases.create_case(s, ws.require_actor(), "Portico LLM Gateway prompt injection")
    panel = PartiesPanel(ws, case.id)
    qtbot.addWidget(panel)
    panel.resize(1000, 600)
    panel.show()
    return panel


def test_add_party_set_status_and_log_contact(qtbot, ws: Workspace, qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    panel = _panel(qtbot, ws)
    assert panel.model.rowCount() == 0 and not panel.set_button.isEnabled()
    panel.kind.setCurrentIndex(panel.kind.findData("vendor"))
    qtbot.keyClicks(panel.name, "Helix AI")
    qtbot.keyClicks(panel.contact, "psirt@helix.example")
    qtbot.keyClicks(panel.channel, "e-mail")
    with qtbot.waitSignal(panel.changed):
        qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    assert panel.model.rowCount() == 1 and panel.name.text() == ""
    assert panel.model.index(0, 0).data() == "Helix AI"
    assert panel.selected_id() is not None  # the new party is selected

    panel.status.setCurrentIndex(panel.status.findData("notified"))
    qtbot.keyClicks(panel.statement, "report sent by e-mail")
    with qtbot.waitSignal(panel.changed):
        qtbot.keyClick(panel.statement, Qt.Key.Key_Return)
    assert panel.model.index(0, 2).data() == "notified"
    assert panel.model.index(0, 4).data() not in ("", "—")  # acknowledgement due shown

    panel.direction.setCurrentIndex(panel.direction.findData("received"))
    qtbot.keyClicks(panel.log_channel, "e-mail")
    qtbot.keyClicks(panel.summary, "vendor confirms receipt")
    with qtbot.waitSignal(panel.changed):
        qtbot.mouseClick(panel.log_button, Qt.MouseButton.LeftButton)
    assert panel.model.index(0, 4).data().startswith("met ")
    qtmodeltester.check(panel.model)

    with ws.session() as s:
        party = s.scalars(select(CaseParty)).one()
        assert (party.kind, party.name, party.contacts, party.channel) == (
            "vendor", "Helix AI", ["psirt@helix.example"], "e-mail"
        )  # fmt: skip
        status = s.scalars(select(PartyStatus)).one()
        assert (status.status, status.statement, status.by) == (
            "notified", "report sent by e-mail", "alice"
        )  # fmt: skip
        contact = s.scalars(select(PartyContact)).one()
        assert (contact.direction, contact.summary) == ("received", "vendor confirms receipt")
        actions = list(s.scalars(select(AuditEvent.action).where(AuditEvent.entity == "party")))
        assert actions == ["party.add", "party.status", "party.contact"]


def test_a_stale_screen_is_refused(qtbot, ws: Workspace) -> None:  # type: ignore[no-untyped-def]
    panel = _panel(qtbot, ws)
    with ws.session() as s:
        parties.add(s, ws.require_actor(), panel.case_key, "vendor", "Helix AI")
    panel.reload()
    panel.table.selectRow(0)
    # Someone else records a status after the screen read the party.
    with ws.session() as s:
        parties.set_status(s, ws.require_actor(), panel.case_key, "Helix AI", "affected")
    panel.status.setCurrentIndex(panel.status.findData("not-affected"))
    qtbot.mouseClick(panel.set_button, Qt.MouseButton.LeftButton)
    assert panel.error.isVisible() and "reload" in panel.error.text()
    assert panel.model.index(0, 2).data() == "affected"  # what is stored now
    with ws.session() as s:
        assert [r.status for r in s.scalars(select(PartyStatus))] == ["affected"]


def test_parties_tab_screenshot(qtbot, window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    window.queue.select_row(0)
    ws = window.workspace
    key = window.detail.detail.key
    actor = ws.require_actor()
    with ws.session() as s:
        parties.add(s, actor, key, "vendor", "Helix AI", contacts=["psirt@helix.example"])
        parties.set_status(s, actor, key, "Helix AI", "notified", "report sent")
        parties.set_status(s, actor, key, "Helix AI", "fixed", "3.4.2", fixed_version="3.4.2")
        parties.add(s, actor, key, "reporter", "n0name", pseudonymous=True, credit="n0name")
        parties.add(s, actor, key, "stakeholder", "Acme Bank (deployer)")
    window.queue.select_row(1)
    window.queue.select_row(0)  # the tab is built afresh for the case
    [tab] = [w for w in window.detail.feature_tabs if isinstance(w, PartiesPanel)]
    window.detail.tabs.setCurrentWidget(tab)
    assert tab.model.rowCount() == 3
    path = tmp_path / "parties.png"
    assert window.detail.grab().save(str(path))
    assert path.stat().st_size > 1000
