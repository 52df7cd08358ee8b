"""``accord``: every job headless. Exit codes: 0 ok, 1 error, 2 usage, 3 locked, 4 verification."""

from __future__ import annotations

import argparse
import gc
import importlib
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any

from app.cli.context import CliContext, take_env_secrets
from app.errors import AccordError, describe_unexpected
from i18n import N_, _

# Every top-level command: the app.cli modules that register it (in this order: a later one
# adds sub-commands to the group the first made) and its one-line help. `accord --help` is
# built from this table alone and a command imports only its own modules, so that a call
# such as `accord score` never loads the database stack. A module's register(sub, common)
# adds its commands; tests/app/test_cli_startup.py checks the table against what each
# module registers, so a command missing here fails the tests.
COMMANDS: dict[str, tuple[tuple[str, ...], str]] = {
    "init": (("workspace_cmds",), N_("create a workspace")),
    "workspace": (("workspace_cmds",), N_("rekey, back up or restore a workspace")),
    "analyst": (("analysts",), N_("manage analysts")),
    "cases": (("cases",), N_("list cases")),
    "case": (("cases", "deadlines"), N_("open, show, move and assign cases")),
    "audit": (("audit_cmds",), N_("verify, read and export the audit log")),
    "demo": (("demo",), N_("fill a workspace with demo cases (creating it if missing)")),
    "score": (("severity",), N_("score CVSS 3.0/3.1/4.0 vectors")),
    "ssvc": (("severity",), N_("evaluate an SSVC decision table")),
    "taxonomy": (("severity",), N_("the AI vulnerability taxonomy")),
    "assess": (("severity",), N_("assess a case with the shared severity model")),
    "assessments": (("severity",), N_("a case's assessment history")),
    "import": (("intake",), N_("import report files, folders, zips")),
    "quarantine": (("intake",), N_("documents refused at import")),
    "duplicates": (("intake",), N_("review near-duplicate reports")),
    "report": (("intake", "transparency"), N_("imported reports")),
    "mapping": (("mapping",), N_("column mapping of CSV/XLSX imports, per source")),
    "deadlines": (("deadlines",), N_("a case's obligations, earliest first")),
    "deadline": (("deadlines",), N_("record and configure deadlines")),
    "queue": (("queues",), N_("the case queue through a saved filter")),
    "handover": (("handover",), N_("shift handover")),
    "advisory": (("advisories",), N_("draft, translate, review and export advisories")),
    "org": (("exchange",), N_("the organisation's OpenPGP key")),
    "partner": (("exchange",), N_("partner CERTs and their keys")),
    "bundle": (("exchange",), N_("signed bundles for partners")),
    "playbook": (("playbooks",), N_("run joint triage and impact playbooks on a case")),
    "impact": (
        ("impact",),
        N_("estimate who is affected, from deployment inventories and AI-BOMs"),
    ),
}

# Every command module once, for a full build: a module that makes a command comes where that
# command is in the table (so --help keeps the table's order), one that only joins a group after.
COMMAND_MODULES: tuple[str, ...] = tuple(
    dict.fromkeys(
        [modules[0] for modules, _help in COMMANDS.values()]
        + [module for modules, _help in COMMANDS.values() for module in modules[1:]]
    )
)

log = logging.getLogger("accord")
log.addHandler(logging.NullHandler())  # not the last-resort handler: stderr gets our one line


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"accord: {message}", file=sys.stderr)
        raise SystemExit(2)


