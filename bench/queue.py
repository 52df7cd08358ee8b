"""The case queue at 200,000 cases, measured through the Qt model the GUI uses.

    .venv/bin/python bench/queue.py [--cases N] [--rebuild] [--ratio-cases M]

Builds (once; reused from bench/out/ while valid) an encrypted SQLCipher workspace with N
cases, each with its report and audit events, then in a fresh process opens it, drives
``views.queue_model.QueueModel`` offscreen (open to first rows, sort by each column both ways,
a status filter, a full-text search, scroll to the end) and reads the peak RSS. It also times
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

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common
from common import OUT, PASSPHRASE, Timer

WS_DIR = OUT / "queue-ws"
META = WS_DIR / "bench-meta.json"
BUILDER_VERSION = 3
VISIBLE = 40  # rows on a tall screen
TARGETS = {"first_rows_ms": 300, "sort_ms": 150, "filter_ms": 150, "search_ms": 100,
           "scroll_end_ms": 150, "peak_rss_mb": 500, "cipher_ratio": 1.5}  # fmt: skip


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
    from app.queue import COLUMN_KEYS, QueueQuery

    try:
        from views.queue_model import QueueModel
    except ImportError:  # before the GUI's model exists, measure app.queue alone
        QueueModel = None  # type: ignore[assignment,misc]

    _app = QApplication.instance() or QApplication([])
    with Timer() as unlock:
        ws = ws_mod.open_workspace(WS_DIR, PASSPHRASE)
        ws.act_as(common.FIRST)
    out: dict[str, Any] = {"unlock_ms": round(unlock.ms, 1), "through": "views.queue_model"}
    if QueueModel is None:
        raise SystemExit("views/queue_model.py is missing")
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
    for col, key in enumerate(COLUMN_KEYS):
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
    p.add_argument("--cases", type=int, default=200_000)
    p.add_argument("--ratio-cases", type=int, default=20_000)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--rebuild", action="store_true")
    p.add_argument("--build", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--ratio", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
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
    measure = _child("--measure", "--repeat", str(args.repeat))
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
