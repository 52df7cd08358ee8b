"""The CLI starts at once: commands that open no workspace load no database stack, and the
static command table that makes this possible stays complete (issue 17 item 1). Not timed:
bench/cli.py measures the wall times."""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import app.cli
from app.cli.main import COMMAND_MODULES, COMMANDS, build_parser, command_of
from i18n import _

REPO = Path(__file__).resolve().parents[2]
VECTOR = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"

# A fresh interpreter runs the console script's entry point as `accord` would, then reports
# which of the heavy packages ended up imported.
PROBE = """
import json, sys
from views.shell.entry import main
try:
    code = main(sys.argv[2:])
except SystemExit as exc:
    code = exc.code or 0
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("sqlalchemy", "alembic",
    "PySide6", "pandas") or m in ("views.shell.application", "app.workspaces.lifecycle"))
print(json.dumps({"code": code, "heavy": heavy}), file=open(sys.argv[1], "w"))
"""


def _subparsers(parser: argparse.ArgumentParser) -> argparse._SubParsersAction:  # type: ignore[type-arg]
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))


@pytest.mark.parametrize(
    "argv",
    [
        ["score", VECTOR],
        ["score", "--json", VECTOR],
        ["ssvc", "cisa", "E=A", "A=Y", "TI=T", "MWI=H"],
        ["taxonomy", "list", "avid"],
        ["--help"],
        ["--workspace", "/nonexistent", "score", VECTOR],
    ],
)
def test_commands_without_a_workspace_import_no_database_or_gui(
    argv: list[str], tmp_path: Path
) -> None:
    report = tmp_path / "modules.json"
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, str(report), *argv],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    result = json.loads(report.read_text())
    assert result["code"] == 0, proc.stderr
    assert result["heavy"] == [], f"accord {' '.join(argv)} imported {result['heavy']}"


def test_a_failing_light_command_still_imports_no_database(tmp_path: Path) -> None:
    """The error path (a bad vector: exit 1) must not load SQLAlchemy to classify the error."""
    report = tmp_path / "modules.json"
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, str(report), "score", "CVSS:3.1/AV:Q"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    result = json.loads(report.read_text())
    assert result["code"] == 1, proc.stderr
    assert result["heavy"] == []


