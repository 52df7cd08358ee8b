"""accord playbook list|start|status|complete|skip."""

from __future__ import annotations

import argparse
from typing import Any

from app.cli.context import CliContext
from app.errors import UsageError
from app.playbooks import runner
from app.playbooks.runner import RunStatus
from i18n import _
from i18n.data import playbook_text
from i18n.formatting import format_cli_time


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("playbook", help=_("run joint triage and impact playbooks on a case"))
    psub = p.add_subparsers(dest="playbook_command", metavar="ACTION")
    ls = psub.add_parser("list", parents=[common], help=_("list the shipped playbooks"))
    ls.set_defaults(handler=cmd_list)
    st = psub.add_parser("start", parents=[common], help=_("start a playbook on a case"))
    st.add_argument("case")
    st.add_argument("playbook")
    st.set_defaults(handler=cmd_start)
    ss = psub.add_parser("status", parents=[common], help=_("show a case's playbook run"))
    ss.add_argument("case")
    ss.add_argument("--playbook", help=_("which run, when several were started"))
    ss.set_defaults(handler=cmd_status)
    c = psub.add_parser("complete", parents=[common], help=_("complete a step with its outputs"))
    c.add_argument("case")
    c.add_argument("step")
    c.add_argument(
        "--output",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=_("an output of the step (repeatable)"),
    )
    c.add_argument("--playbook", help=_("which run, when the step id is in several"))
    c.set_defaults(handler=cmd_complete)
    sk = psub.add_parser("skip", parents=[common], help=_("skip a step, giving a reason"))
    sk.add_argument("case")
    sk.add_argument("step")
    sk.add_argument("--reason", required=True)
    sk.add_argument("--playbook", help=_("which run, when the step id is in several"))
    sk.set_defaults(handler=cmd_skip)


def parse_pairs(pairs: list[str], option: str) -> dict[str, str]:
    """``["k=v", ...]`` → dict; a pair without ``=`` is a usage error naming the option."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(
                _("{option} takes KEY=VALUE, not {pair}").format(option=option, pair=pair)
            )
        out[key.strip()] = value.strip()
    return out


def render(st: RunStatus) -> str:
    lines = [
        _("{case}: {title} ({playbook} {version}) — {state}").format(
            case=st.case_key,
            title=playbook_text(st.title),
            playbook=st.playbook,
            version=st.version,
            state=st.state,
        )
    ]
    for s in st.steps:
        due = format_cli_time(s.due_utc)
        who = s.completed_by or ""
        lines.append(
            f"  [{s.state:14}] {s.id:22} {s.owner:16} {due:20} {who}  {playbook_text(s.title)}"
        )
    return "\n".join(lines)


def cmd_list(ctx: CliContext, args: argparse.Namespace) -> int:
    items = runner.list_playbooks()
    ctx.emit(
        [p.as_json() for p in items],
        "\n".join(f"{p.id:28} {p.version:6} {p.steps:3}  {playbook_text(p.title)}" for p in items),
    )
    return 0


def cmd_start(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    with ws.session() as s:
        st = runner.start(s, ws.require_actor(), args.case, args.playbook)
    ctx.emit(st.as_json(), render(st))
    return 0


def cmd_status(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    with ws.session() as s:
        st = runner.status(s, args.case, args.playbook)
    ctx.emit(st.as_json(), render(st))
    return 0


def cmd_complete(ctx: CliContext, args: argparse.Namespace) -> int:
    outputs = parse_pairs(args.output, "--output")
    ws = ctx.open_workspace()
    with ws.session() as s:
        st = runner.complete(
            s, ws.require_actor(), args.case, args.step, outputs, playbook_id=args.playbook
        )
    ctx.emit(st.as_json(), render(st))
    return 0


def cmd_skip(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    with ws.session() as s:
        st = runner.skip(
            s, ws.require_actor(), args.case, args.step, args.reason, playbook_id=args.playbook
        )
    ctx.emit(st.as_json(), render(st))
    return 0
