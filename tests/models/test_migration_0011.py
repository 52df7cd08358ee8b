"""Migration 0011 backfills who received which case from the manifests of earlier exports,
so partners keep the right to update cases they were sent before the upgrade."""

from __future__ import annotations

import json
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from app.workspaces.engines import MIGRATIONS, plain_sqlite_engine


def test_backfill_from_earlier_export_manifests(tmp_path: Path) -> None:
    engine = plain_sqlite_engine(tmp_path / "old.sqlite")
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0009")
        now = "2026-11-27 10:00:00"
        conn.execute(
            text(
                "INSERT INTO partner (id, name, country, timezone, languages, last_sequence_in,"
                " last_sequence_out, created_at) VALUES (7, 'CERT-B', 'DE', 'UTC', '[]', 0, 1, :t)"
            ),
            {"t": now},
        )
        conn.execute(
            text(
                'INSERT INTO partner_key (partner_id, fingerprint, certificate, "current",'
                " revoked, added_at) VALUES (7, 'ABCD', 'cert', 1, 0, :t)"
            ),
            {"t": now},
        )
        for n in (1, 2):
            conn.execute(
                text(
                    'INSERT INTO "case" (id, "key", year, number, title, description, status,'
                    " tier_rank, partners_label, created_at, updated_at) VALUES"
                    " (:n, :k, 2026, :n, 't', '', 'new', 0, '', :t, :t)"
                ),
                {"n": n, "k": f"ACC-2026-000{n}", "t": now},
            )
        manifest = {"cases": ["ACC-2026-0002"], "recipients": [{"fingerprint": "abcd"}]}
        conn.execute(
            text(
                "INSERT INTO bundle (id, bundle_uuid, direction, tlp, state, manifest, sha256,"
                " created_at) VALUES (3, 'u', 'out', 'GREEN', 'done', :m, '', :t)"
            ),
            {"m": json.dumps(manifest), "t": now},
        )
        command.upgrade(cfg, "0011")
        rows = conn.execute(text("SELECT bundle_id, partner_id, case_id FROM bundle_case")).all()
    assert [tuple(r) for r in rows] == [(3, 7, 2)]
    engine.dispose()
