"""The importing process (the single writer) spends its CPU on storing (issue 17): documents
parsed ahead in worker processes go in whole chunks, in order, and the garbage collector
runs less often while an import stores.

Each task costs the importing process, the single writer, a pickled call and a result to
poll for and unpickle. A chunk used to go out as soon as one document had freed a place in
the window, so after the first window every task held one document: about a third of the
writer's CPU went to the pool's machinery. A fake pool (tasks run at once, in this process)
records what was sent."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest

from app.intake import importer
from app.intake import workers as workers_mod
from app.intake.parse import ParseOptions
from app.intake.walker import Entry


class _Pool:
    def __init__(self) -> None:
        self.sizes: list[int] = []

    def submit(self, fn: Any, items: list[tuple[str, Any]], opts: ParseOptions) -> Future[Any]:
        self.sizes.append(len(items))
        done: Future[Any] = Future()
        done.set_result([(f"parsed {name}", None) for name, _data in items])
        return done

    def shutdown(self, **_kwargs: Any) -> None:
        """Its tasks ran when they were submitted: nothing is left to stop."""


@pytest.fixture
def pool(monkeypatch: pytest.MonkeyPatch) -> _Pool:
    fake = _Pool()
    monkeypatch.setattr(workers_mod, "pool", lambda _workers: fake)
    return fake


def _bytes(i: int) -> Callable[[], bytes]:
    return lambda: b"{}" * (i % 7 + 1)


def _entries(n: int) -> list[Entry]:
    return [Entry(f"doc-{i:04d}.json", read=_bytes(i)) for i in range(n)]


def test_every_task_but_the_last_holds_a_whole_chunk(pool: _Pool) -> None:
    entries = _entries(1000)
    out = list(importer._stream(entries, ParseOptions(), 2, lambda: False))
    assert [e.path for e, _d, _p in out] == [e.path for e in entries]  # in order, each once
    assert [p for _e, _d, p in out] == [f"parsed {e.path}" for e in entries]
    assert sum(pool.sizes) == 1000
    assert all(size == importer.CHUNK_DOCUMENTS for size in pool.sizes[:-1]), pool.sizes
    assert len(pool.sizes) == -(-1000 // importer.CHUNK_DOCUMENTS)


def test_a_part_filled_chunk_goes_when_nothing_else_is_left(pool: _Pool) -> None:
    """A refused entry between documents: the documents before it go first (order kept),
    and the last few go out at the end without waiting for a chunk to fill."""
    entries = [*_entries(5), Entry("bad.json", error="refused"), *_entries(3)]
    out = list(importer._stream(entries, ParseOptions(), 2, lambda: False))
    assert [e.path for e, _d, _p in out] == [e.path for e in entries]
    assert out[5][2] == "refused"
    assert pool.sizes == [5, 3]


def test_a_chunk_of_big_documents_goes_before_it_is_full(
    pool: _Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chunk goes out once its documents reach ``CHUNK_BYTES``, whatever their number."""
    monkeypatch.setattr(importer, "CHUNK_BYTES", 30)
    entries = [Entry(f"big-{i}.json", read=lambda: b"x" * 10) for i in range(12)]
    out = list(importer._stream(entries, ParseOptions(), 2, lambda: False))
    assert [e.path for e, _d, _p in out] == [e.path for e in entries]
    assert pool.sizes == [3, 3, 3, 3]


