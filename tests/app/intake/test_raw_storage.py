"""A report's original bytes are stored compressed when that saves (models/rawcodec.py), by
the parser processes, and every reader gets them back byte for byte."""

from __future__ import annotations

import hashlib
import json
import os
import zlib
from pathlib import Path

import pytest
from sqlalchemy import select, text

from app.errors import VerificationError
from app.intake import import_paths, records, rows
from app.intake.model import Limits
from app.workspaces import lifecycle
from app.workspaces.lifecycle import Workspace
from models import Report, ReportRevision, StoredRawError, rawcodec
from tests.app.intake.helpers import csaf_doc, run_sizes, write_json
from tests.conftest import PASSPHRASE


def _stored(ws: Workspace, table: str = "report") -> list[tuple[int, bytes, str, str]]:
    """The columns as stored, read past the ORM."""
    with ws.engine.connect() as conn:
        got = conn.execute(
            text(f"SELECT id, raw, raw_codec, raw_sha256 FROM {table} ORDER BY id")
        ).all()
    return [(i, bytes(raw), codec, sha) for i, raw, codec, sha in got]


def _docs(folder: Path, n: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [
        write_json(folder / f"d{i:03d}.json", csaf_doc(f"RAW-{i}", cve=f"CVE-2026-{2000 + i}"))
        for i in range(n)
    ]


def test_bulk_import_stores_compressed_and_every_reader_gets_the_original(
    any_ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = _docs(tmp_path / "in", 3)
    runs = run_sizes(monkeypatch)
    assert import_paths(any_ws, [tmp_path / "in"]).imported == 3
    assert max(runs) == 3  # the three went in as one run of the bulk path
    originals = {hashlib.sha256(p.read_bytes()).hexdigest(): p.read_bytes() for p in paths}
    stored = _stored(any_ws)
    assert len(stored) == 3
    for report_id, raw, codec, sha in stored:
        original = originals[sha]  # the SHA-256 is of the original, not of what is stored
        assert codec == "zlib" and len(raw) < len(original) // 2
        assert zlib.decompress(raw) == original
        with any_ws.session() as s:
            report = s.get(Report, report_id)
            assert report is not None and report.raw == original
            assert records.report_detail(s, report_id)[1] == original


def test_the_writer_compresses_nothing_when_parser_processes_parse(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With worker processes, the stored form comes from them with the parsed document."""
    _docs(tmp_path / "in", 70)

    def refuse(raw: bytes) -> tuple[bytes, str]:
        raise AssertionError("the single writer compressed a document")

    monkeypatch.setattr(rows, "encode", refuse)
    monkeypatch.setattr(rawcodec, "encode", refuse)
    assert import_paths(ws, [tmp_path / "in"], workers=2).imported == 70
    assert {codec for _i, _raw, codec, _sha in _stored(ws)} == {"zlib"}


def test_cli_shows_the_original(initialised_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    doc = write_json(tmp_path / "a.json", csaf_doc("ACME-9", cve="CVE-2026-3009"))
    assert initialised_cli("import", str(doc)).code == 0
    ws = lifecycle.open_workspace(tmp_path / "ws", PASSPHRASE)
    try:
        assert [codec for _i, _raw, codec, _sha in _stored(ws)] == ["zlib"]
    finally:
        ws.engine.dispose()
    shown = initialised_cli("report", "show", "1", "--raw", "--json")
    assert shown.code == 0, shown.err
    assert shown.json()["raw"] == doc.read_text(encoding="utf-8")


def test_a_row_stored_as_received_still_reads(any_ws: Workspace) -> None:
    """Rows written before compression (codec '' by the column's default) read as they are,
    even when they begin like a zlib stream."""
    legacy = zlib.compress(b"this is what the reporter sent, bytes and all" * 30)
    with any_ws.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO report (source, format, title, description, raw, raw_sha256,"
                " warnings, received_at) VALUES ('manual', 'text', 't', '', :raw, :sha, '[]',"
                " CURRENT_TIMESTAMP)"
            ),
            {"raw": legacy, "sha": hashlib.sha256(legacy).hexdigest()},
        )
    [(report_id, raw, codec, _sha)] = _stored(any_ws)
    assert (raw, codec) == (legacy, "")
    with any_ws.session() as s:
        assert records.report_detail(s, report_id)[1] == legacy


def test_revisions_keep_their_original(any_ws: Workspace, tmp_path: Path) -> None:
    v1 = write_json(tmp_path / "v1.json", csaf_doc(version="1"))
    v2 = write_json(tmp_path / "v2.json", csaf_doc(version="2", title="Fixed in 2.2"))
    v3 = write_json(tmp_path / "v3.json", csaf_doc(version="3", title="Fixed in 2.3"))
    import_paths(any_ws, [v2])
    assert import_paths(any_ws, [v3]).updated == 1  # v2 becomes a revision
    assert import_paths(any_ws, [v1]).duplicates == 1  # a late earlier one: history only
    with any_ws.session() as s:
        report = s.scalars(select(Report)).one()
        assert report.raw == v3.read_bytes()
        kept = {r.revision: r.raw for r in s.scalars(select(ReportRevision))}
        assert kept == {"1": v1.read_bytes(), "2": v2.read_bytes()}
    assert {codec for _i, _raw, codec, _sha in _stored(any_ws, "report_revision")} == {"zlib"}
    assert {sha for _i, _r, _c, sha in _stored(any_ws, "report_revision")} == {
        hashlib.sha256(p.read_bytes()).hexdigest() for p in (v1, v2)
    }


def test_incompressible_and_tiny_documents_are_stored_as_received(
    ws: Workspace, tmp_path: Path
) -> None:
    noise = os.urandom(4000)
    assert rawcodec.encode(noise) == (noise, "")
    tiny = b'{"a": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}'
    assert rawcodec.encode(tiny) == (tiny, "")
    big = b"a" * (rawcodec.MAX_SIZE + 1)
    assert rawcodec.encode(big) == (big, "")  # never more than reading back allows
    note = tmp_path / "note.txt"
    note.write_bytes(b"Prompt injection in the mail assistant; details to follow.")
    import_paths(ws, [note])
    [(_i, raw, codec, _sha)] = _stored(ws)
    assert (raw, codec) == (note.read_bytes(), "")


def test_the_intake_limit_is_within_what_reading_back_allows() -> None:
    assert Limits().max_file_size <= rawcodec.MAX_SIZE


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b[:-6],  # truncated
        lambda b: b[:20] + bytes(x ^ 0xFF for x in b[20:40]) + b[40:],  # altered
        lambda b: b + b"more",  # extended
    ],
    ids=["truncated", "altered", "extended"],
)
def test_damaged_stored_bytes_give_an_error_naming_the_report(
    ws: Workspace, tmp_path: Path, damage
) -> None:  # type: ignore[no-untyped-def]
    doc = write_json(tmp_path / "a.json", csaf_doc())
    import_paths(ws, [doc])
    [(report_id, raw, codec, _sha)] = _stored(ws)
    assert codec == "zlib"
    with ws.engine.begin() as conn:
        conn.execute(text("UPDATE report SET raw = :raw"), {"raw": damage(raw)})
    with ws.session() as s:
        report = s.get(Report, report_id)
        assert report is not None
        with pytest.raises(StoredRawError, match=f"report {report_id}: its stored original"):
            report.raw  # noqa: B018
        with pytest.raises(VerificationError, match=f"report {report_id} is damaged"):
            records.report_detail(s, report_id)


def test_damaged_original_in_the_cli(initialised_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    doc = write_json(tmp_path / "a.json", csaf_doc())
    assert initialised_cli("import", str(doc)).code == 0
    ws = lifecycle.open_workspace(tmp_path / "ws", PASSPHRASE)
    try:
        with ws.engine.begin() as conn:
            conn.execute(text("UPDATE report SET raw = :raw"), {"raw": b"x\x9c garbage"})
    finally:
        ws.engine.dispose()
    shown = initialised_cli("report", "show", "1", "--raw")
    assert shown.code == 4
    assert "report 1" in shown.err and "damaged" in shown.err
    assert "garbage" not in shown.out + shown.err


def test_reading_back_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    bomb = zlib.compress(b"\0" * 100_000)
    assert rawcodec.decode(bomb, "zlib", "report 7") == b"\0" * 100_000
    monkeypatch.setattr(rawcodec, "MAX_SIZE", 99_999)
    with pytest.raises(StoredRawError, match="report 7: its stored original inflates past"):
        rawcodec.decode(bomb, "zlib", "report 7")
    with pytest.raises(StoredRawError, match="unknown codec"):
        rawcodec.decode(b"abc", "lz4", "report 7")


def test_a_damaged_original_stops_nothing_around_it(ws: Workspace, tmp_path: Path) -> None:
    """Deadline evidence reads the case's other reports, and the same document arriving again
    is kept beside the damaged one (the two cannot be compared)."""
    from app.deadlines import evidence
    from models import Case

    first = csaf_doc("ACME-2026-001", cve="CVE-2026-4242")
    a = write_json(tmp_path / "a.json", first)
    b = write_json(tmp_path / "b.json", csaf_doc("ACME-2026-002", cve="CVE-2026-4242"))
    import_paths(ws, [a, b])
    with ws.engine.begin() as conn:
        conn.execute(text("UPDATE report SET raw = :raw WHERE id = 1"), {"raw": b"x\x9c garbage"})
    with ws.session() as s:
        [case] = s.scalars(select(Case)).all()
        proposed = evidence.propose(s, case)
        assert proposed and {p.report_id for p in proposed} == {2}
    again = tmp_path / "again.json"
    again.write_text(json.dumps(first, indent=4), encoding="utf-8")  # same record, other bytes
    result = import_paths(ws, [again])
    assert (result.imported, result.duplicates, result.rejected) == (1, 0, ())
    with ws.session() as s:
        kept = s.scalars(select(Report).where(Report.id > 2)).one()
        assert kept.raw == again.read_bytes()
        assert any("same document id and revision as report 1" in w for w in kept.warnings)
