"""Right to left, a list that picks its first row before it is laid out still shows that
row's details: ``QTableView.selectRow`` selected nothing there, and the Arabic partners
screen said "No partner yet" beside a full list."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QApplication

from app.workspaces.lifecycle import Workspace
from i18n.build import compile_catalogs
from i18n.catalog import reload_catalogs
from models import Partner
from views.exchange.partners_screen import PartnersScreen
from views.shell.application import apply_language


@pytest.fixture(autouse=True)
def catalogs(qapp: QApplication) -> Iterator[None]:
    compile_catalogs()
    reload_catalogs()
    yield
    apply_language(qapp, "en")


@pytest.mark.parametrize("language", ["en", "ar"])
def test_partners_screen_shows_the_first_partner(qtbot, qapp, ws: Workspace, language) -> None:  # type: ignore[no-untyped-def]
    with ws.session() as s:
        s.add(Partner(name="CERT-EE", country="EE"))
        s.add(Partner(name="JPCERT/CC", country="JP"))
    apply_language(qapp, language)
    screen = PartnersScreen(lambda: ws)
    qtbot.addWidget(screen)
    assert screen.table.currentRow() == 0
    assert screen.selected is not None and screen.selected.name in screen.details.text()
    screen.show()
    qtbot.waitExposed(screen)
    assert screen.table.selectionModel().isRowSelected(0)
