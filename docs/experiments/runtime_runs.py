"""README command 1 under a caller's OpenMP setting, and on one CPU: what the
runtime record says of each run.

In one fresh clone of this repository (nox's and asv's environments made
once, shared by the runs):

* ``cleared``: ``OMP_WAIT_POLICY=PASSIVE python3 -m nox -s bench -- -b C7``:
  gilbench clears the variable for the benchmarks (machine ``<machine>``);
* ``kept``: the same with ``GILBENCH_KEEP_RUNTIME=1``: filed under
  ``<machine>+OMP_WAIT_POLICY=PASSIVE``, labelled on both pages;
* ``one-cpu``: ``taskset -c 0 python3 -m nox -s bench -- -b C7 --machine
  <machine>-1cpu``: another topology on the same host.

Each run's stdout and stderr, the asv results (all three machines) and the
report as JSON are kept under ``docs/data/runtime/<machine>/``;
``docs/figures.py`` reads them (figure ``runtime-record``).

    python docs/experiments/runtime_runs.py --machine vm
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
BENCH = ["-b", "C7"]


def runs(machine: str) -> dict:
    plain = {k: v for k, v in os.environ.items() if k != "GILBENCH_KEEP_RUNTIME"}
    return {
        "cleared": ([], dict(plain, OMP_WAIT_POLICY="PASSIVE"), machine),
        "kept": ([], dict(plain, OMP_WAIT_POLICY="PASSIVE", GILBENCH_KEEP_RUNTIME="1"), machine),
        "one-cpu": (["taskset", "-c", "0"], plain, f"{machine}-1cpu"),
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--machine", required=True)
    ap.add_argument("--out", default=str(ROOT / "docs" / "data" / "runtime"))
    args = ap.parse_args(argv)
    out = Path(args.out) / args.machine
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    meta = {"commit": subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, text=True,
                                     capture_output=True).stdout.strip(), "runs": {}}
    with tempfile.TemporaryDirectory(prefix="gilbench-runtime-") as tmp:
        clone = Path(tmp) / "clone"
        subprocess.run(["git", "clone", "-q", "--no-local", str(ROOT), str(clone)], check=True)
        for name, (prefix, env, machine) in runs(args.machine).items():
            cmd = [*prefix, sys.executable, "-m", "nox", "-s", "bench", "--", *BENCH,
                   "--machine", machine]
            print(f"{name}: {' '.join(cmd)}", file=sys.stderr)
            t0 = time.monotonic()
            r = subprocess.run(cmd, cwd=clone, env=env, capture_output=True, text=True)
            (out / f"{name}.stdout.txt").write_text(r.stdout)
            (out / f"{name}.stderr.txt").write_text(r.stderr[-30000:])
            shown = [*prefix, "python3", "-m", "nox", "-s", "bench", "--", *BENCH, "--machine",
                     machine]
            meta["runs"][name] = {"command": " ".join(shown),
                                  "caller": {k: env[k] for k in ("OMP_WAIT_POLICY",
                                                                 "GILBENCH_KEEP_RUNTIME")
                                             if k in env},
                                  "exit": r.returncode, "wall_s": round(time.monotonic() - t0, 1)}
            print(f"{name}: exit {r.returncode}", file=sys.stderr)
        shutil.copytree(clone / ".asv" / "results", out / "results")
        report = subprocess.run([str(clone / ".nox" / "bench" / "bin" / "gilbench"), "report",
                                 "--results", str(out / "results"), "--format", "json"],
                                capture_output=True, text=True)
        (out / "report.json").write_text(report.stdout)
    (out / "runs.json").write_text(json.dumps(meta, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
