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
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "data" / "cython-releases"
RELEASES = "3.1.8,3.3.1"
BENCHMARKS = "C5|TrackMachine"


def one_run(out: Path, machine: str, releases: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="gilbench-cython-") as tmp:
        work = Path(tmp) / "repo"
        subprocess.run(["git", "clone", "-q", "--no-local", str(ROOT), str(work)], check=True)
        tested = subprocess.run(["git", "rev-parse", "HEAD"], cwd=work, check=True,
                                capture_output=True, text=True).stdout.strip()
        cmd = [sys.executable, "-m", "gilbench", "bench", "--cython", releases, "--machine",
               machine, "--repo", str(work), "--", "HEAD^!", "-b", BENCHMARKS]
        t0 = time.monotonic()
        r = subprocess.run(cmd, cwd=work, capture_output=True, text=True)
        seconds = time.monotonic() - t0
        results = work / ".asv" / "results"
        if results.is_dir():
            shutil.copytree(results, out / "results")
        (out / "stdout.txt").write_text(r.stdout[-200000:] + "\n--- stderr ---\n"
                                        + r.stderr[-20000:])
        record = {"command": " ".join(cmd[1:]).replace(str(work), "<clone>"),
                  "exit": r.returncode, "seconds": round(seconds, 1), "machine": machine,
                  "releases": releases.split(","), "tested_commit": tested}
        (out / "run.json").write_text(json.dumps(record, indent=1) + "\n")
        return record


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--machine", required=True)
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--releases", default=RELEASES)
    args = ap.parse_args(argv)
    base = OUT / args.machine
    for k in range(1, args.runs + 1):
        out = base / f"run{k}"
        if (out / "run.json").is_file():
            continue
        if out.exists():
            shutil.rmtree(out)
        out.mkdir(parents=True)
        record = one_run(out, args.machine, args.releases)
        print(f"run{k}: exit {record['exit']}, {record['seconds']:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
