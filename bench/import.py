"""Intake speed: documents per second on 1, 2 and all cores, CPU per document in the single
writer and in the parser processes, and the reference validator on the same files.

The corpus is the shared CSAF data (CISA sample and the OASIS 2.0 examples) plus generated
variants of it (new tracking ids and CVE ids, so each one is a new document). The variants
are public data rewritten, written to a temporary folder for the run and removed after.

Each import runs ``import_paths`` into a new encrypted workspace in a process of its own, for
each worker count. In the same run, on the same files, ``csaf validate --preset mandatory``
(the ``csaf`` package's own command, one process) checks what Accord checks at intake before
it stores anything. ``--before REV`` imports with the code of revision REV too, alternating
with this code round by round, so that both see the same machine load.

Targets (issue 17): the single writer stores a document in at most 1 ms of CPU; with every
core, Accord imports at least twice as fast as ``csaf validate`` checks. Figures are printed
and written to bench/out/import.json. The machine's load average is recorded with them.

    .venv/bin/python bench/import.py [--count 10000] [--rounds 1] [--before REV] [--phases]
    .venv/bin/python bench/import.py --profile-csaf     # where the mandatory tests spend time
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def _root() -> Path:
    """The source tree this process imports Accord from: this repository, or the one named
    by ``--child ROOT`` (a process importing with another revision's code). Worker processes
    start from this module too, with the same arguments."""
    if "--child" in sys.argv:
        return Path(sys.argv[sys.argv.index("--child") + 1]).resolve()
    return Path(__file__).resolve().parent.parent


REPO = Path(__file__).resolve().parent.parent
ROOT = _root()
# bench/queue.py would shadow the standard library's queue (used by multiprocessing).
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != REPO / "bench"]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SHARED = REPO.parent / "shared" / "data" / "csaf"
OUT = REPO / "bench" / "out" / "import.json"
PROFILE_OUT = REPO / "bench" / "out" / "csaf_mandatory_profile.txt"
TARGET_WRITER_MS = 1.0
TARGET_CSAF_RATIO = 2.0


def corpus_files() -> list[Path]:
    files = sorted((SHARED / "cisa-sample").glob("*.json"))
    files += sorted((SHARED / "oasis" / "csaf_2.0" / "examples" / "csaf").rglob("*.json"))
    return files


def corpus() -> list[dict[str, Any]]:
    from app.intake.parse import ParseOptions, parse_document

    docs = []
    opts = ParseOptions()
    for f in corpus_files():
        data = f.read_bytes()
        try:
            parse_document(f.name, data, opts)
        except Exception:
            continue
        docs.append(json.loads(data))
    return docs


def variant(doc: dict[str, Any], n: int) -> dict[str, Any]:
    d = copy.deepcopy(doc)
    tracking = d["document"]["tracking"]
    tracking["id"] = f"{tracking['id']}-BENCH-{n:05d}"
    for i, v in enumerate(d.get("vulnerabilities", [])):
        if "cve" in v:
            v["cve"] = f"CVE-2099-{n * 10 + i:07d}"
    return d


def write_corpus(folder: Path, count: int, base: list[dict[str, Any]]) -> list[Path]:
    paths = []
    for n in range(count):
        doc = base[n % len(base)] if n < len(base) else variant(base[n % len(base)], n)
        path = folder / f"doc-{n:05d}.json"
        path.write_text(json.dumps(doc), encoding="utf-8")
        paths.append(path)
    return paths


def _load_average() -> list[float]:
    """The machine's 1, 5 and 15 minute load: figures taken on a busy machine say so."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def _proc_cpu(pid: int, stat: str = "") -> float:
    """User and system seconds a live process (or thread: ``stat`` its file) has used so far
    (Linux /proc), else 0."""
    try:
        fields = Path(stat or f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- one import, in a process of its own (this code or another revision's) -------------------


# The single writer's phases (--phases): functions timed by their own CPU in the importing
# thread (thread time: the pool's threads run meanwhile and are counted apart), the phases
# they call left out. (module, attribute, phase); a revision without one is timed without it.
_PHASES = (
    ("app.intake.bulk", "plan", "planning a run"),
    ("app.intake.bulk", "write", "bulk.write itself (rows built, memos, outcomes)"),
    ("app.intake.bulk", "_write_children", "rows: identifiers, vulnerabilities, products"),
    ("app.intake.rows", "INSERT_REPORTS", "rows: reports"),
    ("app.casework.cases", "open_cases", "cases opened (rows, deadlines)"),
    ("app.queueing.search", "index_new", "search index of new cases (FTS5)"),
    ("app.queueing.search", "reindex", "search index of cases reports joined (FTS5)"),
    ("app.queueing.search", "reindex_cases", "search index of cases reports joined (FTS5)"),
    ("app.intake.dedup", "rows_for", "near-duplicate checks"),
    ("app.auditing.chain", "record_all", "audit events (hashed, signed)"),
    ("sqlalchemy.orm", "Session.commit", "commits (pages encrypted and written)"),
    ("app.intake.importer", "_stream", "parse ahead: this process's part"),
)


def _time_phases() -> dict[str, float]:
    """Wrap the writer's phases; returns the CPU seconds of each as it accumulates. Timing
    costs a few per cent: ``--phases`` runs say where the time goes, not the figure."""
    import importlib

    spent: dict[str, float] = {label: 0.0 for _m, _a, label in _PHASES}
    inner: list[float] = []

    def timed(fn: Any, label: str) -> Any:
        def run(*args: Any, **kwargs: Any) -> Any:
            t0 = time.thread_time()
            inner.append(0.0)
            try:
                return fn(*args, **kwargs)
            finally:
                took = time.thread_time() - t0
                spent[label] += took - inner.pop()
                if inner:
                    inner[-1] += took

        return run

    def timed_generator(fn: Any, label: str) -> Any:
        def run(*args: Any, **kwargs: Any) -> Any:
            produced = fn(*args, **kwargs)
            while True:
                t0 = time.thread_time()
                try:
                    item = next(produced)
                except StopIteration:
                    spent[label] += time.thread_time() - t0
                    return
                spent[label] += time.thread_time() - t0
                yield item

        return run

    for module_name, attr, label in _PHASES:
        try:
            owner: Any = importlib.import_module(module_name)
        except ImportError:
            continue
        *path, name = attr.split(".")
        for part in path:
            owner = getattr(owner, part)
        target = getattr(owner, name, None)
        if target is None:
            continue
        if not callable(target):  # a statement object (rows.INSERT_REPORTS): its run
            target.run = timed(target.run, label)
        elif name == "_stream":
            setattr(owner, name, timed_generator(target, label))
        else:
            setattr(owner, name, timed(target, label))
    return spent


def child(folder: Path, workers: int, phases: bool = False) -> dict[str, Any]:
    """Import ``folder`` into a new encrypted workspace with ``workers`` parser processes.

    CPU of this process is the writer's (parsing too when ``workers`` is 1); the parser
    processes' CPU is read from /proc just before their pool shuts down, when they are done."""
    from app.intake import import_paths
    from app.intake import workers as workers_mod
    from app.workspaces import lifecycle as ws_mod

    parsers = [0.0]
    threads = [0.0]
    make_pool = workers_mod.pool

    def pool(workers: int) -> Any:
        executor = make_pool(workers)
        shutdown = executor.shutdown

        def measured_shutdown(*args: Any, **kwargs: Any) -> None:
            parsers[0] += sum(_proc_cpu(pid) for pid in list(executor._processes or {}))
            # The pool's own threads in this process: results received and unpickled.
            threads[0] += sum(
                _proc_cpu(int(tid), f"/proc/self/task/{tid}/stat")
                for tid in os.listdir("/proc/self/task")
                if int(tid) != os.getpid()
            )
            shutdown(*args, **kwargs)

        executor.shutdown = measured_shutdown  # type: ignore[method-assign]
        return executor

    workers_mod.pool = pool
    spent = _time_phases() if phases else None
    with tempfile.TemporaryDirectory(prefix="accord-bench-ws-") as tmp:
        ws = ws_mod.create(Path(tmp) / "ws", "bench passphrase 1234", "Bench CERT", "bench")
        if spent is not None:
            spent.update(dict.fromkeys(spent, 0.0))  # creating the workspace is not the import
        me = resource.getrusage(resource.RUSAGE_SELF)
        cpu0 = me.ru_utime + me.ru_stime
        t0 = time.perf_counter()
        own0 = time.thread_time()
        result = import_paths(ws, [folder], workers=workers)
        own = time.thread_time() - own0
        seconds = time.perf_counter() - t0
        me = resource.getrusage(resource.RUSAGE_SELF)
        cpu1 = me.ru_utime + me.ru_stime
        ws.engine.dispose()
    n = result.total
    found: dict[str, Any] = {}
    if spent is not None:
        split = {phase: round(cpu / n * 1000, 3) for phase, cpu in spent.items()}
        if workers > 1:
            split["parse ahead: the pool's threads (results unpickled)"] = round(
                threads[0] / n * 1000, 3
            )
        split["everything else"] = round((cpu1 - cpu0) / n * 1000 - sum(split.values()), 3)
        found["writer_phases_ms_per_document"] = split
    return {
        **found,
        "documents": n,
        "imported": result.imported,
        "duplicates": result.duplicates,
        "rejected": len(result.rejected),
        "near_duplicates": result.near_duplicates,
        "seconds": round(seconds, 2),
        "documents_per_second": round(n / seconds, 1),
        # With parser processes this is the single writer's CPU (results unpickled included);
        # with one process it is parsing and storing together.
        "cpu_ms_per_document_importing_process": round((cpu1 - cpu0) / n * 1000, 2),
        "cpu_ms_per_document_parsers": round(parsers[0] / n * 1000, 2) if workers > 1 else None,
        # Of the importing process's CPU, its main thread's: the walk, the storing, waiting
        # for results; the rest is the pool's threads receiving results and sending tasks.
        "cpu_ms_per_document_main_thread": round(own / n * 1000, 2),
    }


def run_child(root: Path, folder: Path, workers: int, phases: bool = False) -> dict[str, Any]:
    """``child`` in a new process importing Accord from ``root``."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", str(root)]
    cmd += ["--folder", str(folder), "--workers", str(workers)]
    cmd += ["--phases"] if phases else []
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    done = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"bench/import.py: the import with {root} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


# --- the reference validator ------------------------------------------------------------------


def csaf_command() -> list[str]:
    """The ``csaf`` program beside this interpreter, else on PATH; exit 2 without it."""
    beside = Path(sys.executable).parent / "csaf"
    found = str(beside) if beside.exists() else shutil.which("csaf")
    if found is None:
        print(
            "bench/import.py: cannot run: it needs the program 'csaf' (the csaf package's "
            "command line, installed with Accord's dependencies), or --no-csaf",
            file=sys.stderr,
        )
        raise SystemExit(2)
    return [found]


def run_csaf(program: list[str], folder: Path) -> dict[str, Any]:
    """``csaf validate --preset mandatory`` on every file of ``folder`` (CSAF 2.0), one process;
    its start-up (``csaf --version``) timed apart."""
    t0 = time.perf_counter()
    subprocess.run([*program, "--version"], capture_output=True, check=False)
    start = time.perf_counter() - t0
    cmd = [*program, "validate", "--spec-version", "v20", "--preset", "mandatory", "--no-network"]
    cmd += ["-q", str(folder / "*.json")]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    if done.returncode not in (0, 1) and "Traceback" in done.stderr:
        raise SystemExit(f"bench/import.py: csaf validate failed:\n{done.stderr[-3000:]}")
    return {
        "seconds": round(seconds, 2),
        "start_seconds": round(start, 2),
        "cpu_seconds": round(cpu, 2),
        "exit": done.returncode,
    }


# --- where the mandatory tests spend their time -----------------------------------------------


def profile_csaf(paths: list[Path]) -> str:
    """Each CSAF 2.0 mandatory test timed on its own over ``paths``, as intake runs them (in
    a worker process), then cProfile's view of them all."""
    import cProfile
    import io
    import pstats

    from csaf.csaf.v20 import _validator as v20
    from csaf.csaf.v20.rules._registry import all_rules

    from app.intake import schemas

    docs = [json.loads(p.read_bytes()) for p in paths]
    schemas._reuse_compiled_jsonpath()
    fast = schemas._csaf20_schema()
    t0 = time.process_time()
    for d in docs:
        fast.is_valid(d)
    schema_s = time.process_time() - t0
    rules = all_rules()
    timed: list[tuple[float, str, str]] = []
    for entry in v20._catalog():
        if entry["group"] != "mandatory" or entry.get("status", "") in (
            "obsolete",
            "not_implemented",
        ):
            continue
        fn = rules.get(entry["id"])
        if fn is None:
            continue
        t0 = time.process_time()
        for d in docs:
            fn(d)
        timed.append((time.process_time() - t0, entry["id"], entry["title"]))
    total = sum(t for t, _i, _n in timed)
    n = len(docs)
    intake: dict[bool, float] = {}
    for skip in (False, True):  # schema and tests as intake runs them, tests skipped or not
        t0 = time.process_time()
        for d in docs:
            schemas._check_csaf20(d, skip_unneeded=skip)
        intake[skip] = (time.process_time() - t0) / n * 1000
    lines = [
        f"{n} documents; schema (jsonschema-rs, compiled once) {schema_s / n * 1000:.2f} ms CPU "
        f"per document; mandatory tests {total / n * 1000:.2f} ms per document",
        f"as intake checks a document (schema and tests): {intake[False]:.2f} ms running every "
        f"test, {intake[True]:.2f} ms skipping those that cannot fail on it",
        "",
        "ms/doc  share  test (each run on every document)",
    ]
    for t, rid, title in sorted(timed, reverse=True):
        lines.append(f"{t / n * 1000:6.3f} {t / total * 100:5.1f}%  {rid} {title}")
    prof = cProfile.Profile(time.process_time)
    prof.enable()
    for d in docs:
        schemas.check_csaf(d)
    prof.disable()
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    stats.sort_stats("tottime").print_stats(30)
    lines += ["", "cProfile of check_csaf over the same documents (by own time):", out.getvalue()]
    return "\n".join(lines)


# --- the run ----------------------------------------------------------------------------------


def _before_tree(rev: str, into: Path) -> Path:
    """The files of revision ``rev`` of this repository, exported under ``into``."""
    tree = into / "before"
    tree.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", rev], capture_output=True, check=False
    )
    if archive.returncode != 0:
        raise SystemExit(f"bench/import.py: no revision {rev!r}: {archive.stderr.decode()}")
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    return tree


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 2)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--count", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=1, help="alternating rounds (default 1)")
    ap.add_argument("--workers", type=int, nargs="*", help="worker counts (default 1, 2, all)")
    ap.add_argument("--before", metavar="REV", help="also import with revision REV's code")
    ap.add_argument("--no-csaf", action="store_true", help="skip the reference validator")
    ap.add_argument(
        "--phases",
        action="store_true",
        help="also split the writer's CPU by phase (timing them costs a few per cent)",
    )
    ap.add_argument("--profile-csaf", action="store_true", help="profile the mandatory tests")
    ap.add_argument("--child", metavar="ROOT", help=argparse.SUPPRESS)
    ap.add_argument("--folder", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(Path(args.folder), args.workers[0], args.phases)))
        return 0
    cores = os.cpu_count() or 1
    counts = sorted(set(args.workers or [1, min(2, cores), cores]))
    if args.count < 1 or args.rounds < 1 or min(counts) < 1:
        ap.error("--count, --rounds and --workers must be at least 1")
    if not corpus_files():
        print(
            f"bench/import.py: cannot run: it needs the shared CSAF corpus in {SHARED} "
            "(cisa-sample/ and oasis/csaf_2.0/examples/); it is not there",
            file=sys.stderr,
        )
        return 2
    base = corpus()
    if not base:
        print(
            f"bench/import.py: cannot run: it needs CSAF documents that parse in {SHARED}; of "
            f"{len(corpus_files())} files there, none does",
            file=sys.stderr,
        )
        return 2
    program = None if args.no_csaf else csaf_command()
    load_before = _load_average()
    with tempfile.TemporaryDirectory(prefix="accord-bench-") as tmp:
        folder = Path(tmp) / "corpus"
        folder.mkdir()
        paths = write_corpus(folder, args.count, base)
        if args.profile_csaf:
            text = profile_csaf(paths)
            PROFILE_OUT.parent.mkdir(parents=True, exist_ok=True)
            PROFILE_OUT.write_text(text + "\n", encoding="utf-8")
            print(text)
            return 0
        trees = {"now": REPO}
        if args.before:
            trees["before"] = _before_tree(args.before, Path(tmp))
        runs: dict[str, dict[int, list[dict[str, Any]]]] = {
            name: {w: [] for w in counts} for name in trees
        }
        csaf_runs: list[dict[str, Any]] = []
        loads: list[list[float]] = []
        for r in range(args.rounds):
            # Alternate which code goes first, so neither always meets the same load.
            order = list(trees.items()) if r % 2 == 0 else list(reversed(trees.items()))
            for name, tree in order:
                for w in counts:
                    fig = run_child(tree, folder, w, args.phases)
                    runs[name][w].append(fig)
                    print(f"round {r + 1} {name:6} workers {w}: {fig}", file=sys.stderr)
            if program is not None:
                csaf_runs.append(run_csaf(program, folder))
                print(f"round {r + 1} csaf validate: {csaf_runs[-1]}", file=sys.stderr)
            loads.append(_load_average())
    figures = summarise(args, counts, cores, runs, csaf_runs)
    figures["load_average_before"] = load_before
    figures["load_average_each_round"] = loads
    figures["load_average_after"] = _load_average()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    for k, v in figures.items():
        if k.endswith("_by_phase"):
            print(k)
            for phase, ms in sorted(v.items(), key=lambda item: -item[1]):
                print(f"    {ms:7.3f}  {phase}")
        else:
            print(f"{k:44} {v}")
    return 0


