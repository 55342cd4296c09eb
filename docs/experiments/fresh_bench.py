"""What the experiments that measure in fresh clones share: ``gilbench
bench`` run in a scratch clone of this checkout, asv's raw results and the
run's record kept under an output directory, and a series of such runs that
resumes where a killed one stopped."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def bench_in_fresh_clone(out: Path, machine: str, options: list, benchmarks: str,
                         **record) -> dict:
    """``gilbench bench OPTIONS --machine MACHINE -- HEAD^! -b BENCHMARKS`` in
    a fresh clone; asv's results go to ``out/results``, its output to
    ``out/stdout.txt``, and the command, exit code, wall time and tested
    commit (with ``record``) to ``out/run.json``, which is returned."""
    with tempfile.TemporaryDirectory(prefix="gilbench-fresh-") as tmp:
        work = Path(tmp) / "repo"
        subprocess.run(["git", "clone", "-q", "--no-local", str(ROOT), str(work)], check=True)
        tested = subprocess.run(["git", "rev-parse", "HEAD"], cwd=work, check=True,
                                capture_output=True, text=True).stdout.strip()
        cmd = [sys.executable, "-m", "gilbench", "bench", *options, "--machine", machine,
               "--repo", str(work), "--", "HEAD^!", "-b", benchmarks]
        t0 = time.monotonic()
        r = subprocess.run(cmd, cwd=work, capture_output=True, text=True)
        seconds = time.monotonic() - t0
        results = work / ".asv" / "results"
        if results.is_dir():
            shutil.copytree(results, out / "results")
        (out / "stdout.txt").write_text(r.stdout[-200000:] + "\n--- stderr ---\n"
                                        + r.stderr[-20000:])
        rec = {"command": " ".join(cmd[1:]).replace(str(work), "<clone>"),
               "exit": r.returncode, "seconds": round(seconds, 1), "machine": machine,
               **record, "tested_commit": tested}
        (out / "run.json").write_text(json.dumps(rec, indent=1) + "\n")
        return rec


def series(base: Path, runs: int, one_run) -> None:
    """``one_run(out)`` for ``base/run1`` .. ``run<runs>``, skipping the runs
    already recorded (a killed series resumes with the next run)."""
    for k in range(1, runs + 1):
        out = base / f"run{k}"
        if (out / "run.json").is_file():
            continue
        if out.exists():
            shutil.rmtree(out)
        out.mkdir(parents=True)
        rec = one_run(out)
        print(f"run{k}: exit {rec['exit']}, {rec['seconds']:.0f} s", flush=True)
