"""The case queue at 200,000 cases, measured through the Qt model the GUI uses.

    .venv/bin/python bench/queue.py [--backend sqlcipher|postgres] [--cases N]
                                    [--reports-per-case K] [--rebuild] [--ratio-cases M]

Builds (once; reused from bench/out/ while valid) an encrypted SQLCipher workspace, or a
PostgreSQL database in a cluster kept in bench/out/queue-pg (started on loopback for the run,
as the tests' server is), with N cases, each with its report(s), partners, jurisdictions,
deadlines and audit events; then in a fresh process opens it, drives
``views.queue.model.QueueModel`` offscreen (open to first rows, sort by each column both ways,
a status filter, the saved filters, full-text searches, scroll to the end) and reads the peak
RSS (of this client process; the server's is not counted). With SQLCipher it also times the
same inserts into SQLCipher and into plain SQLite. Prints a table; writes
bench/out/queue.json (queue-postgres.json). A benchmark, not a test: it never fails the build.

The default is issue 17's size: 1,000,000 reports for 200,000 cases (five per case). Building
it takes about eight minutes on a 2-core machine, once; ``--reports-per-case 1`` builds a
smaller one in about three (the queue reads cases; reports count for searches and file size).
Each figure is printed with the 1-minute load average when it was taken.
"""

from __future__ import annotations

import argparse
import contextlib
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

# This file is named like the standard library's queue (which psycopg's pool and
# multiprocessing import): load that one first, before bench/ is on the path for ``common``.
_BENCH = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _BENCH]
import queue as _stdlib_queue  # noqa: E402, F401

sys.path.insert(0, str(_BENCH))
import needs  # noqa: E402  (before common: it names a missing dependency, no traceback)

needs.module("bench/queue.py", "sqlcipher3", "the encrypted workspace; `make venv` installs it")
needs.module("bench/queue.py", "PySide6", "the queue is measured through the GUI's Qt model")

import common  # noqa: E402
from common import OUT, PASSPHRASE, Timer  # noqa: E402

DEFAULT_CASES = 200_000
DEFAULT_REPORTS_PER_CASE = 5
WS_DIR = OUT / "queue-ws"
META = WS_DIR / "bench-meta.json"
PG_DIR = OUT / "queue-pg"
PG_META = OUT / "queue-pg-meta.json"
PG_DB = "accord_queue"
BUILDER_VERSION = 3
VISIBLE = 40  # rows on a tall screen
TARGETS = {"first_rows_ms": 300, "window_open_ms": 1000, "sort_ms": 150, "filter_ms": 150,
           "search_ms": 100, "scroll_end_ms": 150, "peak_rss_mb": 500, "cipher_ratio": 1.5,
           "saved_filter_ms": 150}  # fmt: skip
SAVED_FILTERS = ("overdue", "due-24h", "jurisdiction:EU", "tier:High", "partner:{partner}")


def _head() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from app.workspaces.engines import MIGRATIONS

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return str(ScriptDirectory.from_config(cfg).get_current_head())


def _meta_ok(path: Path, n: int, per_case: int) -> bool:
    if not path.exists():
        return False
    meta = json.loads(path.read_text())
    return bool(meta.get("cases") == n and meta.get("builder") == BUILDER_VERSION
                and meta.get("reports_per_case", 1) == per_case
                and meta.get("head") == _head() and meta.get("complete"))  # fmt: skip


def _file_key() -> str:
    """The built file's key: the passphrase until the first measure gave it key slots (as
    ``open_workspace`` does for a coordinator), then the random key the bench's slot opens."""
    from app.identity import keyslots

    slots = keyslots.read(WS_DIR / keyslots.SLOTS_FILE)
    if slots is None:
        return PASSPHRASE
    opened = keyslots.open_slots(slots, PASSPHRASE)
    return keyslots.raw_key_literal(opened.db_key) if opened is not None else PASSPHRASE


def _valid(n: int, per_case: int = 1) -> bool:
    db = WS_DIR / "workspace.accord"
    if not (db.exists() and _meta_ok(META, n, per_case)):
        return False
    # A revision edited after the build (a new index in the same slot) also invalidates it.
    from app.workspaces.engines import sqlcipher_engine
    from models import Base

    engine = sqlcipher_engine(db, _file_key())
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


