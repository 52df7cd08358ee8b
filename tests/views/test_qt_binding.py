"""The Qt binding itself: a defect there takes the whole application down with it."""

from __future__ import annotations

import subprocess
import sys


def test_static_calls_do_not_leak_none() -> None:
    """PySide6 6.12.0 on Python 3.11 dropped a reference to None on each static void call;
    a long shift (or a test run) of such calls ended in ``Fatal Python error: none_dealloc``.
    Run in a child so that a broken binding fails this test instead of killing the suite."""
    code = (
        "import sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "before = sys.getrefcount(None)\n"
        "for _ in range(50_000):\n"
        "    QApplication.processEvents()\n"
        "print(sys.getrefcount(None) - before)\n"
    )
    env = {"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"}
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-500:]
    assert abs(int(proc.stdout.strip())) < 100
