"""Search finds a case by the identifiers a coordinator has in hand: CVE ids, document ids
(CSAF tracking ids), vendor ids, GHSA ids, product names and purls, on every backend."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import delete, select, update

from app.casework import cases
from app.intake import import_paths
from app.queueing import queue, search
from app.workspaces.lifecycle import Workspace
from models import Case, CaseSearch
from tests.app.intake.helpers import csaf_doc, write_json

CVE = "CVE-2026-41234"
DOC_ID = "HLX-SA-2026-017"
PURL = "pkg:pypi/portico-gateway@3.4.1"


def advisory() -> dict[str, object]:
    """The vendor's CSAF advisory of the exercise: its tracking id, CVE, a vendor id, a
    GHSA alias, the product and its purl."""
    doc = csaf_doc(
        tracking_id=DOC_ID,
        cve=CVE,
        product="Portico LLM Gateway 3.4.1",
        family="Portico LLM Gateway",
        title="Tool-call injection in the gateway's router",
    )
    doc["document"]["tracking"]["aliases"] = ["GHSA-4x9m-p2q7-c3vh"]
    branch = doc["product_tree"]["branches"][0]["branches"][0]["branches"][0]
    branch["product"]["product_identification_helper"] = {"purl": PURL}
    doc["vulnerabilities"][0]["ids"] = [{"system_name": "Helix tracker", "text": "HLX-4411"}]
    return doc


def found(ws: Workspace, text: str) -> list[str]:
    with ws.session() as s:
        ids = queue.ids(s, queue.QueueQuery(text=text))
        return [cases.key_for_id(s, i) for i in ids]


@pytest.fixture
def imported(any_ws: Workspace, tmp_path: Path) -> tuple[Workspace, str, str]:
    """The advisory imported, and an unrelated case whose title says a CVE-like number."""
    result = import_paths(any_ws, [write_json(tmp_path / "hlx.json", advisory())])
    assert result.imported == 1
    with any_ws.session() as s:
        other = cases.create_case(s, any_ws.require_actor(), "Jailbreak in 2026 41234 build")
        other_key = other.key
        key = s.scalar(select(Case.key).where(Case.id != other.id))
    assert key is not None
    return any_ws, key, other_key


@pytest.mark.parametrize(
    "text",
    [CVE, CVE.lower(), DOC_ID, "hlx-sa-2026-017", "GHSA-4x9m-p2q7-c3vh", "HLX-4411", PURL,
     "portico-gateway", "Portico Gateway", "ACME AI"],
)  # fmt: skip
def test_identifiers_and_products_find_the_case(imported, text: str) -> None:  # type: ignore[no-untyped-def]
    ws, key, _other = imported
    assert found(ws, text) == [key]


def test_a_partial_identifier_is_a_prefix_and_a_case_key_still_a_key(imported) -> None:  # type: ignore[no-untyped-def]
    ws, key, other = imported
    assert found(ws, "CVE-2026-412") == [key]
    assert found(ws, "CVE-2026-41235") == []
    assert found(ws, other) == [other]
    assert sorted(found(ws, other[:-2])) == sorted({key, other})  # ACC-2026-00: by key prefix


def test_identifier_in_a_title_only_is_found(any_ws: Workspace) -> None:
    with any_ws.session() as s:
        case = cases.create_case(s, any_ws.require_actor(), f"Prompt injection ({CVE})")
        key = case.key
        cases.create_case(s, any_ws.require_actor(), "Unrelated jailbreak")
    assert found(any_ws, CVE) == [key]


def test_index_follows_a_new_report_on_an_existing_case(any_ws: Workspace, tmp_path: Path) -> None:
    """A later report landing on the case (same tracking id, new revision) brings its new
    identifiers and products into the index."""
    import_paths(any_ws, [write_json(tmp_path / "a.json", advisory())])
    (key,) = found(any_ws, DOC_ID)
    newer = advisory()
    newer["document"]["tracking"]["version"] = "2"  # type: ignore[index]
    newer["document"]["tracking"]["revision_history"].append(  # type: ignore[index]
        {"date": "2026-01-02T10:00:00.000Z", "number": "2", "summary": "CVE added."}
    )
    newer["document"]["tracking"]["current_release_date"] = "2026-01-02T10:00:00.000Z"  # type: ignore[index]
    newer["vulnerabilities"][0]["cve"] = "CVE-2026-49999"  # type: ignore[index]
    assert found(any_ws, "CVE-2026-49999") == []
    assert import_paths(any_ws, [write_json(tmp_path / "b.json", newer)]).updated == 1
    assert found(any_ws, "CVE-2026-49999") == [key]


def test_cases_indexed_before_identifiers_are_found_by_exact_identifier(
    any_ws: Workspace, tmp_path: Path
) -> None:
    """A workspace indexed by an earlier release has no identifiers in its documents: the
    identifier table still finds them."""
    import_paths(any_ws, [write_json(tmp_path / "a.json", advisory())])
    with any_ws.session() as s:
        s.execute(update(CaseSearch).values(document="old document"))
    assert len(found(any_ws, CVE)) == 1
    assert len(found(any_ws, DOC_ID)) == 1
    with any_ws.session() as s:
        case = s.scalars(select(Case)).one()
        search.reindex(s, case)
        assert search.plain(PURL) in s.get(CaseSearch, case.id).document  # type: ignore[union-attr]


def test_cli_cases_list_search_finds_a_cve(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert cli("init", "--org", "CERT-Test", "--analyst", "alice").code == 0
    path = write_json(tmp_path / "hlx.json", advisory())
    assert cli("import", str(path)).code == 0
    cli("case", "new", "--title", "Jailbreak of a chat model")
    rows = cli("cases", "list", "--search", CVE, "--json").json()
    assert [r["title"] for r in rows] == ["Tool-call injection in the gateway's router"]
    assert len(cli("cases", "list", "--search", DOC_ID, "--json").json()) == 1
    assert cli("cases", "list", "--search", "CVE-2026-00000", "--json").json() == []


def test_a_case_opened_for_a_report_indexes_its_words_once(
    imported: tuple[Workspace, str, str],
) -> None:
    """The case takes the report's title and description as its own: the search document
    holds them once (indexing them twice in the single intake writer found nothing more),
    whether written at intake or read back by a reindex, and they are still found."""
    ws, key, _other = imported
    title = search.plain("Tool-call injection in the gateway's router")
    with ws.session() as s:
        case = s.scalar(select(Case).where(Case.key == key))
        assert case is not None
        stored = s.get(CaseSearch, case.id)
        assert stored is not None
        assert stored.document.split("\n").count(title) == 1
        assert stored.document == search.document_for(s, case)
    assert found(ws, "gateway router") == [key]


def test_reindexing_many_cases_writes_what_reindex_writes(
    any_ws: Workspace, tmp_path: Path
) -> None:
    """The intake writer refreshes every case its reports joined in one go
    (``reindex_cases``): each document is the one ``reindex`` composes, a case without one
    gets it, changes the session has not flushed yet are part of it, what the session held
    of those rows is not left stale, and search follows."""
    import_paths(any_ws, [write_json(tmp_path / "a.json", advisory())])
    with any_ws.session() as s:
        imported_id = s.scalars(select(Case.id)).one()
        actor = any_ws.require_actor()
        bare = cases.create_case(s, actor, "Prompt leak in the support bot").id
        renamed = cases.create_case(s, actor, "Old title").id
        s.execute(update(CaseSearch).values(document="old document"))
        s.execute(delete(CaseSearch).where(CaseSearch.case_id == bare))
    ids = [imported_id, bare, renamed]
    with any_ws.session() as s:
        held = s.get(CaseSearch, renamed)  # loaded before: must not stay "old document"
        assert held is not None and held.document == "old document"
        case = s.get(Case, renamed)
        assert case is not None
        case.title = "Weights exfiltrated through the retrieval plugin"  # not flushed yet
        search.reindex_cases(s, ids)
        assert held.document != "old document"
        for case_id in ids:
            row = s.get(CaseSearch, case_id)
            assert row is not None
            assert row.document == search.document_for(s, s.get(Case, case_id))  # type: ignore[arg-type]
        assert "retrieval plugin" in held.document
    with any_ws.session() as s:
        renamed_key = cases.key_for_id(s, renamed)
    assert found(any_ws, "retrieval plugin") == [renamed_key]
    assert len(found(any_ws, "support bot")) == 1
    assert len(found(any_ws, PURL)) == 1


def test_a_run_of_new_cases_is_indexed_in_one_statement(any_ws: Workspace) -> None:
    """FTS5 writes a segment to disk at every savepoint, and SQLite opens one for each row of
    an executemany into a table with a trigger: in SQLite the search documents of a run of
    cases go in one statement. On every backend they are stored exactly and found."""
    texts = [
        f"Case {n} — “quoted”, tab\there, newline\nthen ünïcödé 模型 \\ backslash {n}"
        for n in range(40)
    ]
    with any_ws.session() as s:
        actor = any_ws.require_actor()
        ids = [cases.create_case(s, actor, f"Case {n}").id for n in range(40)]
        s.execute(delete(CaseSearch))
        conn = s.connection()
        sqlite = conn.dialect.name == "sqlite"
        traced: list[str] = []
        if sqlite:
            conn.connection.dbapi_connection.set_trace_callback(traced.append)  # type: ignore[union-attr]
        search.index_new(s, [(i, (t,), ()) for i, t in zip(ids, texts, strict=True)])
        if sqlite:
            conn.connection.dbapi_connection.set_trace_callback(None)  # type: ignore[union-attr]
            # A segment written to disk (its leaves indexed) while the run's rows went in.
            segments = [t for t in traced if "'case_fts_idx'" in t]
            assert len(segments) <= 1, len(segments)
            conn.exec_driver_sql("INSERT INTO case_fts(case_fts) VALUES ('integrity-check')")
        stored = {c: d for c, d in s.execute(select(CaseSearch.case_id, CaseSearch.document))}
        assert [stored[i] for i in ids] == [search._compose((t,)) for t in texts]
    assert len(found(any_ws, "backslash 17")) == 1
    assert len(found(any_ws, "ünïcödé")) == 40