class KeptPg:
    """The loopback PostgreSQL of the tests (tests/pg_server.py), its cluster kept in
    bench/out/queue-pg between runs so that the 200,000 cases are built once."""

    def __init__(self) -> None:
        from tests.pg_server import PgServer

        self.server = PgServer()
        shutil.rmtree(self.server.dir, ignore_errors=True)
        self.server.dir = PG_DIR
        self.server.data = PG_DIR / "data"

    def start(self) -> str:
        from tests.pg_server import _bin

        s = self.server
        if not (s.data / "PG_VERSION").exists():
            shutil.rmtree(PG_DIR, ignore_errors=True)
            PG_DIR.mkdir(parents=True, mode=0o700)
            return str(s.start())
        # An existing cluster: start it on a fresh port (the same options as a new one).
        if s.as_root:
            shutil.chown(PG_DIR, "postgres", "postgres")
        opts = f"-c listen_addresses=127.0.0.1 -p {s.port} -k {PG_DIR} -c fsync=off"
        pg_ctl = _bin("pg_ctl")
        assert pg_ctl is not None
        s._run(pg_ctl, "-D", str(s.data), "-o", opts, "-w", "-l", str(PG_DIR / "log"), "start")
        return f"postgresql+psycopg://postgres@127.0.0.1:{s.port}/postgres"

    def stop(self) -> None:
        from tests.pg_server import _bin

        pg_ctl = _bin("pg_ctl")
        if pg_ctl and self.server.data.exists():
            with contextlib.suppress(subprocess.CalledProcessError):
                self.server._run(pg_ctl, "-D", str(self.server.data), "-m", "fast", "stop")


def _pg_url(base: str) -> str:
    return base.rsplit("/", 1)[0] + "/" + PG_DB


def do_build_pg(base: str, n: int, per_case: int) -> dict[str, Any]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.orm import Session

    from app.auditing import chain as audit

    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)'))
        c.execute(text(f'CREATE DATABASE "{PG_DB}"'))
    admin.dispose()
    engine = create_engine(_pg_url(base))
    t0 = time.perf_counter()
    insert_s = common.build(engine, n, _progress(n), reports_per_case=per_case)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")  # as autovacuum leaves a settled database
    count = common.count_cases(engine)
    with Session(engine) as session:
        events = audit.verify_session(session).events
        size = session.scalar(text("SELECT pg_database_size(current_database())"))
    engine.dispose()
    meta = {"cases": count, "builder": BUILDER_VERSION, "head": _head(), "complete": count == n,
            "reports_per_case": per_case, "audit_events_verified": events,
            "build_s": round(time.perf_counter() - t0, 1), "insert_s": round(insert_s, 1),
            "size_mb": round((size or 0) / 2**20, 1)}  # fmt: skip
    common.write_json(PG_META, meta)
    return meta


def _progress(n: int) -> Any:
    def progress(done: int) -> None:
        if done % 20000 == 0 or done == n:
            print(f"  built {done:,} of {n:,} cases", file=sys.stderr, flush=True)

    return progress


def do_build(n: int, per_case: int = 1) -> dict[str, Any]:
    from sqlalchemy.orm import Session

    from app.auditing import chain as audit
    from app.workspaces.engines import sqlcipher_engine

    if WS_DIR.exists():
        shutil.rmtree(WS_DIR)
    WS_DIR.mkdir(parents=True)
    engine = sqlcipher_engine(WS_DIR / "workspace.accord", PASSPHRASE)
    t0 = time.perf_counter()
    insert_s = common.build(engine, n, _progress(n), reports_per_case=per_case)
    count = common.count_cases(engine)
    with Session(engine) as session:  # what `accord audit verify` checks
        events = audit.verify_session(session).events
    engine.dispose()
    meta = {"cases": count, "builder": BUILDER_VERSION, "head": _head(), "complete": count == n,
            "reports_per_case": per_case, "audit_events_verified": events,
            "build_s": round(time.perf_counter() - t0, 1), "insert_s": round(insert_s, 1),
            "size_mb": round((WS_DIR / "workspace.accord").stat().st_size / 2**20, 1)}  # fmt: skip
    common.write_json(META, meta)
    return meta


