"""The single writer's shortcuts change no outcome (issue 17): compared texts and product
mentions kept in memory for near-duplicate checks, and driver look-ups kept per parameter
shape."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from app.casework import cases
from app.intake import bulk, dedup, import_paths, importer
from app.intake.model import ParsedDoc, ParsedVuln, Product
from app.queueing import search
from app.workspaces.lifecycle import Workspace, open_workspace
from models import Case, CaseSearch, DuplicateCandidate
from tests.app.intake.helpers import csaf_doc, write_json
from tests.app.intake.test_dedup_normalised import TEXT, _existing
from tests.conftest import PASSPHRASE, new_workspace


def test_known_texts_hold_only_what_a_kept_run_stored() -> None:
    known = dedup.KnownTexts()
    known.add(1, "one")
    assert known.get(1) == "one"  # later reports of the same run are compared with it
    known.drop()  # the run was rolled back: its ids may be given to other reports
    assert known.get(1) is None
    known.add(2, "two")
    known.keep()
    assert known.get(2) == "two"
    known.forget(2)  # a later revision changed its title or description
    assert known.get(2) is None


def test_a_remembered_text_gives_the_candidates_a_read_one_gives(ws: Workspace) -> None:
    _existing(ws, "Portico Gateway", "Acme")
    doc = ParsedDoc(
        "csaf",
        b"{}",
        "Portico gateway injection",
        TEXT,
        vulns=(ParsedVuln(products=(Product(name="Portico Gateway", vendor="Acme"),)),),
    )
    c = dedup.compared(doc.title, doc.description, doc)
    with ws.session() as s:
        read = dedup.rows_for(s, 10_000, -1, c)
        known = dedup.KnownTexts()
        for rid in range(1, 100):
            known.add(rid, dedup._text("Portico gateway injection", TEXT))
        remembered = dedup.rows_for(s, 10_000, -1, c, known)
        # And for a list of names of any length (statements come in a few sizes).
        many = dedup.Compared((*c.names, *(f"other {i}" for i in range(20))), c.text, (), None)
        padded = dedup.rows_for(s, 10_000, -1, many)
    assert read and remembered == read
    assert [r["other_case_id"] for r in padded] == [r["other_case_id"] for r in read]


def _feed(folder: Path) -> Path:
    """Advisories that name the same products again and again, alike in text, each with its
    own CVE (so each opens a case); a revision half-way (stored on its own)."""
    folder.mkdir(parents=True)
    products = ["ChatAssist LLM 2.1", "ChatAssist Gateway", "VisionBot 3"]
    for i in range(14):
        doc = csaf_doc(
            f"FEED-{i}",
            cve=f"CVE-2026-{2000 + i}",
            product=products[i % 3] if i % 4 else products[(i + 1) % 3],
            title=f"Prompt injection in ChatAssist tool calling, part {i % 3}",
        )
        write_json(folder / f"d{i:02d}.json", doc)
    write_json(folder / "d07b.json", csaf_doc("FEED-2", version="2", cve="CVE-2026-2002"))
    return folder


def _candidates(ws: Workspace) -> list[tuple[object, ...]]:
    with ws.session() as s:
        return [
            tuple(r)
            for r in s.execute(
                select(
                    DuplicateCandidate.report_id,
                    DuplicateCandidate.other_case_id,
                    DuplicateCandidate.score,
                    DuplicateCandidate.reason,
                ).order_by(DuplicateCandidate.id)
            )
        ]


def test_remembered_mentions_give_the_candidates_reads_give(tmp_path, request, monkeypatch):
    monkeypatch.setattr(bulk, "MAX_RUN", 3)  # many runs: mentions outlive the run they came in
    monkeypatch.setattr(importer, "BATCH_SECONDS", 3600.0)
    found = {}
    for name in ("remembered", "read"):
        ws = new_workspace("sqlcipher", tmp_path / name, request)
        try:
            with monkeypatch.context() as m:
                if name == "read":
                    m.setattr(dedup.KnownMentions, "newest", lambda *a: None)
                import_paths(ws, [write_json(tmp_path / name / "first.json", csaf_doc("S-1"))])
                result = import_paths(ws, [_feed(tmp_path / name / "feed")])
            found[name] = (result.near_duplicates, _candidates(ws))
        finally:
            ws.engine.dispose()
    assert found["remembered"][0] >= 10
    assert found["remembered"] == found["read"]


@pytest.mark.parametrize("other_write", ["none", "same engine", "other program"])
def test_remembered_mentions_are_forgotten_after_any_other_write(tmp_path, request, other_write):
    """Between two runs (two transactions) another session may write on the connection the
    writer uses (it went back to the pool), or another program to the file."""
    ws = new_workspace("sqlcipher", tmp_path, request)
    mention = [("product", "VisionBot", None, None, None, None, None, "visionbot")]
    try:
        mentions = dedup.KnownMentions()
        with ws.session() as s:
            mentions.start(s)
            mentions.add(1, 1, mention)
            mentions.finish(s)
            mentions.start(s)  # the same transaction
            assert mentions.added
            mentions.finish(s)
            s.commit()
            if other_write == "same engine":
                with ws.session() as other:
                    cases.create_case(other, ws.require_actor(), "Meanwhile")
                    other.commit()
            elif other_write == "other program":
                elsewhere = open_workspace(tmp_path / "ws", PASSPHRASE)
                try:
                    with elsewhere.session() as other:
                        cases.create_case(other, elsewhere.require_actor(), "Meanwhile")
                        other.commit()
                finally:
                    elsewhere.engine.dispose()
            mentions.start(s)
            assert bool(mentions.added) is (other_write == "none")
    finally:
        ws.engine.dispose()


def test_appended_case_texts_give_the_search_document_a_read_gives(tmp_path, request, monkeypatch):
    """Reports landing run after run in one stored case (they share its CVE): the texts the
    writer appends make the document that reading the whole case makes."""
    monkeypatch.setattr(bulk, "MAX_RUN", 3)
    monkeypatch.setattr(importer, "BATCH_SECONDS", 3600.0)
    documents = {}
    for name in ("appended", "read"):
        ws = new_workspace("sqlcipher", tmp_path / name, request)
        try:
            with monkeypatch.context() as m:
                if name == "read":
                    m.setattr(
                        bulk.KnownDocuments,
                        "of",
                        lambda _self, s, case, _added: search.case_texts(s, case),
                    )
                first = csaf_doc("S-1", cve="CVE-2026-3000", family="Stored Family")
                import_paths(ws, [write_json(tmp_path / name / "first.json", first)])
                folder = tmp_path / name / "feed"
                folder.mkdir()
                for i in range(10):
                    doc = csaf_doc(f"L-{i}", cve="CVE-2026-3000", family=f"Family {i % 4}")
                    doc["vulnerabilities"].append(
                        {**doc["vulnerabilities"][0], "cve": f"CVE-2026-{3100 + i}"}
                    )
                    write_json(folder / f"d{i:02d}.json", doc)
                result = import_paths(ws, [folder])
            assert result.imported == 10
            with ws.session() as s:
                [case] = s.scalars(select(Case))  # every report landed in the stored case
                documents[name] = s.get(CaseSearch, case.id).document
                assert documents[name] == search.document_for(s, case)
        finally:
            ws.engine.dispose()
    assert documents["appended"] == documents["read"]
    assert "Family 3" in documents["appended"] and "CVE 2026 3109" in documents["appended"]
