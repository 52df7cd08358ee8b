"""Analysts and their roles."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auditing import chain as audit
from app.errors import AccordError, UsageError
from app.identity.actor import Actor, Permission
from i18n import _
from models import Analyst, Role


@dataclass(frozen=True)
class AnalystInfo:
    id: int
    name: str
    role: str
    timezone: str
    active: bool


def parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise UsageError(
            _("unknown role {role}; roles are: {roles}").format(
                role=value, roles=", ".join(r.value for r in Role)
            )
        ) from None


def add(session: Session, actor: Actor, name: str, role: str, timezone: str = "UTC") -> AnalystInfo:
    actor.require(Permission.MANAGE_ANALYSTS)
    if not name.strip():
        raise UsageError(_("an analyst needs a name"))
    if session.scalar(select(Analyst.id).where(Analyst.name == name)) is not None:
        raise AccordError(_("an analyst named {name} exists already").format(name=name))
    row = Analyst(name=name.strip(), role=parse_role(role), timezone=timezone)
    session.add(row)
    session.flush()
    audit.record(session, actor, "analyst.add", "analyst", row.id, details={"role": row.role.value})
    return AnalystInfo(row.id, row.name, row.role.value, row.timezone, row.active)


def list_all(session: Session) -> list[AnalystInfo]:
    return [
        AnalystInfo(a.id, a.name, a.role.value, a.timezone, a.active)
        for a in session.scalars(select(Analyst).order_by(Analyst.name))
    ]
