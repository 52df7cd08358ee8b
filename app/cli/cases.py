"""accord cases list, accord case new|show|transition|assign."""

from __future__ import annotations

import argparse
from typing import Any

from app.casework import workflow
from app.cli.context import CliContext
from app.queueing import queue
from i18n import _
from models import CaseStatus

# The service modules of `case` load in its handlers and registrar: `accord cases list` runs
# at every call of a script and needs only the queue (each of them brings more models).


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    register_list(sub, common)
    register_case_group(sub, common)


def register_list(sub: Any, common: argparse.ArgumentParser) -> None:
    """``accord cases list`` alone (app.cli.main.build_parser calls this for `cases`)."""
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


def register_case_group(sub: Any, common: argparse.ArgumentParser) -> None:
    """``accord case …``: this module's actions, then the other modules' (a group's help
    lists them in this order)."""
    from app.cli import casework as casework_cmds
    from app.cli.parties import register_case as register_parties
    from app.cli.trust_cmds import add_override, register_case

    c = sub.add_parser("case", help=_("open, show, move and assign cases"))
    csub = c.add_subparsers(dest="case_command", metavar="ACTION")
    n = csub.add_parser("new", parents=[common], help=_("open a case"))
    n.add_argument("--title", required=True)
    n.add_argument("--description", default="")
    n.add_argument("--tlp", help=_("the case's TLP (CLEAR, GREEN, AMBER, AMBER+STRICT, RED)"))
    n.add_argument(
        "--jurisdiction", action="append", default=[], metavar="CODE",
        help=_("a jurisdiction or programme whose clocks apply (repeatable)"),
    )  # fmt: skip
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
    register_parties(csub, common)
    casework_cmds.register_case(csub, common)


# One registrar per command of this module: app.cli.main.build_parser calls only the one of
# the command being run, so `cases list` never imports the modules of `case`.
REGISTER = {"cases": register_list, "case": register_case_group}


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
    with ws.reading() as conn:  # Core: this command loads no ORM (models/schema.py)
        rows = queue.page(conn, q, ws.actor, limit=args.limit)
    ctx.emit(
        [r.as_json() for r in rows],
        "\n".join(
            f"{r.key:15} {r.status:13} {(r.tier or '-'):13} {(r.assignee or '-'):16} {r.title}"
            for r in rows
        ),
    )
    return 0


def cmd_new(ctx: CliContext, args: argparse.Namespace) -> int:
    from app.casework import cases
    from app.casework import summary as case_summary  # here: the rule sets load on demand
    from app.cli.deadlines import rules_for

    ws = ctx.open_workspace()
    with ws.session() as s:
        key = case_summary.open_case(
            s, ws.require_actor(), args.title, args.description,
            tlp=args.tlp, codes=args.jurisdiction, rules=rules_for(ws),
        )  # fmt: skip
        info = cases.detail(s, key)
    ctx.emit(info.as_json(), _("Opened {key}.").format(key=info.key))
    return 0


def cmd_show(ctx: CliContext, args: argparse.Namespace) -> int:
    from app.casework import cases
    from app.casework import view as case_view
    from app.cli.intake import attachment_lines  # here: the import pipeline is heavy to load
    from app.intake import records

    ws = ctx.open_workspace()
    with ws.session() as s:
        info = cases.detail(s, args.id)
        files = records.attachments(s, case_id=info.id)
        extra = case_view.extras(s, ws.actor, info.key)
    lines = [
        f"{info.key}  {info.title}",
        _("reference: {ref}   TLP:{tlp}   embargo until: {until}").format(
            ref=extra["ref"] or "-", tlp=extra["tlp"], until=extra["embargo_until"] or "-"
        ),
        _("status: {status}   tier: {tier}   assignee: {assignee}").format(
            status=info.status, tier=info.tier or "-", assignee=info.assignee or "-"
        ),
        _("allowed transitions: {states}").format(states=", ".join(info.allowed_transitions)),
        *attachment_lines(files),
        *case_view.lines(extra),
        "",
        info.description,
    ]
    ctx.emit(
        {**info.as_json(), "attachments": [a.as_json() for a in files], **extra},
        "\n".join(lines),
    )
    return 0


def cmd_transition(ctx: CliContext, args: argparse.Namespace) -> int:
    from app.casework import cases

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
    from app.casework import cases

    ws = ctx.open_workspace()
    with ws.session() as s:
        previous = cases.assign(s, ws.require_actor(), args.id, args.analyst)
    ctx.emit(
        {"id": args.id.upper(), "from": previous, "to": args.analyst},
        _("{key} assigned to {analyst}.").format(key=args.id.upper(), analyst=args.analyst),
    )
    return 0
