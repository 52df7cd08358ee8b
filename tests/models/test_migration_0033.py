"""Migration 0033 adds how a report's original is stored (``raw_codec``): reports and their
revisions stored before it keep their bytes, read as received, on both backends."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from models import Report, ReportRevision
from tests.models.helpers import BACKENDS, alembic_config, empty_engine

# A document that begins like a zlib stream: only the column may say how bytes are stored.
OLD = b"x\x9c" + b"the reporter's words, exactly as sent " * 20
EARLIER = b"an earlier revision " * 40


@pytest.mark.parametrize("backend", BACKENDS)
def test_reports_stored_before_keep_their_originals(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    engine = empty_engine(backend, tmp_path, request)
    cfg = alembic_config()
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
