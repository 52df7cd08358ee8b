"""accord queue --filter NAME [--assign-to ANALYST]: saved filters and bulk assignment."""

from __future__ import annotations

import argparse
from typing import Any

from app.cli.context import CliContext
from app.queueing import filters as queue_filters
from app.queueing import queue
from i18n import _


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    q = sub.add_parser("queue", parents=[common], help=_("the case queue through a saved filter"))
    q.add_argument(
        "--filter",
        required=True,
        metavar="NAME",
        help=_(
            "mine, unassigned, due-24h, overdue, open, jurisdiction:EU, tier:High, "
            "partner:NAME, status:S, assignee:NAME; combine with +"
        ),
    )
    q.add_argument("--limit", type=int, default=200)
    q.add_argument(
        "--assign-to",
        metavar="ANALYST",
        help=_("assign every matching case (one transaction); '-' unassigns"),
    )
    q.set_defaults(handler=cmd_queue)


def cmd_queue(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    spec = queue_filters.parse(args.filter)
    with ws.session() as s:
        rows = queue.page(s, spec.query, ws.actor, limit=args.limit)
        if args.assign_to:
            target = None if args.assign_to == "-" else args.assign_to
            previous = queue_filters.bulk_assign(
                s, ws.require_actor(), [r.key for r in rows], target
            )
            ctx.emit(
                {"filter": spec.name, "assigned": sorted(previous), "to": target},
                _("{n} cases assigned to {analyst}").format(n=len(previous), analyst=target or "-"),
            )
            return 0
    data = []
    for r in rows:
        item = r.as_json()
        item["countdown"] = queue_filters.countdown(r.next_deadline_utc)
        item["overdue"] = queue_filters.is_overdue(r.next_deadline_utc)
        data.append(item)
    ctx.emit(
        data,
        "\n".join(
            f"{'!' if d['overdue'] else ' '} {r.key:15} {r.status:13} {(r.tier or '-'):13} "
            f"{(r.assignee or '-'):12} {d['countdown']:22} {r.title}"
            for r, d in zip(rows, data, strict=True)
        ),
    )
    return 0
