"""Every screen over the demo workspace, rendered offscreen in en, ar and ja at 1366×768 and
1440×900: the main window on each case tab, the CVSS calculator and SSVC walkthrough, the new
case dialog, and every Tools and Administration window; and the case pane's tabs, the new case
dialog and the tool windows in the other shipped languages (de, es, fr, pt_BR, zh_CN) at
1366×768, where German, French and Spanish words are the longest. ``ACCORD_SHOTS=DIR`` keeps
the PNGs.

The checks are geometry, not pixels: no window needs more room than the screen, the case
pane fits beside the queue's key columns without scrolling sideways, and every case tab can
be reached.

The queue's key columns have fixed widths, so the pane's place is the same every day. What
the pane shows is an analyst's choice too: any SSVC table, either CVSS version and any of its
metric groups; so the Assessment tab is checked with each of them shown, whatever the demo
recorded."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QRect, QSettings
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractScrollArea,
    QApplication,
    QDialog,
    QScrollArea,
    QWidget,
)

from app.demos import seed as demo
from app.shift import handover
from app.workspaces import lifecycle as ws_mod
from app.workspaces.lifecycle import Workspace
from i18n.build import compile_catalogs
from i18n.catalog import reload_catalogs
from views.common import window_size
from views.severity.cvss_calculator import VERSIONS, CvssCalculator
from views.severity.ssvc_walkthrough import SsvcWalkthrough
from views.shell.application import apply_language
from views.shell.main_window import MainWindow
from views.shell.prefs import Prefs

SIZES = [(1366, 768), (1440, 900)]
# What a window manager leaves of the screen below its panel and above the task bar.
PANELS = 60
pytestmark = pytest.mark.qt_log_ignore("QDateTimeParser::sectionFormat")


@pytest.fixture(scope="module")
def demo_ws() -> Iterator[tuple[Workspace, demo.DemoSummary]]:
    data = demo.load()
    ws = ws_mod.create(
        None, None, data.people["org"], data.people["analysts"][0]["name"], db_url="sqlite://"
    )
    with ws.session() as s:
        summary = demo.fill(s, ws.require_actor(), count=40, label="demo", now=datetime.now(UTC))
        handover.new(s, ws.require_actor())
    yield ws, summary


@pytest.fixture(autouse=True)
def english_after(qapp: QApplication) -> Iterator[None]:
    compile_catalogs()
    reload_catalogs()
    yield
    apply_language(qapp, "en")


def _out(tmp_path: Path) -> Path:
    out = Path(os.environ.get("ACCORD_SHOTS") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    return out


def _save(widget: QWidget, path: Path) -> None:
    QApplication.processEvents()
    assert widget.grab().save(str(path))
    assert path.stat().st_size > 1000


def _show(qtbot, window: MainWindow, key: str) -> None:  # type: ignore[no-untyped-def]
    """Select case ``key`` in the queue (every state shown when it is not open)."""
    model = window.model
    keys = [model.queue_row(r).key for r in range(model.rowCount())]
    if key not in keys:
        window.queue.apply_spec("status:all")
        keys = [model.queue_row(r).key for r in range(model.rowCount())]
    row = keys.index(key)
    window.queue.select_row(row)
    qtbot.waitUntil(lambda: window.detail.detail is not None and window.detail.detail.key == key)


def _sideways(window: MainWindow, name: str) -> list[tuple[str, int]]:
    """How far the case pane, and each scrolling part of the shown tab, scrolls sideways."""
    QApplication.processEvents()
    found = [(name, window.detail_area.horizontalScrollBar().maximum())]
    for area in window.detail.tabs.currentWidget().findChildren(QScrollArea):
        if area.isVisible():
            found.append((name, area.horizontalScrollBar().maximum()))
    return found


def _every_choice(panel: QWidget) -> Iterator[str]:
    """On the Assessment tab: every CVSS version with every SSVC decision table, and each
    version's metric groups, as an analyst may pick them (the widest decides the tab's width,
    not what the demo chose)."""
    calculator, walkthrough = (getattr(panel, n, None) for n in ("calculator", "walkthrough"))
    if not isinstance(calculator, CvssCalculator) or not isinstance(walkthrough, SsvcWalkthrough):
        return
    shown = (calculator.version(), walkthrough.table_name())
    for version in VERSIONS:
        calculator.set_version(version)
        for index in range(walkthrough.table_combo.count()):
            walkthrough.table_combo.setCurrentIndex(index)
            yield f"CVSS {version}, SSVC {walkthrough.table_name()}"
        # Each metric group is a tab of its own (3.1's Temporal has the longest values).
        groups = calculator.group_tabs[version]
        for group in range(1, groups.count()):
            groups.setCurrentIndex(group)
            yield f"CVSS {version} {groups.tabText(group)}"
        groups.setCurrentIndex(0)
    calculator.set_version(shown[0])
    walkthrough.set_table(shown[1])


def _window(qtbot, qapp, ws: Workspace, tmp_path: Path, language: str, size) -> MainWindow:  # type: ignore[no-untyped-def]
    apply_language(qapp, language)
    window = MainWindow(
        ws, prefs=Prefs(QSettings(str(tmp_path / "p.ini"), QSettings.Format.IniFormat))
    )
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    window.fit_queue()
    return window


def _walk_case_tabs(qtbot, window: MainWindow, key: str, out: Path, stem: str) -> list[str]:  # type: ignore[no-untyped-def]
    """Every tab of case ``key`` (the Assessment tab with every choice), saved as PNGs; the
    views that scroll sideways, with how far."""
    _show(qtbot, window, key)
    tabs = window.detail.tabs
    wide: list[tuple[str, int]] = []
    for index in range(tabs.count()):
        tabs.setCurrentIndex(index)
        QApplication.processEvents()
        _save(window, out / f"tab{index:02d}-{stem}.png")
        # The pane fits beside the queue on every tab: nothing pushed off to the side.
        wide.extend(_sideways(window, tabs.tabText(index).replace("&&", "&")))
        panel = tabs.currentWidget()
        for shown in _every_choice(panel):
            wide.extend(_sideways(window, f"{tabs.tabText(index)} ({shown})".replace("&&", "&")))
        for name in ("calculator", "walkthrough"):
            part = getattr(panel, name, None)
            if isinstance(part, QWidget):
                _save(part, out / f"{name}-{stem}.png")
    return [f"{name}: {scroll} px" for name, scroll in wide if scroll]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("language", ["en", "ar", "ja"])
def test_every_screen(qtbot, qapp, demo_ws, tmp_path, monkeypatch, language, size) -> None:  # type: ignore[no-untyped-def]
    ws, summary = demo_ws
    window = _window(qtbot, qapp, ws, tmp_path, language, size)
    out, stem = _out(tmp_path), f"{language}-{size[0]}x{size[1]}"
    # Tool windows size themselves to the screen they open on: this one.
    free = QRect(0, 0, size[0], size[1] - PANELS)
    monkeypatch.setattr(window_size, "available_geometry", lambda _widget: free)

    key = str(summary.showcase["exchange_case"])
    wide = _walk_case_tabs(qtbot, window, key, out, stem)
    assert not wide, "scrolls sideways:\n" + "\n".join(wide)
    window.open_new_case()
    dialog = window.new_case_dialog
    dialog.title.setText("Model weights exfiltrated through a tool call")
    _save(dialog, out / f"new-case-{stem}.png")
    dialog.reject()

    _show(qtbot, window, str(summary.showcase["stale_advisory"]))  # the editor has text
    menus = (window.tools_menu, window.admin_menu)  # type: ignore[attr-defined]
    actions = [a for m in menus for a in m.actions() if not a.isSeparator()]
    for number, action in enumerate(actions):
        tool = window.open_tool(action)
        if tool is None:
            continue
        QApplication.processEvents()
        target = tool if tool.isWindow() else window
        _save(target, out / f"tool{number:02d}-{stem}.png")
        if isinstance(tool, QDialog):
            tool.reject()
        elif tool.isWindow():
            tool.hide()


@pytest.mark.parametrize("language", ["de", "es", "fr", "pt_BR", "zh_CN"])
def test_case_pane_fits(qtbot, qapp, demo_ws, tmp_path, language) -> None:  # type: ignore[no-untyped-def]
    """The other shipped languages, whose words run longest (de, fr, es), on the smallest
    screen: only the case pane's tabs, the part whose width the words decide."""
    ws, summary = demo_ws
    size = SIZES[0]
    window = _window(qtbot, qapp, ws, tmp_path, language, size)
    out, stem = _out(tmp_path), f"{language}-{size[0]}x{size[1]}"
    key = str(summary.showcase["exchange_case"])
    wide = _walk_case_tabs(qtbot, window, key, out, stem)
    assert not wide, "scrolls sideways:\n" + "\n".join(wide)


def _misfits(window: QWidget, name: str, free: QRect) -> list[str]:
    """What does not fit of the window ``window`` on the free area ``free``: its frame, what
    its layout needs at least, and how far its own text and form areas scroll sideways
    (tables may: their columns are the user's to size)."""
    QApplication.processEvents()
    found = []
    frame, need = window.frameGeometry(), window.minimumSizeHint()
    if not free.contains(frame):
        found.append(f"{name}: frame {frame.width()}x{frame.height()} at {frame.x()},{frame.y()}")
    if need.width() > free.width() or need.height() > free.height():
        found.append(f"{name}: needs {need.width()}x{need.height()}")
    for area in window.findChildren(QAbstractScrollArea):
        scroll = area.horizontalScrollBar().maximum()
        if area.isVisible() and scroll and not isinstance(area, QAbstractItemView):
            found.append(f"{name}: {type(area).__name__} scrolls sideways {scroll} px")
    return found


@pytest.mark.parametrize("language", ["de", "es", "fr", "pt_BR", "zh_CN"])
def test_tools_fit(qtbot, qapp, demo_ws, tmp_path, monkeypatch, language) -> None:  # type: ignore[no-untyped-def]
    """The new case dialog and every Tools and Administration window in the languages with the
    longest words, on the smallest screen: each fits it, frame and all, without scrolling
    sideways (the German advisory editor's buttons made it 1475 px wide; the Spanish and
    French dashboards' chart titles 1375 and 1365)."""
    ws, summary = demo_ws
    size = SIZES[0]
    window = _window(qtbot, qapp, ws, tmp_path, language, size)
    free = QRect(0, 0, size[0], size[1] - PANELS)
    monkeypatch.setattr(window_size, "available_geometry", lambda _widget: free)
    shots = os.environ.get("ACCORD_SHOTS")
    stem = f"{language}-{size[0]}x{size[1]}"
    window.open_new_case()
    dialog = window.new_case_dialog
    wrong = _misfits(dialog, "New case", free)
    dialog.reject()
    _show(qtbot, window, str(summary.showcase["stale_advisory"]))  # the editor has text
    menus = (window.tools_menu, window.admin_menu)  # type: ignore[attr-defined]
    opened = 0
    for number, action in enumerate(a for m in menus for a in m.actions() if not a.isSeparator()):
        tool = window.open_tool(action)
        if tool is None or not tool.isWindow():
            continue
        opened += 1
        wrong.extend(_misfits(tool, action.text(), free))
        if shots:
            _save(tool, _out(tmp_path) / f"fit-tool{number:02d}-{stem}.png")
        if isinstance(tool, QDialog):
            tool.reject()
        else:
            tool.hide()
    assert opened >= 10
    assert not wrong, "does not fit 1366x768:\n" + "\n".join(wrong)
