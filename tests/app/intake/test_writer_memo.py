"""The single writer's shortcuts change no outcome (issue 17): compared texts and product
mentions kept in memory for near-duplicate checks, and driver look-ups kept per parameter
shape."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session, SessionTransaction

from app.casework import cases
from app.intake import bulk, dedup, import_paths, importer
from app.intake.model import ParsedDoc, ParsedVuln, Product
from app.queueing import search
from app.workspaces.lifecycle import Workspace, open_workspace
from models import Case, CaseSearch, DuplicateCandidate
from tests.app.intake.helpers import csaf_doc, run_sizes, write_json
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


def test_remembered_mentions_say_when_a_look_up_must_read(ws: Workspace) -> None:
    """A look-up in memory gives the newest mentions, newest first, as the read would; where
    the read would leave one out (of the report's own case, or by a report not older than
    it), it gives None and the caller reads. A case whose mention no longer fits in memory
    makes it read too: reading when it need not costs time, never a candidate."""
    mention = [("product", "VisionBot", None, None, None, None, None, "visionbot")]
    mentions = dedup.KnownMentions()
    with ws.session() as s:
        mentions.start(s)
        for report_id in range(1, 61):  # more than a name keeps (MENTIONS_PER_PRODUCT)
            mentions.add(report_id, 100 + report_id, mention)
        kept = [(rid, 100 + rid, "VisionBot") for rid in range(60, 10, -1)]
        assert len(kept) == dedup.MENTIONS_PER_PRODUCT
        assert mentions.newest(s, ["visionbot"], case_id=999, before=61) == kept
        assert mentions.newest(s, ["visionbot", "nothing"], 999, 61) == kept  # none stored
        assert mentions.newest(s, ["visionbot"], 999, before=60) is None  # by a later report
        assert mentions.newest(s, ["visionbot"], 160, before=61) is None  # of its own case
        assert mentions.newest(s, ["visionbot"], 101, before=61) is None  # no longer in memory
        assert mentions.newest(s, ["nothing"], 160, before=61) == []  # another name's case


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


def _joining(folder: Path, n: int) -> Path:
    """``n`` advisories that each share CVE-2026-3000 (so each lands in the stored case that
    has it), each with texts and one more CVE of its own."""
    folder.mkdir(parents=True)
    for i in range(n):
        doc = csaf_doc(f"L-{i}", cve="CVE-2026-3000", family=f"Family {i % 4}")
        doc["vulnerabilities"].append({**doc["vulnerabilities"][0], "cve": f"CVE-2026-{3100 + i}"})
        write_json(folder / f"d{i:02d}.json", doc)
    return folder


def _stored_case(ws: Workspace, folder: Path) -> None:
    first = csaf_doc("S-1", cve="CVE-2026-3000", family="Stored Family")
    import_paths(ws, [write_json(folder / "first.json", first)])


def _in_step(s) -> list[int]:  # type: ignore[no-untyped-def]
    """Every case's search document is the one reading its rows makes; returns how many
    reports each case has."""
    counts = []
    for case in s.scalars(select(Case).order_by(Case.id)):
        assert s.get(CaseSearch, case.id).document == search.document_for(s, case), case.key
        counts.append(len(case.reports))
    return counts


def test_appended_case_texts_give_the_search_document_a_read_gives(tmp_path, request, monkeypatch):
    """Reports landing run after run in one stored case (they share its CVE): the texts the
    writer appends make the document that reading the whole case makes."""
    monkeypatch.setattr(bulk, "MAX_RUN", 3)
    monkeypatch.setattr(importer, "BATCH_DOCUMENTS", 4)  # appended in some batches, read in others
    monkeypatch.setattr(importer, "BATCH_SECONDS", 3600.0)
    documents = {}
    for name in ("appended", "read"):
        ws = new_workspace("sqlcipher", tmp_path / name, request)
        try:
            with monkeypatch.context() as m:
                if name == "read":
                    m.setattr(
                        bulk.KnownDocuments, "of", lambda _self, s, case: search.case_texts(s, case)
                    )
                _stored_case(ws, tmp_path / name)
                result = import_paths(ws, [_joining(tmp_path / name / "feed", 10)])
            assert result.imported == 10
            with ws.session() as s:
                [case] = s.scalars(select(Case))  # every report landed in the stored case
                documents[name] = s.get(CaseSearch, case.id).document
                assert _in_step(s) == [11]
        finally:
            ws.engine.dispose()
    assert documents["appended"] == documents["read"]
    assert "Family 3" in documents["appended"] and "CVE 2026 3109" in documents["appended"]


def test_a_case_joined_run_after_run_is_reindexed_once_a_batch(tmp_path, request, monkeypatch):
    """Its document is composed and full-text indexed once, before the batch commits, instead
    of once for every run that added a report to it: a case that gathers hundreds of reports
    in a big import was indexed again and again, more each time."""
    monkeypatch.setattr(bulk, "MAX_RUN", 3)
    monkeypatch.setattr(importer, "BATCH_SECONDS", 3600.0)
    ws = new_workspace("sqlcipher", tmp_path, request)
    rewritten: list[int] = []
    real = search._write_documents

    def spy(session, missing, changed):  # type: ignore[no-untyped-def]
        rewritten.extend(case_id for case_id, _document in changed)
        return real(session, missing, changed)

    monkeypatch.setattr(search, "_write_documents", spy)
    try:
        _stored_case(ws, tmp_path)
        runs = run_sizes(monkeypatch)
        assert import_paths(ws, [_joining(tmp_path / "feed", 10)]).imported == 10
        assert runs == [3, 3, 3, 1]
        with ws.session() as s:
            [case] = s.scalars(select(Case))
            assert rewritten == [case.id]
            assert _in_step(s) == [11]
    finally:
        ws.engine.dispose()


def test_every_batch_commits_the_documents_of_the_cases_it_added_to(tmp_path, request, monkeypatch):
    """Checked at each commit of an import, from another session: batches of five documents,
    runs of two, a run that fails after writing its rows (rolled back, its documents stored
    one by one), and the last document of the second batch a revision of another case,
    stored on its own (the texts kept are forgotten, the documents owed are not)."""
    monkeypatch.setattr(bulk, "MAX_RUN", 2)
    monkeypatch.setattr(importer, "BATCH_DOCUMENTS", 5)
    monkeypatch.setattr(importer, "BATCH_SECONDS", 3600.0)
    ws = new_workspace("sqlcipher", tmp_path, request)
    try:
        _stored_case(ws, tmp_path)
        other = csaf_doc("R-1", cve="CVE-2026-4000", title="Another case", family="Other")
        import_paths(ws, [write_json(tmp_path / "other.json", other)])
        feed = _joining(tmp_path / "feed", 12)
        revised = csaf_doc("R-1", version="2", cve="CVE-2026-4000", family="Revised Family")
        write_json(feed / "d08b.json", revised)  # sorted after d08: the batch's fifth
        real_write = bulk.write
        runs = [0]

        def failing(s, actor, planned, source, **kw):  # type: ignore[no-untyped-def]
            out = real_write(s, actor, planned, source, **kw)
            runs[0] += 1
            if runs[0] == 2:
                raise RuntimeError("the run fails after writing its rows")
            return out

        monkeypatch.setattr(bulk, "write", failing)
        seen: list[list[int]] = []
        checking: list[Session] = []

        def check(session: Session, ended: SessionTransaction) -> None:
            if ended.parent is not None or checking:
                return  # a savepoint's end, or the check's own
            with Session(ws.engine) as other:  # the workspace's sessions are the import's
                checking.append(other)
                seen.append(_in_step(other))
            checking.clear()

        event.listen(Session, "after_transaction_end", check)
        try:
            result = import_paths(ws, [feed])
        finally:
            event.remove(Session, "after_transaction_end", check)
        assert result.imported == 12 and result.updated == 1
        # Each transaction's end: the three batches' commits (then the session's close).
        assert [c for i, c in enumerate(seen) if not i or c != seen[i - 1]] == [
            [6, 1],
            [10, 1],
            [13, 1],
        ]
        with ws.session() as s:
            documents = list(s.scalars(select(CaseSearch.document).order_by(CaseSearch.case_id)))
        assert "Revised Family" in documents[1] and "CVE 2026 3111" in documents[0]
    finally:
        ws.engine.dispose()
