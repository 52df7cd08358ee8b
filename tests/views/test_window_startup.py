"""The main window opens on the queue without loading what only some tabs and tools need
(issue 15: window-open-to-first-rows at 200,000 cases; bench/queue.py times it). Not timed:
a fresh interpreter opens the window on a small workspace and reports what got imported and
which case tabs were built."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

PROBE = """
import json, sys
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
from app.casework import cases
from app.workspaces import lifecycle as ws_mod

app = QApplication([])
ws = ws_mod.create(None, None, "CERT-Test", "alice", db_url="sqlite://")
with ws.session() as s:
    for title in ("Prompt injection via calendar invites", "Model weights exfiltration"):
        cases.create_case(s, ws.require_actor(), title)
from app.queueing import queue
real_ids, runs = queue.ids, []
queue.ids = lambda *a, **k: runs.append(1) or real_ids(*a, **k)
before = set(sys.modules)
from views.shell.main_window import MainWindow
from views.shell.prefs import Prefs

window = MainWindow(ws, prefs=Prefs(QSettings(sys.argv[2], QSettings.Format.IniFormat)))
window.resize(1366, 768)
window.show()
while not window.detail.case_id:
    app.processEvents()
built = [type(w).__name__ for w in window.detail.built_tabs()]
pending = len(window.detail._extra) - len(built)
heavy = sorted(m for m in ("pandas", "pyqtgraph", "alembic", "openpyxl") if m in sys.modules
               and m not in before)
found = {"heavy": heavy, "built": built, "pending": pending, "id_queries": len(runs)}
print(json.dumps(found), file=open(sys.argv[1], "w"))
window.close()
"""


def test_window_opens_without_heavy_imports_or_hidden_tabs(tmp_path: Path) -> None:
    report = tmp_path / "startup.json"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, str(report), str(tmp_path / "prefs.ini")],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    found = json.loads(report.read_text())
    assert found["heavy"] == []  # pandas, pyqtgraph, alembic: when a tab or tool needs them
    assert found["built"] == []  # the Description tab is in front: no feature tab built
    assert found["pending"] >= 8  # every feature tab is there, waiting to be shown
    assert found["id_queries"] == 1  # the queue's query runs once, not again after its sort
