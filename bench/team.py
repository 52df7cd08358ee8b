"""A team of twenty on PostgreSQL: analysts working at once, then the database checked.

    .venv/bin/python bench/team.py [--analysts 20] [--seconds 60] [--cases 20000]
                                   [--think 1.0] [--import-docs 1000]

Starts the loopback PostgreSQL the tests use (tests/pg_server.py), creates a team database
(the superuser is the coordinator), adds one login per analyst with ``team.add_analyst`` and
fills it with cases (bulk Core inserts, as bench/queue.py). Then one process per analyst,
logged in with its own login (the password goes through a pipe, never argv or the
environment), does a mix of queue pages, saved filters, searches, case views, transitions,
assessments and notes for the given time, pausing a random "think" time (mean ``--think``
seconds) between actions; one more process imports 1,000 generated CSAF documents as one of
the analysts meanwhile. Lock waits are sampled from ``pg_stat_activity`` and the time spent
in the audit chain's advisory lock is measured around it in each process.

Afterwards, as the owner: the audit chain verifies, no update was lost (each case's
transitions chain ``from`` = previous ``to``, ending at its status), and every action an
analyst saw succeed has its audit event. Prints a table; writes bench/out/team.json.
Exits 2 when PostgreSQL's binaries are missing. A benchmark, not a test: it never fails the
build on a missed target.
"""

from __future__ import annotations

import argparse
import collections
import importlib.util
import json
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
# bench/queue.py would shadow the standard library's queue (used by multiprocessing).
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != REPO / "bench"]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

OUT = REPO / "bench" / "out"
ORG = "Accord Team Bench CERT"
COORDINATOR = "Mara Lindqvist"
TARGET_P95_MS = 150.0
# What an analyst does, and how often (weights): reading dominates, as on a real shift.
MIX = {
    "queue": 22, "filter": 14, "search": 18, "show": 20,
    "transition": 10, "assess": 8, "note": 8,
}  # fmt: skip
INTERACTIVE = tuple(MIX)
WORDS = ("calendar invitation", "pickle", "jailbreak", "prompt injection", "ACC-2026-01",
         "CVE-2026-4", "model weights", "exfiltration")  # fmt: skip
FILTERS = ("overdue", "due-24h", "mine", "unassigned", "tier:High", "tier:Critical",
           "jurisdiction:EU", "open")  # fmt: skip
VECTORS = ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:L/I:L/A:N",
           "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
           "CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:U/C:L/I:N/A:N",
           "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:C/C:H/I:L/A:N")  # fmt: skip
SSVC = (["E=A", "A=Y", "TI=T", "MWI=H"], ["E=N", "A=N", "TI=P", "MWI=L"],
        ["E=P", "A=N", "TI=T", "MWI=H"])  # fmt: skip
ADVISORY_LOCK = "pg_advisory_xact_lock"


def _load_average() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    i = min(len(s) - 1, max(0, math.ceil(q / 100 * len(s)) - 1))  # nearest rank
    return round(s[i], 1)


# -- the analyst processes --------------------------------------------------------------------
class LockClock:
    """Time spent waiting for the audit chain's advisory lock (measured around the statement
    that takes it), and how long it was then held (to the end of the commit)."""

    def __init__(self, engine: Any) -> None:
        from sqlalchemy import event

        self.waits: list[float] = []
        self.holds: list[float] = []
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)
        event.listen(engine, "commit", self._end)
        event.listen(engine, "rollback", self._end)

    def _before(self, conn: Any, cursor: Any, statement: str, *a: Any) -> None:
        if ADVISORY_LOCK in statement:
            conn.info["lock_t0"] = time.perf_counter()

    def _after(self, conn: Any, cursor: Any, statement: str, *a: Any) -> None:
        t0 = conn.info.pop("lock_t0", None)
        if t0 is not None:
            now = time.perf_counter()
            self.waits.append((now - t0) * 1000)
            conn.info["lock_held"] = now

    def _end(self, conn: Any) -> None:
        # Fired before the COMMIT is sent: the commit's own time is not counted.
        t0 = conn.info.pop("lock_held", None)
        if t0 is not None:
            self.holds.append((time.perf_counter() - t0) * 1000)


def _chain_mode(mode: str) -> None:
    from app.auditing import chain as audit

    audit.CHAIN_AT_COMMIT = mode == "commit"


