"""What a benchmark needs before it starts: shared data, programs, PostgreSQL's binaries.

A missing need ends the benchmark with one line saying what is missing, where it was looked
for and how to get it, and exit code 2 (``make bench`` reports it and runs the others),
instead of a traceback halfway through. Imports nothing of the project.
"""

from __future__ import annotations

import glob
import os
import shutil
import sys
from collections.abc import Iterable
from pathlib import Path

MISSING = 2  # the exit code of a benchmark that cannot run here


def missing(bench: str, what: str) -> None:
    """Say what ``bench`` needs and is not there, and exit 2."""
    print(f"{bench}: cannot run: {what}", file=sys.stderr)
    raise SystemExit(MISSING)


def files(bench: str, folder: Path, patterns: Iterable[str], what: str) -> list[Path]:
    """The files under ``folder`` matching any of ``patterns`` (recursive globs); exits 2
    naming ``what`` and the folder when there are none."""
    found: list[Path] = []
    if folder.is_dir():
        for pattern in patterns:
            found += sorted(folder.glob(pattern))
    if not found:
        missing(bench, f"it needs {what} in {folder} ({', '.join(patterns)}); none found")
    return found


def program(bench: str, name: str, hint: str) -> str:
    """The path of the program ``name`` on PATH; exits 2 with ``hint`` when it is absent."""
    path = shutil.which(name)
    if path is None:
        missing(bench, f"it needs the program '{name}' on PATH ({hint})")
    assert path is not None
    return path


def postgres_binaries(bench: str) -> dict[str, str]:
    """initdb, pg_ctl and postgres, as tests/pg_server.py finds them (PATH, then Debian's
    /usr/lib/postgresql/*/bin); exits 2 naming the ones missing. With ACCORD_TEST_PG_URL set
    (a server to use as it is) none is needed: {}."""
    if os.environ.get("ACCORD_TEST_PG_URL"):
        return {}
    found: dict[str, str] = {}
    for name in ("initdb", "pg_ctl", "postgres"):
        path = shutil.which(name)
        if path is None:
            hits = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
            path = hits[-1] if hits else None
        if path is not None:
            found[name] = path
    absent = [n for n in ("initdb", "pg_ctl", "postgres") if n not in found]
    if absent:
        missing(
            bench,
            f"it needs PostgreSQL's server binaries ({', '.join(absent)} not on PATH nor in "
            "/usr/lib/postgresql/*/bin; on Debian: apt-get install postgresql), or set "
            "ACCORD_TEST_PG_URL to a server it may use",
        )
    return found


def module(bench: str, name: str, hint: str) -> None:
    """Exit 2 when the Python module ``name`` cannot be imported (an optional dependency)."""
    import importlib.util

    if importlib.util.find_spec(name) is None:
        missing(bench, f"it needs the Python module '{name}' ({hint})")
