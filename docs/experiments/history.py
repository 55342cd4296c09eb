"""Today's suite over main's own history: which claims' exact counts each
commit can be measured on -- the data behind docs/history.md.

One real asv run, in a fresh clone of this checkout's HEAD (today's suite
and harness): the exact counts (every ``Instructions`` and ``Structure``
benchmark) over every ``--every``-th commit of ``main`` from its first one
(which already has kernels) to HEAD, HEAD included, listed to asv in a
``HASHFILE``.  A kernel an old build lacks is skipped with the reason (asv
prints it, ``--show-stderr``); everything else gives a value.

asv's raw results go to ``docs/data/history/<machine>/results/``, with the
commits sampled, the command, its exit code, wall time and asv's output
(``run.json``, ``stdout.txt``); ``docs/figures.py`` turns them into the table.
A run already there is kept unless ``--force``.

    python docs/experiments/history.py --machine vm --every 10
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
OUT = ROOT / "docs" / "data" / "history"
#: The suite's exact counts: instruction counts and structure counts.
BENCHMARKS = "Instructions|Structure"


def _git(*args, cwd) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout.strip()


def sample(repo, every: int) -> list[str]:
    """Every ``every``-th commit of main's first-parent history, oldest
    first, from the first commit, with HEAD last."""
    commits = _git("rev-list", "--first-parent", "--reverse", "HEAD", cwd=repo).split()
    picked = commits[::every]
    if picked[-1] != commits[-1]:
        picked.append(commits[-1])
    return picked


def run(machine: str, every: int, force: bool = False) -> dict:
    out = OUT / machine
    if (out / "run.json").is_file() and not force:
        print(f"{out / 'run.json'} exists: kept (--force to run again)")
        return json.loads((out / "run.json").read_text())
    commits = sample(ROOT, every)
    with tempfile.TemporaryDirectory(prefix="gilbench-history-") as tmp:
        tmp = Path(tmp)
        work = tmp / "repo"
        _git("clone", "-q", "--no-local", str(ROOT), str(work), cwd=tmp)
        suite = _git("rev-parse", "HEAD", cwd=work)
        _git("checkout", "-q", "-B", "main", suite, cwd=work)
        hashes = tmp / "hashes.txt"
        hashes.write_text("\n".join(commits) + "\n")
        env = dict(os.environ, HOME=str(tmp / "home"))
        for var in ("GILBENCH_SMOKE", "GILBENCH_CYTHON", "GILBENCH_FAIL_BENCHMARK"):
            env.pop(var, None)
        subprocess.run([sys.executable, "-m", "asv", "machine", "--yes", "--machine", machine],
                       cwd=work, env=env, check=True, capture_output=True)
        cmd = [sys.executable, "-m", "asv", "run", f"HASHFILE:{hashes}", "-b", BENCHMARKS,
               "--machine", machine, "--show-stderr"]
        log = tmp / "stdout.txt"   # written as asv goes: tail it to follow the run
        print(f"asv's output: {log}", flush=True)
        t0 = time.monotonic()
        with open(log, "w") as f:
            r = subprocess.run(cmd, cwd=work, env=env, stdout=f, stderr=subprocess.STDOUT,
                               text=True)
        seconds = time.monotonic() - t0
        if out.exists():
            shutil.rmtree(out)
        out.mkdir(parents=True)
        results = work / ".asv" / "results"
        if results.is_dir():
            shutil.copytree(results, out / "results")
        shutil.copy(log, out / "stdout.txt")
    record = {"command": f"asv run HASHFILE:hashes.txt -b {BENCHMARKS!r} --machine {machine} "
                         "--show-stderr",
              "exit": r.returncode, "seconds": round(seconds, 1), "machine": machine,
              "suite_commit": suite, "every": every, "commits": commits}
    (out / "run.json").write_text(json.dumps(record, indent=1) + "\n")
    return record


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--machine", required=True, help="asv machine name for the results")
    parser.add_argument("--every", type=int, default=10, help="measure every Nth commit")
    parser.add_argument("--force", action="store_true", help="replace a run already there")
    args = parser.parse_args(argv)
    if args.every < 1:
        parser.error("--every must be at least 1")
    record = run(args.machine, args.every, args.force)
    print(json.dumps({k: v for k, v in record.items() if k != "commits"}, indent=1))
    return record["exit"]


if __name__ == "__main__":
    sys.exit(main())
