"""accord init, accord workspace rekey|backup|restore."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from app.cli.context import CliContext
from app.identity.actor import Permission
from app.workspaces import lifecycle as ws_mod
from i18n import _


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("init", parents=[common], help=_("create a workspace"))
    p.add_argument("--org", required=True, help=_("your organisation"))
    p.add_argument("--analyst", required=True, help=_("the first analyst (a coordinator)"))
    p.set_defaults(handler=cmd_init)

    w = sub.add_parser("workspace", help=_("rekey, back up or restore a workspace"))
    wsub = w.add_subparsers(dest="workspace_command", metavar="ACTION")
    r = wsub.add_parser(
        "rekey", parents=[common],
        help=_("rotate the database key; every analyst keeps their passphrase"),
    )  # fmt: skip
    r.set_defaults(handler=cmd_rekey)
    b = wsub.add_parser("backup", parents=[common], help=_("write an encrypted copy"))
    b.add_argument("file", type=Path)
    b.set_defaults(handler=cmd_backup)
    s = wsub.add_parser("restore", parents=[common], help=_("restore a backup into DIR"))
    s.add_argument("file", type=Path)
    s.add_argument("dir", type=Path)
    s.set_defaults(handler=cmd_restore)


def cmd_init(ctx: CliContext, args: argparse.Namespace) -> int:
    url = ctx.db_url
    phrase = None if url else ctx.passphrase(confirm=True, prompt=_("New passphrase: "))
    if phrase is not None:
        ws_mod.check_passphrase_strength(phrase)
    ws = ws_mod.create(None if url else ctx.directory, phrase, args.org, args.analyst, db_url=url)
    ws.engine.dispose()
    ctx.emit(
        {"workspace": ws.label, "org": args.org, "analyst": args.analyst, "role": "coordinator"},
        _("Created workspace {dir} for {org}; {analyst} is its coordinator.").format(
            dir=ws.label, org=args.org, analyst=args.analyst
        ),
    )
    return 0


def cmd_rekey(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    ws.require_actor().require(Permission.REKEY_WORKSPACE)
    ws_mod.rekey(ws)
    ctx.emit(
        {"workspace": ws.label, "rekeyed": True},
        _("The workspace key was rotated; every key slot holds the new one."),
    )
    return 0


def cmd_backup(ctx: CliContext, args: argparse.Namespace) -> int:
    ws = ctx.open_workspace()
    manifest = ws_mod.backup(ws, args.file, ctx.passphrase())
    ctx.emit(
        {"workspace": ws.label, "backup": str(args.file), "manifest": str(manifest)},
        _("Encrypted backup written to {file}.").format(file=args.file),
    )
    return 0


def cmd_restore(ctx: CliContext, args: argparse.Namespace) -> int:
    analyst = ctx.selector
    ws = ws_mod.restore(args.file, args.dir, ctx.passphrase(), analyst=analyst)
    ws.engine.dispose()
    ctx.emit(
        {"workspace": str(args.dir), "restored_from": str(args.file), "audit": "intact"},
        _("Restored {file} into {dir}; audit chain intact.").format(file=args.file, dir=args.dir),
    )
    return 0
