"""accord case tlp|share, and the ``--override REASON`` option of the actions the trust rules
(app/trust.py) may refuse."""

from __future__ import annotations

import argparse
from typing import Any

from app import trust
from app.cli.context import CliContext
from i18n import _
from i18n.formatting import format_cli_time


def add_override(parser: argparse.ArgumentParser) -> None:
    """``--override REASON``: a coordinator sets the embargo or sharing-list rule aside, audited."""
    parser.add_argument(
        "--override",
        metavar="REASON",
        help=_("a coordinator's reason to set the embargo or sharing-list rule aside (audited)"),
    )


def register_case(csub: Any, common: argparse.ArgumentParser) -> None:
    """``case tlp`` and ``case share``, under the ``case`` command."""
    t = csub.add_parser("tlp", parents=[common], help=_("show, raise or downgrade a case's TLP"))
    t.add_argument("id")
    t.add_argument("level", nargs="?", choices=trust.TLP_ORDER, help=_("raise to this label"))
    t.add_argument("--downgrade", choices=trust.TLP_ORDER, metavar="TLP")
    t.add_argument("--reason", default="")
    t.add_argument("--partner-consent", default="", metavar="TEXT")
    t.set_defaults(handler=cmd_tlp)
    sh = csub.add_parser(
        "share", parents=[common], help=_("add a partner to a case's sharing list (or remove it)")
    )
    sh.add_argument("id")
    sh.add_argument("partner")
    sh.add_argument("--remove", action="store_true")
    sh.set_defaults(handler=cmd_share)


def _text(info: trust.TlpInfo) -> str:
    lines = [
        _("{key}: TLP:{tlp} (own TLP:{own})").format(key=info.case, tlp=info.tlp, own=info.own)
    ]
    if info.floor:
        lines.append(
            _("floor TLP:{floor} received from {partner} in bundle {bundle}").format(
                floor=info.floor, partner=info.floor_partner or "-", bundle=info.floor_bundle or "-"
            )
        )
    if info.embargo_until:
        lines.append(_("embargo until {end}").format(end=format_cli_time(info.embargo_until)))
    lines.append(_("sharing list: {names}").format(names=", ".join(info.sharing) or "-"))
    return "\n".join(lines)


def cmd_tlp(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    with ws.session() as s:
        if args.downgrade:
            info = trust.downgrade(
                s, ws.require_actor(), args.id, args.downgrade, args.reason, args.partner_consent
            )
        elif args.level:
            info = trust.raise_tlp(s, ws.require_actor(), args.id, args.level)
        else:
            info = trust.info(s, args.id)
    ctx.emit(info.as_json(), _text(info))
    return 0


def cmd_share(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    with ws.session() as s:
        info = trust.share(s, ws.require_actor(), args.id, args.partner, args.remove)
    ctx.emit(info.as_json(), _text(info))
    return 0
