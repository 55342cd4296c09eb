"""How long the smoke run takes (README: ``GILBENCH_SMOKE=1
OPENBLAS_NUM_THREADS=1 asv run --quick -E existing``, every benchmark once on
its smallest point), by asv launch method, alternated:

    .nox/tests/bin/python docs/experiments/smoke_time.py --machine vm --runs 3

runs the smoke on this checkout's HEAD with the interpreter that runs this
script (it must have gilbench installed: ``-E existing``), ``--launch-method
spawn`` then ``forkserver`` (the order alternates), each in a scratch asv
config whose results go to a temporary directory.  Appends one line per run
(method, seconds, asv's exit, failed benchmarks) to
``docs/data/main-job/<machine>/smoke.jsonl``.  Run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
METHODS = ("spawn", "forkserver")


def smoke(method: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="gilbench-smoke-") as tmp:
        tmp = Path(tmp)
        conf = json.loads(re.sub(r"^\s*//.*$", "", (ROOT / "asv.conf.json").read_text(),
                                 flags=re.M))
        conf.update({"repo": str(ROOT), "benchmark_dir": str(ROOT / "benchmarks"),
                     "env_dir": str(tmp / "env"), "results_dir": str(tmp / "results"),
                     "html_dir": str(tmp / "html")})
        (tmp / "asv.conf.json").write_text(json.dumps(conf))
        env = dict(os.environ, HOME=str(tmp), GILBENCH_SMOKE="1", OPENBLAS_NUM_THREADS="1")
        asv = [sys.executable, "-m", "asv"]
        subprocess.run([*asv, "machine", "--yes", "--machine", "smoke",
                        "--config", str(tmp / "asv.conf.json")], cwd=ROOT, env=env, check=True,
                       capture_output=True)
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True, check=True).stdout.strip()
        t0 = time.monotonic()
        r = subprocess.run([*asv, "run", "-E", "existing", "--quick", "--machine", "smoke",
                            "--set-commit-hash", commit, "--launch-method", method,
                            "--config", str(tmp / "asv.conf.json")],
                           cwd=ROOT, env=env, capture_output=True, text=True)
        seconds = time.monotonic() - t0
        failed = []
        for f in (tmp / "results" / "smoke").glob("*.json"):
            if f.name == "machine.json":
                continue
            data = json.loads(f.read_text())
            failed += [k for k, v in data["results"].items()
                       if v[0] is None or (isinstance(v[0], list) and None in v[0])]
        return {"method": method, "seconds": round(seconds, 1), "exit": r.returncode,
                "failed": sorted(failed), "commit": commit}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--machine", default="vm")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args(argv)
    if args.runs < 1:
        ap.error("--runs must be at least 1")
    out = ROOT / "docs" / "data" / "main-job" / args.machine / "smoke.jsonl"
    out.parent.mkdir(parents=True, exist_ok=True)
    for k in range(args.runs):
        for method in (METHODS if k % 2 == 0 else METHODS[::-1]):
            rec = smoke(method)
            with out.open("a") as f:
                f.write(json.dumps(rec) + "\n")
            print(rec, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
