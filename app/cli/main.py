"""``accord``: every job headless. Exit codes: 0 ok, 1 error, 2 usage, 3 locked, 4 verification."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from app.cli.context import CliContext, take_env_secrets
from app.errors import AccordError
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


def main(argv: Sequence[str] | None = None) -> int:
    secrets = take_env_secrets()  # first of all: nothing started later may inherit them
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
    finally:
        ctx.close()


if __name__ == "__main__":
    raise SystemExit(main())