def run_analyst(url: str, seconds: float, think: float, seed: int) -> dict[str, Any]:
    """One analyst's session: a random mix of actions until the time is up."""
    from sqlalchemy import select

    from app import severity
    from app.casework import cases, notes, workflow
    from app.errors import AccordError, ConflictError
    from app.queueing import filters as queue_filters
    from app.queueing import queue
    from app.queueing.queue import SORTABLE, QueueQuery
    from app.workspaces import lifecycle as ws_mod
    from models import Case, CaseStatus

    password = sys.stdin.readline().rstrip("\n")
    ws = ws_mod.open_workspace(None, password, db_url=url)
    del password
    actor = ws.require_actor()
    clock = LockClock(ws.engine)
    rng = random.Random(seed)
    with ws.session() as s:
        keys = list(s.scalars(select(Case.key)))
    lat: dict[str, list[float]] = collections.defaultdict(list)
    conflicts: collections.Counter[str] = collections.Counter()
    errors: collections.Counter[str] = collections.Counter()
    done: collections.Counter[str] = collections.Counter()
    transitions: list[tuple[str, str, str]] = []
    notes_added: list[str] = []
    statuses = [s.value for s in CaseStatus]

    def op_queue(s: Any) -> None:
        q = QueueQuery(
            statuses=tuple(rng.sample(statuses, rng.choice((0, 0, 1, 2)))),
            sort=rng.choice(SORTABLE), descending=rng.random() < 0.5,
        )  # fmt: skip
        queue.page(s, q, actor, limit=100)

    def op_filter(s: Any) -> None:
        queue.page(s, queue_filters.parse(rng.choice(FILTERS)).query, actor, limit=100)

    def op_search(s: Any) -> None:
        queue.page(s, QueueQuery(text=rng.choice(WORDS)), actor, limit=100)

    def op_show(s: Any) -> None:
        key = rng.choice(keys)
        cases.detail(s, key)
        cases.history(s, key, limit=50)

    def op_transition(s: Any) -> None:
        key = rng.choice(keys)
        shown = cases.detail(s, key)  # what the screen showed, and its version
        targets = [t for t in workflow.allowed_from(CaseStatus(shown.status))
                   if t is not CaseStatus.DISCLOSED]  # fmt: skip
        if not targets:
            return
        src, dst = cases.transition(
            s, actor, key, rng.choice(targets).value, "bench: triage decision",
            expected_version=shown.version,
        )  # fmt: skip
        s.commit()
        transitions.append((key, src, dst))

    def op_assess(s: Any) -> None:
        inputs = severity.build_inputs(rng.choice(VECTORS), rng.choice(SSVC))
        severity.assess(s, actor, rng.choice(keys), inputs, rationale="bench")

    def op_note(s: Any) -> None:
        key = rng.choice(keys)
        notes.add(s, actor, key, f"bench note {rng.random():.6f}")
        s.commit()
        notes_added.append(key)

    ops = {"queue": op_queue, "filter": op_filter, "search": op_search, "show": op_show,
           "transition": op_transition, "assess": op_assess, "note": op_note}  # fmt: skip
    kinds, weights = list(MIX), list(MIX.values())
    # One of each action before the clock starts: a process loads its modules, the severity
    # model and the deadline rules once, as an analyst's long-running session has.
    warm_up = list(kinds)
    deadline = math.inf
    while time.monotonic() < deadline:
        timed = not warm_up
        if timed and deadline == math.inf:
            deadline = time.monotonic() + seconds
            # Analysts do not all start on the same millisecond.
            time.sleep(rng.uniform(0, min(think, 1.0)))
        kind = warm_up.pop() if warm_up else rng.choices(kinds, weights)[0]
        t0 = time.perf_counter()
        try:
            with ws.session() as s:
                ops[kind](s)
        except ConflictError:
            conflicts[kind] += 1
        except AccordError as exc:
            errors[f"{kind}: {type(exc).__name__}"] += 1
        else:
            if timed:
                lat[kind].append((time.perf_counter() - t0) * 1000)
            done[kind] += 1
        if think > 0 and timed:
            time.sleep(min(rng.expovariate(1 / think), 5 * think))
    ws.lock()
    return {
        "analyst": actor.name, "latencies_ms": lat, "done": done, "conflicts": conflicts,
        "errors": errors, "transitions": transitions, "notes": notes_added,
        "lock_waits_ms": clock.waits, "lock_holds_ms": clock.holds,
    }  # fmt: skip


