"""Whether asv's fork server moves C7's region cost: a probe (not evidence
for a rule), run by hand on a quiet machine:

    .nox/tests/bin/python docs/experiments/fork_region_probe.py

``TrackC7RegionOverhead`` at (empty, 2 threads), the point whose level
differed most between the spawn and forkserver runs of docs/main-job.md
(about 0.35 us against about 1.0 us), measured ``--runs`` times in children
forked from a process that imported the suite as asv's server does, and as
many times in fresh interpreters, alternated.  Output committed in
docs/data/main-job/vm/fork-region-probe.txt.
"""

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def measure() -> float:
    from benchmarks import bench_c7_prange_overhead as b

    bm = b.TrackC7RegionOverhead()
    bm.setup("empty", 2)
    try:
        return round(bm.track_c7_region_us("empty", 2), 3)
    finally:
        bm.teardown("empty", 2)


def forked() -> float:
    from fork_blas_probe import in_child  # beside this file

    return float(in_child(measure))


def fresh() -> float:
    r = subprocess.run([sys.executable, __file__, "--fresh"], capture_output=True, text=True,
                       check=True)
    return float(r.stdout)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--fresh", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.fresh:
        print(measure())
        return 0
    from asv_runner.discovery import disc_benchmarks

    for _ in disc_benchmarks(str(ROOT / "benchmarks")):
        pass
    got = {"forked": [], "fresh": []}
    for _ in range(args.runs):
        got["forked"].append(forked())
        got["fresh"].append(fresh())
    for how, values in got.items():
        print(f"C7 region cost (empty, 2 threads), us, {how}: {sorted(values)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
