"""Benchmarks say what they need when it is missing and exit 2 (issue 17 item 5)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# Loaded from its file: bench/ on sys.path would shadow the standard library's queue.
_spec = importlib.util.spec_from_file_location("bench_needs", REPO / "bench" / "needs.py")
assert _spec is not None and _spec.loader is not None
needs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(needs)


def _clone(tmp_path: Path) -> Path:
    """A checkout beside which there is no ../shared/data: bench/ copied, the code imported
    from this repository."""
    clone = tmp_path / "clone"
    shutil.copytree(REPO / "bench", clone / "bench", ignore=shutil.ignore_patterns("out"))
    return clone


def _run(script: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, str(script), *args], capture_output=True, text=True, env=env,
        timeout=300,
    )  # fmt: skip


def test_import_bench_without_the_shared_corpus_says_so_and_exits_2(tmp_path: Path) -> None:
    clone = _clone(tmp_path)
    proc = _run(clone / "bench" / "import.py", "--count", "10")
    assert proc.returncode == 2, proc.stderr
    assert "needs the shared CSAF corpus" in proc.stderr
    assert str(tmp_path / "shared" / "data" / "csaf") in proc.stderr
    assert "Traceback" not in proc.stderr


def test_import_bench_with_no_document_that_parses_says_so_and_exits_2(tmp_path: Path) -> None:
    clone = _clone(tmp_path)
    sample = tmp_path / "shared" / "data" / "csaf" / "cisa-sample"
    sample.mkdir(parents=True)
    (sample / "broken.json").write_text("{not json", encoding="utf-8")
    proc = _run(clone / "bench" / "import.py", "--count", "10")
    assert proc.returncode == 2, proc.stderr
    assert "none does" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_missing_files_program_and_module_exit_2_naming_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(SystemExit) as exc:
        needs.files("bench/x.py", tmp_path / "nowhere", ["*.json"], "the sample data")
    assert exc.value.code == 2
    assert "the sample data" in capsys.readouterr().err
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(SystemExit) as exc:
        needs.program("bench/x.py", "csaf", "the reference validator: pip install csaf-tool")
    assert exc.value.code == 2
    assert "'csaf'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        needs.module("bench/x.py", "no_such_module_here", "nothing")
    assert exc.value.code == 2


def test_postgres_binaries_are_named_when_absent(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("ACCORD_TEST_PG_URL", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(needs.glob, "glob", lambda _pattern: [])
    with pytest.raises(SystemExit) as exc:
        needs.postgres_binaries("bench/team.py")
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "initdb" in err and "apt-get install postgresql" in err
    monkeypatch.setenv("ACCORD_TEST_PG_URL", "postgresql://127.0.0.1/x")
    assert needs.postgres_binaries("bench/team.py") == {}
