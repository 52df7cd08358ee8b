"""accord analyst add|list."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from typing import Any

from app import analysts
from app.cli.context import CliContext
from i18n import _


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("analyst", help=_("manage analysts"))
    psub = p.add_subparsers(dest="analyst_command", metavar="ACTION")
    a = psub.add_parser("add", parents=[common], help=_("add an analyst"))
    a.add_argument("name")
    a.add_argument("--role", required=True, choices=["analyst", "shift-lead", "coordinator"])
    a.add_argument("--tz", default="UTC", help=_("the analyst's time zone"))
    a.set_defaults(handler=cmd_add)
    ls = psub.add_parser("list", parents=[common], help=_("list analysts"))
    ls.set_defaults(handler=cmd_list)


def cmd_add(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    with ws.session() as s:
        info = analysts.add(s, ws.require_actor(), args.name, args.role, args.tz)
    ctx.emit(asdict(info), _("Added {name} ({role}).").format(name=info.name, role=info.role))
    return 0


def cmd_list(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    with ws.session() as s:
        rows = analysts.list_all(s)
    ctx.emit(
        [asdict(r) for r in rows],
        "\n".join(f"{r.name:24} {r.role:12} {r.timezone}" for r in rows),
    )
    return 0
