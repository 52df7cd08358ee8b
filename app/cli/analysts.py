"""accord analyst add|list|passphrase|deactivate|reset."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from typing import Any

from app import analysts
from app import workspace as ws_mod
from app.cli.context import CliContext
from app.errors import UsageError
from app.identity import team, unlock
from i18n import _
from i18n.labels import role_label
from models import Analyst


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
    if ws.login is not None:
        return _add_login(ctx, args)
    if args.login:
        raise UsageError(_("--login is for a team database (--db)"))
    phrase = None
    with ws.session() as s:
        info = analysts.add(s, ws.require_actor(), args.name, args.role, args.tz)
        if ws.keys is not None:
            # Written before the analyst's row commits: no analyst without a slot.
            row = s.get(Analyst, info.id)
            assert row is not None
            phrase = unlock.issue_slot(ws, s, row)
    data = asdict(info)
    text = _("Added {name} ({role}).").format(name=info.name, role=role_label(info.role))
    if phrase is not None:
        data["one_time_passphrase"] = phrase
        text += "\n" + _(
            "One-time passphrase (shown once; {name} chooses their own at first unlock): "
            "{passphrase}"
        ).format(name=info.name, passphrase=phrase)
    ctx.emit(data, text)
    return 0


def _add_login(ctx: CliContext, args: argparse.Namespace) -> int:
    """On a team database an analyst is a login: created (one-time password) or mapped."""
    ws = ctx.open_workspace()
    with ws.session() as s:
        added = team.add_analyst(
            s, ws.require_actor(), args.name, args.role, args.tz, login=args.login
        )
    data: dict[str, Any] = {**asdict(added.info), "db_login": added.login}
    text = _("Added {name} ({role}) as login {login}.").format(
        name=added.info.name, role=added.info.role, login=added.login
    )
    if added.one_time_passphrase is not None:
        data["one_time_passphrase"] = added.one_time_passphrase
        text += "\n" + _(
            "One-time password of the login (shown once; {name} changes it with "
            "'accord analyst passphrase'): {passphrase}"
        ).format(name=added.info.name, passphrase=added.one_time_passphrase)
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
    if ws.login is not None:
        with ws.session() as s:
            login = team.deactivate(s, ws.require_actor(), args.name)
        ctx.emit(
            {"analyst": args.name, "active": False, "rekeyed": False, "db_login": login},
            _("{name} is deactivated; their login may no longer connect.").format(name=args.name),
        )
        return 0
    unlock.deactivate(ws, args.name)
    ctx.emit(
        {"analyst": args.name, "active": False, "rekeyed": ws.keys is not None},
        _("{name} is deactivated; the workspace key was rotated.").format(name=args.name),
    )
    return 0


def cmd_reset(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    if ws.login is not None:
        with ws.session() as s:
            phrase = team.reset_password(s, ws.require_actor(), args.name)
    else:
        phrase = unlock.reset_slot(ws, args.name)
    ctx.emit(
        {"analyst": args.name, "one_time_passphrase": phrase},
        _("One-time passphrase for {name} (shown once): {passphrase}").format(
            name=args.name, passphrase=phrase
        ),
    )
    return 0


def cmd_list(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    with ws.session() as s:
        rows = analysts.list_all(s)
    ctx.emit(
        [asdict(r) for r in rows],
        "\n".join(f"{r.name:24} {role_label(r.role):12} {r.timezone}" for r in rows),
    )
    return 0
