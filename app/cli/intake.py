"""accord import, accord quarantine list|show|discard, accord duplicates list|show|confirm|
dismiss|merge, accord report show|attachment."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from app.cli.context import CliContext
from app.errors import UsageError
from app.intake import dedup, hazard, import_paths, records
from app.intake.model import Limits
from app.intake.spreadsheet import FIELDS
from app.severity import split_pairs
from i18n import _, ngettext


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    imp = sub.add_parser("import", parents=[common], help=_("import report files, folders, zips"))
    imp.add_argument("paths", nargs="+", metavar="PATH")
    imp.add_argument("--source", default="manual", help=_("where the reports came from"))
    imp.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="COLUMN=FIELD",
        help=_("spreadsheet column mapping, saved for the source (repeatable)"),
    )
    imp.add_argument(
        "--max-size",
        type=int,
        default=50,
        metavar="MB",
        help=_("refuse files larger than this (default 50 MB)"),
    )
    imp.add_argument(
        "--workers",
        type=int,
        default=0,
        help=_("parser processes (default: one per CPU for large batches)"),
    )
    imp.set_defaults(handler=cmd_import)

    q = sub.add_parser("quarantine", help=_("documents refused at import"))
    qsub = q.add_subparsers(dest="quarantine_command", metavar="ACTION")
    ql = qsub.add_parser("list", parents=[common], help=_("list quarantined documents"))
    ql.set_defaults(handler=cmd_q_list)
    qs = qsub.add_parser("show", parents=[common], help=_("show one, with its content as text"))
    qs.add_argument("id", type=int)
    qs.set_defaults(handler=cmd_q_show)
    qd = qsub.add_parser("discard", parents=[common], help=_("delete a quarantined document"))
    qd.add_argument("id", type=int)
    qd.set_defaults(handler=cmd_q_discard)

    d = sub.add_parser("duplicates", help=_("review near-duplicate reports"))
    dsub = d.add_subparsers(dest="duplicates_command", metavar="ACTION")
    dl = dsub.add_parser("list", parents=[common], help=_("list duplicate candidates"))
    dl.add_argument(
        "--state", default="open", choices=["open", "confirmed", "dismissed", "merged", "all"]
    )
    dl.set_defaults(handler=cmd_d_list)
    for name, help_text in (
        ("show", _("show both sides")),
        ("confirm", _("confirm a duplicate")),
        ("dismiss", _("not a duplicate")),
        ("merge", _("merge the new case into the existing one")),
    ):
        p = dsub.add_parser(name, parents=[common], help=help_text)
        p.add_argument("id", type=int)
        p.set_defaults(handler=cmd_d_action, action=name)

    r = sub.add_parser("report", help=_("imported reports"))
    rsub = r.add_subparsers(dest="report_command", metavar="ACTION")
    rs = rsub.add_parser("show", parents=[common], help=_("show a report"))
    rs.add_argument("id", type=int)
    rs.add_argument("--raw", action="store_true", help=_("print the raw original as text"))
    rs.set_defaults(handler=cmd_report_show)
    ra = rsub.add_parser(
        "attachment", parents=[common], help=_("save an attachment of a report to a file")
    )
    ra.add_argument("id", type=int, metavar="ATTACHMENT_ID")
    ra.add_argument("--out", required=True, metavar="FILE")
    ra.add_argument(
        "--accept-hazard",
        action="store_true",
        help=_("save it even though intake found it hazardous"),
    )
    ra.set_defaults(handler=cmd_report_attachment)


def _mapping(pairs: list[str]) -> dict[str, str]:
    mapping = split_pairs(pairs, "--map")
    bad = sorted({v for v in mapping.values() if v not in FIELDS})
    if bad:
        raise UsageError(
            _("--map: unknown field(s) {bad}; fields are: {fields}").format(
                bad=", ".join(bad), fields=", ".join(FIELDS)
            )
        )
    return mapping


def cmd_import(ctx: CliContext, args: argparse.Namespace) -> int:
    mapping = _mapping(args.map)
    if args.max_size <= 0:
        raise UsageError(_("--max-size must be positive"))
    ws = ctx.open_workspace()
    workers = args.workers or (min(os.cpu_count() or 1, 4))
    result = import_paths(
        ws,
        args.paths,
        actor=ws.require_actor(),
        source=args.source,
        mapping=mapping,
        limits=Limits(max_file_size=args.max_size * 2**20),
        workers=workers,
    )
    lines = [
        ngettext("{n} report imported", "{n} reports imported", result.imported).format(
            n=result.imported
        ),
        _("{n} updated, {d} duplicates").format(n=result.updated, d=result.duplicates),
    ]
    lines += [
        _("rejected {path}: {reason}").format(path=r.path, reason=r.reason) for r in result.rejected
    ]
    lines += [
        _("{path}: stated score {stated} for {vector}, computed {computed}").format(
            path=d.path, stated=d.stated, vector=d.vector, computed=d.computed
        )
        for d in result.score_disagreements
    ]
    ctx.emit(result.as_json(), "\n".join(lines))
    return 1 if result.rejected else 0


def cmd_q_list(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    with ws.session() as s:
        items = records.list_quarantine(s)
    ctx.emit(
        [i.as_json() for i in items],
        "\n".join(f"{i.id:6} {i.kind:8} {i.path}: {i.reason}" for i in items),
    )
    return 0


def cmd_q_show(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    with ws.session() as s:
        info, content = records.quarantine_item(s, args.id)
    if info.kind == "bundle":
        # A bundle is binary (a zip or an OpenPGP message): say what was kept, show no bytes.
        text = _("A refused bundle; {kept} of its {size} bytes are kept.").format(
            kept=info.kept, size=info.size
        )
    else:
        text = records.raw_text(content)
    ctx.emit(
        {**info.as_json(), "content": text},
        f"{info.path}\n{info.reason}\n{info.size} bytes, sha256 {info.sha256}\n\n{text}",
    )
    return 0


def cmd_q_discard(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    with ws.session() as s:
        info = records.discard(s, ws.require_actor(), args.id)
    ctx.emit(info.as_json(), _("Discarded {id}.").format(id=info.id))
    return 0


def cmd_d_list(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    with ws.session() as s:
        items = dedup.list_candidates(s, None if args.state == "all" else args.state)
    ctx.emit(
        [i.as_json() for i in items],
        "\n".join(
            f"{i.id:6} {i.state:9} {i.score:5.1f} {i.new.case_key} ~ {i.existing.case_key}"
            f"  {i.reason}"
            for i in items
        ),
    )
    return 0


def cmd_d_action(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    with ws.session() as s:
        if args.action == "show":
            info = dedup.get_candidate(s, args.id)
        else:
            fn = {"confirm": dedup.confirm, "dismiss": dedup.dismiss, "merge": dedup.merge}
            info = fn[args.action](s, ws.require_actor(), args.id)
    text = "\n".join(
        [
            f"{info.id} {info.state} {info.score:.1f} {info.reason}",
            f"{info.new.case_key}: {info.new.title}",
            f"{info.existing.case_key}: {info.existing.title}",
        ]
    )
    ctx.emit(info.as_json(), text)
    return 0


def cmd_report_show(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    with ws.session() as s:
        detail, raw = records.report_detail(s, args.id)
        files = records.attachments(s, report_id=args.id)
    listed = [a.as_json() for a in files]
    if args.raw:
        text = records.raw_text(raw)
        ctx.emit({**detail.as_json(), "attachments": listed, "raw": text}, text)
        return 0
    lines = [
        f"{detail.id}  {detail.title}",
        _("case: {case}   format: {fmt}   source: {source}").format(
            case=detail.case_key or "-", fmt=detail.format, source=detail.source
        ),
        _("document: {doc}   revision: {rev}").format(
            doc=detail.document_id or "-", rev=detail.revision or "-"
        ),
        _("identifiers: {ids}").format(ids=", ".join(detail.identifiers) or "-"),
    ]
    lines += [_("warning: {w}").format(w=w) for w in detail.warnings]
    lines += attachment_lines(files)
    lines += ["", detail.description]
    ctx.emit({**detail.as_json(), "attachments": listed}, "\n".join(lines))
    return 0


def attachment_lines(files: list[records.AttachmentInfo]) -> list[str]:
    """One line per attachment; a hazardous one says so, with its reasons."""
    lines = []
    for a in files:
        line = _("attachment {id}: {name} ({size} bytes)").format(
            id=a.id, name=hazard.shown_name(a.filename), size=a.size
        )
        if a.hazardous:
            line += "  " + _("HAZARDOUS: {reasons}").format(reasons="; ".join(a.reason_labels()))
        lines.append(line)
    return lines


def cmd_report_attachment(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    with ws.session() as s:
        info = records.save_attachment(
            s, ws.require_actor(), args.id, Path(args.out), accept_hazard=args.accept_hazard
        )
    ctx.emit(
        {**info.as_json(), "out": args.out},
        _("attachment {id} saved to {out}").format(id=info.id, out=args.out),
    )
    return 0
