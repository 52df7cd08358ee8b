"""The column-mapping step, headless: find spreadsheets as the import does, propose a mapping
(saved over guessed over ignore), preview and refusal as the import would, save audited."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from app.auditing import chain as audit
from app.errors import UsageError
from app.intake import import_paths, mapping
from app.intake.model import Limits
from app.intake.spreadsheet import FIELDS
from models import AuditEvent, Report, SourceMapping
from tests.app.intake.helpers import INTAKE, csaf_doc, write_json

BOUNTY = (
    "Ref,Headline,Details text,Target,Internal notes\n"
    "BB-1,Jailbreak of VisionBot,An image prompt bypasses the filter.,VisionBot,triaged\n"
    "BB-2,Tool call injection,A crafted page makes the agent send mail.,MailAgent,\n"
)


def xlsx_bytes(rows: list[list[str]]) -> bytes:
    wb = Workbook()
    sheet = wb.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_guessed_columns_with_samples_and_origin(ws):
    with ws.session() as s:
        proposal = mapping.propose_mapping(s, [INTAKE / "hackerone-export.csv"], "h1")
    assert not proposal.has_saved and proposal.unreadable == ()
    [sheet] = proposal.sheets
    assert sheet.row_count == 2 and sheet.headers[0] == "id"
    by_column = {c.column: c for c in proposal.columns}
    assert by_column["vulnerability_information"].field == "description"
    assert {c.origin for c in proposal.columns} == {"guessed"}
    assert by_column["id"].samples == ("H1-1001", "H1-1002")
    assert by_column["cvss_vector"].samples == ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",)
    assert proposal.refused() == ()
    [first, second] = proposal.preview()
    assert first.identifier == "h1:H1-1001"
    assert first.title == "Prompt injection leaks customer emails"
    assert second.description.startswith("The /weights endpoint")


def test_saved_mapping_wins_over_the_guess_and_unknown_columns_are_ignored(ws, tmp_path):
    path = tmp_path / "bounty.csv"
    path.write_text(BOUNTY, encoding="utf-8")
    with ws.session() as s:
        mapping.save_mapping(s, ws.require_actor(), "acme", {"Headline": "title", "Target": "url"})
    with ws.session() as s:
        proposal = mapping.propose_mapping(s, [path], "acme")
    got = {c.column: (c.field, c.origin) for c in proposal.columns}
    assert got == {
        "Ref": ("ignore", "none"),
        "Headline": ("title", "saved"),
        "Details text": ("ignore", "none"),
        "Target": ("url", "saved"),  # saved over the guess (product)
        "Internal notes": ("ignore", "none"),
    }
    assert proposal.has_saved
    # Another source knows nothing of acme's mapping.
    with ws.session() as s:
        other = mapping.propose_mapping(s, [path], "other")
    assert {c.column: c.origin for c in other.columns}["Target"] == "guessed"
    assert other.refused() == (str(path),)
    assert other.preview() == ()


def test_what_is_proposed_is_what_the_import_does(ws, tmp_path):
    path = tmp_path / "bounty.csv"
    path.write_text(BOUNTY, encoding="utf-8")
    with ws.session() as s:
        proposal = mapping.propose_mapping(s, [path], "acme")
    [rejected] = import_paths(ws, [path], source="acme").rejected  # refused, as announced
    assert "title or description" in rejected.reason and proposal.refused() == (str(path),)

    chosen = {
        **proposal.mapping(),
        "Ref": "identifier",
        "Headline": "title",
        "Details text": "description",
    }
    preview = proposal.preview(chosen)
    assert preview[0].identifier == "acme:BB-1"
    assert proposal.refused(chosen) == ()
    result = import_paths(ws, [path], source="acme", mapping=chosen)
    assert result.imported == 2, result.rejected
    with ws.session() as s:
        reports = s.scalars(select(Report).order_by(Report.id)).all()
        assert s.get(SourceMapping, "acme").columns == chosen
    assert [(r.document_id, r.title, r.description) for r in reports] == [
        (p.identifier, p.title, p.description) for p in preview
    ]
    with ws.session() as s:  # the next proposal comes from the mapping the import saved
        again = mapping.propose_mapping(s, [path], "acme")
    assert again.mapping() == chosen and {c.origin for c in again.columns} == {"saved"}


def test_folders_and_zips_are_walked_and_detected_like_the_import(ws, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "bounty.csv").write_text(BOUNTY, encoding="utf-8")
    write_json(folder / "advisory.json", csaf_doc())
    (folder / "empty.csv").write_bytes(b"")
    (folder / "broken.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    # The import sniffs content too: a workbook under another name is still a spreadsheet.
    (folder / "export.dat").write_bytes(xlsx_bytes([["Title", "Asset"], ["Leak", "Bot"]]))
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("inner/bugcrowd.xlsx", xlsx_bytes([["Summary", "VRT"], ["XSS in chat", "x"]]))
        zf.writestr("inner/notes.txt", "not a spreadsheet")
    zipped = tmp_path / "batch.zip"
    zipped.write_bytes(archive.getvalue())
    scan = mapping.scan_paths([folder, zipped])
    assert [s.path for s in scan.sheets] == [
        str(folder / "bounty.csv"),
        str(folder / "export.dat"),
        f"{zipped}!inner/bugcrowd.xlsx",
    ]
    assert {u.path: u.reason.split(":")[0] for u in scan.unreadable} == {
        str(folder / "broken.xlsx"): "not a readable XLSX file",
        str(folder / "empty.csv"): "empty file",
    }
    proposal = mapping.propose(scan, "mixed", {})
    columns = [c.column for c in proposal.columns]
    assert columns == [
        "Ref", "Headline", "Details text", "Target", "Internal notes",
        "Title", "Asset", "Summary", "VRT",
    ]  # fmt: skip
    assert proposal.refused() == (str(folder / "bounty.csv"),)
    assert [p.title for p in proposal.preview()] == ["Leak", "XSS in chat"]


def test_too_big_and_missing_spreadsheets_are_reported_not_raised(tmp_path):
    big = tmp_path / "huge.csv"
    big.write_text("title\n" + "x\n" * 2000, encoding="utf-8")
    scan = mapping.scan_paths([big, tmp_path / "gone.xlsx"], Limits(max_file_size=1000))
    assert scan.sheets == ()
    reasons = {u.path: u.reason for u in scan.unreadable}
    assert reasons[str(big)].startswith("file larger than the limit")
    assert reasons[str(tmp_path / "gone.xlsx")] == "no such file or folder"
    rows = tmp_path / "rows.csv"
    rows.write_text("title\n" + "x\n" * 20, encoding="utf-8")
    [unreadable] = mapping.scan_paths([rows], Limits(max_rows=10)).unreadable
    assert unreadable.reason == "more than 10 rows"


def test_scan_reports_progress_and_stops_when_cancelled(tmp_path):
    paths = []
    for i in range(4):
        p = tmp_path / f"s{i}.csv"
        p.write_text("title\nx\n", encoding="utf-8")
        paths.append(p)
    seen: list[tuple[int, int, str]] = []
    scan = mapping.scan_paths(paths, progress=lambda d, t, m="": seen.append((d, t, m)))
    assert len(scan.sheets) == 4 and seen[0] == (0, 4, str(paths[0])) and seen[-1] == (4, 4, "")
    calls = []

    def cancel() -> bool:
        calls.append(1)
        return len(calls) > 2

    partial = mapping.scan_paths(paths, cancel=cancel)
    assert partial.cancelled and len(partial.sheets) == 2


def test_samples_are_few_short_and_on_one_line(tmp_path):
    path = tmp_path / "long.csv"
    body = "line one\nline two " + "y" * 200
    rows = "".join(f'"T{i}","{body}"\n' for i in range(8))
    path.write_text("title,description\n" + rows, encoding="utf-8")
    proposal = mapping.propose(mapping.scan_paths([path]), "s", {})
    title, description = proposal.columns
    assert title.samples == ("T0", "T1", "T2")
    assert all(len(v) == mapping.SAMPLE_CHARS and "\n" not in v for v in description.samples)
    assert len(proposal.sheets[0].rows) == mapping.SAMPLE_ROWS
    assert proposal.sheets[0].row_count == 8


def test_save_merges_or_replaces_validates_and_is_audited(ws):
    actor = ws.require_actor()
    with ws.session() as s:
        saved = mapping.save_mapping(s, actor, " h1 ", {"Ref": "identifier", "Head": "title"})
    assert saved.as_json() == {"source": "h1", "columns": {"Ref": "identifier", "Head": "title"}}
    with ws.session() as s:
        merged = mapping.save_mapping(s, actor, "h1", {"Head": "ignore", "Body": "description"})
    assert dict(merged.columns) == {"Ref": "identifier", "Head": "ignore", "Body": "description"}
    with ws.session() as s:
        mapping.save_mapping(s, actor, "h1", {"Body": "description"})  # no change: no event
        replaced = mapping.save_mapping(s, actor, "h1", {"Body": "title"}, replace=True)
    assert dict(replaced.columns) == {"Body": "title"}
    with ws.session() as s:
        assert s.get(SourceMapping, "h1").columns == {"Body": "title"}
        events = s.scalars(
            select(AuditEvent).where(AuditEvent.action == "intake.mapping.save")
        ).all()
        assert [(e.entity, e.entity_id, e.actor) for e in events] == [
            ("source_mapping", "h1", "alice")
        ] * 3
        assert [e.details for e in events] == [
            {"columns": 2, "changed": 2},
            {"columns": 3, "changed": 2},
            {"columns": 1, "changed": 3},
        ]
        audit.verify_session(s)
    with ws.session() as s:
        assert [m.source for m in mapping.list_mappings(s)] == ["h1"]


@pytest.mark.parametrize(
    ("source", "columns", "message"),
    [
        ("h1", {"Ref": "nonsense"}, "unknown field(s) nonsense"),
        ("h1", {}, "at least one named column"),
        ("h1", {" ": "title"}, "at least one named column"),
        ("  ", {"Ref": "title"}, "a source needs a name"),
        ("x" * 201, {"Ref": "title"}, "a source needs a name"),
    ],
)
def test_save_refuses_bad_mappings(ws, source, columns, message):
    with ws.session() as s, pytest.raises(UsageError, match=re.escape(message)):
        mapping.save_mapping(s, ws.require_actor(), source, columns)
    with ws.session() as s:
        assert mapping.list_mappings(s) == ()


def test_every_field_has_a_label_and_fields_stay_known():
    assert set(mapping.FIELD_LABELS) == set(FIELDS)
    assert set(mapping.ORIGIN_LABELS) == {"saved", "guessed", "none"}


def test_an_import_that_changes_the_saved_mapping_is_audited(ws):
    def saves() -> int:
        with ws.session() as s:
            actions = s.scalars(select(AuditEvent.action))
            return sum(a == "intake.mapping.save" for a in actions)

    import_paths(ws, [INTAKE / "hackerone-export.csv"], source="hackerone")
    assert saves() == 1
    import_paths(ws, [INTAKE / "hackerone-export.csv"], source="hackerone")  # same mapping
    assert saves() == 1
    with ws.session() as s:
        assert audit.verify_session(s).events > 0