def do_ratio(m: int) -> dict[str, Any]:
    """The same inserts into a SQLCipher file and a plain SQLite file (best of three, taken
    in turns so that a busy machine slows both alike)."""
    from app.workspaces.engines import plain_sqlite_engine, sqlcipher_engine

    tmp = OUT / "ratio"
    result: dict[str, list[float]] = {"sqlcipher_s": [], "sqlite_s": []}
    for _round in range(3):
        for name, make in (("sqlcipher_s", lambda p: sqlcipher_engine(p, PASSPHRASE)),
                           ("sqlite_s", plain_sqlite_engine)):  # fmt: skip
            if tmp.exists():
                shutil.rmtree(tmp)
            tmp.mkdir(parents=True)
            engine = make(tmp / "ws.db")
            from app.workspaces.engines import migrate

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


def _open_pg(url: str) -> Any:
    """The built database as its owner, acting as the first analyst (no login mapping: the
    builder made the analysts without logins, and the queue reads only)."""
    from sqlalchemy import create_engine, select

    from app.identity.actor import Actor
    from app.workspaces.lifecycle import Workspace
    from models import Analyst, Role

    ws = Workspace(create_engine(url), "bench")
    with ws.session() as s:
        first = s.scalar(select(Analyst.id).where(Analyst.name == common.FIRST))
    ws.actor = Actor(first or 0, common.FIRST, Role.COORDINATOR)
    return ws


def do_measure(repeat: int, url: str | None = None) -> dict[str, Any]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from app.queueing.queue import COLUMN_KEYS, SORTABLE, QueueQuery
    from app.workspaces import lifecycle as ws_mod

    try:
        from views.queue.model import QueueModel
    except ImportError:  # before the GUI's model exists, measure app.queueing.queue alone
        QueueModel = None  # type: ignore[assignment,misc]

    _app = QApplication.instance() or QApplication([])
    from app.identity import keyslots
    from app.queueing import filters as queue_filters

    if not url and not (WS_DIR / keyslots.SLOTS_FILE).exists():
        # Built with the passphrase as its key: the coordinator's first unlock gives it key
        # slots (and rekeys it) once, untimed, as it would on a real workstation.
        ws_mod.open_workspace(WS_DIR, PASSPHRASE, analyst=common.FIRST).lock()
    with Timer() as unlock:
        if url:
            ws = _open_pg(url)
        else:
            ws = ws_mod.open_workspace(WS_DIR, PASSPHRASE)
            ws.act_as(common.FIRST)
    out: dict[str, Any] = {"unlock_ms": round(unlock.ms, 1), "through": "views.queue.model",
                           "backend": ws.dialect}  # fmt: skip
    if QueueModel is None:
        raise SystemExit("views/queue/model.py is missing")
    out.update(_window_open(ws))
    with Timer() as first:
        model = QueueModel(ws)
        model.refresh()
        _touch(model)
    out["first_rows_ms"] = round(first.ms, 1)
    out["rows"] = model.rowCount()

    loads: dict[str, float] = {}  # the 1-minute load average as each figure was taken

    def timed(action: Any, top: int | None = 0, name: str = "") -> float:
        samples = []
        for _ in range(repeat):
            with Timer() as t:
                action()
                _touch(model, model.rowCount() - VISIBLE if top is None else top)
            samples.append(t.ms)
        if name:
            loads[name] = round(os.getloadavg()[0], 2)
        return round(statistics.median(samples), 1)

    sorts: dict[str, float] = {}
    for key in SORTABLE:
        col = COLUMN_KEYS.index(key)
        for order, label in ((Qt.SortOrder.AscendingOrder, "asc"),
                             (Qt.SortOrder.DescendingOrder, "desc")):  # fmt: skip
            name = f"{key} {label}"
            sorts[name] = timed(lambda c=col, o=order: model.sort(c, o), name=name)
    out["sort_ms"] = sorts
    out["sort_ms_max"] = max(sorts.values())
    model.set_query(QueueQuery())
    out["filter_ms"] = timed(lambda: model.set_query(QueueQuery(statuses=("triage",))))
    out["filter_rows"] = model.rowCount()
    from app.demos.text import load

    partner = load().people["partners"][0]["name"]
    saved: dict[str, float] = {}
    saved_rows: dict[str, int] = {}
    for spec in SAVED_FILTERS:
        name = spec.format(partner=partner)
        # Parsed each time, as the queue screen does ("now" moves on).
        saved[name] = timed(lambda n=name: model.set_query(queue_filters.parse(n).query),
                            name=name)  # fmt: skip
        saved_rows[name] = model.rowCount()
    out["saved_filter_ms"] = saved
    out["saved_filter_rows"] = saved_rows
    out["saved_filter_ms_max"] = max(saved.values())
    searches = {}
    words_list = ("calendar invitation", "pickle", "Kumo jailbreak", "ACC-2026-01",
                  "CVE-2026-41234", "HLX-SA-2026-017")  # fmt: skip
    for words in words_list:
        searches[words] = timed(lambda w=words: model.set_query(QueueQuery(text=w)), name=words)
        searches[words + " (rows)"] = model.rowCount()
    out["search_ms"] = {k: v for k, v in searches.items() if not k.endswith("(rows)")}
    out["search_rows"] = {k[:-7]: v for k, v in searches.items() if k.endswith("(rows)")}
    out["search_ms_max"] = max(out["search_ms"].values())
    model.set_query(QueueQuery())
    out["scroll_end_ms"] = timed(lambda: None, top=None)
    out["row_queries"] = model.queries
    out["cached_rows"] = model.cached_rows()
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    out["load_at"] = loads
    ws.lock()
    return out


