"""Render the main window offscreen over a demo workspace and save docs/screenshot.png.

    .venv/bin/python scripts/screenshot.py [--out docs/screenshot.png] [--count 220]

The workspace lives in memory only; nothing is written but the PNG.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtCore import QSettings, Qt

from app.casework import cases
from app.queueing.queue import COLUMN_KEYS
from app.workspaces import lifecycle as ws_mod
from app.workspaces.lifecycle import Workspace
from views.queue.view import OPEN
from views.shell.application import ensure_qapp
from views.shell.main_window import MainWindow
from views.shell.prefs import Prefs

FALLBACK = (
    "Prompt injection through the calendar tool of an email agent",
    "Indirect injection via retrieved wiki pages in a support bot",
    "Training-data extraction from a fine-tuned clinical model",
    "Jailbreak with a 62% success rate across model versions",
    "Poisoned fine-tuning data in a public instruction dataset",
)


def demo_workspace(count: int) -> Workspace:
    """An in-memory workspace filled by ``app.demos.seed`` (or a few cases when it is absent)."""
    try:
        from app.demos import seed as demo
    except ImportError:
        demo = None  # type: ignore[assignment]
    if demo is not None:
        data = demo.load()
        ws = ws_mod.create(
            None, None, data.people["org"], data.people["analysts"][0]["name"], db_url="sqlite://"
        )
        with ws.session() as s:
            demo.fill(
                s,
                ws.require_actor(),
                count=count,
                label="demo",
                # Today: the queue's countdowns are computed against the real clock.
                now=datetime.now(UTC).replace(second=0, microsecond=0),
            )
        return ws
    ws = ws_mod.create(None, None, "CERT-Demo", "alice", db_url="sqlite://")
    now = datetime.now(UTC)
    with ws.session() as s:
        for i, title in enumerate(FALLBACK):
            cases.create_case(s, ws.require_actor(), title, created_at=now - timedelta(days=3 * i))
    return ws


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screenshot.png"))
    parser.add_argument("--count", type=int, default=220)
    parser.add_argument("--row", type=int, default=3, help="queue row to show in the detail")
    args = parser.parse_args(argv)
    ensure_qapp()
    ws = demo_workspace(args.count)
    with tempfile.TemporaryDirectory() as tmp:
        prefs = Prefs(QSettings(str(Path(tmp) / "prefs.ini"), QSettings.Format.IniFormat))
        window = MainWindow(ws, prefs=prefs)
        window.resize(1440, 860)
        window.show()
        panel = window.queue
        panel.status_filter.setCurrentIndex(panel.status_filter.findData(OPEN))
        panel.apply_filters()
        panel.table.sortByColumn(COLUMN_KEYS.index("next_deadline"), Qt.SortOrder.AscendingOrder)
        panel.select_row(args.row)
        window.detail.tabs.setCurrentIndex(2)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        if not window.grab().save(str(args.out)):
            print(f"could not write {args.out}", file=sys.stderr)
            return 1
        window.idle.stop()
        window.hide()
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
