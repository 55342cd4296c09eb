"""What moving the harness out of the measured wheel did to the exact counts:
the data behind docs/measurement.md's "One harness for every commit".

Three real asv runs of the instruction-count benchmarks (and the machine
record), each in a fresh clone of this checkout, sharing one asv environment
directory (so the kernels, identical at both commits, are compiled once):

* ``old-suite``: the suite of ``--old`` (the last commit whose harness
  shipped in the wheel) measuring ``--old``, as asv did before the move;
* ``new-suite-old-commit``: today's suite (this checkout's HEAD, or
  ``--new``) measuring ``--old``: a commit from before the move, measured
  with today's instruments;
* ``new-suite``: today's suite measuring ``--new``.

asv's raw results go to ``docs/data/harness-move/<machine>/<name>/`` with each
run's command, exit code and wall time; ``docs/figures.py`` turns them into
the table.  Runs already there are kept.

    python docs/experiments/harness_move.py --machine vm --old 2024001

``--full`` instead runs README command 1 (``python3 -m nox -s bench``: the
default suite, then publish) in a fresh clone of HEAD, and keeps asv's raw
results in ``docs/data/harness-move/<machine>/full-default/``: the verdicts
after the move, next to the committed run's (``docs/data/results/``).
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
OUT = ROOT / "docs" / "data" / "harness-move"
BENCHMARKS = "Instructions|TrackMachine"


def _git(*args, cwd) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout.strip()


def one_run(out: Path, tmp: Path, machine: str, suite: str, measured: str) -> dict:
    """asv run of ``measured`` with the suite of commit ``suite``."""
    work = tmp / f"clone-{suite[:8]}-{measured[:8]}"
    _git("clone", "-q", "--no-local", str(ROOT), str(work), cwd=tmp)
    _git("checkout", "-q", "-B", "main", suite, cwd=work)
    (work / ".asv").mkdir()
    (work / ".asv" / "env").symlink_to(tmp / "env", target_is_directory=True)
    env = dict(os.environ, HOME=str(tmp / "home"))
    subprocess.run([sys.executable, "-m", "asv", "machine", "--yes", "--machine", machine],
                   cwd=work, env=env, check=True, capture_output=True)
    cmd = [sys.executable, "-m", "asv", "run", f"{measured}^!", "-b", BENCHMARKS,
           "--machine", machine, "--show-stderr"]
    t0 = time.monotonic()
    r = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True)
    seconds = time.monotonic() - t0
    results = work / ".asv" / "results"
    if results.is_dir():
        shutil.copytree(results, out / "results")
    (out / "stdout.txt").write_text(r.stdout[-200000:] + "\n--- stderr ---\n" + r.stderr[-20000:])
    record = {"command": " ".join(["asv", *cmd[3:]]), "exit": r.returncode,
              "seconds": round(seconds, 1), "machine": machine, "suite_commit": suite,
              "measured_commit": measured}
    (out / "run.json").write_text(json.dumps(record, indent=1) + "\n")
    return record


def full_run(out: Path, machine: str) -> dict:
    """README command 1 in a fresh clone of HEAD, filed under ``machine``."""
    with tempfile.TemporaryDirectory(prefix="gilbench-full-") as tmp:
        work = Path(tmp) / "repo"
        _git("clone", "-q", "--no-local", str(ROOT), str(work), cwd=tmp)
        tested = _git("rev-parse", "HEAD", cwd=work)
        cmd = [sys.executable, "-m", "nox", "-s", "bench", "--", "--machine", machine]
        t0 = time.monotonic()
        r = subprocess.run(cmd, cwd=work, capture_output=True, text=True)
        seconds = time.monotonic() - t0
        if (work / ".asv" / "results").is_dir():
            shutil.copytree(work / ".asv" / "results", out / "results")
        (out / "stdout.txt").write_text(r.stdout[-200000:] + "\n--- stderr ---\n"
                                        + r.stderr[-20000:])
        record = {"command": "python3 -m nox -s bench -- --machine " + machine,
                  "exit": r.returncode, "seconds": round(seconds, 1), "machine": machine,
                  "tested_commit": tested}
        (out / "run.json").write_text(json.dumps(record, indent=1) + "\n")
        return record


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--machine", required=True)
    ap.add_argument("--old", help="the last commit with the harness in the wheel")
    ap.add_argument("--new", default="HEAD", help="a commit with the harness in benchmarks/")
    ap.add_argument("--full", action="store_true",
                    help="run README command 1 in a fresh clone of HEAD instead")
    args = ap.parse_args(argv)
    if args.full:
        out = OUT / args.machine / "full-default"
        if out.exists():
            shutil.rmtree(out)
        out.mkdir(parents=True)
        record = full_run(out, args.machine)
        print(f"full-default: exit {record['exit']}, {record['seconds']:.0f} s", flush=True)
        return 0
    if not args.old:
        ap.error("--old is required (unless --full)")
    old = _git("rev-parse", args.old, cwd=ROOT)
    new = _git("rev-parse", args.new, cwd=ROOT)
    runs = {"old-suite": (old, old), "new-suite-old-commit": (new, old),
            "new-suite": (new, new)}
    with tempfile.TemporaryDirectory(prefix="gilbench-harness-move-") as tmp:
        tmp = Path(tmp)
        (tmp / "env").mkdir()
        for name, (suite, measured) in runs.items():
            out = OUT / args.machine / name
            if (out / "run.json").is_file():
                continue
            if out.exists():
                shutil.rmtree(out)
            out.mkdir(parents=True)
            record = one_run(out, tmp, args.machine, suite, measured)
            print(f"{name}: exit {record['exit']}, {record['seconds']:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
