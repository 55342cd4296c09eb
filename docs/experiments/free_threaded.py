"""The claims whose meaning changes without the GIL, measured on a GIL build
and on a free-threaded build of CPython, in fresh clones: the data behind
docs/free-threaded.md's table.

Each run clones this checkout into a scratch directory and runs there what
``GILBENCH_PYTHON="3.11,<free-threaded python>" nox -s bench -- -b "..."``
runs (``gilbench bench --python``: one asv virtualenv and one build of
gilbench per Python build, then the benchmarks of C1, C3, C4 and C5 (C5b
with it) and the machine record in each), then copies asv's raw results to
``docs/data/free-threaded/<machine>/run<N>/`` with the run's wall time and
exit code.  Runs already there are kept: a killed series resumes with the
next run.  ``--build-interpreter`` first runs ``gilbench
free-threaded-python`` (the pyenv build, when none is found) and keeps its
log, with the build's time, as ``build.log``.

    python docs/experiments/free_threaded.py --machine vm --runs 3

``docs/figures.py`` turns these results into the table.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from fresh_bench import ROOT, bench_in_fresh_clone, series

OUT = ROOT / "docs" / "data" / "free-threaded"
#: The claims whose meaning changes without the GIL, and the machine record.
BENCHMARKS = "C1|C3|C4|C5|TrackMachine"


def gil_python() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}"


def one_run(out: Path, machine: str, pythons: str) -> dict:
    return bench_in_fresh_clone(out, machine, ["--python", pythons], BENCHMARKS,
                                pythons=pythons.split(","))


def build_interpreter(base: Path) -> None:
    """Run ``gilbench free-threaded-python`` (pyenv builds 3.13t when there
    is none) and keep its log, which says how long the build took, as
    ``build.log``; kept once written."""
    log = base / "build.log"
    if log.is_file():
        return
    r = subprocess.run([sys.executable, "-m", "gilbench", "free-threaded-python"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"free-threaded-python failed: {r.stderr.strip()[-500:]}")
    base.mkdir(parents=True, exist_ok=True)
    log.write_text(r.stderr + r.stdout)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--machine", required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--build-interpreter", action="store_true")
    args = ap.parse_args(argv)
    base = OUT / args.machine
    if args.build_interpreter:
        build_interpreter(base)
    ft = subprocess.run([sys.executable, "-m", "gilbench", "free-threaded-python", "--no-build"],
                        capture_output=True, text=True)
    if ft.returncode != 0:
        raise SystemExit("no free-threaded Python: run with --build-interpreter, or "
                         "nox -s free-threaded-python")
    pythons = f"{gil_python()},{ft.stdout.strip()}"
    series(base, args.runs, lambda out: one_run(out, args.machine, pythons))
    return 0


if __name__ == "__main__":
    sys.exit(main())