def test_documents_flow_when_the_bytes_ahead_are_capped(
    pool: _Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the memory budget for documents read ahead reached, what was read still goes
    out: every document arrives, none waits forever for a chunk to fill."""
    monkeypatch.setattr(importer, "AHEAD_BYTES", 10)
    entries = _entries(50)
    out = list(importer._stream(entries, ParseOptions(), 2, lambda: False))
    assert [e.path for e, _d, _p in out] == [e.path for e in entries]


def test_real_workers_parse_in_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With real worker processes, the same: whole chunks but the last."""
    import json

    from tests.app.intake.helpers import csaf_doc

    sizes: list[int] = []
    make = workers_mod.pool

    def counting(workers: int) -> Any:
        executor = make(workers)
        submit = executor.submit

        def recorded(fn: Any, items: list[Any], opts: Any) -> Any:
            sizes.append(len(items))
            return submit(fn, items, opts)

        executor.submit = recorded  # type: ignore[method-assign,assignment]
        return executor

    monkeypatch.setattr(workers_mod, "pool", counting)
    paths = []
    for i in range(260):  # more than the window of documents read ahead (200)
        p = tmp_path / f"doc-{i:03d}.json"
        p.write_text(json.dumps(csaf_doc(f"ACME-{i:03d}", cve=f"CVE-2026-{20000 + i}")))
        paths.append(p)
    from app.intake.model import Limits
    from app.intake.walker import walk

    entries = walk(paths, Limits())
    out = list(importer._stream(entries, ParseOptions(), 2, lambda: False))
    assert len(out) == 260 and all(not isinstance(p, str) for _e, _d, p in out)
    assert all(size == importer.CHUNK_DOCUMENTS for size in sizes[:-1]), sizes


def test_collector_thresholds_come_back_after_an_import(monkeypatch: pytest.MonkeyPatch) -> None:
    """The garbage collector runs less often during an import only: its thresholds come back
    when the import ends, and when it fails."""
    import gc

    before = gc.get_threshold()
    seen: list[tuple[int, int, int]] = []
    with importer._fewer_collections():
        seen.append(gc.get_threshold())
    assert seen[0][0] >= 20_000 and gc.get_threshold() == before
    with pytest.raises(RuntimeError), importer._fewer_collections():
        raise RuntimeError("a failed import")
    assert gc.get_threshold() == before
    # Two imports overlapping (threads of the app): the first to end leaves them raised for
    # the other, the last brings back the thresholds from before both.
    first, second = importer._fewer_collections(), importer._fewer_collections()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert gc.get_threshold()[0] >= 20_000
    second.__exit__(None, None, None)
    assert gc.get_threshold() == before


def _stored(ws: Any) -> list[Any]:
    """What an import stored of its documents' vulnerabilities, by document id, without ids
    or times: scores, affected products, references, report warnings."""
    from sqlalchemy import select

    from models import AffectedProduct, Reference, Report, Vulnerability

    with ws.session() as s:
        vulns = s.execute(
            select(Report.document_id, Report.warnings, Vulnerability)
            .join(Vulnerability, Vulnerability.report_id == Report.id)
            .order_by(Report.document_id, Vulnerability.id)
        ).all()
        out = []
        for doc_id, warnings, v in vulns:
            products = s.scalars(
                select(AffectedProduct)
                .where(AffectedProduct.vulnerability_id == v.id)
                .order_by(AffectedProduct.id)
            ).all()
            refs = s.scalars(
                select(Reference.url)
                .where(Reference.vulnerability_id == v.id)
                .order_by(Reference.id)
            ).all()
            out.append(
                (
                    doc_id,
                    warnings,
                    v.cve,
                    v.title,
                    v.scores,
                    [(p.kind, p.name, p.vendor, p.version, p.purl, p.name_key) for p in products],
                    refs,
                )
            )
    return out


def test_workers_send_what_the_writer_stores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    """Worker processes send each vulnerability without its parsed products and scores (the
    writer stores the prepared ones): an import with workers stores exactly what one without
    them does, scores that disagree with their stated figure included."""
    import json

    from app.intake.importer import import_paths
    from app.intake.model import Limits
    from app.intake.walker import walk
    from tests.app.intake.helpers import csaf_doc
    from tests.conftest import new_workspace

    paths = []
    for i in range(6):
        p = tmp_path / f"doc-{i}.json"
        doc = csaf_doc(f"LEAN-{i}", cve=f"CVE-2026-{30000 + i}", stated=9.8 if i % 2 else 5.0)
        p.write_text(json.dumps(doc))
        paths.append(p)
    sent = [
        p for _e, _d, p in importer._stream(walk(paths, Limits()), ParseOptions(), 2, lambda: False)
    ]
    assert all(not isinstance(p, str) and p.docs[0].vulns for p in sent)
    for parsed in sent:
        assert not isinstance(parsed, str)
        [doc] = parsed.docs
        assert doc.prepared is not None and doc.prepared.products[0]
        assert all(not v.products and not v.scores and not v.scored for v in doc.vulns)

    monkeypatch.setattr(importer, "PARALLEL_FROM", 2)
    one = new_workspace("memory", tmp_path, request)
    many = new_workspace("memory", tmp_path, request)
    assert import_paths(one, paths, workers=1).imported == 6
    result = import_paths(many, paths, workers=2)
    assert result.imported == 6 and len(result.score_disagreements) == 3
    stored = _stored(many)
    assert stored == _stored(one)
    assert all(products and scores for _d, _w, _c, _t, scores, products, _r in stored)


def _files(tmp_path: Path, n: int) -> list[Path]:
    import json

    from tests.app.intake.helpers import csaf_doc

    paths = []
    for i in range(n):
        p = tmp_path / f"file-{i:03d}.json"
        p.write_text(json.dumps(csaf_doc(f"READ-{i:03d}", cve=f"CVE-2026-{31000 + i}")))
        paths.append(p)
    return paths


def test_parser_processes_read_files_themselves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files on disk are read by the parser processes, not by the importing process (the
    single writer). Their bytes come back once, compressed as the report row stores them,
    and inflate to the file's bytes exactly where the writer needs the original."""
    from app.intake import walker
    from app.intake.model import Limits

    paths = _files(tmp_path, 40)
    entries = walker.walk(paths, Limits())
    assert all(e.file is not None for e in entries)

    def not_here(*_args: Any) -> bytes:
        raise AssertionError("the importing process read a file")

    monkeypatch.setattr(walker, "read_file", not_here)
    out = list(importer._stream(entries, ParseOptions(), 2, lambda: False))
    assert [e.path for e, _d, _p in out] == [e.path for e in entries]
    for (entry, data, parsed), path in zip(out, paths, strict=True):
        assert not isinstance(parsed, str)
        [doc] = parsed.docs
        assert data == doc.raw == b""  # not sent twice: only Prepared.stored_raw travels
        assert doc.prepared is not None and doc.prepared.stored_raw[1] == "zlib"
        whole, restored = importer._restored(entry.path, data, parsed)
        assert whole == path.read_bytes() == restored.docs[0].raw


def test_what_the_writer_reads_whole_comes_back_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    """The paths that read a report's original after real parser processes sent it
    compressed only: a document that cannot be stored is quarantined with the file's exact
    bytes, the same content under another name is kept beside its report, and a revision
    replaces the stored one."""
    import json

    from sqlalchemy import select

    from app.intake.importer import import_paths
    from models import QuarantineItem, Report, ReportRevision
    from tests.app.intake.helpers import csaf_doc
    from tests.conftest import new_workspace

    monkeypatch.setattr(importer, "PARALLEL_FROM", 2)
    ws = new_workspace("memory", tmp_path, request)
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    paths = _files(first, 8)
    bad = first / "surrogate.json"
    bad.write_bytes(
        json.dumps(
            {**csaf_doc("SUR-1"), "document": {**csaf_doc("SUR-1")["document"], "title": "a\ud800"}}
        ).encode()
    )
    result = import_paths(ws, [first], workers=2)
    assert result.imported == 8 and len(result.rejected) == 1
    with ws.session() as s:
        [item] = s.scalars(select(QuarantineItem)).all()
        assert item.content == bad.read_bytes() and "lone surrogate" in item.reason
    # The same bytes under another name, and a revision of another document.
    (second / "again.json").write_bytes(paths[0].read_bytes())
    revised = csaf_doc("READ-001", version="2", cve="CVE-2026-31001")
    (second / "revised.json").write_text(json.dumps(revised))
    for i in range(3):  # enough files for the parser processes
        doc = csaf_doc(f"MORE-{i}", cve=f"CVE-2026-{32000 + i}")
        (second / f"more-{i}.json").write_text(json.dumps(doc))
    again = import_paths(ws, [second], workers=2)
    assert (again.imported, again.duplicates, again.updated) == (3, 1, 1), again
    with ws.session() as s:
        report = s.scalars(select(Report).where(Report.document_id == "READ-001")).one()
        assert report.revision == "2"
        assert report.raw == (second / "revised.json").read_bytes()
        assert s.scalars(select(ReportRevision)).all()


@pytest.mark.parametrize("change", ["removed", "grown past the limit"])
def test_a_file_changed_after_the_walk_is_refused_alike(tmp_path: Path, change: str) -> None:
    """A file removed, or grown past the size limit, between the walk and its reading is
    refused with the same reason and bytes whether a parser process or this one reads it."""
    from app.intake import walker
    from app.intake.model import Limits

    limits = Limits(max_file_size=50_000)
    paths = _files(tmp_path, 3)
    entries = walker.walk(paths, limits)
    if change == "removed":
        paths[1].unlink()
    else:
        paths[1].write_bytes(b" " * 60_000)
    opts = ParseOptions(limits=limits)
    alone = [(d, p) for _e, d, p in importer._stream(entries, opts, 1, lambda: False)]
    pooled = [(d, p) for _e, d, p in importer._stream(entries, opts, 2, lambda: False)]
    assert alone[1] == pooled[1]
    data, reason = pooled[1]
    assert data == b"" and isinstance(reason, str)
    expected = "No such file" if change == "removed" else "larger than"
    assert expected in reason, reason
    assert not isinstance(pooled[0][1], str) and not isinstance(pooled[2][1], str)


def _inbox_and_secret(tmp_path: Path) -> tuple[list[Path], Path]:
    """Three reports in a drop folder, and one of the analyst's own files outside it."""
    import json

    from tests.app.intake.helpers import csaf_doc

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    paths = _files(inbox, 3)
    secret = tmp_path / "private" / "secret.json"
    secret.parent.mkdir()
    secret.write_text(json.dumps(csaf_doc("SECRET-1", cve="CVE-2026-39999", title="Secret")))
    return paths, secret


def _swap(change: str, target: Path, secret: Path) -> None:
    """What someone who can write to the import folder does between the walk and the read."""
    import os

    if change == "a link to another file":
        target.unlink()
        target.symlink_to(secret)
    elif change == "a pipe":
        target.unlink()
        os.mkfifo(target)
    elif change == "another file":
        other = target.with_suffix(".new")
        other.write_bytes(secret.read_bytes())
        os.replace(other, target)
    else:  # its folder, by a link to another folder holding a file of the same name
        folder = target.parent
        folder.rename(folder.with_name(folder.name + "-walked"))
        (secret.parent / target.name).write_bytes(secret.read_bytes())
        folder.symlink_to(secret.parent, target_is_directory=True)


SWAPS = {
    "a link to another file": "symbolic links are not followed",
    "a pipe": "not a regular file",
    "another file": "replaced after the import listed it",
    "its folder by a link": "replaced after the import listed it",
}


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("change", sorted(SWAPS))
def test_a_file_replaced_after_the_walk_is_refused_unread(
    tmp_path: Path, change: str, workers: int
) -> None:
    """Between the walk and the read (minutes in a big import) a file in a folder others
    can write to may be replaced: by a link to one of the analyst's files (its content would
    be imported and could leave in a bundle), by a pipe (the read would wait for ever), by
    another file, or its folder by a link. Refused as the walk would have, nothing of it
    read, by a parser process as by this one."""

    from app.intake import walker
    from app.intake.model import Limits

    paths, secret = _inbox_and_secret(tmp_path)
    inbox = paths[0].parent
    entries = walker.walk([inbox], Limits())
    assert [e.path for e in entries] == [str(p) for p in paths]
    _swap(change, paths[1], secret)
    out = list(importer._stream(entries, ParseOptions(), workers, lambda: False))
    _entry, data, reason = out[1]
    assert data == b"" and isinstance(reason, str)
    assert SWAPS[change] in reason, reason
    for e, d, parsed in (out[0], out[2]):
        if not isinstance(parsed, str):  # the bytes as the writer reads them
            d, parsed = importer._restored(e.path, d, parsed)
        assert b"SECRET-1" not in d
        # The walked folder's other files are not in the one its name now leads to.
        assert isinstance(parsed, str) == (change == "its folder by a link")


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("change", sorted(SWAPS))
def test_nothing_of_a_replacement_reaches_the_workspace(
    ws: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: str, workers: int
) -> None:
    """The whole import, swapped between its walk and its reads: the file is quarantined
    with its reason and no byte, nothing of the replacement is stored anywhere."""

    from sqlalchemy import select

    from app.intake import walker
    from models import QuarantineItem, Report

    paths, secret = _inbox_and_secret(tmp_path)
    inbox = paths[0].parent
    walked = walker.walk

    def walk_then_swap(*args: Any) -> list[Entry]:
        entries = walked(*args)
        _swap(change, paths[1], secret)
        return entries

    monkeypatch.setattr(walker, "walk", walk_then_swap)
    monkeypatch.setattr(importer, "PARALLEL_FROM", 2)  # parser processes for three files
    result = importer.import_paths(ws, [inbox], workers=workers)
    reasons = {r.path: r.reason for r in result.rejected}
    assert SWAPS[change] in reasons[str(paths[1])]
    # The walked folder's other files are not in the one its name now leads to.
    assert len(reasons) == (3 if change == "its folder by a link" else 1)
    with ws.session() as s:
        kept = {q.path: q.content for q in s.scalars(select(QuarantineItem))}
        assert kept == dict.fromkeys(reasons, b"")
        stored = s.scalars(select(Report)).all()
        assert all(r.document_id != "SECRET-1" and b"SECRET-1" not in r.raw for r in stored)
