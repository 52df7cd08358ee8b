"""accord case id|affected|note|embargo|merge|unmerge|split|link: correcting and relating cases."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from app.casework import affected, embargo, identifiers, merging, notes
from app.cli.context import CliContext
from app.errors import AccordError, UsageError
from i18n import _

MAX_NOTE_FILE = 1_000_000


def register_case(csub: Any, common: argparse.ArgumentParser) -> None:
    """The case-editing actions, under the ``case`` command."""
    ids = csub.add_parser("id", help=_("add or remove a case's identifiers (CVE, CWE, GHSA …)"))
    isub = ids.add_subparsers(dest="id_command", metavar="ACTION", required=True)
    for action, handler in (("add", cmd_id_add), ("remove", cmd_id_remove)):
        p = isub.add_parser(action, parents=[common], help=_("{action} an identifier").format(
            action=action))  # fmt: skip
        p.add_argument("id")
        p.add_argument("type", metavar="TYPE", help=", ".join(identifiers.SCHEMES))
        p.add_argument("value")
        p.set_defaults(handler=handler)

    aff = csub.add_parser("affected", help=_("add or remove a case's affected products"))
    asub = aff.add_subparsers(dest="affected_command", metavar="ACTION", required=True)
    a = asub.add_parser("add", parents=[common], help=_("add an affected product, model or system"))
    a.add_argument("id")
    a.add_argument("--name", required=True)
    a.add_argument("--vendor")
    version = a.add_mutually_exclusive_group()
    version.add_argument("--version")
    version.add_argument("--range", dest="version_range", metavar="RANGE")
    a.add_argument("--hash", metavar="ALG:HEX")
    a.add_argument("--purl")
    a.add_argument("--kind", default="system", choices=affected.KINDS)
    a.add_argument("--vulnerability", type=int, metavar="ID")
    a.set_defaults(handler=cmd_affected_add)
    r = asub.add_parser("remove", parents=[common], help=_("remove an affected product"))
    r.add_argument("id")
    r.add_argument("product_id", type=int, metavar="PRODUCT_ID")
    r.set_defaults(handler=cmd_affected_remove)

    note = csub.add_parser("note", help=_("case notes (internal, or shared with partners)"))
    nsub = note.add_subparsers(dest="note_command", metavar="ACTION", required=True)
    n = nsub.add_parser("add", parents=[common], help=_("add a note"))
    n.add_argument("id")
    src = n.add_mutually_exclusive_group(required=True)
    src.add_argument("--text")
    src.add_argument("--file", type=Path)
    n.add_argument("--shared", action="store_true", help=_("send it to partners with the case"))
    n.set_defaults(handler=cmd_note_add)
    nl = nsub.add_parser("list", parents=[common], help=_("the case's notes, oldest first"))
    nl.add_argument("id")
    nl.set_defaults(handler=cmd_note_list)

    e = csub.add_parser("embargo", parents=[common], help=_("show, set or clear a case's embargo"))
    e.add_argument("id")
    e.add_argument("until", nargs="?", metavar="UNTIL", help=_("ISO-8601 time"))
    e.add_argument("--clear", action="store_true")
    e.add_argument("--reason", default="")
    e.add_argument(
        "--override",
        metavar="REASON",
        help=_("a coordinator's reason to end a partner's embargo earlier (audited)"),
    )
    e.set_defaults(handler=cmd_embargo)

    m = csub.add_parser("merge", parents=[common], help=_("merge one case into another"))
    m.add_argument("src", metavar="SRC")
    m.add_argument("dst", metavar="DST")
    m.add_argument("--preview", action="store_true", help=_("show what moves; change nothing"))
    m.add_argument("--reason", default="")
    m.set_defaults(handler=cmd_merge)
    u = csub.add_parser("unmerge", parents=[common], help=_("undo a case's last merge"))
    u.add_argument("src", metavar="SRC")
    u.add_argument("--reason", required=True)
    u.set_defaults(handler=cmd_unmerge)
    s = csub.add_parser("split", parents=[common], help=_("move a report out into a new case"))
    s.add_argument("id")
    s.add_argument("report_id", type=int, metavar="REPORT_ID")
    s.add_argument("--reason", required=True)
    s.set_defaults(handler=cmd_split)
    ln = csub.add_parser("link", parents=[common], help=_("link two related cases"))
    ln.add_argument("id")
    ln.add_argument("other", metavar="OTHER")
    ln.add_argument("--reason", default="")
    ln.add_argument("--remove", action="store_true")
    ln.set_defaults(handler=cmd_link)


def cmd_id_add(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    with ws.session() as s:
        found = identifiers.add(s, ws.require_actor(), args.id, args.type, args.value)
    ctx.emit(
        {"id": args.id.upper(), "identifier": found.as_json()},
        _("{key}: added {scheme} {value}").format(
            key=args.id.upper(), scheme=found.scheme, value=found.value
        ),
    )
    return 0


def cmd_id_remove(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    with ws.session() as s:
        removed = identifiers.remove(s, ws.require_actor(), args.id, args.type, args.value)
    ctx.emit(
        {"id": args.id.upper(), "removed": [r.as_json() for r in removed]},
        _("{key}: removed {scheme} {value}").format(
            key=args.id.upper(), scheme=removed[0].scheme, value=removed[0].value
        ),
    )
    return 0


def cmd_affected_add(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    with ws.session() as s:
        info = affected.add(
            s,
            ws.require_actor(),
            args.id,
            name=args.name,
            vendor=args.vendor,
            version=args.version,
            version_range=args.version_range,
            hash=args.hash,
            purl=args.purl,
            kind=args.kind,
            vulnerability_id=args.vulnerability,
        )
    ctx.emit(
        {"id": args.id.upper(), "affected": info.as_json()},
        _("{key}: added affected product {pid} ({label})").format(
            key=args.id.upper(), pid=info.id, label=info.label()
        ),
    )
    return 0


def cmd_affected_remove(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    with ws.session() as s:
        info = affected.remove(s, ws.require_actor(), args.id, args.product_id)
    ctx.emit(
        {"id": args.id.upper(), "removed": info.as_json()},
        _("{key}: removed affected product {pid}").format(key=args.id.upper(), pid=info.id),
    )
    return 0


def _note_text(args: argparse.Namespace) -> str:
    if args.text is not None:
        return str(args.text)
    path: Path = args.file
    try:
        if path.stat().st_size > MAX_NOTE_FILE:
            raise UsageError(_("{file} is larger than a note may be").format(file=path.name))
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise UsageError(_("{file} is not UTF-8 text").format(file=path.name)) from None
    except OSError as exc:
        raise AccordError(
            _("cannot read {file}: {error}").format(file=path.name, error=exc.strerror)
        ) from None


def cmd_note_add(ctx: CliContext, args: argparse.Namespace) -> int:
    text = _note_text(args)
    ws = ctx.open_workspace()
    with ws.session() as s:
        info = notes.add(s, ws.require_actor(), args.id, text, shared=args.shared)
    what = _("shared note") if info.shared else _("internal note")
    ctx.emit(
        {"id": args.id.upper(), "note": info.as_json()},
        _("{key}: added {what} {nid}").format(key=args.id.upper(), what=what, nid=info.id),
    )
    return 0


def cmd_note_list(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    from app.casework import cases

    with ws.session() as s:
        found = notes.of_case(s, cases.get_case(s, args.id))
    ctx.emit(
        [n.as_json() for n in found],
        "\n\n".join(
            f"#{n.id} {n.created_at:%Y-%m-%d %H:%M} UTC  {n.author or '-'}"
            f"{'  [' + _('shared') + ']' if n.shared else ''}\n{n.text}"
            for n in found
        ),
    )
    return 0


def cmd_embargo(ctx: CliContext, args: argparse.Namespace) -> int:
    from app import trust
    from app.casework import cases
    from app.deadlines.service import parse_time

    if args.until and args.clear:
        raise UsageError(_("give a time or --clear, not both"))
    ws = ctx.open_workspace()
    with ws.session() as s:
        if not args.until and not args.clear:
            end = trust.embargo_end(s, cases.get_case(s, args.id))
            old = new = end
        else:
            until = parse_time(args.until) if args.until else None
            old, new = embargo.set_embargo(
                s, ws.require_actor(), args.id, until, reason=args.reason, override=args.override
            )
    ctx.emit(
        {
            "id": args.id.upper(),
            "from": old.isoformat() if old else None,
            "embargo_until": new.isoformat() if new else None,
        },
        _("{key}: embargo until {until}").format(
            key=args.id.upper(), until=f"{new:%Y-%m-%d %H:%M} UTC" if new else _("none")
        ),
    )
    return 0


def cmd_merge(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    with ws.session() as s:
        if args.preview:
            plan = merging.preview(s, args.src, args.dst)
        else:
            if not args.reason.strip():
                raise UsageError(_("a merge needs --reason (or --preview to see what moves)"))
            plan = merging.merge(s, ws.require_actor(), args.src, args.dst, args.reason)
    lines = plan.lines()
    if not args.preview:
        lines.append(_("Merged {src} into {dst}.").format(src=plan.src, dst=plan.dst))
    ctx.emit({**plan.as_json(), "preview": bool(args.preview)}, "\n".join(lines))
    return 0


def cmd_unmerge(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    with ws.session() as s:
        src, dst = merging.unmerge(s, ws.require_actor(), args.src, args.reason)
    ctx.emit(
        {"src": src, "dst": dst},
        _("{src} is no longer merged into {dst}.").format(src=src, dst=dst),
    )
    return 0


def cmd_split(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    with ws.session() as s:
        new = merging.split(s, ws.require_actor(), args.id, args.report_id, args.reason)
    ctx.emit(
        {"id": args.id.upper(), "report": args.report_id, "new_case": new},
        _("Report {rid} moved from {key} to the new case {new}.").format(
            rid=args.report_id, key=args.id.upper(), new=new
        ),
    )
    return 0


def cmd_link(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    with ws.session() as s:
        info = merging.link(
            s, ws.require_actor(), args.id, args.other, args.reason, remove=args.remove
        )
    text = _("{key} unlinked from {other}.") if args.remove else _("{key} linked to {other}.")
    ctx.emit(
        {"id": args.id.upper(), "other": info.key, "linked": not args.remove},
        text.format(key=args.id.upper(), other=info.key),
    )
    return 0
