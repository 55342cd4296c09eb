"""C5 measured once per Cython release, in fresh clones: the data behind the
README's C5-per-release table.

Each run clones this checkout into a scratch directory and runs there what
``GILBENCH_CYTHON="3.1.8,3.3.1" nox -s bench -- -b "C5|TrackMachine"`` runs
(``gilbench bench``: one asv environment and one build per release, then the
C5 benchmarks and the machine record in each), then copies asv's raw results
to ``docs/data/cython-releases/<machine>/run<N>/`` with the run's wall time
and exit code.  Runs already there are kept: a killed series resumes with the
next run.

    python docs/experiments/cython_c5.py --machine vm --runs 3

``docs/figures.py`` turns these results into the README's table.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fresh_bench import ROOT, bench_in_fresh_clone, series

OUT = ROOT / "docs" / "data" / "cython-releases"
RELEASES = "3.1.8,3.3.1"
BENCHMARKS = "C5|TrackMachine"


def one_run(out: Path, machine: str, releases: str) -> dict:
    return bench_in_fresh_clone(out, machine, ["--cython", releases], BENCHMARKS,
                                releases=releases.split(","))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--machine", required=True)
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--releases", default=RELEASES)
    args = ap.parse_args(argv)
    series(OUT / args.machine, args.runs, lambda out: one_run(out, args.machine, args.releases))
    return 0


if __name__ == "__main__":
    sys.exit(main())
