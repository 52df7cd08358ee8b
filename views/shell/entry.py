"""The ``accord`` console script: no command opens the GUI, any command runs the CLI."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from app.cli.context import take_env_secrets
from app.cli.main import build_parser, command_of
from app.cli.main import main as cli_main


def main(argv: Sequence[str] | None = None) -> int:
    then_exit = argv is None  # the console script: the process ends with the command
    argv = list(sys.argv[1:] if argv is None else argv)
    if command_of(argv) is None:
        # Global options only (or --help): a parser that imports no command module.
        args = build_parser(argv).parse_args(argv)
        if args.command is None:
            from views.shell.application import run_gui

            # The GUI asks for the passphrase; the variables must not reach its child processes.
            take_env_secrets()
            return run_gui(args)
    return cli_main(argv, then_exit=then_exit)


if __name__ == "__main__":
    raise SystemExit(main())
