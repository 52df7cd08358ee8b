"""CLI start-up, side by side with a bare interpreter (issue 17 item 1).

    .venv/bin/python bench/cli.py [--runs 7] [--before REV]

Each command runs in a new process exactly as the ``accord`` console script starts it
(``from views.shell.entry import main``), from this checkout; a bare interpreter started the same
way (``python -c``) runs in the same rounds, so a busy machine slows both alike. Figures are
medians of ``--runs`` wall times. Targets: ``accord score``, ``accord ssvc``, ``accord
taxonomy list`` and ``accord --help`` at most 0.3 s and at most 25x the bare interpreter;
``accord cases list`` on an encrypted workspace (Argon2id key slot, SQLCipher) at most 0.5 s
with the key derivation taken out, which is timed inside that process and reported apart.

Like an installed copy, the children use compiled bytecode: it is written once, by a warm-up
run, to bench/out/pycache (PYTHONPYCACHEPREFIX), even where PYTHONDONTWRITEBYTECODE is set.
``--before REV`` also measures the tree of a git revision (say, the commit before a change)
in the same rounds. Prints a table; writes bench/out/cli.json. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import needs

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "bench" / "out"
NAME = "bench/cli.py"
PASSPHRASE = "accord-bench-cli-passphrase"
VECTOR = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
TARGETS = {"light_s": 0.3, "light_ratio": 25.0, "workspace_s": 0.5}

BARE = "import sys; sys.exit(0)"
LAUNCH = "import sys; from views.shell.entry import main; sys.exit(main())"
# The same launch, timing every key derivation (app.identity.keyslots._kek, one Argon2id run)
# and writing their total to the file named by the first argument.
LAUNCH_TIMED = """
import sys, time
out = sys.argv.pop(1)
spent = [0.0, 0.0]  # wall, CPU (every thread of the process)
try:
    from app.identity import keyslots
except ImportError:  # a tree from before key slots: nothing to take out
    keyslots = None
