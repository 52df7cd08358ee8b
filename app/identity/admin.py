"""Analyst administration for every kind of workspace, in one place for the CLI and the GUI.

A workspace file gives each analyst a key slot (a one-time passphrase, deactivation rotates
the key); a team database gives them a login (a one-time password, deactivation disables the
login); an in-memory workspace has neither. The caller never branches on which it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.errors import UsageError
from app.identity import analysts, team, unlock
from app.identity.actor import Actor, Permission
from i18n import _
from models import Analyst

if TYPE_CHECKING:
    from app.workspaces.lifecycle import Workspace


@dataclass(frozen=True)
class AddedAnalyst:
    """A new analyst; ``one_time_passphrase`` is shown once and never stored in clear."""

    info: analysts.AnalystInfo
    one_time_passphrase: str | None
    db_login: str | None = None


@dataclass(frozen=True)
class Deactivated:
    name: str
    rekeyed: bool
    db_login: str | None = None


def can_manage(actor: Actor | None) -> bool:
    """Whether the acting analyst may add, deactivate and reset analysts (coordinators)."""
    return actor is not None and actor.can(Permission.MANAGE_ANALYSTS)


def add(
    ws: Workspace, name: str, role: str, timezone: str = "UTC", *, login: str | None = None
) -> AddedAnalyst:
    """Add an analyst with the means to unlock: a key slot, a login, or nothing (in memory)."""
    actor = ws.require_actor()
    if ws.login is not None:
        with ws.session() as s:
            added = team.add_analyst(s, actor, name, role, timezone, login=login)
        return AddedAnalyst(added.info, added.one_time_passphrase, added.login)
    if login:
        raise UsageError(_("--login is for a team database (--db)"))
    phrase = None
    with ws.session() as s:
        info = analysts.add(s, actor, name, role, timezone)
        if ws.keys is not None:
            # Written before the analyst's row commits: no analyst without a slot.
            row = s.get(Analyst, info.id)
            assert row is not None
            phrase = unlock.issue_slot(ws, s, row)
    return AddedAnalyst(info, phrase)


def deactivate(ws: Workspace, name: str) -> Deactivated:
    """Remove an analyst: their slot goes and the key rotates, or their login is disabled."""
    if ws.login is not None:
        with ws.session() as s:
            login = team.deactivate(s, ws.require_actor(), name)
        return Deactivated(name, False, login)
    unlock.deactivate(ws, name)
    return Deactivated(name, ws.keys is not None)


def reset(ws: Workspace, name: str) -> str:
    """A new one-time passphrase (or login password) for an analyst, to be shown once."""
    if ws.login is not None:
        with ws.session() as s:
            return team.reset_password(s, ws.require_actor(), name)
    return unlock.reset_slot(ws, name)
