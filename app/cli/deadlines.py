"""accord case set|jurisdictions, accord deadlines ID, accord deadline met|configure|rules|check."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from app import deadlines as dl
from app.cli.context import CliContext
from app.deadlines import evidence
from app.deadlines.rules import for_workspace
from app.errors import UsageError
from app.workspaces.lifecycle import Workspace
from i18n import _
from i18n.data import jurisdiction_text, rule_text
from i18n.formatting import format_cli_time
from i18n.labels import deadline_state_label


def group(sub: Any, name: str, help_text: str, dest: str) -> Any:
    """The sub-command group ``name`` (its subparsers action), created if no module made it yet."""
    parser = sub.choices.get(name)
    if parser is None:
        parser = sub.add_parser(name, help=help_text)
        return parser.add_subparsers(dest=dest, metavar="ACTION")
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return parser.add_subparsers(dest=dest, metavar="ACTION")


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    csub = group(sub, "case", _("open, show, move and assign cases"), "case_command")
    st = csub.add_parser("set", parents=[common], help=_("record dated facts that start clocks"))
    st.add_argument("id")
    st.add_argument(
        "facts",
        nargs="+",
        metavar="FACT=ISO-8601-TIME",
        help=_("e.g. exploited-aware=2026-03-28T23:30+01:00; FACT= clears it"),
    )
    st.set_defaults(handler=cmd_set)
    j = csub.add_parser(
        "jurisdictions", parents=[common], help=_("add or remove jurisdictions and programmes")
    )
    j.add_argument("id")
    j.add_argument("--add", action="append", default=[], metavar="CODE")
    j.add_argument("--remove", action="append", default=[], metavar="CODE")
    j.set_defaults(handler=cmd_jurisdictions)
    ro = csub.add_parser(
        "roles",
        parents=[common],
        help=_("record the duty-holder roles on a case (whose obligations apply)"),
    )
    ro.add_argument("id")
    ro.add_argument(
        "--add",
        action="append",
        default=[],
        metavar="ROLE[=PARTY]",
        help=_("e.g. manufacturer=Vendor X; coordinator=this-cert makes that role ours"),
    )
    ro.add_argument("--remove", action="append", default=[], metavar="ROLE[=PARTY]")
    ro.set_defaults(handler=cmd_roles)

    d = sub.add_parser(
        "deadlines", parents=[common], help=_("a case's obligations, earliest first")
    )
    d.add_argument("id")
    d.set_defaults(handler=cmd_deadlines)

    dsub = group(sub, "deadline", _("record and configure deadlines"), "deadline_command")
    m = dsub.add_parser("met", parents=[common], help=_("record an obligation as met"))
    m.add_argument("id")
    m.add_argument("rule")
    m.add_argument("--evidence", required=True)
    m.set_defaults(handler=cmd_met)
    cf = dsub.add_parser("configure", parents=[common], help=_("set a configurable rule's offset"))
    cf.add_argument("rule")
    g = cf.add_mutually_exclusive_group(required=True)
    g.add_argument("--amount", type=int, help=_("the offset in the rule's own unit"))
    g.add_argument("--reset", action="store_true")
    cf.set_defaults(handler=cmd_configure)
    ov = dsub.add_parser(
        "override", parents=[common], help=_("change one rule's period on one case, with a reason")
    )
    ov.add_argument("id")
    ov.add_argument("rule")
    ov.add_argument("--amount", type=int, help=_("the offset in the rule's own unit"))
    ov.add_argument("--computation", choices=["exact", "calendar", "end-of-day", "working-day"])
    ov.add_argument("--reason", required=True)
    ov.add_argument("--reset", action="store_true")
    ov.set_defaults(handler=cmd_override)
    pr = dsub.add_parser(
        "proposals", parents=[common], help=_("dated facts read from a case's documents")
    )
    pr.add_argument("id", nargs="?", help=_("a case; without it, every case with documents"))
    pr.set_defaults(handler=cmd_proposals)
    for name, accept in (("accept", True), ("reject", False)):
        ac = dsub.add_parser(
            name,
            parents=[common],
            help=_("accept fact proposals (records the facts)")
            if accept
            else _("reject fact proposals"),
        )
        ac.add_argument("proposals", nargs="*", type=int, metavar="PROPOSAL")
        ac.add_argument("--case", help=_("every open proposal of this case"))
        ac.add_argument("--all", action="store_true", help=_("every open proposal (an import)"))
        ac.set_defaults(handler=cmd_decide, accept=accept)
    rc = dsub.add_parser(
        "recompute", parents=[common], help=_("recompute the deadlines of every open case")
    )
    rc.add_argument("--missing", action="store_true", help=_("only cases without deadlines"))
    rc.set_defaults(handler=cmd_recompute)
    rl = dsub.add_parser("rules", parents=[common], help=_("list the jurisdiction rules"))
    rl.set_defaults(handler=cmd_rules)
    ck = dsub.add_parser("check", parents=[common], help=_("validate a team's rules file"))
    ck.add_argument("file", type=Path)
    ck.set_defaults(handler=cmd_check)


def rules_for(ws: Workspace) -> dl.RuleSet:
    """Shipped rules plus the team's files in WORKSPACE/jurisdictions and ACCORD_JURISDICTIONS."""
    return for_workspace(ws.directory)


