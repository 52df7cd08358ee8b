"""accord analyst add|list|passphrase|deactivate|reset."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from typing import Any

from app.cli.context import CliContext
from app.errors import UsageError
from app.identity import admin, analysts, team, unlock
from app.workspaces import lifecycle as ws_mod
from i18n import _
from i18n.labels import role_label


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("analyst", help=_("manage analysts"))
    psub = p.add_subparsers(dest="analyst_command", metavar="ACTION")
    a = psub.add_parser("add", parents=[common], help=_("add an analyst"))
    a.add_argument("name")
    a.add_argument("--role", required=True, choices=["analyst", "shift-lead", "coordinator"])
    a.add_argument("--tz", default="UTC", help=_("the analyst's time zone"))
    a.add_argument(
        "--login",
        help=_("team database: map this existing login instead of creating one"),
    )
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
    added = admin.add(ws, args.name, args.role, args.tz, login=args.login)
    info = added.info
    data: dict[str, Any] = asdict(info)
    if added.db_login is not None:
        # On a team database an analyst is a login: created (one-time password) or mapped.
        data["db_login"] = added.db_login
        text = _("Added {name} ({role}) as login {login}.").format(
            name=info.name, role=role_label(info.role), login=added.db_login
        )
        if added.one_time_passphrase is not None:
            data["one_time_passphrase"] = added.one_time_passphrase
            text += "\n" + _(
                "One-time password of the login (shown once; {name} changes it with "
                "'accord analyst passphrase'): {passphrase}"
            ).format(name=info.name, passphrase=added.one_time_passphrase)
        ctx.emit(data, text)
        return 0
    text = _("Added {name} ({role}).").format(name=info.name, role=role_label(info.role))
    if added.one_time_passphrase is not None:
        data["one_time_passphrase"] = added.one_time_passphrase
        text += "\n" + _(
            "One-time passphrase (shown once; {name} chooses their own at first unlock): "
            "{passphrase}"
        ).format(name=info.name, passphrase=added.one_time_passphrase)
    ctx.emit(data, text)
    return 0


def cmd_passphrase(ctx: CliContext, args: argparse.Namespace) -> int:
    if ctx.db_url:
        ws = ctx.open_workspace()
        with ws.session() as s:
            team.change_own_password(s, ws.require_actor(), _required(ctx.new_passphrase()))
        actor = ws.require_actor()
        ctx.emit(
            {"analyst": actor.name, "passphrase_changed": True},
            _("{name}: passphrase changed.").format(name=actor.name),
        )
        return 0
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
    done = admin.deactivate(ws, args.name)
    if ws.login is not None:
        ctx.emit(
            {"analyst": args.name, "active": False, "rekeyed": False, "db_login": done.db_login},
            _("{name} is deactivated; their login may no longer connect.").format(name=args.name),
        )
        return 0
    ctx.emit(
        {"analyst": args.name, "active": False, "rekeyed": done.rekeyed},
        _("{name} is deactivated; the workspace key was rotated.").format(name=args.name),
    )
    return 0


def cmd_reset(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    phrase = admin.reset(ws, args.name)
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
        "\n".join(f"{r.name:24} {role_label(r.role):12} {r.timezone}" for r in rows),
    )
    return 0
