"""accord mapping show|set|list: the column mapping of spreadsheet imports, per source."""

from __future__ import annotations

import argparse
from typing import Any

from app.cli.context import CliContext
from app.errors import AccordError, UsageError
from app.intake import mapping
from app.intake.model import Limits
from app.severity import split_pairs
from i18n import _, ngettext


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    m = sub.add_parser("mapping", help=_("column mapping of CSV/XLSX imports, per source"))
    msub = m.add_subparsers(dest="mapping_command", metavar="ACTION")
    show = msub.add_parser(
        "show", parents=[common], help=_("the columns of spreadsheets and the proposed fields")
    )
    show.add_argument("paths", nargs="+", metavar="PATH")
    show.add_argument("--source", default="manual", help=_("where the reports came from"))
    show.add_argument(
        "--max-size",
        type=int,
        default=50,
        metavar="MB",
        help=_("refuse files larger than this (default 50 MB)"),
    )
    show.set_defaults(handler=cmd_show)
    put = msub.add_parser("set", parents=[common], help=_("save the mapping of a source"))
    put.add_argument("--source", required=True, help=_("where the reports came from"))
    put.add_argument("pairs", nargs="+", metavar="COLUMN=FIELD")
    put.add_argument(
        "--replace",
        action="store_true",
        help=_("replace the saved mapping instead of updating the columns given"),
    )
    put.set_defaults(handler=cmd_set)
    listing = msub.add_parser("list", parents=[common], help=_("saved mappings per source"))
    listing.set_defaults(handler=cmd_list)


def _origin(origin: str) -> str:
    return _(mapping.ORIGIN_LABELS[origin])


def show_text(proposal: mapping.MappingProposal) -> str:
    """The plain-text rendering of ``accord mapping show``."""
    lines = [
        _("source {source}: its saved mapping is used where it names a column").format(
            source=proposal.source
        )
        if proposal.has_saved
        else _("source {source}: no saved mapping, fields guessed from the headers").format(
            source=proposal.source
        )
    ]
    for sheet in proposal.sheets:
        lines.append(
            ngettext("{path}: {n} row", "{path}: {n} rows", sheet.row_count).format(
                path=sheet.path, n=sheet.row_count
            )
        )
    width = max((len(c.column) for c in proposal.columns), default=0)
    for c in proposal.columns:
        samples = " | ".join(c.samples)
        lines.append(f"  {c.column:<{width}}  {c.field:<11}  {_origin(c.origin):<24}  {samples}")
    lines += [
        _("unreadable {path}: {reason}").format(path=u.path, reason=u.reason)
        for u in proposal.unreadable
    ]
    lines += [
        _("{path} would be refused: map a column to title or description").format(path=p)
        for p in proposal.refused()
    ]
    return "\n".join(lines)


def cmd_show(ctx: CliContext, args: argparse.Namespace) -> int:
    if args.max_size <= 0:
        raise UsageError(_("--max-size must be positive"))
    ws = ctx.open_workspace(act=False)
    with ws.session() as s:
        saved = mapping.saved_mapping(s, args.source)
    scan = mapping.scan_paths(args.paths, Limits(max_file_size=args.max_size * 2**20))
    if not scan.sheets and not scan.unreadable:
        raise AccordError(_("no spreadsheet (CSV or XLSX) among the given paths"))
    proposal = mapping.propose(scan, args.source, saved)
    ctx.emit(proposal.as_json(), show_text(proposal))
    return 1 if proposal.unreadable or proposal.refused() else 0


def cmd_set(ctx: CliContext, args: argparse.Namespace) -> int:
    columns = split_pairs(args.pairs, "mapping set")
    ws = ctx.open_workspace()
    with ws.session() as s:
        saved = mapping.save_mapping(
            s, ws.require_actor(), args.source, columns, replace=args.replace
        )
    n = len(saved.columns)
    ctx.emit(
        saved.as_json(),
        ngettext(
            "Saved the mapping of {source}: {n} column.",
            "Saved the mapping of {source}: {n} columns.",
            n,
        ).format(source=saved.source, n=n),
    )
    return 0


def cmd_list(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace(act=False)
    with ws.session() as s:
        saved = mapping.list_mappings(s)
    ctx.emit(
        [m.as_json() for m in saved],
        "\n".join(
            f"{m.source}: " + ", ".join(f"{col}={fld}" for col, fld in m.columns) for m in saved
        ),
    )
    return 0