def _analyst_zone(ws: Workspace) -> str:
    from sqlalchemy import select

    from models import Analyst

    actor = ws.require_actor()
    with ws.session() as s:
        return s.scalar(select(Analyst.timezone).where(Analyst.id == actor.id)) or "UTC"


def cmd_set(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    rules = rules_for(ws)
    zone = _analyst_zone(ws)
    parsed = []
    for item in args.facts:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise UsageError(_("{item}: write FACT=ISO-8601-TIME").format(item=item))
        parsed.append((name, dl.parse_time(value, zone) if value.strip() else None))
    out = []
    with ws.session() as s:
        for name, at in parsed:
            old = dl.set_fact(s, ws.require_actor(), args.id, name, at, rules)
            out.append({"fact": name.strip().lower(), "from": old, "to": at})
        views = dl.deadlines(s, ws.actor, args.id, rules)
    ctx.emit(
        {"id": args.id.upper(), "facts": out, "deadlines": [v.as_json() for v in views]},
        "\n".join(
            _("{key}: {fact} = {at}").format(
                key=args.id.upper(), fact=f["fact"], at=format_cli_time(f["to"])
            )
            for f in out
        ),
    )
    return 0


def cmd_jurisdictions(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    with ws.session() as s:
        codes = dl.set_jurisdictions(
            s, ws.require_actor(), args.id, args.add, args.remove, rules_for(ws)
        )
    ctx.emit(
        {"id": args.id.upper(), "jurisdictions": codes},
        _("{key}: {codes}").format(key=args.id.upper(), codes=", ".join(codes) or "-"),
    )
    return 0


def _text(views: list[dl.DeadlineView]) -> str:
    lines = []
    for v in views:
        local = "  ".join(format_cli_time(t, z) for z, t in v.due_local.items())
        lines.append(
            f"{deadline_state_label(v.state):15} {format_cli_time(v.due_utc):20} "
            f"{v.jurisdiction:7} {v.rule}  [{v.owner_text}]"
        )
        if v.obligation:  # the rule's own wording; its id above is what commands take
            lines.append(f"{'':15} {rule_text(v.obligation)}")
        if v.state_text and v.state_text != v.state:
            lines.append(f"{'':15} {v.state_text}")
        if local:
            lines.append(f"{'':15} {local}")
        if v.conflict:
            lines.append(_("{pad} CONFLICT: {conflict}").format(pad=" " * 15, conflict=v.conflict))
    return "\n".join(lines)


def cmd_roles(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    add = [dl.parse_role(r) for r in args.add]
    remove = [dl.parse_role(r) for r in args.remove]
    with ws.session() as s:
        roles = dl.set_roles(s, ws.require_actor(), args.id, add, remove)
    ctx.emit(
        {"id": args.id.upper(), "roles": roles},
        "\n".join(
            f"{role}: {', '.join(p or '-' for p in parties)}" for role, parties in roles.items()
        )
        or "-",
    )
    return 0


def cmd_override(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    with ws.session() as s:
        result = dl.set_override(
            s,
            ws.require_actor(),
            args.id,
            args.rule,
            dl.deadlines_rules_for_case(s, args.id, rules_for(ws)),
            amount=args.amount,
            computation=args.computation,
            reason=args.reason,
            reset=args.reset,
        )
        views = dl.deadlines(s, ws.actor, args.id, rules_for(ws))
    view = next(v for v in views if v.rule == args.rule)
    ctx.emit(
        {
            "id": args.id.upper(),
            "rule": args.rule,
            "amount": result.amount if result else None,
            "computation": view.computation,
            "reason": result.reason if result else None,
            "deadline": view.as_json(),
        },
        _("{key}: {rule} due {due} ({computation})").format(
            key=args.id.upper(),
            rule=args.rule,
            due=view.due_utc.isoformat() if view.due_utc else "-",
            computation=view.computation,
        ),
    )
    return 0


def _proposal_text(items: list[evidence.ProposalView]) -> str:
    return "\n".join(
        f"{p.id:5} {p.case:14} {p.state:10} {p.name:18} {p.at.isoformat()}  {p.source}"
        for p in items
    ) or _("No fact proposals.")


def cmd_proposals(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    with ws.session() as s:
        if args.id is None:
            evidence.propose_all(s)
        items = evidence.proposals(s, args.id)
    ctx.emit([p.as_json() for p in items], _proposal_text(items))
    return 0


def cmd_decide(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    with ws.session() as s:
        ids = list(args.proposals)
        if args.case or args.all:
            if args.all:
                evidence.propose_all(s)
            ids += [p.id for p in evidence.proposals(s, args.case) if p.id not in ids]
        if not ids:
            raise UsageError(_("give proposal ids, --case KEY or --all"))
        done = evidence.decide(s, ws.require_actor(), ids, args.accept, rules_for(ws))
    ctx.emit([p.as_json() for p in done], _proposal_text(done))
    return 0


def cmd_deadlines(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    with ws.session() as s:
        views = dl.deadlines(s, ws.actor, args.id, rules_for(ws))
    ctx.emit([v.as_json() for v in views], _text(views))
    return 0


def cmd_met(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    with ws.session() as s:
        view = dl.mark_met(s, ws.require_actor(), args.id, args.rule, args.evidence, rules_for(ws))
    ctx.emit(view.as_json(), _("{key}: {rule} met").format(key=args.id.upper(), rule=args.rule))
    return 0


def cmd_configure(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    with ws.session() as s:
        amount = dl.configure(
            s, ws.require_actor(), args.rule, None if args.reset else args.amount, rules_for(ws)
        )
    ctx.emit(
        {"rule": args.rule, "amount": amount},
        _("{rule}: offset {amount}").format(rule=args.rule, amount=amount),
    )
    return 0


def cmd_recompute(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    with ws.session() as s:
        n = dl.recompute_all(s, rules_for(ws), only_missing=args.missing)
    ctx.emit({"cases": n}, _("Recomputed the deadlines of {n} cases.").format(n=n))
    return 0


def _rules_json(rules: dl.RuleSet) -> list[dict[str, object]]:
    return [
        {
            "code": f.code,
            "jurisdiction": f.jurisdiction,
            "name": f.name,
            "kind": f.kind,
            "aliases": list(f.aliases),
            "always": f.always,
            "timezone": f.timezone,
            "holiday_country": f.holiday_country,
            "file": f.path,
            "origin": f.origin,
            "sha256": f.sha256,
            "rules": [
                {
                    "id": r.id,
                    "trigger": r.trigger,
                    "requires": list(r.requires),
                    "unless": list(r.unless),
                    "met_by": r.met_by,
                    "offset": {r.unit: r.amount},
                    "period": {
                        "unit": r.unit,
                        "amount": r.amount,
                        "computation": r.computation,
                        "why": r.computation_why or _(dl.COMPUTATION_TEXT[r.computation]),
                    },
                    "owed_by": list(r.holder_roles),
                    "holder": r.holder,
                    "owed_to": r.owed_to,
                    "publishes": r.publishes,
                    "fact_party": r.fact_party,
                    "citation": r.source,
                    "recipient": r.recipient,
                    "binding": r.binding,
                    "effective": r.effective.isoformat(),
                    "source": r.source,
                    "url": r.url,
                }
                for r in f.rules
            ],
        }
        for f in rules.files
    ]


def cmd_rules(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace(act=False)
    rules = rules_for(ws)
    ctx.emit(
        _rules_json(rules),
        "\n".join(
            f"{f.code:10} {f.jurisdiction:7} {len(f.rules):2}  {jurisdiction_text(f.name)}"
            for f in rules.files
        ),
    )
    return 0


def cmd_check(ctx: CliContext, args: argparse.Namespace) -> int:
    f = dl.load_file(args.file)
    ctx.emit(
        {"file": str(args.file), "code": f.code, "rules": [r.id for r in f.rules]},
        _("{file}: {n} rules, valid").format(file=args.file, n=len(f.rules)),
    )
    return 0
