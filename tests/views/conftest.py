"""Fixtures for the GUI tests: isolated Qt settings, workspaces with a few cases, a window.

The core GUI tests (``test_unlock*``, ``test_queue*``, ``test_case_detail*``, ``test_autolock*``,
``test_main_window*``, ``test_screenshots_core*``) fail on any Qt warning.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from app.casework import cases
from app.identity import analysts
from app.workspaces import lifecycle as ws_mod
from app.workspaces.lifecycle import Workspace
from i18n.build import compile_catalogs
from i18n.catalog import reload_catalogs
from models import CaseStatus
from tests.conftest import PASSPHRASE
from views.shell.language import switch_language

CASES = (
    ("Prompt injection through the calendar tool of an email agent", CaseStatus.NEW, 3),
    ("Indirect injection via retrieved wiki pages in a support bot", CaseStatus.TRIAGE, 9),
    ("Training-data extraction from a fine-tuned clinical model", CaseStatus.ACCEPTED, 30),
    ("Jailbreak with a 62% success rate across model versions", CaseStatus.COORDINATING, 1),
    ("Poisoned fine-tuning data in a public instruction dataset", CaseStatus.NEW, 14),
    ("Malicious pickle in a shared model checkpoint", CaseStatus.REMEDIATION, 60),
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).resolve().parent
    for item in items:
        path = Path(str(item.fspath)).resolve()
        if path.parent == here:
            item.add_marker(pytest.mark.qt_log_level_fail("WARNING"))
            # The offscreen platform cannot do these; real platforms can.
            item.add_marker(
                pytest.mark.qt_log_ignore(
                    "propagateSizeHints", "does not support raise", "does not support grabbing"
                )
            )


@pytest.fixture(autouse=True)
def isolated_preferences(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Neither the settings file nor QSettings may touch the real user profile."""
    monkeypatch.setenv("ACCORD_SETTINGS", str(tmp_path / "settings.json"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "qt"))
    # Qt's own settings (QtProject, e.g. the file dialog's) use the native format; Qt reads
    # XDG_CONFIG_HOME only once per process, so the path is set here for each test.
    QSettings.setPath(
        QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp_path / "config")
    )
    yield tmp_path / "qt"
    # No window outlives its test: a leftover one (an unlock dialog is application-modal, a
    # main window's auto-lock timer fires later) blocks input to the windows of later tests.
    app = QApplication.instance()
    if isinstance(app, QApplication):
        for widget in app.topLevelWidgets():
            if widget.isVisible():
                widget.close()


@pytest.fixture
def back_to_english() -> Iterator[None]:
    """Catalogs built and loaded; English again afterwards (a test that switches language)."""
    compile_catalogs()
    reload_catalogs()
    yield
    switch_language("en")


@pytest.fixture
def qsettings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "prefs.ini"), QSettings.Format.IniFormat)


def populate(ws: Workspace) -> list[str]:
    """A second analyst (bob) and a few cases in several states; returns the case keys."""
    actor = ws.require_actor()
    now = datetime.now(UTC)
    keys = []
    with ws.session() as s:
        analysts.add(s, actor, "bob", "analyst", "Europe/Berlin")
        analysts.add(s, actor, "carol", "shift-lead", "Asia/Tokyo")
        for title, status, days in CASES:
            case = cases.create_case(
                s,
                actor,
                title,
                f"Details of: {title}.",
                created_at=now - timedelta(days=days),
                status=status,
            )
            keys.append(case.key)
    return keys


@pytest.fixture
def case_ws(ws: Workspace) -> Workspace:
    """The in-memory ``ws`` with bob, carol and six cases."""
    populate(ws)
    return ws


@pytest.fixture
def cipher_dir(tmp_path: Path) -> Path:
    """A SQLCipher workspace folder with cases (alice, bob, carol); locked again afterwards."""
    directory = tmp_path / "cipher"
    ws = ws_mod.create(directory, PASSPHRASE, "CERT-Test", "alice")
    populate(ws)
    # bob and carol unlock with their own passphrases (tests.conftest.own_passphrase).
    from sqlalchemy import select

    from app.identity import unlock
    from models import Analyst
    from tests.conftest import own_passphrase

    with ws.session() as s:
        others = list(s.scalars(select(Analyst).where(Analyst.name != "alice")))
    for row in others:
        unlock.give_slot(ws, row, own_passphrase(row.name))
    ws.lock()
    return directory


@pytest.fixture
def window(qtbot, case_ws: Workspace, qsettings: QSettings):  # type: ignore[no-untyped-def]
    from views.shell.main_window import MainWindow
    from views.shell.prefs import Prefs

    w = MainWindow(case_ws, prefs=Prefs(qsettings))
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    return w


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
