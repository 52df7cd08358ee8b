"""accord audit verify|log|export."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app.auditing import chain as audit
from app.cli.context import CliContext
from app.errors import UsageError
from app.identity import checkpoints
from app.identity.actor import Permission
from i18n import _
from models import AuditEvent


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("audit", help=_("verify, read and export the audit log"))
    psub = p.add_subparsers(dest="audit_command", metavar="ACTION")
    v = psub.add_parser("verify", parents=[common], help=_("check the hash chain end to end"))
    v.add_argument("--file", type=Path, help=_("verify an exported chain, without a workspace"))
    v.add_argument(
        "--cert", type=Path, action="append",
        help=_("with --file: the organisation certificate its checkpoints must be signed with"),
    )  # fmt: skip
    v.set_defaults(handler=cmd_verify)
    cp = psub.add_parser(
        "checkpoint", parents=[common],
        help=_("sign the chain's head with the organisation key"),
    )  # fmt: skip
    cp.set_defaults(handler=cmd_checkpoint)
    lg = psub.add_parser("log", parents=[common], help=_("show audit events"))
    lg.add_argument("--case", help=_("only this case"))
    lg.add_argument("--limit", type=int, default=200)
    lg.set_defaults(handler=cmd_log)
    ex = psub.add_parser("export", parents=[common], help=_("write the chain as JSON lines"))
    ex.add_argument("--out", type=Path, required=True)
    ex.add_argument("--from", dest="since", help=_("ISO date or time"))
    ex.add_argument("--to", dest="until", help=_("ISO date or time"))
    ex.add_argument(
        "--redact",
        action="store_true",
        help=_("replace free-text details (reasons, evidence, notes) by their SHA-256"),
    )
    ex.set_defaults(handler=cmd_export)


def cmd_verify(ctx: CliContext, args: argparse.Namespace) -> int:
    if args.file:
        certs = [p.read_text(encoding="utf-8") for p in args.cert or []]
        result, anchors = checkpoints.verify_export(args.file, certs or None)
        label = str(args.file)
    else:
        ws = ctx.open_workspace(act=False)
        with ws.session() as s:
            result, anchors = checkpoints.verify_workspace(s)
        label = ws.label
    text = _("audit chain intact: {n} events").format(n=result.events)
    if result.unchecked:
        text += "\n" + _(
            "{n} redacted events predate hashed free text: their place in the chain is "
            "checked, their content is not"
        ).format(n=result.unchecked)
    ctx.emit(
        {
            "ok": True,
            "events": result.events,
            "last_hash": result.last_hash,
            "source": label,
            "unchecked": result.unchecked,
            "signed": result.signed,
            "unsigned": result.unsigned,
            "checkpoints": anchors,
        },
        text,
    )
    return 0


def cmd_checkpoint(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    with ws.session() as s:
        seq = checkpoints.create(s, ws.require_actor(), "on demand")
    ctx.emit({"checkpoint": seq}, _("Checkpoint signed at event {n}.").format(n=seq))
    return 0


def cmd_log(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace(act=False)
    stmt = select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(args.limit)
    if args.case:
        stmt = stmt.where(AuditEvent.case_key == args.case.upper())
    with ws.session() as s:
        events = [audit.as_dict(e) for e in s.scalars(stmt)]
        audit.vouched_by(s, events)
    events.reverse()
    ctx.emit(
        events,
        "\n".join(
            f"{e['seq']:>7} {e['at'][:19]} {e['actor']:16} {e['action']:24} "
            f"{e['case'] or e['entity'] + ':' + e['entity_id']}"
            for e in events
        ),
    )
    return 0


def _when(value: str | None, end: bool) -> datetime | None:
    if not value:
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(_("not an ISO date or time: {value}").format(value=value)) from None
    if len(value) == 10 and end:
        at = at.replace(hour=23, minute=59, second=59, microsecond=999999)
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def cmd_export(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    ws.require_actor().require(Permission.EXPORT_AUDIT)
    with ws.session() as s:
        n, anchored = checkpoints.export(
            s,
            args.out,
            _when(args.since, False),
            _when(args.until, True),
            redacted=args.redact,
        )
    ctx.emit(
        {
            "out": str(args.out),
            "events": n,
            "redacted": bool(args.redact),
            "checkpoint": anchored,
        },
        _("{n} events written to {file}").format(n=n, file=args.out),
    )
    return 0
