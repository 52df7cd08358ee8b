"""accord advisory new|set|status|submit|approve|reject|publish|tlp|export."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from app import advisories
from app.advisories import csaf_export, drafting, exporting
from app.advisories.drafting import TLP_LEVELS, AdvisoryStatus
from app.advisories.fields import FIELDS
from app.cli.context import CliContext
from app.cli.trust_cmds import add_override
from app.errors import UsageError
from app.identity.actor import Actor
from i18n import LANGUAGES, _

Handler = Callable[[CliContext, argparse.Namespace], int]

STATE_MARKS = {"source": "S", "current": "✓", "stale": "!", "missing": "·"}


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("advisory", help=_("draft, translate, review and export advisories"))
    asub = p.add_subparsers(dest="advisory_command", metavar="ACTION")

    n = asub.add_parser("new", parents=[common], help=_("start the advisory of a case"))
    n.add_argument("case")
    n.add_argument("--lang", dest="language", default="en", help=_("source language"))
    n.add_argument("--tlp", default="CLEAR", choices=TLP_LEVELS)
    n.set_defaults(handler=cmd_new)

    s = asub.add_parser("set", parents=[common], help=_("write one field in one language"))
    s.add_argument("case")
    s.add_argument("field", choices=FIELDS)
    s.add_argument("--lang", dest="language", required=True, help=", ".join(LANGUAGES))
    src = s.add_mutually_exclusive_group(required=True)
    src.add_argument("--text")
    src.add_argument("--file", type=Path, help=_("read the text from a UTF-8 file ('-' for stdin)"))
    s.set_defaults(handler=cmd_set)

    st = asub.add_parser("status", parents=[common], help=_("translation state per field"))
    st.add_argument("case")
    st.set_defaults(handler=cmd_status)

    for name, fn, helptext in (
        ("submit", cmd_submit, _("send the draft to review")),
        ("approve", cmd_approve, _("approve an advisory in review (not its author)")),
        ("reject", cmd_reject, _("send an advisory in review back to draft")),
        ("publish", cmd_publish, _("publish an approved advisory as a new revision")),
    ):
        r = asub.add_parser(name, parents=[common], help=helptext)
        r.add_argument("case")
        if name == "publish":
            r.add_argument("--summary", default="", help=_("revision history entry"))
            add_override(r)
        r.set_defaults(handler=fn)

    t = asub.add_parser("tlp", parents=[common], help=_("set the TLP label"))
    t.add_argument("case")
    t.add_argument("label", choices=TLP_LEVELS)
    t.set_defaults(handler=cmd_tlp)

    ns = asub.add_parser(
        "namespace", parents=[common], help=_("set the publisher namespace URL of CSAF exports")
    )
    ns.add_argument("url")
    ns.set_defaults(handler=cmd_namespace)

    e = asub.add_parser("export", parents=[common], help=_("write CSAF, HTML, Markdown or text"))
    e.add_argument("case")
    e.add_argument("--format", dest="fmt", required=True, choices=exporting.FORMATS)
    e.add_argument("--lang", dest="language", default=None, help=", ".join(LANGUAGES))
    e.add_argument("--out", type=Path, required=True)
    e.add_argument("--csaf-version", default="2.0", choices=csaf_export.VERSIONS)
    e.add_argument(
        "--profile",
        default="advisory",
        choices=tuple(csaf_export.PROFILES),
        help=_("CSAF profile: a security advisory, or VEX (product statuses only)"),
    )
    e.add_argument("--tz", default=None, help=_("reader's time zone (default: yours)"))
    add_override(e)
    e.set_defaults(handler=cmd_export)


def _status_text(info: AdvisoryStatus) -> str:
    lines = [
        _("{key}  advisory {status}  revision {rev}  source {lang}  TLP:{tlp}").format(
            key=info.case,
            status=info.status,
            rev=info.revision,
            lang=info.source_language,
            tlp=info.tlp,
        ),
        f"{'':13}" + " ".join(f"{lang:>6}" for lang in info.languages),
    ]
    for name in FIELDS:
        marks = " ".join(f"{STATE_MARKS[info.states[name][lang]]:>6}" for lang in info.languages)
        lines.append(f"{name:13}{marks}")
    lines.append(_("S source  ✓ current  ! stale  · missing"))
    for flag in info.flags:
        for hint in flag.termbase:
            lines.append(f"{flag.field}/{flag.language}: {hint.message()}")
    return "\n".join(lines)


def _emit_status(ctx: CliContext, info: AdvisoryStatus) -> int:
    ctx.emit(info.as_json(), _status_text(info))
    return 0


def cmd_new(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    with ws.session() as s:
        info = advisories.create(s, ws.require_actor(), args.case, args.language, args.tlp)
    return _emit_status(ctx, info)


def cmd_set(ctx: CliContext, args: argparse.Namespace) -> int:
    if args.file is not None:
        try:
            text = sys.stdin.read() if str(args.file) == "-" else args.file.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(
                _("cannot read {file}: {error}").format(file=args.file, error=exc)
            ) from exc
    else:
        text = args.text
    ws = ctx.open_workspace()
    with ws.session() as s:
        cell = advisories.set_text(
            s, ws.require_actor(), args.case, args.field, args.language, text
        )
    lines = [_("{field} ({lang}): {state}").format(
        field=cell.field, lang=cell.language, state=cell.state
    )]  # fmt: skip
    lines += [h.message() for h in cell.termbase if not h.present]
    ctx.emit(cell.as_json(), "\n".join(lines))
    return 0


def cmd_status(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    with ws.session() as s:
        info = advisories.status(s, args.case)
    return _emit_status(ctx, info)


def _review_step(step: Callable[[Session, Actor, str], AdvisoryStatus]) -> Handler:
    """A CLI handler for one review step that takes only the case (submit, approve, reject)."""

    def handler(ctx: CliContext, args: argparse.Namespace) -> int:
        ws = ctx.open_workspace()
        with ws.session() as s:
            info = step(s, ws.require_actor(), args.case)
        return _emit_status(ctx, info)

    return handler


cmd_submit = _review_step(advisories.submit)
cmd_approve = _review_step(advisories.approve)
cmd_reject = _review_step(advisories.request_changes)


def cmd_publish(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    with ws.session() as s:
        info = advisories.publish(
            s, ws.require_actor(), args.case, args.summary, override=args.override
        )
    return _emit_status(ctx, info)


def cmd_tlp(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    with ws.session() as s:
        info = advisories.set_tlp(s, ws.require_actor(), args.case, args.label)
    return _emit_status(ctx, info)


def cmd_namespace(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    with ws.session() as s:
        value = drafting.set_namespace(s, ws.require_actor(), args.url)
    ctx.emit({"namespace": value}, _("Publisher namespace: {url}").format(url=value))
    return 0


def cmd_export(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    with ws.session() as s:
        result = exporting.export(
            s, ws.require_actor(), args.case, args.fmt, args.out, language=args.language,
            csaf_version=args.csaf_version, reader_tz=args.tz, override=args.override,
            profile=args.profile,
        )  # fmt: skip
    ctx.emit(result, _("Wrote {out}.").format(out=args.out))
    return 0
