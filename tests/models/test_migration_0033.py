"""Migration 0033 adds how a report's original is stored (``raw_codec``): reports and their
revisions stored before it keep their bytes, read as received, on both backends."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.orm import Session

from app.workspaces.engines import MIGRATIONS, plain_sqlite_engine
from models import Report, ReportRevision

# A document that begins like a zlib stream: only the column may say how bytes are stored.
OLD = b"x\x9c" + b"the reporter's words, exactly as sent " * 20
EARLIER = b"an earlier revision " * 40


def _engine(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Engine:
    if backend == "sqlite":
        return plain_sqlite_engine(tmp_path / "old.sqlite")
    return create_engine(request.getfixturevalue("pg_url"))


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_reports_stored_before_keep_their_originals(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    engine = _engine(backend, tmp_path, request)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0032")
            conn.execute(
                text(
                    "INSERT INTO report (id, source, format, title, description, raw, raw_sha256,"
                    " warnings, received_at) VALUES (5, 'manual', 'text', 't', '', :raw, 'ab',"
                    " '[]', CURRENT_TIMESTAMP)"
                ),
                {"raw": OLD},
            )
            conn.execute(
                text(
                    "INSERT INTO report_revision (id, report_id, revision, raw, raw_sha256,"
                    " replaced_at) VALUES (8, 5, '1', :raw, 'cd', CURRENT_TIMESTAMP)"
                ),
                {"raw": EARLIER},
            )
            command.upgrade(cfg, "0033")
            codecs = conn.execute(
                text("SELECT raw_codec FROM report UNION ALL SELECT raw_codec FROM report_revision")
            ).all()
        assert [c for (c,) in codecs] == ["", ""]
        with Session(engine) as s:
            report = s.get(Report, 5)
            assert report is not None and report.raw == OLD
            assert [r.raw for r in s.scalars(select(ReportRevision))] == [EARLIER]
    finally:
        engine.dispose()
