"""Benchmarks say what they need when PostgreSQL's binaries are missing, and exit 2 (issue 17,
item 5). Run as ``make bench`` runs them, in a child process, with the binaries hidden."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HIDE = (
    "import runpy, sys; import tests.pg_server as pg; pg._bin = lambda name: None; "
    "sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"
)


@pytest.mark.parametrize("argv", [["bench/team.py"], ["bench/queue.py", "--backend", "postgres"]])
def test_exits_2_without_postgresql(argv: list[str]) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", HIDE, *argv],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert "PostgreSQL's server binaries" in proc.stderr
    assert "Traceback" not in proc.stderr
