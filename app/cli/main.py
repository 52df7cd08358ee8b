"""``accord``: every job headless. Exit codes: 0 ok, 1 error, 2 usage, 3 locked, 4 verification."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence

from sqlalchemy.orm.exc import StaleDataError

from app.cli.context import CliContext, take_env_secrets
from app.errors import AccordError, describe_unexpected
from app.storage import BUSY_SECONDS, is_busy
from i18n import _

# Each module registers its own sub-commands: register(subparsers, common).
COMMAND_MODULES: tuple[str, ...] = (
    "workspace_cmds",
    "analysts",
    "cases",
    "audit_cmds",
    "demo",
    "severity",
    "intake",
    "mapping",
    "deadlines",
    "queues",
    "handover",
    "transparency",
    "advisories",
    "exchange",
    "playbooks",
    "impact",
)

log = logging.getLogger("accord")
log.addHandler(logging.NullHandler())  # not the last-resort handler: stderr gets our one line


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"accord: {message}", file=sys.stderr)
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
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
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"app.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"app.cli.{name}":
                raise
            continue
        module.register(sub, common)
    return parser


# What the shell reports for a process killed by SIGPIPE: the reader went away (``| head``).
BROKEN_PIPE = 141


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command. Every failure ends here as one line on stderr and its exit code; an
    unexpected one is named by its class and a reference only: the text of a database error
    carries SQL and its parameters (titles, descriptions), which never reach the screen or
    the log."""
    secrets = take_env_secrets()  # first of all: nothing started later may inherit them
    try:
        code = _run(argv, secrets)
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


def _run(argv: Sequence[str] | None, secrets: dict[str, str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.lang:
        from i18n import set_language

        set_language(args.lang)
    handler = getattr(args, "handler", None)
    if handler is None:
        # `accord` alone opens the GUI (views.entry); a bare group such as `accord case` lands here.
        parser.print_help(sys.stderr)
        return 2
    ctx = CliContext(args, secrets=secrets)
    try:
        return int(handler(ctx, args) or 0)
    except AccordError as exc:
        print(f"accord: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        raise
    except StaleDataError:
        # A change the service did not guard itself (app.concurrency guards the known ones).
        print(
            "accord: " + _("a record was changed by someone else meanwhile; reload and try again"),
            file=sys.stderr,
        )
        return 1
    except Exception as exc:
        if is_busy(exc):
            print(
                "accord: "
                + _(
                    "the workspace is busy: another program kept writing to it for more than "
                    "{n} seconds; try again"
                ).format(n=int(BUSY_SECONDS)),
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


if __name__ == "__main__":
    raise SystemExit(main())
