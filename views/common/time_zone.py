"""Which zone a screen shows times in: the preference when set, else the acting analyst's
profile zone, else UTC. Every time shown names its zone (i18n.formatting.format_moment)."""

from __future__ import annotations

from sqlalchemy import select

from app.workspaces.lifecycle import Workspace
from models import schema


def reader_zone(ws: Workspace | None, preference: str = "") -> str:
    if preference:
        return preference
    actor = ws.actor if ws is not None else None
    if ws is None or actor is None:
        return "UTC"
    # The table's columns (no ORM entity): a screen's first read need not configure the mappers.
    analyst = schema.analyst.c
    with ws.session() as s:
        return s.scalar(select(analyst.timezone).where(analyst.id == actor.id)) or "UTC"
