"""accord case party add|set|list|log: a case's vendors, reporter, partner CERTs and
stakeholders, their statuses and the contacts with them."""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path
from typing import Any

from app import parties
from app.cli.context import CliContext
from app.errors import UsageError
from app.parties.service import MAX_ATTACHMENT_BYTES, PartyInfo
from i18n import _


def register_case(csub: Any, common: argparse.ArgumentParser) -> None:
    """``case party …``, under the ``case`` command."""
    p = csub.add_parser("party", help=_("a case's vendors, reporter, partner CERTs, stakeholders"))
    psub = p.add_subparsers(dest="party_command", metavar="ACTION")

    a = psub.add_parser("add", parents=[common], help=_("add a party to a case"))
    a.add_argument("id", metavar="CASE")
    a.add_argument("name", metavar="NAME")
    a.add_argument("--kind", required=True, choices=parties.KINDS)
    a.add_argument("--contact", action="append", default=[], help=_("repeatable"))
    a.add_argument("--channel", help=_("preferred channel: e-mail, portal, phone …"))
    a.add_argument("--partner", help=_("the partner record of a partner CERT"))
    _reporter_options(a)
    a.set_defaults(handler=cmd_add)

    s = psub.add_parser("set", parents=[common], help=_("record a party's status or details"))
    s.add_argument("id", metavar="CASE")
    s.add_argument("party", metavar="PARTY", help=_("the party's id or name"))
    s.add_argument("--status", help=", ".join(parties.STATUSES))
    s.add_argument("--statement", default="", help=_("the party's statement"))
    s.add_argument("--at", help=_("when (ISO 8601 with a time zone); default now"))
    s.add_argument(
        "--fixed-in", metavar="VERSION", help=_("with --status fixed: the fixed version")
    )
    s.add_argument("--contact", action="append", help=_("repeatable; replaces the contacts"))
    s.add_argument("--channel")
    _reporter_options(s)
    s.add_argument("--named", action="store_true", help=_("the reporter is no longer pseudonymous"))
    s.add_argument("--version", type=int, help=_("the party version you saw (refused if stale)"))
    s.set_defaults(handler=cmd_set)

    ls = psub.add_parser("list", parents=[common], help=_("a case's parties and their status"))
    ls.add_argument("id", metavar="CASE")
    ls.set_defaults(handler=cmd_list)

    lg = psub.add_parser("log", parents=[common], help=_("log a contact with a party"))
    lg.add_argument("id", metavar="CASE")
    lg.add_argument("party", metavar="PARTY", help=_("the party's id or name"))
    way = lg.add_mutually_exclusive_group(required=True)
    way.add_argument("--sent", dest="direction", action="store_const", const="sent")
    way.add_argument("--received", dest="direction", action="store_const", const="received")
    lg.add_argument("--channel", required=True)
    lg.add_argument("--summary", required=True)
    lg.add_argument("--attach", action="append", default=[], metavar="FILE", type=Path)
    lg.add_argument("--at", help=_("when (ISO 8601 with a time zone); default now"))
    lg.set_defaults(handler=cmd_log)


def _reporter_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--credit", help=_("how the reporter is credited in the advisory"))
    parser.add_argument(
        "--pseudonymous", action="store_true", help=_("the reporter is known by a handle only")
    )
    parser.add_argument(
        "--safe-harbour",
        action="store_true",
        help=_("record that the reporter was given the safe-harbour acknowledgement"),
    )


def _when(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(_("{value} is not an ISO 8601 time").format(value=value)) from None
    if at.tzinfo is None:
        raise UsageError(_("{value} has no time zone").format(value=value))
    return at


def _line(p: PartyInfo) -> str:
    latest = p.latest
    status = latest.status if latest else "-"
    if latest and latest.origin != "local":
        status += " " + _("(from {fingerprint})").format(fingerprint=latest.origin[:16])
    due = []
    if p.acknowledgement_due and not p.acknowledged_at:
        due.append(_("ack due {at}").format(at=p.acknowledgement_due.isoformat()))
    if p.response_due and not p.responded_at:
        due.append(_("response due {at}").format(at=p.response_due.isoformat()))
    late = p.overdue()
    if late:
        due.append(_("OVERDUE: {what}").format(what=", ".join(late)))
    return f"{p.id:>4} {p.kind:12} {p.name[:40]:40} {status:24} {'; '.join(due)}".rstrip()


def cmd_add(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    with ws.session() as s:
        info = parties.add(
            s, ws.require_actor(), args.id, args.kind, args.name, contacts=args.contact,
            channel=args.channel, partner=args.partner, credit=args.credit,
            pseudonymous=args.pseudonymous, safe_harbour=args.safe_harbour,
        )  # fmt: skip
    ctx.emit(
        info.as_json(),
        _("Added {kind} {name} to {key} as party {id}.").format(
            kind=info.kind, name=info.name, key=info.case, id=info.id
        ),
    )
    return 0


def cmd_set(ctx: CliContext, args: argparse.Namespace) -> int:
    details = (
        args.contact is not None or args.channel is not None or args.credit is not None
        or args.pseudonymous or args.named or args.safe_harbour
    )  # fmt: skip
    if args.status is None and not details:
        raise UsageError(_("say what to set: --status, --credit, --contact, --channel …"))
    if args.pseudonymous and args.named:
        raise UsageError(_("--pseudonymous and --named contradict each other"))
    ws = ctx.open_workspace()
    actor = ws.require_actor()
    with ws.session() as s:
        version = args.version
        if details:
            pseudonymous = True if args.pseudonymous else False if args.named else None
            info = parties.update(
                s, actor, args.id, args.party, contacts=args.contact, channel=args.channel,
                credit=args.credit, pseudonymous=pseudonymous, safe_harbour=args.safe_harbour,
                expected_version=version,
            )  # fmt: skip
            version = None  # checked; the status below is made against what we just wrote
        if args.status is not None:
            info = parties.set_status(
                s, actor, args.id, args.party, args.status, args.statement,
                at=_when(args.at), fixed_version=args.fixed_in, expected_version=version,
            )  # fmt: skip
    text = _("{key}: {name} is {status}.").format(
        key=info.case, name=info.name, status=info.status or "-"
    )
    ctx.emit(info.as_json(), text)
    return 0


def cmd_list(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    with ws.session() as s:
        rows = parties.list_parties(s, args.id)
    ctx.emit([p.as_json() for p in rows], "\n".join(_line(p) for p in rows) or _("no parties"))
    return 0


def cmd_log(ctx: CliContext, args: argparse.Namespace) -> int:
    files: list[tuple[str, bytes]] = []
    for path in args.attach:
        try:
            if path.stat().st_size > MAX_ATTACHMENT_BYTES:
                raise UsageError(
                    _("{name} is larger than {n} bytes").format(
                        name=path.name, n=MAX_ATTACHMENT_BYTES
                    )
                )
            files.append((path.name, path.read_bytes()))
        except OSError as exc:
            raise UsageError(
                _("cannot read {name}: {error}").format(name=path.name, error=exc.strerror)
            ) from None
    ws = ctx.open_workspace()
    with ws.session() as s:
        info = parties.log_contact(
            s, ws.require_actor(), args.id, args.party, args.direction, args.channel,
            args.summary, files=files, at=_when(args.at),
        )  # fmt: skip
    entry = max(info.log, key=lambda c: c.id) if info.log else None
    ctx.emit(
        {**info.as_json(), "contact": entry.as_json() if entry else None},
        _("{key}: contact {direction} logged for {name}.").format(
            key=info.case, direction=args.direction, name=info.name
        ),
    )
    return 0
