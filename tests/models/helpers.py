"""What the migration tests share: an empty database on either backend, and Alembic's
configuration for the project's migrations."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.config import Config
from sqlalchemy import Engine, create_engine

from app.workspaces.engines import MIGRATIONS, plain_sqlite_engine

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def empty_engine(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Engine:
    if backend == "sqlite":
        return plain_sqlite_engine(tmp_path / "old.sqlite")
    return create_engine(request.getfixturevalue("pg_url"))


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg
