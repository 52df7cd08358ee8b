"""Migration 0034: the index of product mentions holds the rows that carry a name key. Rows
stored before keep their keys (they stay mentions) and the index is rebuilt with them, on
both backends; downgrading gives back the index of every row."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Connection, text

from tests.models.helpers import BACKENDS, alembic_config, empty_engine

INDEX = "ix_affected_product_name_key_id"


def _definition(conn: Connection) -> str:
    if conn.dialect.name == "sqlite":
        sql = "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = :name"
    else:
        sql = "SELECT indexdef FROM pg_indexes WHERE indexname = :name"
    return str(conn.execute(text(sql), {"name": INDEX}).scalar_one())


@pytest.mark.parametrize("backend", BACKENDS)
def test_mentions_stored_before_stay_in_the_index(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    engine = empty_engine(backend, tmp_path, request)
    cfg = alembic_config()
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0033")
            assert "WHERE" not in _definition(conn).upper()
            conn.execute(
                text(
                    'INSERT INTO "case" (id, key, year, number, title, description, status,'
                    " tier_rank, partners_label, created_at, updated_at) VALUES (1,"
                    " 'ACC-2026-0001', 2026, 1, 't', '', 'new', 9, '', CURRENT_TIMESTAMP,"
                    " CURRENT_TIMESTAMP)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO vulnerability (id, case_id, title, description, atlas_ids,"
                    " owasp_ids, scores, created_at) VALUES (1, 1, 'v', '', '[]', '[]', '[]',"
                    " CURRENT_TIMESTAMP)"
                )
            )
            for pid, key in ((1, "portico llm"), (2, "portico llm"), (3, None)):
                conn.execute(
                    text(
                        "INSERT INTO affected_product (id, vulnerability_id, kind, name,"
                        " name_key) VALUES (:id, 1, 'product', 'Portico LLM', :key)"
                    ),
                    {"id": pid, "key": key},
                )
            command.upgrade(cfg, "0034")
            assert "name_key IS NOT NULL" in _definition(conn)
            keys = conn.execute(text("SELECT id, name_key FROM affected_product ORDER BY id")).all()
            assert [tuple(k) for k in keys] == [(1, "portico llm"), (2, "portico llm"), (3, None)]
            command.downgrade(cfg, "0033")
            assert "WHERE" not in _definition(conn).upper()
    finally:
        engine.dispose()