if keyslots is not None:
    _kek = keyslots._kek
    def _timed(*args, **kwargs):
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            return _kek(*args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - t0
            spent[1] += time.process_time() - c0
    keyslots._kek = _timed
from views.shell.entry import main
try:
    code = main()
finally:
    with open(out, "w") as f:
        f.write(f"{spent[0]!r} {spent[1]!r}")
sys.exit(code)
"""
LIGHT: dict[str, list[str]] = {
    "score": ["score", VECTOR],
    "ssvc": ["ssvc", "cisa", "E=A", "A=Y", "TI=T", "MWI=H"],
    "taxonomy list": ["taxonomy", "list", "avid"],
    "--help": ["--help"],
}
WORKSPACE_COMMAND = ["cases", "list", "--json"]


def _env(tree: Path, ws_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("PYTHONPATH", None)  # the tree is the working directory: it comes first
    env["PYTHONPYCACHEPREFIX"] = str(OUT / "pycache")
    env["ACCORD_WORKSPACE"] = str(ws_dir)
    env["ACCORD_PASSPHRASE"] = PASSPHRASE  # a throwaway workspace's, not a secret
    return env


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(tree: Path, env: dict[str, str], code: str, argv: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one process (CPU: what a busy machine does not inflate); a
    failing command stops the benchmark."""
    cpu0, t0 = _children_cpu(), time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", code, *argv],
        cwd=tree, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    wall, cpu = time.perf_counter() - t0, _children_cpu() - cpu0
    if proc.returncode != 0:
        raise SystemExit(f"{NAME}: accord {' '.join(argv)} failed in {tree}: {proc.stderr}")
    return wall, cpu


def _check_tree(tree: Path, env: dict[str, str]) -> None:
    """The children must import the tree measured, not another checkout."""
    proc = subprocess.run(
        [sys.executable, "-c", "import views.shell.entry; print(views.shell.entry.__file__)"],
        cwd=tree, env=env, capture_output=True, text=True,
    )  # fmt: skip
    where = Path(proc.stdout.strip() or "?").resolve()
    if proc.returncode != 0 or not where.is_relative_to(tree.resolve()):
        raise SystemExit(
            f"{NAME}: from {tree}, views.shell.entry comes from {where}: {proc.stderr}"
        )


class Tree:
    """One checkout under test with its own throwaway workspace (one case in it)."""

    def __init__(self, label: str, path: Path, scratch: Path) -> None:
        self.label = label
        self.path = path
        self.env = _env(path, scratch / f"ws-{label}")
        self.kdf_file = scratch / f"kdf-{label}"
        self.samples: dict[str, list[tuple[float, float]]] = {name: [] for name in LIGHT}
        self.runs: list[tuple[float, float]] = []  # the workspace command's (wall, cpu)
        self.kdfs: list[tuple[float, float]] = []  # its key derivations' (wall, cpu)

    def prepare(self) -> None:
        _check_tree(self.path, self.env)
        _run(self.path, self.env, LAUNCH, ["init", "--org", "Bench CERT", "--analyst", "bench"])
        _run(self.path, self.env, LAUNCH, ["case", "new", "--title", "Bench case"])
        self.round(record=False)  # writes the bytecode, warms the page cache

    def round(self, *, record: bool = True) -> None:
        for name, argv in LIGHT.items():
            sample = _run(self.path, self.env, LAUNCH, argv)
            if record:
                self.samples[name].append(sample)
        sample = _run(self.path, self.env, LAUNCH_TIMED, [str(self.kdf_file), *WORKSPACE_COMMAND])
        if record:
            self.runs.append(sample)
            wall_s, cpu_s = self.kdf_file.read_text().split()
            self.kdfs.append((float(wall_s), float(cpu_s)))

    def figures(self, bare: float) -> dict[str, Any]:
        light = {}
        for name, samples in self.samples.items():
            median = statistics.median(wall for wall, _cpu in samples)
            ratio = median / bare
            light[name] = {
                "argv": LIGHT[name], "median_s": round(median, 4), "ratio": round(ratio, 1),
                "cpu_s": round(statistics.median(cpu for _wall, cpu in samples), 4),
                "ok": median <= TARGETS["light_s"] and ratio <= TARGETS["light_ratio"],
            }  # fmt: skip
        pairs = list(zip(self.runs, self.kdfs, strict=True))
        without = statistics.median(run[0] - kdf[0] for run, kdf in pairs)
        workspace = {
            "argv": WORKSPACE_COMMAND,
            "median_s": round(statistics.median(run[0] for run, _kdf in pairs), 4),
            "cpu_s": round(statistics.median(run[1] for run, _kdf in pairs), 4),
            "key_derivation_s": round(statistics.median(kdf[0] for _run, kdf in pairs), 4),
            "key_derivation_cpu_s": round(statistics.median(kdf[1] for _run, kdf in pairs), 4),
            "without_key_derivation_s": round(without, 4),
            "cpu_without_key_derivation_s": round(
                statistics.median(run[1] - kdf[1] for run, kdf in pairs), 4
            ),
            "ok": without <= TARGETS["workspace_s"],
        }
        return {"tree": str(self.path), "commands": light, "workspace": workspace}


def _export(rev: str, into: Path) -> Path:
    """The files of ``rev`` (git archive), to measure the code before a change."""
    git = needs.program(NAME, "git", "--before reads the revision with git archive")
    into.mkdir()
    archive = subprocess.run(
        [git, "-C", str(REPO), "archive", "--format=tar", rev], capture_output=True
    )
    if archive.returncode != 0:
        raise SystemExit(f"{NAME}: no revision {rev}: {archive.stderr.decode(errors='replace')}")
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


def _mark(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def report(figures: dict[str, Any]) -> None:
    bare = figures["bare_s"]
    print(f"CLI start-up: median of {figures['runs']} runs; a bare interpreter takes "
          f"{bare:.3f} s wall, {figures['bare_cpu_s']:.3f} s CPU (load average before: "
          f"{figures['load_average_before']}, after: {figures['load_average_after']}, "
          f"{figures['cpus']} cores)")  # fmt: skip
    for label, tree in figures["trees"].items():
        print(f"\n{label} ({tree['tree']})")
        print(f"  {'command':24} {'wall s':>8} {'x bare':>8} {'CPU s':>8}   target")
        for name, row in tree["commands"].items():
            print(f"  accord {name:17} {row['median_s']:8.3f} {row['ratio']:8.1f} "
                  f"{row['cpu_s']:8.3f}   <= {TARGETS['light_s']} s, <= "
                  f"{TARGETS['light_ratio']:.0f}x  {_mark(row['ok'])}")  # fmt: skip
        ws = tree["workspace"]
        print(f"  accord {' '.join(ws['argv'])} on an encrypted workspace: {ws['median_s']:.3f} s "
              f"wall, {ws['cpu_s']:.3f} s CPU; key derivation {ws['key_derivation_s']:.3f} s "
              f"wall, {ws['key_derivation_cpu_s']:.3f} s CPU;\n    without it "
              f"{ws['without_key_derivation_s']:.3f} s wall (target <= {TARGETS['workspace_s']} "
              f"s)  {_mark(ws['ok'])}, {ws['cpu_without_key_derivation_s']:.3f} s CPU")  # fmt: skip
    print(f"\nwritten to {OUT / 'cli.json'}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=7)
    p.add_argument("--before", metavar="REV", help="also measure this git revision's tree")
    args = p.parse_args(argv)
    needs.module(NAME, "sqlcipher3", "the encrypted workspace; `make venv` installs it")
    load = [round(x, 2) for x in os.getloadavg()]  # other work on the machine, before ours
    scratch = Path(tempfile.mkdtemp(prefix="accord-bench-cli-"))
    try:
        trees = [Tree("this tree", REPO, scratch)]
        if args.before:
            path = _export(args.before, scratch / "before")
            trees.insert(0, Tree(f"before ({args.before})", path, scratch))
        for tree in trees:
            tree.prepare()
        bare_env = trees[-1].env
        bare: list[tuple[float, float]] = []
        for _round in range(args.runs):
            bare.append(_run(REPO, bare_env, BARE, []))
            for tree in trees:
                tree.round()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    bare_s = statistics.median(wall for wall, _cpu in bare)
    load_after = [round(x, 2) for x in os.getloadavg()]  # ours included: the runs' own share
    figures = {
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "runs": args.runs,
        "cpus": os.cpu_count(), "load_average_before": load,
        "load_average_after": load_after, "python": platform.python_version(),
        "bare_s": round(bare_s, 4), "targets": TARGETS,
        "bare_cpu_s": round(statistics.median(cpu for _wall, cpu in bare), 4),
        "trees": {tree.label: tree.figures(bare_s) for tree in trees},
    }  # fmt: skip
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "cli.json").write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    report(figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
