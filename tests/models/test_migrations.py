"""The Alembic revisions build exactly the schema the ORM declares, on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.workspaces.lifecycle import Workspace
from models import Base


def test_migrations_match_the_models(any_ws: Workspace) -> None:
    with any_ws.engine.connect() as conn:
        context = MigrationContext.configure(conn)
        diff = compare_metadata(context, Base.metadata)
    # The FTS5 shadow tables and the tsvector index are made by hand in the first revision.
    diff = [d for d in diff if "case_fts" not in repr(d) and "ix_case_search_tsv" not in repr(d)]
    assert diff == []


def test_single_head() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from app.workspaces.engines import MIGRATIONS

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    # One line of revisions: branches merged in parallel must be re-chained, never forked.
    assert len(ScriptDirectory.from_config(cfg).get_heads()) == 1
