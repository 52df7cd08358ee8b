"""The screens issue 15's polish changed render offscreen in en, ar and ja at 1366×768 and
1440×900: the case header's Next deadline, the History tab, the Deadlines tab with its
proposals/roles/overrides section, and the unlock dialog. ``ACCORD_SHOTS=DIR`` keeps the PNGs."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app import deadlines as dl
from app.casework import cases
from models import FactProposal
from views.shell.language import switch_language

SIZES = ((1366, 768), (1440, 900))


pytestmark = pytest.mark.usefixtures("back_to_english")


def _out(tmp_path: Path) -> Path:
    out = Path(os.environ.get("ACCORD_SHOTS") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    return out


def _saved(widget, path: Path) -> None:  # type: ignore[no-untyped-def]
    assert widget.grab().save(str(path))
    assert path.stat().st_size > 1000


@pytest.mark.parametrize("lang", ["en", "ar", "ja"])
def test_case_and_deadlines_screens(qtbot, window, tmp_path, lang) -> None:  # type: ignore[no-untyped-def]
    from views.deadlines.panel import DeadlinesPanel

    ws = window.workspace
    key = window.model.queue_row(0).key
    with ws.session() as s:
        case = cases.get_case(s, key)
        dl.set_jurisdictions(s, ws.require_actor(), key, ["EU"], [])
        dl.set_roles(s, ws.require_actor(), key, [("manufacturer", "Vendor X")], [])
        s.add(FactProposal(case_id=case.id, name="reported", at=datetime(2026, 11, 20, 8, 30,
                           tzinfo=UTC), source="mail Date: header"))  # fmt: skip
        case.next_deadline_utc = datetime.now(UTC) - timedelta(hours=5)
        case_id = case.id
    window.refresh_queue()
    switch_language(lang)
    window.queue.select_row(window.model.row_of(case_id))
    qtbot.waitUntil(lambda: window.detail.case_id == case_id, timeout=3000)
    out = _out(tmp_path)
    for width, height in SIZES:
        window.resize(width, height)
        window.fit_queue()
        window.detail.tabs.setCurrentWidget(window.detail.history)
        qtbot.wait(50)
        _saved(window, out / f"history-{lang}-{width}.png")
        panel = next(w for w in window.detail.feature_tabs if isinstance(w, DeadlinesPanel))
        window.detail.tabs.setCurrentWidget(panel)
        qtbot.wait(50)
        _saved(window, out / f"deadlines-{lang}-{width}.png")
        _saved(window.detail, out / f"detail-deadlines-{lang}-{width}.png")


@pytest.mark.parametrize("lang", ["en", "ar", "ja"])
def test_unlock_dialog_names_the_last_analyst(qtbot, tmp_path, qsettings, lang) -> None:  # type: ignore[no-untyped-def]
    from views.shell.prefs import Prefs
    from views.shell.unlock_dialog import UnlockDialog

    prefs = Prefs(qsettings)
    prefs.remember_analyst("carol")
    switch_language(lang)
    dialog = UnlockDialog(tmp_path, prefs=prefs)
    qtbot.addWidget(dialog)
    dialog.show()
    assert "carol" in dialog.last_hint.text()
    _saved(dialog, _out(tmp_path) / f"unlock-{lang}.png")