def _top_parser() -> tuple[argparse.ArgumentParser, argparse.ArgumentParser, Any]:
    """The parser with the global options, the ``common`` parent of every sub-command, and
    the sub-command action, still empty."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help=_("print JSON"))
    parser = _Parser(
        prog="accord",
        description=_("Coordinate the disclosure of vulnerabilities in AI systems."),
    )
    parser.add_argument("--workspace", metavar="DIR", help=_("workspace folder"))
    parser.add_argument("--db", metavar="URL", help=_("team database URL (postgresql://...)"))
    parser.add_argument("--as", dest="as_analyst", metavar="NAME", help=_("acting analyst"))
    parser.add_argument("--lang", metavar="LANG", help=_("interface language"))
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    return parser, common, sub


def command_of(argv: Sequence[str], parser: argparse.ArgumentParser | None = None) -> str | None:
    """The command word of ``argv``: its first word that is neither a global option nor the
    value of one (``--workspace DIR``, ``--as=NAME``, an abbreviation such as ``--work``)."""
    options = (parser or _top_parser()[0])._option_string_actions
    words = iter(argv)
    for word in words:
        if word == "--":
            return next(words, None)
        if not word.startswith("-") or word == "-":
            return word
        name, eq, _value = word.partition("=")
        hits = [name] if name in options else [o for o in options if o.startswith(name)]
        if not eq and len(hits) == 1 and options[hits[0]].nargs != 0:
            next(words, None)  # the option's value, not a command
    return None


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The ``accord`` parser. For ``argv``, only the modules of its command are imported and
    every other command is a bare entry for ``--help``; without ``argv``, every module."""
    parser, common, sub = _top_parser()
    wanted = None
    if argv is None:
        modules: Sequence[str] = COMMAND_MODULES
    else:
        wanted = command_of(argv, parser)
        modules = COMMANDS[wanted][0] if wanted in COMMANDS else ()
    for name in modules:
        try:
            module = importlib.import_module(f"app.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"app.cli.{name}":
                raise
            continue
        # A module making several commands may register each on its own (REGISTER).
        only = getattr(module, "REGISTER", {}).get(wanted)
        (only or module.register)(sub, common)
    for command, (_modules, help_text) in COMMANDS.items():
        if command not in sub.choices:
            sub.add_parser(command, help=_(help_text))
    return parser


# What the shell reports for a process killed by SIGPIPE: the reader went away (``| head``).
BROKEN_PIPE = 141


def main(argv: Sequence[str] | None = None, *, then_exit: bool = False) -> int:
    """Run one command. Every failure ends here as one line on stderr and its exit code; an
    unexpected one is named by its class and a reference only: the text of a database error
    carries SQL and its parameters (titles, descriptions), which never reach the screen or
    the log. ``then_exit``: the process ends when this returns (the console script)."""
    secrets = take_env_secrets()  # first of all: nothing started later may inherit them
    try:
        code = _run(argv, secrets, then_exit)
        sys.stdout.flush()  # a closed pipe shows up here, not at interpreter exit
        return code
    except BrokenPipeError:
        _silence_stdout()
        return BROKEN_PIPE


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that the interpreter's last flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # not a real file (tests capture stdout in memory)
        pass


def _run(argv: Sequence[str] | None, secrets: dict[str, str], then_exit: bool = False) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if then_exit:
        # Importing the command's modules (SQLAlchemy, the models) makes objects that live
        # until exit, and the collector ran over a hundred times meanwhile finding no garbage
        # among them (a tenth of `accord cases list`): off until they are frozen below.
        gc.disable()
    try:
        parser = build_parser(argv)
        args = parser.parse_args(argv)
    finally:
        if then_exit:
            # What the command's modules made at import lives until exit: out of the
            # collector's sight, neither the command's collections nor the one at exit walk
            # it again. Objects made from here on are collected as ever. Only in a process of
            # its own: in one that goes on (tests), frozen garbage would never go.
            gc.freeze()
            gc.enable()
    if args.lang:
        from i18n import set_language

        set_language(args.lang)
    handler = getattr(args, "handler", None)
    if handler is None:
        # `accord` alone opens the GUI (views.shell.entry); a bare group such as `accord case`
        # lands here.
        parser.print_help(sys.stderr)
        return 2
    ctx = CliContext(args, secrets=secrets, then_exit=then_exit)
    try:
        return int(handler(ctx, args) or 0)
    except AccordError as exc:
        print(f"accord: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        raise
    except Exception as exc:
        if _is_stale(exc):
            # A change the service did not guard itself (app.concurrency guards the known ones).
            print(
                "accord: "
                + _("a record was changed by someone else meanwhile; reload and try again"),
                file=sys.stderr,
            )
            return 1
        if busy := _busy_seconds(exc):
            print(
                "accord: "
                + _(
                    "the workspace is busy: another program kept writing to it for more than "
                    "{n} seconds; try again"
                ).format(n=busy),
                file=sys.stderr,
            )
            return 1
        where = f"command {getattr(args, 'command', None)}"  # for the log only
        print("accord: " + describe_unexpected(exc, where), file=sys.stderr)
        return 1
    finally:
        try:
            ctx.close()
        except Exception as exc:  # closing must not print what a failed close carries
            log.error("closing the workspace failed: %s", type(exc).__name__)


def _is_stale(exc: BaseException) -> bool:
    """A StaleDataError; without SQLAlchemy loaded (``accord score``) there can be none, and
    checking must not load it."""
    if "sqlalchemy" not in sys.modules:
        return False
    from sqlalchemy.orm.exc import StaleDataError

    return isinstance(exc, StaleDataError)


def _busy_seconds(exc: BaseException) -> int:
    """The busy timeout when ``exc`` says another writer held the database that long, else 0."""
    if "sqlalchemy" not in sys.modules:
        return 0
    from app.workspaces.engines import BUSY_SECONDS, is_busy

    return int(BUSY_SECONDS) if is_busy(exc) else 0


if __name__ == "__main__":
    raise SystemExit(main(then_exit=True))
