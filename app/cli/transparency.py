"""accord report transparency --from DATE --to DATE --out DIR."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from app.auditing import transparency
from app.cli.context import CliContext
from app.cli.deadlines import group, rules_for
from app.workspaces import lifecycle as ws_mod
from i18n import _


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    rsub = group(sub, "report", _("reports"), "report_command")
    t = rsub.add_parser(
        "transparency", parents=[common], help=_("write the public (TLP:CLEAR) transparency report")
    )
    t.add_argument("--from", dest="start", required=True, metavar="DATE")
    t.add_argument("--to", dest="end", required=True, metavar="DATE")
    t.add_argument("--out", required=True, type=Path, metavar="DIR")
    t.add_argument(
        "--min-count",
        type=int,
        default=transparency.MIN_COUNT,
        metavar="N",
        help=_("counts under N are shown as “< N” (default {n})").format(n=transparency.MIN_COUNT),
    )
    t.set_defaults(handler=cmd_transparency)


def cmd_transparency(ctx: CliContext, args: argparse.Namespace) -> int:
    start, end = transparency.parse_date(args.start), transparency.parse_date(args.end)
    ws = ctx.open_workspace()
    org = ws_mod.org_name(ws)
    with ws.session() as s:
        files = transparency.write(
            s, ws.require_actor(), start, end, args.out, org, rules_for(ws),
            min_count=args.min_count,
        )  # fmt: skip
    ctx.emit(
        {"out": str(args.out), "files": [p.name for p in files]},
        _("Wrote {n} files to {dir}").format(n=len(files), dir=args.out),
    )
    return 0
