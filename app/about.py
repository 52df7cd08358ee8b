"""What Help → About shows: the program's version, the workspace and its schema revision."""

from __future__ import annotations

import importlib.metadata
from dataclasses import dataclass

from alembic.runtime.migration import MigrationContext

from app.workspaces.lifecycle import Workspace


@dataclass(frozen=True)
class About:
    version: str
    workspace: str  # the folder, or the team database without its credentials
    schema_revision: str  # Alembic's current revision of the database


def version() -> str:
    """The installed package's version ("unknown" when run from a bare source tree)."""
    try:
        return importlib.metadata.version("accord")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def schema_revision(ws: Workspace) -> str:
    """The Alembic revision the workspace's database is at ("" before any migration)."""
    with ws.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision() or ""


def about(ws: Workspace) -> About:
    place = str(ws.directory) if ws.directory is not None else ws.label
    return About(version(), place, schema_revision(ws))
