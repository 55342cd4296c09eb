"""Fresh A/A runs of the regression gate: how often identical code fails it.

Each run clones this checkout into a scratch directory, adds one empty commit
over its HEAD (asv keys results by commit, so an A/A pair needs two commits of
identical code), and runs the full gate on the pair exactly as a user would:
``gilbench gate HEAD~1 HEAD --machine M`` (two wheel builds, interleaved
rounds, confirmation).  The gate's summary, its exit code, its wall time and
the raw asv results it judged -- the first measurement and the confirmation,
each its own directory (``first/``, ``confirmation/``) -- are kept under
``noise/gate-aa/<machine>/<run>/``, so that ``docs/figures.py`` can judge
every run again from them.  Each run builds both commits anew and counts
both (the instruction counts are cached per asv run and commit only).
Runs already there are kept: a killed series resumes with the next run.

    python docs/experiments/gate_aa.py --machine vm --runs 6

None of these runs may be used to calibrate the gate they judge.
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


def git(*args, cwd):
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout.strip()


def one_run(out: Path, machine: str, extra: list[str]) -> dict:
    with tempfile.TemporaryDirectory(prefix="gilbench-gate-aa-") as tmp:
        work = Path(tmp) / "repo"
        git("clone", "-q", "--no-local", str(ROOT), str(work), cwd=tmp)
        tested = git("rev-parse", "HEAD", cwd=ROOT)
        git("checkout", "-q", "-B", "main", tested, cwd=work)
        git("-c", "user.name=gate-aa", "-c", "user.email=gate-aa@gilbench", "commit", "-q",
            "--allow-empty", "-m", "A/A: identical code", cwd=work)
        base, head = git("rev-parse", "HEAD~1", cwd=work), git("rev-parse", "HEAD", cwd=work)
        summary = out / "summary.md"
        t0 = time.monotonic()
        r = subprocess.run([sys.executable, "-m", "gilbench", "gate", base, head, "--repo",
                            str(work), "--machine", machine, "--summary", str(summary), "--json",
                            str(out / "gate.json"), *extra],
                           cwd=work, capture_output=True, text=True)
        seconds = time.monotonic() - t0
        raw = work / ".asv" / "gate-raw"
        for part in ("first", "confirmation"):
            if (raw / part).is_dir():
                shutil.copytree(raw / part, out / part)
        (out / "stdout.txt").write_text(r.stdout + "\n--- stderr ---\n" + r.stderr[-20000:])
        record = {"base": base, "head": head, "exit": r.returncode,
                  "seconds": round(seconds, 1), "machine": machine,
                  "tested_commit": tested}
        (out / "run.json").write_text(json.dumps(record, indent=1) + "\n")
        return record


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--machine", required=True)
    parser.add_argument("--runs", type=int, default=6)
    args, extra = parser.parse_known_args(argv)
    base = ROOT / "noise" / "gate-aa" / args.machine
    base.mkdir(parents=True, exist_ok=True)
    for k in range(1, args.runs + 1):
        out = base / f"run{k}"
        if (out / "run.json").is_file():
            print(f"run {k}: kept", flush=True)
            continue
        if out.exists():
            shutil.rmtree(out)
        out.mkdir()
        rec = one_run(out, args.machine, extra)
        print(f"run {k}: exit {rec['exit']}, {rec['seconds'] / 60:.1f} min", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