def summarise(
    args: argparse.Namespace,
    counts: list[int],
    cores: int,
    runs: dict[str, dict[int, list[dict[str, Any]]]],
    csaf_runs: list[dict[str, Any]],
) -> dict[str, Any]:
    """Medians over the rounds, per code version and worker count, with the targets."""
    figures: dict[str, Any] = {"documents": args.count, "cpus": cores, "rounds": args.rounds}
    if args.before:
        figures["before"] = args.before
    for name, by_workers in runs.items():
        for w, figs in by_workers.items():
            prefix = f"{name}_workers_{w}"
            figures[f"{prefix}_documents_per_second"] = _median(
                [f["documents_per_second"] for f in figs]
            )
            key = "cpu_ms_per_document_importing_process"
            figures[f"{prefix}_{'writer' if w > 1 else 'process'}_cpu_ms_per_document"] = _median(
                [f[key] for f in figs]
            )
            if w > 1:
                figures[f"{prefix}_parsers_cpu_ms_per_document"] = _median(
                    [f["cpu_ms_per_document_parsers"] for f in figs]
                )
                figures[f"{prefix}_writer_main_thread_cpu_ms_per_document"] = _median(
                    [f.get("cpu_ms_per_document_main_thread", 0.0) for f in figs]
                )
            first = figs[0]
            if "writer_phases_ms_per_document" in first:
                figures[f"{prefix}_cpu_ms_per_document_by_phase"] = {
                    phase: _median([f["writer_phases_ms_per_document"][phase] for f in figs])
                    for phase in first["writer_phases_ms_per_document"]
                }
            figures[f"{prefix}_outcome"] = {
                k: first[k] for k in ("imported", "duplicates", "rejected", "near_duplicates")
            }
    top = max(counts)
    now = runs["now"][top]
    figures["documents_per_second"] = figures[f"now_workers_{top}_documents_per_second"]
    if top > 1:
        figures["cpu_ms_per_document_storing"] = figures[
            f"now_workers_{top}_writer_cpu_ms_per_document"
        ]
        figures["cpu_ms_per_document_parsers"] = figures[
            f"now_workers_{top}_parsers_cpu_ms_per_document"
        ]
        figures["target_writer_cpu_ms_per_document"] = TARGET_WRITER_MS
    if csaf_runs:
        csaf_s = _median([c["seconds"] for c in csaf_runs])
        start = _median([c["start_seconds"] for c in csaf_runs])
        ours = _median([f["seconds"] for f in now])
        figures["csaf_validate_seconds"] = csaf_s
        figures["csaf_validate_start_seconds"] = start
        figures["csaf_validate_documents_per_second"] = round(args.count / csaf_s, 1)
        # Accord's import (all cores) against the reference validator alone, the validator's
        # process start left out (the import is timed inside its process).
        figures["ratio_to_csaf_validate"] = round((csaf_s - start) / ours, 2)
        figures["target_ratio_to_csaf_validate"] = TARGET_CSAF_RATIO
        # On a loaded machine wall time says more about the neighbours than about the code:
        # CPU per document, ours (writer and parsers) against the validator's, and what that
        # gives on idle cores: the parsers share the cores, the single writer needs one.
        csaf_cpu = _median([c["cpu_seconds"] for c in csaf_runs]) / args.count * 1000
        figures["csaf_validate_cpu_ms_per_document"] = round(csaf_cpu, 2)
        if top > 1:
            writer = figures["cpu_ms_per_document_storing"]
            total = writer + figures["cpu_ms_per_document_parsers"]
            figures["cpu_ms_per_document_total"] = round(total, 2)
            idle = 1000 / max(total / cores, writer)
            figures["idle_cores_documents_per_second_estimate"] = round(idle, 1)
            figures["idle_cores_ratio_to_csaf_validate_estimate"] = round(idle * csaf_cpu / 1000, 2)
    figures["meets_targets"] = (
        figures.get("cpu_ms_per_document_storing", 0) <= TARGET_WRITER_MS
        and figures.get("ratio_to_csaf_validate", TARGET_CSAF_RATIO) >= TARGET_CSAF_RATIO
    )
    return figures


if __name__ == "__main__":
    raise SystemExit(main())