def _window_open(ws: Any) -> dict[str, Any]:
    """The main window at 1366×768, from construction until its first rows are fetched and
    painted (the default view: open cases, next binding deadline first)."""
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from views.shell.main_window import MainWindow
    from views.shell.prefs import Prefs

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
    ratio = figures.get("ratio")
    lines = [
        ("open to first rows", m["first_rows_ms"], TARGETS["first_rows_ms"], "ms"),
        ("window open to first rows", m["window_open_ms"], TARGETS["window_open_ms"], "ms"),
        ("sort, slowest column", m["sort_ms_max"], TARGETS["sort_ms"], "ms"),
        ("status filter", m["filter_ms"], TARGETS["filter_ms"], "ms"),
        ("saved filter, slowest", m["saved_filter_ms_max"], TARGETS["saved_filter_ms"], "ms"),
        ("full-text search, slowest", m["search_ms_max"], TARGETS["search_ms"], "ms"),
        ("scroll to the end", m["scroll_end_ms"], TARGETS["scroll_end_ms"], "ms"),
        ("peak RSS (client)", m["peak_rss_mb"], TARGETS["peak_rss_mb"], "MB"),
    ]  # fmt: skip
    if ratio:
        lines.append(("SQLCipher / SQLite inserts", ratio["cipher_ratio"], TARGETS["cipher_ratio"],
                      "x"))  # fmt: skip
    reports = figures["build"].get("reports_per_case", 1) * figures["build"].get("cases", 0)
    print(f"\nQueue benchmark ({m['backend']}): {m['rows']:,} cases, {reports:,} reports, "
          f"{os.cpu_count()} CPUs, through {m['through']}")  # fmt: skip
    if reports < 1_000_000:
        print("(issue 17's size is 1,000,000 reports: the default, `--reports-per-case 5`)")
    print(f"{'figure':32} {'value':>10} {'target':>10}  ")
    for name, value, target, unit in lines:
        print(f"{name:32} {value:>8} {unit:2} {'≤ ' + str(target):>8} {unit:2} "
              f"{_status(value, target)}")  # fmt: skip
    print(f"{'unlock (key derivation)':32} {m['unlock_ms']:>8} ms")
    load = m.get("load_at", {})
    print("\nsort by column (median ms; 1-min load average when taken):")
    for key, value in m["sort_ms"].items():
        print(f"  {key:22} {value:>8}  {_status(value, TARGETS['sort_ms']):6}  "
              f"load {load.get(key)}")  # fmt: skip
    print("saved filters (median ms, rows, load):")
    for key, value in m["saved_filter_ms"].items():
        print(f"  {key:22} {value:>8}  {m['saved_filter_rows'][key]:>7,}  "
              f"{_status(value, TARGETS['saved_filter_ms']):6}  load {load.get(key)}")  # fmt: skip
    print("search (median ms, rows, load):")
    for key, value in m["search_ms"].items():
        print(f"  {key!r:22} {value:>8}  {m['search_rows'][key]:>7,}  load {load.get(key)}")
    if ratio:
        print(f"inserts of {ratio['ratio_cases']:,} cases: SQLCipher {ratio['sqlcipher_insert_s']}"
              f" s, SQLite {ratio['sqlite_insert_s']} s")  # fmt: skip
    print(f"load average before the run (1, 5, 15 min): {figures['load_average_before']}, "
          f"after: {figures.get('load_average_after')}")  # fmt: skip
    print(f"workspace: {figures['build']}\nwritten to {figures['out']}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--backend", choices=("sqlcipher", "postgres"), default="sqlcipher")
    p.add_argument("--cases", type=int, default=200_000)
    p.add_argument("--reports-per-case", type=int, default=DEFAULT_REPORTS_PER_CASE,
                   help="5 (the default) gives 1,000,000 reports for 200,000 cases")  # fmt: skip
    p.add_argument("--reports", type=int,
                   help="reports in all, spread over the cases (1000000: 5 per case at 200,000 "
                   "cases); overrides --reports-per-case")  # fmt: skip
    p.add_argument("--ratio-cases", type=int, default=20_000)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--rebuild", action="store_true")
    p.add_argument("--build", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--ratio", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--url", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.reports:
        args.reports_per_case = max(1, round(args.reports / args.cases))
    per_case = str(args.reports_per_case)
    if args.build:
        if args.url:
            print(json.dumps(do_build_pg(args.url, args.cases, args.reports_per_case)))
        else:
            print(json.dumps(do_build(args.cases, args.reports_per_case)))
        return 0
    if args.ratio:
        print(json.dumps(do_ratio(args.ratio_cases)))
        return 0
    if args.measure:
        print(json.dumps(do_measure(args.repeat, args.url)))
        return 0
    load = [round(x, 2) for x in os.getloadavg()]  # other work on the machine, before ours
    sizes = ("--cases", str(args.cases), "--reports-per-case", per_case)
    server: KeptPg | None = None
    if args.backend == "postgres":
        from tests.pg_server import _bin

        if not (_bin("initdb") and _bin("pg_ctl")):
            print("bench/queue.py --backend postgres needs PostgreSQL's server binaries "
                  "(initdb, pg_ctl; Debian's 'postgresql' package): not found on PATH nor in "
                  "/usr/lib/postgresql/*/bin", file=sys.stderr)  # fmt: skip
            return 2
        server = KeptPg()
    try:
        ratio = None
        if server is not None:
            base = server.start()
            if args.rebuild or not _meta_ok(PG_META, args.cases, args.reports_per_case):
                print(f"building a PostgreSQL database with {args.cases:,} cases in {PG_DIR} …",
                      file=sys.stderr)  # fmt: skip
                build = _child("--build", *sizes, "--url", base)
            else:
                build = json.loads(PG_META.read_text())
            measure = _child("--measure", "--repeat", str(args.repeat), "--url", _pg_url(base))
            out = OUT / "queue-postgres.json"
        else:
            if args.rebuild or not _valid(args.cases, args.reports_per_case):
                print(f"building an encrypted workspace with {args.cases:,} cases in {WS_DIR} …",
                      file=sys.stderr)  # fmt: skip
                build = _child("--build", *sizes)
            else:
                build = json.loads(META.read_text())
            ratio = _child("--ratio", "--ratio-cases", str(args.ratio_cases))
            measure = _child("--measure", "--repeat", str(args.repeat))
            out = OUT / "queue.json"
    finally:
        if server is not None:
            server.stop()
    figures = {
        "backend": args.backend, "build": build, "ratio": ratio, "measure": measure,
        "targets": TARGETS, "cpus": os.cpu_count(),
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "load_average_before": load, "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "out": str(out),
    }  # fmt: skip
    common.write_json(out, figures)
    report(figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
