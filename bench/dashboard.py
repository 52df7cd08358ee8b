"""The shift-lead dashboard at 200,000 cases: from opening the screen to every figure drawn.

    .venv/bin/python bench/dashboard.py [--cases N] [--repeat R]

Reuses the encrypted workspace of bench/queue.py (built there when missing; an older schema
is migrated in place, as a real workspace would be), adds once one deadline row per case with
a next deadline (the queue builder writes none), then in a fresh process opens
``views.shift.dashboard.DashboardScreen`` offscreen at 1440×900 and times ``reload`` until
``loaded``: the first open (cold caches) and the median of the next ones, and the core's
``app.shift.dashboard.snapshot`` alone. Prints the figures beside their target and writes
bench/out/dashboard.json. A benchmark, not a test: it never fails the build.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common
from common import FIRST, OUT, PASSPHRASE, Timer

TARGETS = {"dashboard_open_ms": 1000, "dashboard_open_warm_ms": 1000, "snapshot_ms": 1000}


def _queue_bench() -> Any:
    """bench/queue.py, loaded under another name (``queue`` is a standard module)."""
    path = Path(__file__).resolve().parent / "queue.py"
    spec = importlib.util.spec_from_file_location("bench_queue", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _open(ws_dir: Path) -> Any:
    from app.workspaces import lifecycle as ws_mod

    ws = ws_mod.open_workspace(ws_dir, PASSPHRASE, analyst=FIRST)
    ws.act_as(FIRST)
    return ws


def do_prepare(n: int) -> dict[str, Any]:
    """Migrate the queue workspace to the current schema and give it deadline rows (once)."""
    from sqlalchemy import func, insert, select

    from app.workspaces.engines import migrate
    from models import Case, Deadline

    qb = _queue_bench()
    ws = _open(qb.WS_DIR)
    with Timer() as t_migrate:
        migrate(ws.engine)
    added = 0
    with ws.engine.begin() as conn:
        if not conn.execute(select(func.count(Deadline.id))).scalar_one():
            rng = random.Random(11)
            rows = conn.execute(
                select(Case.id, Case.next_deadline_utc).where(Case.next_deadline_utc.is_not(None))
            ).all()
            batch = []
            for case_id, due in rows:
                binding = rng.random() < 0.5
                rule = "eu-cra-14-2a-early-warning" if binding else "accord-triage-10bd"
                batch.append({
                    "case_id": case_id, "rule_id": rule, "jurisdiction": "EU" if binding else "*",
                    "obligation": "Early warning notification" if binding else "Joint triage",
                    "recipient": "ENISA" if binding else "partners", "due_utc": due,
                    "state": "pending", "binding": binding, "source": "bench",
                })  # fmt: skip
            for start in range(0, len(batch), 5000):
                conn.execute(insert(Deadline), batch[start : start + 5000])
            added = len(batch)
            conn.exec_driver_sql("ANALYZE")
    ws.lock()
    meta = json.loads(qb.META.read_text())
    meta["head"] = qb._head()  # migrated in place: the queue bench may reuse it
    common.write_json(qb.META, meta)
    return {"migrate_ms": round(t_migrate.ms, 1), "deadlines_added": added, "cases": n}


def do_measure(repeat: int) -> dict[str, Any]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from app.shift import dashboard as dash
    from views.shift.dashboard import DashboardScreen

    _app = QApplication.instance() or QApplication([])
    qb = _queue_bench()
    with Timer() as unlock:
        ws = _open(qb.WS_DIR)
    out: dict[str, Any] = {"unlock_ms": round(unlock.ms, 1)}

    def open_screen() -> tuple[float, Any]:
        with Timer() as t:
            screen = DashboardScreen(lambda: ws)
            screen.resize(1440, 900)
            screen.show()
            loop = QEventLoop()
            screen.loaded.connect(loop.quit)
            QTimer.singleShot(60_000, loop.quit)
            screen.reload()
            if screen.data is None:
                loop.exec()
            _app.processEvents()  # the charts are painted, not only computed
        return t.ms, screen

    first, screen = open_screen()
    assert screen.data is not None, "the dashboard did not load"
    data = screen.data
    screen.close()
    warm = []
    for _ in range(repeat):
        ms, s = open_screen()
        warm.append(ms)
        s.close()
    snaps = []
    for _ in range(repeat):
        with Timer() as t, ws.session() as session:
            dash.snapshot(session)
        snaps.append(t.ms)
    with ws.engine.connect() as conn:
        plan = conn.exec_driver_sql(
            'EXPLAIN QUERY PLAN SELECT assignee_id, tier, status, count(*) FROM "case" '
            "WHERE status NOT IN ('closed', 'duplicate', 'rejected') "
            "GROUP BY assignee_id, tier, status"
        ).all()
    h = data.headline
    out.update({
        "dashboard_open_ms": round(first, 1),
        "dashboard_open_warm_ms": round(statistics.median(warm), 1),
        "snapshot_ms": round(statistics.median(snaps), 1),
        "open_cases": sum(sum(r) for r in data.by_tier_status.values),
        "headline": {"overdue": h.overdue, "due_today": h.due_today,
                     "unassigned": h.unassigned, "new_this_shift": h.new_this_shift}
        if h else {},
        "obligations_next_7_days": sum(d.binding + d.advisory for d in data.obligations_by_day),
        "plan": " / ".join(str(r[-1]) for r in plan),
    })  # fmt: skip
    ws.lock()
    return out


def _child(flag: str, *args: str) -> dict[str, Any]:
    cmd = [sys.executable, __file__, flag, *args]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=True)
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def report(figures: dict[str, Any]) -> None:
    m = figures["measure"]
    print(f"\nDashboard benchmark: {m['open_cases']:,} open of {figures['cases']:,} cases, "
          f"{os.cpu_count()} CPUs")  # fmt: skip
    print(f"{'figure':34} {'value':>10} {'target':>10}")
    for key, name in (("dashboard_open_ms", "dashboard open (first, cold)"),
                      ("dashboard_open_warm_ms", "dashboard open (median, warm)"),
                      ("snapshot_ms", "figures alone (app.shift.dashboard)")):  # fmt: skip
        value, target = m[key], TARGETS[key]
        print(f"{name:34} {value:>7} ms {'≤ ' + str(target):>7} ms  "
              f"{'ok' if value <= target else 'MISSED'}")  # fmt: skip
    print(f"headline: {m['headline']}; obligations in the next 7 days: "
          f"{m['obligations_next_7_days']:,}")  # fmt: skip
    print(f"query plan: {m['plan']}")
    print(f"load average before the run (1, 5, 15 min): {figures['load_average_before']}")
    print(f"written to {OUT / 'dashboard.json'}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--cases", type=int, default=200_000)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.prepare:
        print(json.dumps(do_prepare(args.cases)))
        return 0
    if args.measure:
        print(json.dumps(do_measure(args.repeat)))
        return 0
    load = [round(x, 2) for x in os.getloadavg()]
    qb = _queue_bench()
    db = qb.WS_DIR / "workspace.accord"
    meta = json.loads(qb.META.read_text()) if qb.META.exists() else {}
    if not (db.exists() and meta.get("complete") and meta.get("cases") == args.cases):
        print(f"building an encrypted workspace with {args.cases:,} cases in {qb.WS_DIR} …",
              file=sys.stderr)  # fmt: skip
        subprocess.run([sys.executable, str(Path(qb.__file__)), "--build", "--cases",
                        str(args.cases)], check=True, stdout=subprocess.DEVNULL)  # fmt: skip
    prepare = _child("--prepare", "--cases", str(args.cases))
    measure = _child("--measure", "--repeat", str(args.repeat))
    figures = {
        "cases": args.cases, "prepare": prepare, "measure": measure, "targets": TARGETS,
        "cpus": os.cpu_count(), "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "load_average_before": load,
    }  # fmt: skip
    common.write_json(OUT / "dashboard.json", figures)
    report(figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
