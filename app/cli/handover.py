"""accord handover new|show|edit|sign|ack|list."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from app.cli.context import CliContext
from app.shift import handover
from i18n import _
from i18n.formatting import format_cli_time


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    h = sub.add_parser("handover", help=_("shift handover"))
    hs = h.add_subparsers(dest="handover_command", metavar="ACTION")
    n = hs.add_parser("new", parents=[common], help=_("draft a handover from the audit log"))
    n.set_defaults(handler=cmd_new)
    s = hs.add_parser("show", parents=[common], help=_("show a handover"))
    s.add_argument("id", type=int)
    s.set_defaults(handler=cmd_show)
    e = hs.add_parser("edit", parents=[common], help=_("replace a draft's text"))
    e.add_argument("id", type=int)
    src = e.add_mutually_exclusive_group(required=True)
    src.add_argument("--text")
    src.add_argument("--file", type=Path, help=_("read the text from a file ('-' for stdin)"))
    e.set_defaults(handler=cmd_edit)
    sg = hs.add_parser("sign", parents=[common], help=_("sign off a handover (outgoing lead)"))
    sg.add_argument("id", type=int)
    sg.set_defaults(handler=cmd_sign)
    a = hs.add_parser("ack", parents=[common], help=_("acknowledge a handover (incoming lead)"))
    a.add_argument("id", type=int)
    a.set_defaults(handler=cmd_ack)
    ls = hs.add_parser("list", parents=[common], help=_("handover history"))
    ls.set_defaults(handler=cmd_list)


def _line(h: handover.HandoverInfo) -> str:
    state = _(handover.STATE_LABELS[h.state])
    return f"#{h.id:<4} {state:12} {format_cli_time(h.period_end):20} {h.author or '-'}"


def _emit(ctx: CliContext, h: handover.HandoverInfo) -> int:
    ctx.emit(h.as_json(), _line(h) + "\n\n" + h.body)
    return 0


def cmd_new(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    with ws.session() as s:
        return _emit(ctx, handover.new(s, ws.require_actor()))


def cmd_show(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    with ws.session() as s:
        return _emit(ctx, handover.show(s, args.id))


def cmd_edit(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    if args.text is not None:
        body = args.text
    elif str(args.file) == "-":
        body = sys.stdin.read()
    else:
        body = args.file.read_text(encoding="utf-8")
    with ws.session() as s:
        return _emit(ctx, handover.edit(s, ws.require_actor(), args.id, body))


def cmd_sign(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    with ws.session() as s:
        return _emit(ctx, handover.sign(s, ws.require_actor(), args.id))


def cmd_ack(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    with ws.session() as s:
        return _emit(ctx, handover.acknowledge(s, ws.require_actor(), args.id))


def cmd_list(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    with ws.session() as s:
        rows = handover.history(s)
    ctx.emit([h.as_json() for h in rows], "\n".join(_line(h) for h in rows))
    return 0
