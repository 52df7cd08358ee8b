"""accord impact CASE --inventory FILE... [--assume KEY=VALUE...] [--map COLUMN=FIELD...]."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from app import impact
from app.cli.context import CliContext
from app.cli.playbooks import parse_pairs
from i18n import _


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "impact",
        parents=[common],
        help=_("estimate who is affected, from deployment inventories and AI-BOMs"),
    )
    p.add_argument("case")
    p.add_argument(
        "--inventory",
        action="append",
        required=True,
        metavar="FILE",
        help=_("CSV, XLSX or CycloneDX 1.5/1.6 JSON (repeatable)"),
    )
    p.add_argument(
        "--assume",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=_("vulnerable_share=LOW:LIKELY:HIGH, users_per_deployment=N (repeatable)"),
    )
    p.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="COLUMN=FIELD",
        help=_("map a sheet column to a field: {fields}").format(fields=", ".join(impact.FIELDS)),
    )
    p.set_defaults(handler=cmd_impact)


def render(result: dict[str, Any]) -> str:
    users = result["users"]
    lines = [
        _(
            "{key}: {n} affected deployments at {orgs} organisations ({possible} possibly affected)"
        ).format(
            key=result["case"],
            n=result["affected_deployments"],
            orgs=result["organisations"],
            possible=result["possibly_affected"],
        ),
        _("users: low {low}, likely {likely}, high {high}").format(**users),
        _("by sector: {items}").format(
            items=", ".join(f"{k} {v}" for k, v in result["by_sector"].items()) or "-"
        ),
        _("by country: {items}").format(
            items=", ".join(f"{k} {v}" for k, v in result["by_country"].items()) or "-"
        ),
        _("assumptions:"),
    ]
    lines += [f"  - {a['statement']}" for a in result["assumptions"]]
    return "\n".join(lines)


def cmd_impact(ctx: CliContext, args: argparse.Namespace) -> int:
    mapping = impact.parse_mapping(args.map)
    assumptions = parse_pairs(args.assume, "--assume")
    inventories = impact.load([Path(f) for f in args.inventory], mapping)
    ws = ctx.open_workspace()
    with ws.session() as s:
        result = impact.estimate(s, ws.require_actor(), args.case, inventories, assumptions)
    ctx.emit(result, render(result))
    return 0
