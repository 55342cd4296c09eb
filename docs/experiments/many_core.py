"""The many-core parts of the suite, once, on a machine of 16 or more CPUs.

What only a big machine shows: C7's ladders (prange against the sequential
loop, the crossover, ``if`` thresholds, region overhead and bandwidth at
every thread count), C9's grid of OpenMP x BLAS threads, C8 at the top count,
and how far ``gilbench plan``'s estimate is from what asv then records.  One
``asv run`` of the installed gilbench (``-E existing``) over those classes,
at the default settings; the raw asv results go to
``docs/data/results/<machine>/`` (where ``docs/figures.py`` and the claims
page read results), the plan and the measured durations per class to
``docs/data/many-core/<machine>.json``.  About 10 minutes on 16 CPUs by the
plan (timed from the committed 2-CPU run); ``--dry-run [--cpus N]`` prints
the plan and stops.

    python docs/experiments/many_core.py --machine big16 [--dry-run]
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

from gilbench import _asv, claims, plan, results
from gilbench.harness.threads import usable_cpus

ROOT = Path(__file__).resolve().parents[2]
CLASSES = ("TrackC7PrangeOverSequential", "TrackC7Crossover", "TrackC7ThreadsIf",
           "TrackC7RegionOverhead", "TimeC7SequentialVsPrange", "TrackC7Bandwidth",
           "TrackC9Slowdown", "TimeC9Pattern", "TrackC9PinnedConfiguration",
           "TrackC8NormalizeGain", "TimeC8Normalize", "TrackMachine")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--machine", required=True, help="asv machine name for the results")
    parser.add_argument("--dry-run", action="store_true", help="print the plan only")
    parser.add_argument("--cpus", type=int, default=None,
                        help="with --dry-run: plan for this many CPUs (default: this machine)")
    args = parser.parse_args(argv)
    cpus = args.cpus if args.dry_run and args.cpus else usable_cpus()
    # Timed from the committed 2-CPU run (per point), as gilbench plan does.
    planned = {c["class"]: c for c in plan.plan(ROOT, cpus, results_dir=ROOT / "docs" / "data" /
                                                 "results", machine="vm")["classes"]
               if c["class"] in CLASSES}
    total = sum(c["seconds"] for c in planned.values())
    print(f"{cpus} usable CPUs; planned: {sum(c['points'] for c in planned.values())} points, "
          f"{total / 60:.1f} min", flush=True)
    for c in planned.values():
        print(f"  {c['class']:<30} {c['points']:>5} points {c['seconds'] / 60:6.1f} min")
    if args.dry_run:
        return 0
    if cpus < 16:
        print(f"warning: {cpus} usable CPUs; this experiment is meant for 16 or more",
              file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="gilbench-many-core-") as tmp:
        work = Path(tmp) / "repo"
        subprocess.run(["git", "clone", "-q", "--no-local", str(ROOT), str(work)], check=True)
        commit = _asv.git("rev-parse", "HEAD", cwd=work).stdout.strip()
        machine = _asv.machine(work, args.machine)
        t0 = time.monotonic()
        _asv.asv("run", "-E", f"existing:{sys.executable}", "--set-commit-hash", commit,
                 "--record-samples", "--machine", machine, "-b", "|".join(CLASSES),
                 cwd=work, capture=False, ok=(0, _asv.ASV_BENCHMARK_FAILED))
        seconds = time.monotonic() - t0
        src = work / ".asv" / "results"
        dest = ROOT / "docs" / "data" / "results"
        (dest / machine).mkdir(parents=True, exist_ok=True)
        for f in (src / machine).glob("*.json"):
            shutil.copy2(f, dest / machine / f.name)
        if not (dest / "benchmarks.json").is_file():
            shutil.copy2(src / "benchmarks.json", dest / "benchmarks.json")
        run = results.load_commit(src, machine, commit)
    measured = {}
    for key, secs in run.durations.items():
        cls = key.split(".")[1] if "." in key else key
        measured[cls] = measured.get(cls, 0.0) + secs
    record = {"machine": machine, "commit": commit, "cpus": cpus, "wall_seconds": round(seconds),
              "planned_seconds": {k: round(v["seconds"], 1) for k, v in planned.items()},
              "measured_seconds": {k: round(v, 1) for k, v in measured.items()},
              "verdicts": {v.claim: v.status for v in claims.verdicts(run)
                           if v.claim in ("C7", "C8", "C9")}}
    out = ROOT / "docs" / "data" / "many-core" / f"{machine}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=1) + "\n")
    print(json.dumps(record, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