def run_importer(url: str, folder: str) -> dict[str, Any]:
    """One analyst imports a folder of CSAF documents (batches commit as ``accord import``)."""
    from app.intake import import_paths
    from app.workspaces import lifecycle as ws_mod

    password = sys.stdin.readline().rstrip("\n")
    ws = ws_mod.open_workspace(None, password, db_url=url)
    del password
    clock = LockClock(ws.engine)
    t0 = time.perf_counter()
    result = import_paths(ws, [folder], workers=1)
    seconds = time.perf_counter() - t0
    ws.lock()
    return {
        "documents": result.total, "imported": result.imported,
        "duplicates": result.duplicates, "rejected": len(result.rejected),
        "seconds": round(seconds, 2), "documents_per_second": round(result.total / seconds, 1),
        "lock_waits_ms": clock.waits, "lock_holds_ms": clock.holds,
    }  # fmt: skip


# -- setting up -------------------------------------------------------------------------------
def _bench_import_module() -> Any:
    spec = importlib.util.spec_from_file_location("bench_import", REPO / "bench" / "import.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def setup(base_url: str, n_analysts: int, n_cases: int) -> dict[str, Any]:
    """A fresh team database: the coordinator (the superuser), the analysts' logins, cases."""
    from sqlalchemy import create_engine, insert, select, text
    from sqlalchemy.engine import make_url

    sys.path.insert(0, str(REPO / "bench"))
    import common

    sys.path.pop(0)
    from app.demos.text import load
    from app.identity import team
    from app.workspaces import lifecycle as ws_mod
    from models import Case, Partner

    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text('CREATE DATABASE "accord_team"'))
    admin.dispose()
    url = base_url.rsplit("/", 1)[0] + "/accord_team"
    ws = ws_mod.create(None, None, ORG, COORDINATOR, db_url=url)
    coordinator = ws.require_actor()
    logins: list[tuple[str, str]] = []
    ids: list[int] = []
    with ws.session() as s:
        for i in range(n_analysts):
            role = "shift-lead" if i % 10 == 0 else "analyst"
            added = team.add_analyst(s, coordinator, f"Bench Analyst {i + 1:02d}", role,
                                     login=None)  # fmt: skip
            assert added.one_time_passphrase is not None
            logins.append((added.login, added.one_time_passphrase))
            ids.append(added.info.id)
    partners = load().people["partners"]
    with ws.engine.begin() as conn:
        conn.execute(insert(Partner), [
            {"name": p["name"], "country": p["country"], "timezone": p["timezone"],
             "languages": p["languages"], "created_at": common.NOW} for p in partners
        ])  # fmt: skip
    t0 = time.perf_counter()
    common.fill(ws.engine, n_cases, staff=(ids, [p["name"] for p in partners]),
                actor=COORDINATOR)  # fmt: skip
    # As autovacuum leaves a database some time after a bulk load: statistics, and the full-text
    # index's pending list merged (searches scan that list whole until then).
    with ws.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")
    with ws.engine.begin() as conn:
        initial = dict(conn.execute(select(Case.key, Case.status)).all())
    fill_s = time.perf_counter() - t0
    ws.lock()
    urls = [make_url(url).set(username=login).render_as_string(hide_password=False)
            for login, _pw in logins]  # fmt: skip
    return {
        "url": url, "analysts": list(zip(urls, [pw for _l, pw in logins], strict=True)),
        "initial": {k: v.value for k, v in initial.items()}, "fill_s": round(fill_s, 1),
    }  # fmt: skip


