"""accord demo: fill a (new or empty) workspace with the demo cases."""

from __future__ import annotations

import argparse
import os
from typing import Any

from sqlalchemy import select

from app.cli.context import CliContext
from app.demos import seed as demo
from app.demos.text import load
from app.errors import UsageError
from app.identity import keyslots, unlock
from app.identity.actor import Actor
from app.workspaces import lifecycle as ws_mod
from app.workspaces.lifecycle import Workspace
from i18n import _
from models import Analyst


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "demo", parents=[common],
        help=_("fill a workspace with demo cases (creating it if missing)"),
    )  # fmt: skip
    p.add_argument("--count", type=int, default=demo.DEFAULT_COUNT, help=_("number of cases"))
    p.add_argument("--seed", type=int, default=demo.DEMO_SEED, help=_("random seed"))
    p.set_defaults(handler=cmd_demo)


def _open_or_create(ctx: CliContext) -> tuple[Workspace, str | None]:
    """The target workspace and, for a file workspace, its passphrase."""
    data = load()
    first = data.people["analysts"][0]["name"]
    url = ctx.db_url
    if url:
        ws = ws_mod.open_workspace(None, None, db_url=url)
        with ws.session() as s:
            empty = s.scalar(select(Analyst.id).limit(1)) is None
        if empty:
            ws.engine.dispose()
            ws = ws_mod.create(None, None, data.people["org"], first, db_url=url)
        return ws, None
    directory = ctx.directory
    if not (directory / ws_mod.DB_FILE).exists():
        phrase = ctx.passphrase(confirm=True, prompt=_("New passphrase: "))
        return ws_mod.create(directory, phrase, data.people["org"], first), phrase
    phrase = ctx.passphrase()
    return ws_mod.open_workspace(directory, phrase, analyst=ctx.selector), phrase


def _demo_slots(ws: Workspace) -> None:
    """Every demo analyst unlocks as themselves, with a public passphrase (see the README)."""
    if ws.keys is None:
        return
    slots = keyslots.read(ws.keys.directory / keyslots.SLOTS_FILE)
    have = {s.analyst_id for s in slots.slots} if slots else set()
    with ws.session() as s:
        rows = [a for a in s.scalars(select(Analyst).where(Analyst.active)) if a.id not in have]
    for row in rows:
        unlock.give_slot(ws, row, demo.analyst_passphrase(row.name))


def cmd_demo(ctx: CliContext, args: argparse.Namespace) -> int:
    if args.count < 1:
        raise UsageError(_("--count: the demo needs at least one case"))
    ws, phrase = _open_or_create(ctx)
    try:
        with ws.session() as s:
            demo.check_empty(s, ws.label)
        # A workspace made just now acts as its first coordinator; an existing one as --as.
        name = getattr(args, "as_analyst", None) or os.environ.get("ACCORD_ANALYST")
        if name and ws.actor is None:
            ws.act_as(name)
        with ws.session() as s:
            actor: Actor = ws.actor or demo.first_coordinator(s)
            summary = demo.fill(s, actor, count=args.count, seed=args.seed, label=ws.label)
        marker = False
        if ws.directory is not None and phrase == ws_mod.DEMO_PASSPHRASE:
            demo.write_marker(ws.directory)
            marker = True
            _demo_slots(ws)
    finally:
        ws.engine.dispose()
    data = summary.as_json() | {"demo_marker": marker}
    states = ", ".join(f"{k} {v}" for k, v in summary.states.items())
    ctx.emit(
        data,
        _(
            "Demo workspace {dir}: {cases} cases ({states}), {partners} partner CERTs in "
            "{countries} countries, {analysts} analysts, {events} audit events."
        ).format(
            dir=ws.label, cases=summary.cases, states=states, partners=summary.partners,
            countries=summary.countries, analysts=summary.analysts, events=summary.audit_events,
        ),
    )  # fmt: skip
    return 0
