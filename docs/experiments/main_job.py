"""The main job's time: README command 1 (``python3 -m nox -s bench``, the
whole default suite on the current commit, then both pages) in fresh clones
of this checkout, one launch method against the other, alternated.

    .nox/tests/bin/python docs/experiments/main_job.py --machine vm --runs 2

runs, for k = 1 .. runs, ``spawn`` run k then ``forkserver`` run k (the
order of each pair alternates, so that drift of a shared machine falls on
both sides alike); ``--methods forkserver --taskset 0 --machine vm-1cpu``
runs only asv.conf.json's on one CPU.  ``spawn`` is asv.conf.json's old launch method, given on
the command line (``-- --launch-method spawn``); ``forkserver`` is
asv.conf.json's.  Each run keeps asv's raw results, its output and a record
(command, exit, wall seconds, commit) under
``docs/data/main-job/<machine>/<method>/run<k>``; a killed series resumes
with the next missing run; ``--label NAME`` (with one method) files them
under ``<machine>/NAME`` instead, beside the runs of an earlier commit.
``docs/experiments/time_accounting.py`` reads them.  Run it on a quiet
machine: nothing else may run beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: asv run arguments of each side (after ``nox -s bench --``).
METHODS = {"spawn": ["--launch-method", "spawn"], "forkserver": []}


def readme_command_one(out: Path, machine: str, asv_args: list, cpus: str | None = None
                       ) -> dict:
    """README command 1 in a fresh clone, results and record kept in ``out``;
    with ``cpus`` (a taskset list, "0"), on those CPUs only."""
    with tempfile.TemporaryDirectory(prefix="gilbench-main-job-") as tmp:
        work = Path(tmp) / "repo"
        subprocess.run(["git", "clone", "-q", "--no-local", str(ROOT), str(work)], check=True)
        tested = subprocess.run(["git", "rev-parse", "HEAD"], cwd=work, check=True,
                                capture_output=True, text=True).stdout.strip()
        # A venv for nox itself, as `python3 -m pip install nox` would be on
        # a fresh machine (this one's system Python is not ours to change).
        subprocess.run([sys.executable, "-m", "venv", str(work / ".venv-nox")], check=True)
        py = str(work / ".venv-nox" / "bin" / "python")
        t0 = time.monotonic()
        subprocess.run([py, "-m", "pip", "install", "-q", "nox"], check=True)
        cmd = [py, "-m", "nox", "-s", "bench", "--", "--machine", machine, *asv_args]
        if cpus is not None:
            cmd = ["taskset", "-c", cpus, *cmd]
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("GILBENCH_", "ASV", "VIRTUAL_ENV", "NOX"))}
        r = subprocess.run(cmd, cwd=work, capture_output=True, text=True, env=env)
        seconds = time.monotonic() - t0
        results = work / ".asv" / "results"
        if results.is_dir():
            shutil.copytree(results, out / "results")
        (out / "stdout.txt").write_text(r.stdout[-200000:] + "\n--- stderr ---\n"
                                        + r.stderr[-200000:])
        rec = {"command": "python3 -m pip install nox && "
                          + (f"taskset -c {cpus} " if cpus is not None else "")
                          + "python3 -m nox -s bench -- " + " ".join(["--machine", machine,
                                                                      *asv_args]),
               "exit": r.returncode, "seconds": round(seconds, 1), "machine": machine,
               "tested_commit": tested,
               "cpus": len(cpus.split(",")) if cpus else len(os.sched_getaffinity(0))}
        (out / "run.json").write_text(json.dumps(rec, indent=1) + "\n")
        return rec


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--machine", default="vm")
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--methods", default=",".join(METHODS),
                    help="the launch methods to run, comma-separated (default: both)")
    ap.add_argument("--label", default=None,
                    help="the runs' folder under the machine's (default: the method's name), "
                    "to measure a later commit beside the runs already kept")
    ap.add_argument("--taskset", metavar="CPUS", default=None,
                    help="run on these CPUs only (taskset -c), e.g. 0 for one CPU")
    args = ap.parse_args(argv)
    if args.runs < 1:
        ap.error("--runs must be at least 1")
    methods = [m for m in args.methods.split(",") if m]
    if not methods or any(m not in METHODS for m in methods):
        ap.error(f"--methods takes {', '.join(METHODS)}")
    if args.label is not None and (len(methods) != 1
                                   or not args.label.replace("-", "_").isidentifier()):
        ap.error("--label needs one --methods and a name of letters, digits, - and _")
    base = ROOT / "docs" / "data" / "main-job" / args.machine
    for k in range(1, args.runs + 1):
        order = methods if k % 2 else methods[::-1]
        for method in order:
            out = base / (args.label or method) / f"run{k}"
            if (out / "run.json").is_file():
                continue
            if out.exists():
                shutil.rmtree(out)
            out.mkdir(parents=True)
            rec = readme_command_one(out, args.machine, METHODS[method], args.taskset)
            print(f"{method} run{k}: exit {rec['exit']}, {rec['seconds']:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