class Sampler(threading.Thread):
    """Samples ``pg_stat_activity`` every 100 ms: how many backends are running, and how
    many wait on a lock (advisory, row, transaction) at that instant."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        from sqlalchemy import create_engine

        self.engine = create_engine(url)
        self.stop = threading.Event()
        self.samples = 0
        self.active = 0
        self.waiting: collections.Counter[str] = collections.Counter()
        self.max_waiting = 0

    def run(self) -> None:
        from sqlalchemy import text

        sql = text(
            "SELECT wait_event_type, wait_event FROM pg_stat_activity "
            "WHERE datname = current_database() AND state = 'active' "
            "AND pid <> pg_backend_pid()"
        )
        with self.engine.connect() as conn:
            while not self.stop.wait(0.1):
                rows = conn.execute(sql).all()
                conn.rollback()
                self.samples += 1
                self.active += len(rows)
                locked = [f"{t}:{e}" for t, e in rows if t == "Lock"]
                self.waiting.update(locked)
                self.max_waiting = max(self.max_waiting, len(locked))
        self.engine.dispose()

    def figures(self) -> dict[str, Any]:
        n = max(self.samples, 1)
        return {
            "samples": self.samples,
            "mean_active_backends": round(self.active / n, 2),
            "mean_backends_waiting_on_locks": round(sum(self.waiting.values()) / n, 3),
            "max_backends_waiting_on_locks": self.max_waiting,
            "lock_wait_samples_by_event": dict(self.waiting),
        }


# -- checking afterwards ----------------------------------------------------------------------
def check(url: str, initial: dict[str, str], results: list[dict[str, Any]]) -> dict[str, Any]:
    """The database after the run, as its owner sees it."""
    from sqlalchemy import create_engine, func, select

    from app.identity import checkpoints
    from app.workspaces import lifecycle as ws_mod
    from models import Assessment, AuditEvent, Case, Note

    engine = create_engine(url)
    ws = ws_mod.Workspace(engine, "check")
    out: dict[str, Any] = {}
    with ws.session() as s:
        try:
            verified, cps = checkpoints.verify_workspace(s)
            out["audit_chain"] = {"intact": True, "events": verified.events, "checkpoints": cps}
        except Exception as exc:  # the figure says what broke
            out["audit_chain"] = {"intact": False, "problem": str(exc)}
        status = dict(s.execute(select(Case.key, Case.status)).all())
        moves: dict[str, list[tuple[str, str]]] = collections.defaultdict(list)
        for key, details in s.execute(
            select(AuditEvent.case_key, AuditEvent.details)
            .where(AuditEvent.action.in_(("case.transition", "case.transition.undo")))
            .order_by(AuditEvent.seq)
        ):
            moves[key].append((details["from"], details["to"]))
        lost = []
        for key, seq in moves.items():
            expected = initial.get(key)
            for src, dst in seq:
                if expected is not None and src != expected:
                    lost.append(key)
                    break
                expected = dst
            else:
                if status[key].value != expected:
                    lost.append(key)
        unchanged_but_moved = [k for k, v in initial.items()
                               if k not in moves and status[k].value != v]  # fmt: skip
        out["no_lost_update"] = {
            "ok": not lost and not unchanged_but_moved,
            "cases_transitioned": len(moves), "broken_cases": lost[:20],
            "changed_without_event": unchanged_but_moved[:20],
        }  # fmt: skip

        def events(action: str) -> int:
            return int(s.scalar(select(func.count()).where(AuditEvent.action == action)) or 0)

        said: collections.Counter[str] = collections.Counter()
        for r in results:
            said.update(r["done"])
        history = {
            "transitions": (sum(len(r["transitions"]) for r in results),
                            events("case.transition")),
            "notes": (said["note"], events("case.note.add"),
                      int(s.scalar(select(func.count(Note.id))) or 0)),
            "assessments": (said["assess"], events("assessment.create"),
                            int(s.scalar(select(func.count(Assessment.id))) or 0)),
        }  # fmt: skip
        # Every case's history: its last transition event names the status it has.
        complete = all(len(set(v)) == 1 for v in history.values())
        out["history_complete"] = {"ok": complete, **{k: list(v) for k, v in history.items()}}
    engine.dispose()
    return out


# -- the run ----------------------------------------------------------------------------------
def _spawn(args: list[str], password: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    env["PYTHONPATH"] = str(REPO)
    proc = subprocess.Popen(
        [sys.executable, __file__, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        text=True, env=env, cwd=REPO,
    )  # fmt: skip
    assert proc.stdin is not None
    proc.stdin.write(password + "\n")
    proc.stdin.close()
    proc.stdin = None  # communicate() must not touch it again
    return proc


def summarise(results: list[dict[str, Any]]) -> dict[str, Any]:
    per: dict[str, list[float]] = collections.defaultdict(list)
    for r in results:
        for kind, values in r["latencies_ms"].items():
            per[kind].extend(values)
    kinds = {}
    for kind in INTERACTIVE:
        v = per.get(kind, [])
        kinds[kind] = {"n": len(v), "p50_ms": _pct(v, 50), "p95_ms": _pct(v, 95),
                       "p99_ms": _pct(v, 99), "max_ms": round(max(v), 1) if v else None,
                       "conflicts": sum(r["conflicts"].get(kind, 0) for r in results)}  # fmt: skip
    every = [x for k in INTERACTIVE for x in per.get(k, [])]
    waits = [w for r in results for w in r["lock_waits_ms"]]
    holds = [h for r in results for h in r["lock_holds_ms"]]
    errors: collections.Counter[str] = collections.Counter()
    for r in results:
        errors.update(r["errors"])
    return {
        "kinds": kinds,
        "interactive": {"n": len(every), "p50_ms": _pct(every, 50), "p95_ms": _pct(every, 95),
                        "p99_ms": _pct(every, 99)},
        "audit_lock_wait_ms": {"n": len(waits), "total_s": round(sum(waits) / 1000, 2),
                               "p50": _pct(waits, 50), "p95": _pct(waits, 95),
                               "p99": _pct(waits, 99),
                               "max": round(max(waits), 1) if waits else None},
        "audit_lock_held_ms": {"n": len(holds), "p50": _pct(holds, 50), "p95": _pct(holds, 95),
                               "max": round(max(holds), 1) if holds else None},
        "errors": dict(errors),
    }  # fmt: skip


def report(fig: dict[str, Any]) -> None:
    s = fig["summary"]
    print(f"\nTeam benchmark: {fig['analysts']} analysts for {fig['seconds']} s on PostgreSQL "
          f"{fig['server_version']}, {fig['cases']:,} cases, think time mean {fig['think_s']} s, "
          f"{fig['cpus']} CPUs, audit lock taken at {fig['audit_lock']}")  # fmt: skip
    print(f"load average before {fig['load_average_before']}, after {fig['load_average_after']}")
    print(f"operations/s (interactive): {fig['ops_per_s']}")
    print(f"{'kind':12} {'n':>6} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>8} {'conflicts':>9}")
    for kind, k in s["kinds"].items():
        print(f"{kind:12} {k['n']:>6} {k['p50_ms']!s:>8} {k['p95_ms']!s:>8} {k['p99_ms']!s:>8} "
              f"{k['max_ms']!s:>8} {k['conflicts']:>9}")  # fmt: skip
    i = s["interactive"]
    ok = i["p95_ms"] is not None and i["p95_ms"] <= TARGET_P95_MS
    print(f"{'all':12} {i['n']:>6} {i['p50_ms']!s:>8} {i['p95_ms']!s:>8} {i['p99_ms']!s:>8}"
          f"   p95 target ≤ {TARGET_P95_MS:.0f} ms: {'ok' if ok else 'MISSED'}")  # fmt: skip
    w = s["audit_lock_wait_ms"]
    print(f"audit lock (ms, around pg_advisory_xact_lock): n={w['n']} p50={w['p50']} "
          f"p95={w['p95']} p99={w['p99']} max={w['max']} total={w['total_s']} s")  # fmt: skip
    h = s["audit_lock_held_ms"]
    print(f"audit lock held by analysts (ms, to the commit): n={h['n']} p50={h['p50']} "
          f"p95={h['p95']} max={h['max']}")  # fmt: skip
    print(f"pg_stat_activity samples: {fig['locks']}")
    if fig.get("import"):
        im = fig["import"]
        print(f"import: {im.get('documents')} documents in {im.get('seconds')} s "
              f"({im.get('documents_per_second')}/s), imported {im.get('imported')}, "
              f"audit lock waited {im.get('lock_wait_total_s')} s, "
              f"held {im.get('lock_held')}")  # fmt: skip
    else:
        print(f"import: skipped ({fig.get('import_skipped')})")
    if s["errors"]:
        print(f"refused actions: {s['errors']}")
    c = fig["checks"]
    print(f"audit chain: {c['audit_chain']}")
    print(f"no lost update: {c['no_lost_update']}")
    print(f"history complete: {c['history_complete']}")
    print(f"written to {fig['out']}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--analysts", type=int, default=20)
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--cases", type=int, default=20_000)
    p.add_argument("--think", type=float, default=1.0,
                   help="mean seconds an analyst pauses between actions")  # fmt: skip
    p.add_argument("--import-docs", type=int, default=1000, help="0: no import")
    p.add_argument("--audit-lock", choices=("commit", "first-write"), default="commit",
                   help="when a writer takes the audit chain's lock: at commit (now), or at "
                   "its first event (before; for the before-and-after figures)")  # fmt: skip
    p.add_argument("--out", default=str(OUT / "team.json"))
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--importer", help=argparse.SUPPRESS)
    p.add_argument("--seed", type=int, default=1, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    _chain_mode(args.audit_lock)
    if args.worker:
        print(json.dumps(run_analyst(args.worker, args.seconds, args.think, args.seed)))
        return 0
    if args.importer:
        url, _sep, folder = args.importer.partition("|")
        print(json.dumps(run_importer(url, folder)))
        return 0

    sys.path.insert(0, str(REPO))
    from tests.pg_server import PgServer, _bin

    if not (_bin("initdb") and _bin("pg_ctl")):
        print("bench/team.py needs PostgreSQL's server binaries (initdb, pg_ctl; Debian's "
              "'postgresql' package): not found on PATH nor in /usr/lib/postgresql/*/bin",
              file=sys.stderr)  # fmt: skip
        return 2
    load_before = _load_average()
    server = PgServer()
    tmp = Path(tempfile.mkdtemp(prefix="accord-team-bench-"))
    try:
        base = server.start()
        print(f"PostgreSQL on port {server.port}; setting up {args.analysts} analysts and "
              f"{args.cases:,} cases …", file=sys.stderr, flush=True)  # fmt: skip
        env = setup(base, args.analysts, args.cases)
        folder = None
        skipped = None
        if args.import_docs:
            bi = _bench_import_module()
            base_docs = bi.corpus() if bi.corpus_files() else []
            if base_docs:
                folder = tmp / "corpus"
                folder.mkdir(mode=0o700)
                bi.write_corpus(folder, args.import_docs, base_docs)
            else:
                skipped = f"the shared CSAF corpus is missing or unparsable ({bi.SHARED})"
        else:
            skipped = "--import-docs 0"
        from sqlalchemy import create_engine, text

        eng = create_engine(env["url"])
        with eng.connect() as conn:
            version = conn.execute(text("SHOW server_version")).scalar_one()
        eng.dispose()
        sampler = Sampler(env["url"])
        sampler.start()
        t0 = time.perf_counter()
        procs = [
            _spawn(["--worker", u, "--seconds", str(args.seconds), "--think", str(args.think),
                    "--seed", str(i + 1), "--audit-lock", args.audit_lock], pw)
            for i, (u, pw) in enumerate(env["analysts"])
        ]  # fmt: skip
        importer = None
        if folder is not None:
            u, pw = env["analysts"][1 % len(env["analysts"])]
            importer = _spawn(["--importer", f"{u}|{folder}", "--audit-lock", args.audit_lock], pw)
        results = []
        for proc in procs:
            out, _err = proc.communicate()
            if proc.returncode != 0:
                raise SystemExit(f"an analyst process failed (exit {proc.returncode})")
            results.append(json.loads(out.strip().splitlines()[-1]))
        imported = None
        if importer is not None:
            out, _err = importer.communicate()
            if importer.returncode != 0:
                raise SystemExit(f"the import process failed (exit {importer.returncode})")
            imported = json.loads(out.strip().splitlines()[-1])
            waits = imported.pop("lock_waits_ms")
            imported["lock_wait_total_s"] = round(sum(waits) / 1000, 2)
            imported["lock_wait_max_ms"] = round(max(waits), 1) if waits else None
            holds = imported.pop("lock_holds_ms")
            imported["lock_held"] = {"n": len(holds), "p50_ms": _pct(holds, 50),
                                     "p95_ms": _pct(holds, 95),
                                     "max_ms": round(max(holds), 1) if holds else None}  # fmt: skip
        wall = time.perf_counter() - t0
        sampler.stop.set()
        sampler.join()
        summary = summarise(results)
        checks = check(env["url"], env["initial"], results)
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    fig = {
        "analysts": args.analysts, "seconds": args.seconds, "cases": args.cases,
        "think_s": args.think, "cpus": os.cpu_count(), "server_version": version,
        "audit_lock": args.audit_lock,
        "wall_s": round(wall, 1), "fill_s": env["fill_s"],
        "ops_per_s": round(summary["interactive"]["n"] / args.seconds, 1),
        "summary": summary, "locks": sampler.figures(), "import": imported,
        "import_skipped": skipped, "checks": checks,
        "targets": {"interactive_p95_ms": TARGET_P95_MS, "audit_chain": "intact"},
        "load_average_before": load_before, "load_average_after": _load_average(),
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "out": args.out,
    }  # fmt: skip
    out_path = Path(args.out)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(fig, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    report(fig)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
