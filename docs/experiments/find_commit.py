"""Find the commit that moved an exact count, with ``asv find`` and today's
suite -- the bisect demonstration in docs/history.md.

docs/experiments/history.py samples every tenth commit; where a count moved
past the gate's smallest threshold between two samples, this runs, in a
fresh clone of this checkout's HEAD (today's suite and harness)::

    asv find LO^..HI BENCHMARK [--invert]

asv builds and measures about log2(commits) of them and names the commit
with the largest jump (``--invert``: the largest fall).  asv's raw results
(every commit it measured, with asv's ``just-discover`` description of the
suite), its output, the command, the exit code and the wall time go to
``docs/data/bisect/<machine>/``; ``docs/figures.py`` reads the found
commit's value and its parent's from those results.  A run
already there is kept unless ``--force``.

    python docs/experiments/find_commit.py --machine vm --range bc2dfe34..9ee4d7b6 \\
        --benchmark bench_c8_parallel_section.TrackC8Instructions.track_c8_instructions
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "data" / "bisect"


def _git(*args, cwd) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout.strip()


def run(machine: str, span: str, benchmark: str, invert: bool, force: bool = False) -> dict:
    out = OUT / machine
    if (out / "run.json").is_file() and not force:
        print(f"{out / 'run.json'} exists: kept (--force to run again)")
        return json.loads((out / "run.json").read_text())
    lo, sep, hi = span.partition("..")
    if not (sep and lo and hi):
        raise ValueError(f"--range {span!r}: give it as LO..HI")
    with tempfile.TemporaryDirectory(prefix="gilbench-bisect-") as tmp:
        tmp = Path(tmp)
        work = tmp / "repo"
        _git("clone", "-q", "--no-local", str(ROOT), str(work), cwd=tmp)
        suite = _git("rev-parse", "HEAD", cwd=work)
        _git("checkout", "-q", "-B", "main", suite, cwd=work)
        lo, hi = (_git("rev-parse", c, cwd=work) for c in (lo, hi))
        searched = _git("rev-list", "--first-parent", f"{lo}^..{hi}", cwd=work).split()
        env = dict(os.environ, HOME=str(tmp / "home"))
        for var in ("GILBENCH_SMOKE", "GILBENCH_CYTHON", "GILBENCH_FAIL_BENCHMARK"):
            env.pop(var, None)
        subprocess.run([sys.executable, "-m", "asv", "machine", "--yes", "--machine", machine],
                       cwd=work, env=env, check=True, capture_output=True)
        # asv find measures the range it is given, and git's LO..HI leaves LO
        # out: LO^..HI makes LO the search's first commit, the value before.
        cmd = [sys.executable, "-m", "asv", "find", f"{lo}^..{hi}", benchmark,
               "--machine", machine, "--show-stderr", *(["--invert"] if invert else [])]
        log = tmp / "stdout.txt"
        print(f"asv's output: {log}", flush=True)
        t0 = time.monotonic()
        with open(log, "w") as f:
            r = subprocess.run(cmd, cwd=work, env=env, stdout=f, stderr=subprocess.STDOUT,
                               text=True)
        seconds = time.monotonic() - t0
        # asv find saves no benchmarks.json, which reading its results needs:
        # asv's own discovery of the same suite, no benchmark run.
        subprocess.run([sys.executable, "-m", "asv", "run", "-E", f"existing:{sys.executable}",
                        "--bench", "just-discover", "--machine", machine], cwd=work, env=env,
                       check=True, capture_output=True)
        text = log.read_text()
        found = re.search(r"Greatest (?:regression|improvement) found: (\w+)", text)
        found = _git("rev-parse", found.group(1), cwd=work) if found else None
        parent = _git("rev-parse", f"{found}^", cwd=work) if found else None
        if out.exists():
            shutil.rmtree(out)
        out.mkdir(parents=True)
        results = work / ".asv" / "results"
        if results.is_dir():
            shutil.copytree(results, out / "results")
        shutil.copy(log, out / "stdout.txt")
    record = {"command": f"asv find {lo[:8]}^..{hi[:8]} {benchmark} --machine {machine} "
                         "--show-stderr" + (" --invert" if invert else ""),
              "exit": r.returncode, "seconds": round(seconds, 1), "machine": machine,
              "suite_commit": suite, "benchmark": benchmark, "invert": invert,
              "range": [lo, hi], "commits_in_range": len(searched),
              "found": found, "parent": parent}
    (out / "run.json").write_text(json.dumps(record, indent=1) + "\n")
    return record


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--machine", required=True, help="asv machine name for the results")
    parser.add_argument("--range", required=True, dest="span", help="LO..HI, as asv find takes it")
    parser.add_argument("--benchmark", required=True, help="one benchmark, all its parameters")
    parser.add_argument("--invert", action="store_true", help="look for a fall, not a rise")
    parser.add_argument("--force", action="store_true", help="replace a run already there")
    args = parser.parse_args(argv)
    try:
        record = run(args.machine, args.span, args.benchmark, args.invert, args.force)
    except (ValueError, subprocess.CalledProcessError) as exc:
        print(f"find_commit: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(record, indent=1))
    return record["exit"]


if __name__ == "__main__":
    sys.exit(main())
