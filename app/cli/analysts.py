"""accord analyst add|list|passphrase|deactivate|reset."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from typing import Any

from app import analysts
from app import workspace as ws_mod
from app.cli.context import CliContext
from app.errors import UsageError
from app.identity import unlock
from i18n import _
from models import Analyst


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
    pw = psub.add_parser(
        "passphrase", parents=[common],
        help=_("change your own passphrase (ACCORD_NEW_PASSPHRASE for automation)"),
    )  # fmt: skip
    pw.set_defaults(handler=cmd_passphrase)
    d = psub.add_parser(
        "deactivate", parents=[common],
        help=_("remove an analyst's key slot and rotate the workspace key"),
    )  # fmt: skip
    d.add_argument("name")
    d.set_defaults(handler=cmd_deactivate)
    r = psub.add_parser(
        "reset", aliases=["add-slot"], parents=[common],
        help=_("give an analyst a new one-time passphrase"),
    )  # fmt: skip
    r.add_argument("name")
    r.set_defaults(handler=cmd_reset)


def cmd_add(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    phrase = None
    with ws.session() as s:
        info = analysts.add(s, ws.require_actor(), args.name, args.role, args.tz)
        if ws.keys is not None:
            # Written before the analyst's row commits: no analyst without a slot.
            row = s.get(Analyst, info.id)
            assert row is not None
            phrase = unlock.issue_slot(ws, s, row)
    data = asdict(info)
    text = _("Added {name} ({role}).").format(name=info.name, role=info.role)
    if phrase is not None:
        data["one_time_passphrase"] = phrase
        text += "\n" + _(
            "One-time passphrase (shown once; {name} chooses their own at first unlock): "
            "{passphrase}"
        ).format(name=info.name, passphrase=phrase)
    ctx.emit(data, text)
    return 0


def cmd_passphrase(ctx: CliContext, args: argparse.Namespace) -> int:
    asked: list[str] = []

    def remember() -> str:
        asked.append(_required(ctx.new_passphrase()))
        return asked[-1]

    # A one-time slot changes its passphrase while unlocking; otherwise change it now.
    ctx._ws = ws_mod.open_workspace(
        ctx.directory, ctx.passphrase(), analyst=ctx.selector, new_passphrase=remember
    )
    ws = ctx._ws
    if not asked:
        unlock.change_passphrase(ws, _required(ctx.new_passphrase()))
    actor = ws.require_actor()
    ctx.emit(
        {"analyst": actor.name, "passphrase_changed": True},
        _("{name}: passphrase changed.").format(name=actor.name),
    )
    return 0


def _required(phrase: str | None) -> str:
    if phrase is None:
        raise UsageError(_("set ACCORD_NEW_PASSPHRASE or run in a terminal"))
    return phrase


def cmd_deactivate(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    unlock.deactivate(ws, args.name)
    ctx.emit(
        {"analyst": args.name, "active": False, "rekeyed": ws.keys is not None},
        _("{name} is deactivated; the workspace key was rotated.").format(name=args.name),
    )
    return 0


def cmd_reset(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    phrase = unlock.reset_slot(ws, args.name)
    ctx.emit(
        {"analyst": args.name, "one_time_passphrase": phrase},
        _("One-time passphrase for {name} (shown once): {passphrase}").format(
            name=args.name, passphrase=phrase
        ),
    )
    return 0


def cmd_list(ctx: CliContext, args: argparse.Namespace) -> int:
    # Anyone who can open the workspace may see who works in it: on a team database that is
    # how one learns the name for --as, so no acting analyst is needed here.
    ws = ctx.open_workspace(act=False)
    with ws.session() as s:
        rows = analysts.list_all(s)
    ctx.emit(
        [asdict(r) for r in rows],
        "\n".join(f"{r.name:24} {r.role:12} {r.timezone}" for r in rows),
    )
    return 0
