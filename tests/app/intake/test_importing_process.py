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

    def submit(self, fn: Any, items: list[tuple[str, bytes]], opts: ParseOptions) -> Future[Any]:
        self.sizes.append(len(items))
        done: Future[Any] = Future()
        done.set_result([f"parsed {name}" for name, _data in items])
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
