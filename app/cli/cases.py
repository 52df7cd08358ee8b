"""accord cases list, accord case new|show|transition|assign."""

from __future__ import annotations

import argparse
from typing import Any

from app import cases, queue, workflow
from app.cli.context import CliContext
from app.cli.intake import attachment_lines
from app.cli.trust_cmds import add_override, register_case
from app.intake import records
from i18n import _
from models import CaseStatus


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    ls = sub.add_parser("cases", help=_("list cases"))
    lsub = ls.add_subparsers(dest="cases_command", metavar="ACTION")
    lp = lsub.add_parser("list", parents=[common], help=_("list the case queue"))
    lp.add_argument(
        "--status",
        action="append",
        default=[],
        choices=["open", *(s.value for s in CaseStatus)],
        help=_("repeatable; 'open' is every state with work still to do"),
    )
    lp.add_argument("--assignee", help=_("an analyst, 'me' or 'unassigned'"))
    lp.add_argument("--search", default="", help=_("full-text search"))
    lp.add_argument("--sort", default="id", choices=queue.SORTABLE)
    lp.add_argument("--desc", action="store_true")
    lp.add_argument("--limit", type=int, default=100)
    lp.set_defaults(handler=cmd_list)

    c = sub.add_parser("case", help=_("open, show, move and assign cases"))
    csub = c.add_subparsers(dest="case_command", metavar="ACTION")
    n = csub.add_parser("new", parents=[common], help=_("open a case"))
    n.add_argument("--title", required=True)
    n.add_argument("--description", default="")
    n.set_defaults(handler=cmd_new)
    sh = csub.add_parser("show", parents=[common], help=_("show a case"))
    sh.add_argument("id")
    sh.set_defaults(handler=cmd_show)
    t = csub.add_parser("transition", parents=[common], help=_("move a case to another state"))
    t.add_argument("id")
    t.add_argument("state")
    t.add_argument("--reason", required=True)
    add_override(t)
    t.set_defaults(handler=cmd_transition)
    a = csub.add_parser("assign", parents=[common], help=_("assign a case to an analyst"))
    a.add_argument("id")
    a.add_argument("analyst")
    a.set_defaults(handler=cmd_assign)
    register_case(csub, common)


def cmd_list(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    wanted: list[str] = []
    for status in args.status:
        wanted += workflow.open_values() if status == "open" else [status]
    q = queue.QueueQuery(
        statuses=tuple(dict.fromkeys(wanted)),  # in order, once each
        assignee=args.assignee,
        text=args.search,
        sort=args.sort,
        descending=args.desc,
    )
    with ws.session() as s:
        rows = queue.page(s, q, ws.actor, limit=args.limit)
    ctx.emit(
        [r.as_json() for r in rows],
        "\n".join(
            f"{r.key:15} {r.status:13} {(r.tier or '-'):13} {(r.assignee or '-'):16} {r.title}"
            for r in rows
        ),
    )
    return 0


def cmd_new(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    with ws.session() as s:
        case = cases.create_case(s, ws.require_actor(), args.title, args.description)
        info = cases.detail(s, case.key)
    ctx.emit(info.as_json(), _("Opened {key}.").format(key=info.key))
    return 0


def cmd_show(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    with ws.session() as s:
        info = cases.detail(s, args.id)
        files = records.attachments(s, case_id=info.id)
    lines = [
        f"{info.key}  {info.title}",
        _("status: {status}   tier: {tier}   assignee: {assignee}").format(
            status=info.status, tier=info.tier or "-", assignee=info.assignee or "-"
        ),
        _("allowed transitions: {states}").format(states=", ".join(info.allowed_transitions)),
        *attachment_lines(files),
        "",
        info.description,
    ]
    ctx.emit({**info.as_json(), "attachments": [a.as_json() for a in files]}, "\n".join(lines))
    return 0


def cmd_transition(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    with ws.session() as s:
        old, new = cases.transition(
            s, ws.require_actor(), args.id, args.state, args.reason, override=args.override
        )
    ctx.emit(
        {"id": args.id.upper(), "from": old, "to": new},
        _("{key}: {old} → {new}").format(key=args.id.upper(), old=old, new=new),
    )
    return 0


def cmd_assign(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    with ws.session() as s:
        previous = cases.assign(s, ws.require_actor(), args.id, args.analyst)
    ctx.emit(
        {"id": args.id.upper(), "from": previous, "to": args.analyst},
        _("{key} assigned to {analyst}.").format(key=args.id.upper(), analyst=args.analyst),
    )
    return 0
