"""accord score, accord ssvc, accord taxonomy list, accord assess."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from app import severity
from app.cli.context import CliContext, dumps
from app.errors import UsageError
from i18n import _
from taxonomy import ai, ssvc


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    sc = sub.add_parser("score", parents=[common], help=_("score CVSS 3.0/3.1/4.0 vectors"))
    sc.add_argument("vectors", nargs="*", metavar="VECTOR")
    sc.add_argument("--stdin", action="store_true", help=_("read one vector per line"))
    sc.set_defaults(handler=cmd_score)

    sv = sub.add_parser("ssvc", parents=[common], help=_("evaluate an SSVC decision table"))
    sv.add_argument(
        "table", choices=ssvc.TABLE_NAMES, metavar="TABLE", help=", ".join(ssvc.TABLE_NAMES)
    )
    sv.add_argument("pairs", nargs="*", metavar="KEY=VALUE")
    sv.set_defaults(handler=cmd_ssvc)

    tx = sub.add_parser("taxonomy", help=_("the AI vulnerability taxonomy"))
    txs = tx.add_subparsers(dest="taxonomy_command", metavar="ACTION")
    ls = txs.add_parser("list", parents=[common], help=_("list one taxonomy"))
    ls.add_argument("name", choices=ai.LISTS, metavar="LIST", help=", ".join(ai.LISTS))
    ls.set_defaults(handler=cmd_taxonomy_list)

    a = sub.add_parser(
        "assess", parents=[common], help=_("assess a case with the shared severity model")
    )
    a.add_argument("case")
    a.add_argument("--cvss", required=True, metavar="VECTOR")
    a.add_argument(
        "--ssvc",
        nargs="+",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=_(
            "SSVC decision points; table=NAME picks a table other than cisa; repeat --ssvc "
            "table=NAME … to record more tables (coordinator-triage, coordinator-publication)"
        ),
    )
    a.add_argument(
        "--ai",
        nargs="+",
        default=[],
        metavar="KEY=VALUE",
        help=_("access, success=K/N, transferability, harm, class"),
    )
    a.add_argument("--sector", default="general")
    a.add_argument("--rationale", default="", help=_("why, in the analyst's words"))
    a.set_defaults(handler=cmd_assess)
    h = sub.add_parser("assessments", parents=[common], help=_("a case's assessment history"))
    h.add_argument("case")
    h.set_defaults(handler=cmd_history)


def cmd_score(ctx: CliContext, args: argparse.Namespace) -> int:
    vectors = list(args.vectors)
    if args.stdin:
        vectors += [line.strip() for line in sys.stdin if line.strip()]
    if not vectors:
        raise UsageError(_("give one or more vectors, or --stdin"))
    bad = 0
    for vector in vectors:
        row = severity.score_line(vector)
        bad += "error" in row
        if ctx.json:
            print(dumps(row), file=ctx.out)
        elif "error" in row:
            print(_("{vector}: error: {error}").format(**row), file=ctx.out)
        else:
            print(_("{vector}: {score} {severity}").format(**row), file=ctx.out)
    return 1 if bad else 0


def cmd_ssvc(ctx: CliContext, args: argparse.Namespace) -> int:
    result = severity.decide_ssvc(args.table, args.pairs)
    ctx.emit(result, _("{table}: {decision} ({outcome_key})").format(**result))
    return 0


def cmd_taxonomy_list(ctx: CliContext, args: argparse.Namespace) -> int:
    rows = severity.taxonomy_list(args.name)
    ctx.emit(rows, "\n".join(f"{r['id']:16} {r['name']}" for r in rows))
    return 0


def cmd_assess(ctx: CliContext, args: argparse.Namespace) -> int:
    first, *more = args.ssvc or [[]]
    inputs = severity.build_inputs(args.cvss, first, args.ai, args.sector, ssvc_groups=more)
    severity.evaluate(inputs)  # refuse bad input before unlocking the workspace
    ws = ctx.open_workspace()
    with ws.session() as s:
        data = severity.assess(s, ws.require_actor(), args.case, inputs, rationale=args.rationale)
    text = _("{case}: {tier} (respond within {sla_hours} h, {model})").format(**data)
    ctx.emit(data, text + "\n" + data["explanation"])
    return 0


def cmd_history(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    with ws.session() as s:
        rows = severity.history(s, args.case)
    ctx.emit(
        rows,
        "\n".join(
            f"{r['at'][:16]}  {(r['analyst'] or '-'):12} {r['tier']:13} {r['cvss_vector']}"
            for r in rows
        ),
    )
    return 0