@pytest.mark.parametrize("workspace", [False, True])
def test_the_collector_runs_again_once_the_command_runs(tmp_path: Path, workspace: bool) -> None:
    """The console script keeps the garbage collector off only while the command's modules
    import (app.cli.main._run) and while the workspace opens (CliContext.open_workspace): the
    command itself runs with it on, whatever it allocates, and what was loaded is frozen out
    of its sight."""
    argv, env = ["taxonomy", "list", "avid"], _clean_env()
    if workspace:
        from app.workspaces import lifecycle as ws_mod
        from tests.conftest import PASSPHRASE

        ws_mod.create(tmp_path / "ws", PASSPHRASE, "CERT-Test", "alice").engine.dispose()
        argv = ["--workspace", str(tmp_path / "ws"), "cases", "list", "--json"]
        env["ACCORD_PASSPHRASE"] = PASSPHRASE
    report = tmp_path / "gc.json"
    probe = (
        "import gc, json, sys\n"
        "from app.cli import context\n"
        "emit, seen = context.CliContext.emit, []\n"
        "def spy(self, *args, **kwargs):\n"
        "    seen.append([gc.isenabled(), gc.get_freeze_count() > 0])\n"
        "    return emit(self, *args, **kwargs)\n"
        "context.CliContext.emit = spy\n"
        "from views.shell.entry import main\n"
        "out, sys.argv = sys.argv[1], ['accord', *sys.argv[2:]]\n"
        "code = main()  # no argv: as the console script runs it\n"
        "json.dump({'code': code, 'seen': seen}, open(out, 'w'))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe, str(report), *argv],
        cwd=REPO, capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert json.loads(report.read_text()) == {"code": 0, "seen": [[True, True]]}


def _command_modules() -> dict[str, set[str]]:
    """What each app.cli module registers on its own: {module: {top-level command}}."""
    found: dict[str, set[str]] = {}
    for info in pkgutil.iter_modules(app.cli.__path__):
        module = importlib.import_module(f"app.cli.{info.name}")
        register = getattr(module, "register", None)
        if register is None:
            continue
        common = argparse.ArgumentParser(add_help=False)
        sub = argparse.ArgumentParser().add_subparsers(dest="command")
        register(sub, common)
        found[info.name] = set(sub.choices)
    return found


def test_the_command_table_names_every_command_of_every_module() -> None:
    registered = _command_modules()
    assert set(registered) == set(COMMAND_MODULES), "a module with register() is missing"
    for module, commands in registered.items():
        for command in commands:
            assert command in COMMANDS, f"{module} registers '{command}': add it to COMMANDS"
            assert module in COMMANDS[command][0], f"COMMANDS['{command}'] lacks {module}"
    for command, (modules, _help) in COMMANDS.items():
        for module in modules:
            assert command in registered[module], f"{module} does not register '{command}'"


def test_help_lists_every_command_with_the_help_its_module_gives(cli) -> None:  # type: ignore[no-untyped-def]
    full = _subparsers(build_parser())
    given = {a.dest: a.help for a in full._choices_actions}
    assert list(given) == list(COMMANDS)
    for command, (_modules, help_text) in COMMANDS.items():
        assert given[command] == _(help_text), command
    out = cli("--help").out
    for command in COMMANDS:
        assert f"    {command} " in out, command


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_command_parses_alike_with_only_its_own_modules(command: str) -> None:
    """A partial build (what `accord COMMAND …` uses) gives the command the same
    sub-commands, options and help as the build with every module."""
    full = _subparsers(build_parser()).choices[command]
    partial = _subparsers(build_parser([command])).choices[command]
    assert partial.format_help() == full.format_help()
    for name, action in _actions_by_name(full).items():
        other = _actions_by_name(partial)[name]
        assert other.format_help() == action.format_help(), f"{command} {name}"


def _actions_by_name(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    try:
        return dict(_subparsers(parser).choices)
    except StopIteration:
        return {}


@pytest.mark.parametrize(
    ("argv", "command"),
    [
        ([], None),
        (["--help"], None),
        (["-h"], None),
        (["--workspace", "/tmp/w"], None),
        (["score", VECTOR], "score"),
        (["--workspace", "score", "case", "list"], "case"),
        (["--workspace=/tmp/w", "cases", "list"], "cases"),
        (["--as", "alice", "--db", "postgresql://h/d", "queue"], "queue"),
        (["--work", "ssvc", "score"], "score"),  # an abbreviation takes its value too
        (["--lang", "fr", "--json", "taxonomy"], "taxonomy"),
        (["--", "score"], "score"),
    ],
)
def test_the_command_word_is_found_past_global_options(
    argv: list[str], command: str | None
) -> None:
    assert command_of(argv) == command


def test_unknown_command_is_a_usage_error(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("no-such-command")
    assert result.code == 2
    assert "invalid choice" in result.err


def test_a_workspace_command_loads_neither_alembic_nor_the_import_pipeline(
    tmp_path: Path,
) -> None:
    """Opening a workspace already at the newest revision skips Alembic; listing cases does
    not load the importer (parsers, CSAF schemas, worker pool)."""
    from app.workspaces import lifecycle as ws_mod
    from tests.conftest import PASSPHRASE

    ws = ws_mod.create(tmp_path / "ws", PASSPHRASE, "CERT-Test", "alice")
    ws.engine.dispose()
    report = tmp_path / "modules.json"
    # Nor what opening a workspace file does not need: the audit chain (nothing is recorded),
    # the team-server code, the trust rules, cryptography's serialization package.
    probe = PROBE.replace(
        '"pandas")',
        '"pandas", "alembic") or m in ("app.intake.importer", "app.auditing.chain", '
        '"app.identity.team", "app.trust", "cryptography.hazmat.primitives.serialization", '
        '"platformdirs")',
    )
    assert probe != PROBE
    proc = subprocess.run(
        [sys.executable, "-c", probe, str(report), "--workspace", str(tmp_path / "ws"),
         "cases", "list", "--json"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
        env={**_clean_env(), "ACCORD_PASSPHRASE": PASSPHRASE},
    )  # fmt: skip
    result = json.loads(report.read_text())
    assert result["code"] == 0, proc.stderr
    heavy = [m for m in result["heavy"] if m.split(".")[0] != "sqlalchemy"]
    assert heavy == ["app.workspaces.lifecycle"], heavy


def _clean_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}


def test_the_head_read_from_the_files_is_alembics() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from app.workspaces.engines import MIGRATIONS, scripted_head

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    assert scripted_head() == ScriptDirectory.from_config(cfg).get_current_head()


def test_migrate_runs_alembic_unless_the_database_is_stamped_with_the_head(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shortcut only skips a database stamped with the head: a new one, or one stamped
    with another revision, goes through Alembic as before."""
    from alembic import command
    from sqlalchemy import inspect, text

    from app.workspaces.engines import migrate, plain_sqlite_engine

    engine = plain_sqlite_engine(tmp_path / "w.sqlite")
    migrate(engine)  # a new database: Alembic creates the schema
    assert "case" in inspect(engine).get_table_names()
    calls: list[str] = []
    monkeypatch.setattr(command, "upgrade", lambda _cfg, rev: calls.append(rev))
    migrate(engine)
    assert calls == []  # at the head: Alembic not even loaded for it
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'older'"))
    migrate(engine)
    assert calls == ["head"]
    engine.dispose()


def test_listing_cases_loads_no_orm(tmp_path: Path) -> None:
    """`accord cases list` reads the case and analyst tables through Core (models/schema.py,
    the tables the ORM classes map): the ORM is not even imported and no model is declared
    (the ORM and each model declared cost start-up). A regression here shows as a longer
    module list."""
    from app.workspaces import lifecycle as ws_mod
    from tests.conftest import PASSPHRASE

    ws = ws_mod.create(tmp_path / "ws", PASSPHRASE, "CERT-Test", "alice")
    ws.engine.dispose()
    env = {**_clean_env(), "ACCORD_PASSPHRASE": PASSPHRASE}
    made = subprocess.run(
        [sys.executable, "-m", "app.cli.main", "--workspace", str(tmp_path / "ws"), "case",
         "new", "--title", "A listed case"],
        cwd=REPO, capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    report = tmp_path / "modules.json"
    probe = PROBE.replace(
        'heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("sqlalchemy", "alembic",\n'
        '    "PySide6", "pandas") or m in ("views.shell.application", "app.workspaces.lifecycle"))',
        'heavy = sorted(m for m in sys.modules if m.startswith(("models.", "sqlalchemy.orm")))',
    )
    assert probe != PROBE
    proc = subprocess.run(
        [sys.executable, "-c", probe, str(report), "--workspace", str(tmp_path / "ws"),
         "cases", "list", "--json"],
        cwd=REPO, capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip
    result = json.loads(report.read_text())
    assert result["code"] == 0, proc.stderr
    assert "A listed case" in proc.stdout
    assert result["heavy"] == ["models.schema"]
