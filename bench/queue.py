"""The case queue at 200,000 cases, measured through the Qt model the GUI uses.

    .venv/bin/python bench/queue.py [--cases N] [--rebuild] [--ratio-cases M]

Builds (once; reused from bench/out/ while valid) an encrypted SQLCipher workspace with N
cases, each with its report and audit events, then in a fresh process opens it, drives
``views.queue_model.QueueModel`` offscreen (open to first rows, sort by each column both ways,
a status filter, a full-text search, scroll to the end), opens the main window at 1366×768
and times it until its first rows are fetched (the default view: open cases, next deadline
first), and reads the peak RSS. A smaller --cases builds its own workspace beside the
200,000-case one instead of replacing it. It also times
the same inserts into SQLCipher and into plain SQLite. Prints a table; writes
bench/out/queue.json. A benchmark, not a test: it never fails the build.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent
# This file is named queue.py: the standard library's queue (concurrent.futures needs it, and
# the main window's screens use that) must be found first, before this folder goes on the path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
import queue as _stdlib_queue  # noqa: E402,F401

sys.path.insert(0, str(_HERE))

import needs  # noqa: E402  (before common: it names a missing dependency, no traceback)

needs.module("bench/queue.py", "sqlcipher3", "the encrypted workspace; `make venv` installs it")
needs.module("bench/queue.py", "PySide6", "the queue is measured through the GUI's Qt model")

import common  # noqa: E402
from common import OUT, PASSPHRASE, Timer  # noqa: E402

DEFAULT_CASES = 200_000
WS_DIR = OUT / "queue-ws"
META = WS_DIR / "bench-meta.json"


def use_size(n: int) -> None:
    """Point WS_DIR and META at the workspace for ``n`` cases (the default one at 200,000)."""
    global WS_DIR, META
    WS_DIR = OUT / ("queue-ws" if n == DEFAULT_CASES else f"queue-ws-{n}")
    META = WS_DIR / "bench-meta.json"


BUILDER_VERSION = 2
VISIBLE = 40  # rows on a tall screen
TARGETS = {"first_rows_ms": 300, "window_open_ms": 1000, "sort_ms": 150, "filter_ms": 150,
           "search_ms": 100, "scroll_end_ms": 150, "peak_rss_mb": 500,
           "cipher_ratio": 1.5}  # fmt: skip


def _head() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from app.storage import MIGRATIONS

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return str(ScriptDirectory.from_config(cfg).get_current_head())


def _valid(n: int) -> bool:
    db = WS_DIR / "workspace.accord"
    if not (db.exists() and META.exists()):
        return False
    meta = json.loads(META.read_text())
    if not (meta.get("cases") == n and meta.get("builder") == BUILDER_VERSION
            and meta.get("head") == _head() and meta.get("complete")):  # fmt: skip
        return False
    # A revision edited after the build (a new index in the same slot) also invalidates it.
    from app.storage import sqlcipher_engine
    from models import Base

    engine = sqlcipher_engine(db, PASSPHRASE)
    try:
        with engine.connect() as conn:
            have = set(conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'index'").scalars())  # fmt: skip
    except Exception:  # a damaged or foreign file is simply rebuilt
        return False
    finally:
        engine.dispose()
    wanted = {i.name for t in Base.metadata.tables.values() for i in t.indexes}
    return wanted <= have


def do_build(n: int) -> dict[str, Any]:
    from sqlalchemy.orm import Session

    from app import audit
    from app.storage import sqlcipher_engine

    if WS_DIR.exists():
        shutil.rmtree(WS_DIR)
    WS_DIR.mkdir(parents=True)
    engine = sqlcipher_engine(WS_DIR / "workspace.accord", PASSPHRASE)
    t0 = time.perf_counter()

    def progress(done: int) -> None:
        if done % 20000 == 0 or done == n:
            print(f"  built {done:,} of {n:,} cases", file=sys.stderr, flush=True)

    insert_s = common.build(engine, n, progress)
    count = common.count_cases(engine)
    with Session(engine) as session:  # what `accord audit verify` checks
        events = audit.verify_session(session).events
    engine.dispose()
    meta = {"cases": count, "builder": BUILDER_VERSION, "head": _head(), "complete": count == n,
            "audit_events_verified": events,
            "build_s": round(time.perf_counter() - t0, 1), "insert_s": round(insert_s, 1),
            "size_mb": round((WS_DIR / "workspace.accord").stat().st_size / 2**20, 1)}  # fmt: skip
    common.write_json(META, meta)
    return meta


def do_ratio(m: int) -> dict[str, Any]:
    """The same inserts into a SQLCipher file and a plain SQLite file (best of three, taken
    in turns so that a busy machine slows both alike)."""
    from app.storage import plain_sqlite_engine, sqlcipher_engine

    tmp = OUT / "ratio"
    result: dict[str, list[float]] = {"sqlcipher_s": [], "sqlite_s": []}
    for _round in range(3):
        for name, make in (("sqlcipher_s", lambda p: sqlcipher_engine(p, PASSPHRASE)),
                           ("sqlite_s", plain_sqlite_engine)):  # fmt: skip
            if tmp.exists():
                shutil.rmtree(tmp)
            tmp.mkdir(parents=True)
            engine = make(tmp / "ws.db")
            from app.storage import migrate

            migrate(engine)
            result[name].append(common.fill(engine, m))
            engine.dispose()
    shutil.rmtree(tmp, ignore_errors=True)
    cipher, plain = min(result["sqlcipher_s"]), min(result["sqlite_s"])
    return {
        "ratio_cases": m,
        "sqlcipher_insert_s": round(cipher, 2),
        "sqlite_insert_s": round(plain, 2),
        "cipher_ratio": round(cipher / plain, 2),
    }


def _touch(model: Any, top: int = 0) -> None:
    """What a view does for one screen: ask every visible cell for its text."""
    from PySide6.QtCore import Qt

    rows = model.rowCount()
    for r in range(max(0, top), min(top + VISIBLE, rows)):
        for c in range(model.columnCount()):
            model.data(model.index(r, c), Qt.ItemDataRole.DisplayRole)


def do_measure(repeat: int) -> dict[str, Any]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from app import workspace as ws_mod
    from app.queue import COLUMN_KEYS, SORTABLE, QueueQuery

    try:
        from views.queue_model import QueueModel
    except ImportError:  # before the GUI's model exists, measure app.queue alone
        QueueModel = None  # type: ignore[assignment,misc]

    _app = QApplication.instance() or QApplication([])
    from app.storage import sqlcipher_engine
    from app.workspace import Workspace

    with Timer() as unlock:
        # The bench file has no key slots: opened the way a pre-slot workspace was (the
        # passphrase is the database key), so measuring never converts or rekeys it.
        engine = sqlcipher_engine(WS_DIR / ws_mod.DB_FILE, PASSPHRASE)
        ws = Workspace(engine, str(WS_DIR), WS_DIR)
        ws.act_as(common.FIRST)
    out: dict[str, Any] = {"unlock_ms": round(unlock.ms, 1), "through": "views.queue_model"}
    if QueueModel is None:
        raise SystemExit("views/queue_model.py is missing")
    out.update(_window_open(ws))
    with Timer() as first:
        model = QueueModel(ws)
        model.refresh()
        _touch(model)
    out["first_rows_ms"] = round(first.ms, 1)
    out["rows"] = model.rowCount()

    def timed(action: Any, top: int | None = 0) -> float:
        samples = []
        for _ in range(repeat):
            with Timer() as t:
                action()
                _touch(model, model.rowCount() - VISIBLE if top is None else top)
            samples.append(t.ms)
        return round(statistics.median(samples), 1)

    sorts: dict[str, float] = {}
    for key in SORTABLE:
        col = COLUMN_KEYS.index(key)
        for order, label in ((Qt.SortOrder.AscendingOrder, "asc"),
                             (Qt.SortOrder.DescendingOrder, "desc")):  # fmt: skip
            sorts[f"{key} {label}"] = timed(lambda c=col, o=order: model.sort(c, o))
    out["sort_ms"] = sorts
    out["sort_ms_max"] = max(sorts.values())
    model.set_query(QueueQuery())
    out["filter_ms"] = timed(lambda: model.set_query(QueueQuery(statuses=("triage",))))
    out["filter_rows"] = model.rowCount()
    searches = {}
    words_list = ("calendar invitation", "pickle", "Kumo jailbreak", "ACC-2026-01",
                  "CVE-2026-41234", "HLX-SA-2026-017")  # fmt: skip
    for words in words_list:
        searches[words] = timed(lambda w=words: model.set_query(QueueQuery(text=w)))
        searches[words + " (rows)"] = model.rowCount()
    out["search_ms"] = {k: v for k, v in searches.items() if not k.endswith("(rows)")}
    out["search_rows"] = {k[:-7]: v for k, v in searches.items() if k.endswith("(rows)")}
    out["search_ms_max"] = max(out["search_ms"].values())
    model.set_query(QueueQuery())
    out["scroll_end_ms"] = timed(lambda: None, top=None)
    out["row_queries"] = model.queries
    out["cached_rows"] = model.cached_rows()
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    ws.lock()
    return out


def _window_open(ws: Any) -> dict[str, Any]:
    """The main window at 1366×768, from construction until its first rows are fetched and
    painted (the default view: open cases, next binding deadline first)."""
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from views.main_window import MainWindow
    from views.prefs import Prefs

    prefs_file = OUT / "bench-window.ini"
    prefs_file.unlink(missing_ok=True)  # a first start: no remembered layout
    app = QApplication.instance()
    assert app is not None
    with Timer() as opened:
        window = MainWindow(ws, prefs=Prefs(QSettings(str(prefs_file), QSettings.Format.IniFormat)))
        window.resize(1366, 768)
        window.show()
        while window.model.cached_rows() == 0 and window.model.rowCount():
            app.processEvents()
        window.queue.table.viewport().repaint()
    first = window.model.queue_row(0)
    result = {
        "window_open_ms": round(opened.ms, 1),
        "window_rows": window.model.rowCount(),
        "window_first_deadline": (
            first.next_deadline_utc.isoformat() if first and first.next_deadline_utc else None
        ),
    }
    window.close()
    window.deleteLater()
    app.processEvents()
    prefs_file.unlink(missing_ok=True)
    return result


def _child(flag: str, *args: str) -> dict[str, Any]:
    cmd = [sys.executable, __file__, flag, *args]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=True)
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def _status(value: float, target: float) -> str:
    return "ok" if value <= target else "MISSED"


def report(figures: dict[str, Any]) -> None:
    m = figures["measure"]
    lines = [
        ("open to first rows", m["first_rows_ms"], TARGETS["first_rows_ms"], "ms"),
        ("window open to first rows", m["window_open_ms"], TARGETS["window_open_ms"], "ms"),
        ("sort, slowest column", m["sort_ms_max"], TARGETS["sort_ms"], "ms"),
        ("status filter", m["filter_ms"], TARGETS["filter_ms"], "ms"),
        ("full-text search, slowest", m["search_ms_max"], TARGETS["search_ms"], "ms"),
        ("scroll to the end", m["scroll_end_ms"], TARGETS["scroll_end_ms"], "ms"),
        ("peak RSS", m["peak_rss_mb"], TARGETS["peak_rss_mb"], "MB"),
        ("SQLCipher / SQLite inserts", figures["ratio"]["cipher_ratio"], TARGETS["cipher_ratio"],
         "x"),
    ]  # fmt: skip
    print(f"\nQueue benchmark: {m['rows']:,} cases, {os.cpu_count()} CPUs, through {m['through']}")
    print(f"{'figure':32} {'value':>10} {'target':>10}  ")
    for name, value, target, unit in lines:
        print(f"{name:32} {value:>8} {unit:2} {'≤ ' + str(target):>8} {unit:2} "
              f"{_status(value, target)}")  # fmt: skip
    print(f"{'unlock (key derivation)':32} {m['unlock_ms']:>8} ms")
    print("\nsort by column (median ms):")
    for key, value in m["sort_ms"].items():
        print(f"  {key:22} {value:>8}")
    print("search (median ms, rows):")
    for key, value in m["search_ms"].items():
        print(f"  {key!r:22} {value:>8}  {m['search_rows'][key]:>7,}")
    ratio = figures["ratio"]
    print(f"inserts of {ratio['ratio_cases']:,} cases: SQLCipher {ratio['sqlcipher_insert_s']} s, "
          f"SQLite {ratio['sqlite_insert_s']} s")  # fmt: skip
    print(f"load average before the run (1, 5, 15 min): {figures['load_average_before']}")
    print(f"workspace: {figures['build']}\nwritten to {OUT / 'queue.json'}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cases", type=int, default=DEFAULT_CASES)
    p.add_argument("--ratio-cases", type=int, default=20_000)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--rebuild", action="store_true")
    p.add_argument("--build", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--ratio", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    use_size(args.cases)
    if args.build:
        print(json.dumps(do_build(args.cases)))
        return 0
    if args.ratio:
        print(json.dumps(do_ratio(args.ratio_cases)))
        return 0
    if args.measure:
        print(json.dumps(do_measure(args.repeat)))
        return 0
    load = [round(x, 2) for x in os.getloadavg()]  # other work on the machine, before ours
    if args.rebuild or not _valid(args.cases):
        print(f"building an encrypted workspace with {args.cases:,} cases in {WS_DIR} …",
              file=sys.stderr)  # fmt: skip
        build = _child("--build", "--cases", str(args.cases))
    else:
        build = json.loads(META.read_text())
    ratio = _child("--ratio", "--ratio-cases", str(args.ratio_cases))
    measure = _child("--measure", "--repeat", str(args.repeat), "--cases", str(args.cases))
    figures = {
        "build": build, "ratio": ratio, "measure": measure, "targets": TARGETS,
        "cpus": os.cpu_count(), "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "load_average_before": load,
    }  # fmt: skip
    common.write_json(OUT / "queue.json", figures)
    report(figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
