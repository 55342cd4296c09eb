"""What a fleet's store grows to, and how long publishing it takes -- the data
behind docs/fleet.md.

For each size (machines x nightly commits) it makes a synthetic store: a
scratch git repository with that many commits (one a day) and, for every
machine and commit, a copy of a real result file of this suite
(``docs/data/results/vm/``, its commit, date and machine rewritten, and
every measured number moved by a random few percent, as a new night's
numbers move: identical copies would pack to almost nothing), with asv's
``benchmarks.json`` and each machine's ``machine.json``.  Then, timed:

* ``asv publish`` on it (asv's page: every graph of every machine);
* gilbench's claims page from it (``gilbench.publish``'s judging and page);
* the store as git would keep it: the files committed to a branch, packed
  (``git gc``; ``git count-objects``' size-pack).

Each size is measured ``--repeat`` times (the store made once); the medians
and ranges go to ``docs/data/fleet/<machine>/scale.json`` with every single
time.  A run already there is kept unless ``--force``.

    python docs/experiments/fleet_scale.py --machine vm
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "docs" / "data" / "results"
OUT = ROOT / "docs" / "data" / "fleet"
#: (machines, commits): one machine, a fleet of 4 and of 20, a month of
#: nightly commits each; 20 machines over half a year.
SIZES = ((1, 30), (4, 30), (20, 30), (20, 180))


def _git(*args, cwd, env=None) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True,
                          env=env).stdout.strip()


def _template() -> tuple[dict, dict, dict]:
    """A real result file of the suite, its machine.json, benchmarks.json."""
    (result,) = sorted((TEMPLATE / "vm").glob("*-*.json"))
    return (json.loads(result.read_text()), json.loads((TEMPLATE / "vm" / "machine.json")
                                                       .read_text()),
            json.loads((TEMPLATE / "benchmarks.json").read_text()))


def _jitter(value, rng):
    """Every float in asv's result structure times 1 + N(0, 0.03)."""
    if isinstance(value, float):
        return value * (1 + rng.gauss(0, 0.03))
    if isinstance(value, list):
        return [_jitter(v, rng) for v in value]
    if isinstance(value, dict):
        return {k: _jitter(v, rng) for k, v in value.items()}
    return value


def make_store(where: Path, machines: int, commits: int) -> dict:
    """The scratch project at ``where``; returns its file count and bytes."""
    result, machine_info, benchmarks = _template()
    rng = random.Random(f"{machines}x{commits}")
    where.mkdir(parents=True)
    _git("init", "-q", "-b", "main", cwd=where)
    (where / "asv.conf.json").write_text(json.dumps({
        "version": 1, "project": "gilbench", "repo": ".", "branches": ["main"],
        "environment_type": "virtualenv", "benchmark_dir": "benchmarks",
        "results_dir": ".asv/results", "html_dir": ".asv/html"}))
    start = 1_700_000_000
    shas = []
    for k in range(commits):
        date = f"{start + 86_400 * k} +0000"
        env = dict(os.environ, GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date,
                   GIT_AUTHOR_NAME="n", GIT_AUTHOR_EMAIL="n@n", GIT_COMMITTER_NAME="n",
                   GIT_COMMITTER_EMAIL="n@n")
        _git("commit", "-q", "--allow-empty", "-m", f"night {k}", cwd=where, env=env)
        shas.append(_git("rev-parse", "HEAD", cwd=where))
    results = where / ".asv" / "results"
    results.mkdir(parents=True)
    (results / "benchmarks.json").write_text(json.dumps(benchmarks))
    files, size = 1, len(json.dumps(benchmarks))
    for m in range(machines):
        name = f"fleet-{m:02d}"
        mdir = results / name
        mdir.mkdir()
        (mdir / "machine.json").write_text(json.dumps(dict(machine_info, machine=name)))
        for k, sha in enumerate(shas):
            r = copy.deepcopy(result)
            r["results"] = _jitter(r["results"], rng)
            r["commit_hash"] = sha
            r["date"] = (start + 86_400 * k) * 1000
            r["params"] = dict(r["params"], machine=name)
            text = json.dumps(r)
            (mdir / f"{sha[:8]}-{r['env_name']}.json").write_text(text)
            files += 1
            size += len(text)
    return {"files": files, "bytes": size}


def packed_bytes(where: Path) -> int:
    """The store's files on a branch of their own, as git packs them."""
    store = where.parent / (where.name + "-store")
    shutil.copytree(where / ".asv" / "results", store / "results")
    _git("init", "-q", "-b", "benchmark-results", cwd=store)
    env = dict(os.environ, GIT_AUTHOR_NAME="n", GIT_AUTHOR_EMAIL="n@n",
               GIT_COMMITTER_NAME="n", GIT_COMMITTER_EMAIL="n@n")
    _git("add", "results", cwd=store)
    _git("commit", "-q", "-m", "store", cwd=store, env=env)
    _git("gc", "-q", "--aggressive", cwd=store)
    counts = dict(line.split(": ") for line in
                  _git("count-objects", "-v", cwd=store).splitlines())
    return int(counts["size-pack"]) * 1024


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def measure(where: Path, repeat: int) -> dict:
    from gilbench import publish, report, results

    html, res = where / ".asv" / "html", where / ".asv" / "results"
    asv_s, page_s = [], []
    for _ in range(repeat):
        shutil.rmtree(html, ignore_errors=True)
        asv_s.append(_timed(lambda: subprocess.run(
            [sys.executable, "-m", "asv", "publish", "--html-dir", str(html)], cwd=where,
            check=True, capture_output=True)))
        page_s.append(_timed(lambda: report.write_html(
            report.judge(results.load(res, earlier=report.EARLIER)), html / "claims")))
    # The whole of gilbench publish once (asv's page, offline assets, claims
    # page): what the fleet's publish job runs.
    shutil.rmtree(html, ignore_errors=True)
    whole = _timed(lambda: publish.publish(where))
    return {"asv_publish_s": asv_s, "claims_page_s": page_s, "gilbench_publish_s": whole,
            "html_bytes": sum(f.stat().st_size for f in html.rglob("*") if f.is_file())}


def run(machine: str, repeat: int, force: bool = False) -> dict:
    out = OUT / machine / "scale.json"
    if out.is_file() and not force:
        print(f"{out} exists: kept (--force to run again)")
        return json.loads(out.read_text())
    rows = []
    with tempfile.TemporaryDirectory(prefix="gilbench-fleet-") as tmp:
        for machines, commits in SIZES:
            where = Path(tmp) / f"m{machines}-c{commits}"
            made = make_store(where, machines, commits)
            got = measure(where, repeat)
            row = {"machines": machines, "commits": commits, **made,
                   "packed_bytes": packed_bytes(where), **got,
                   "asv_publish_median_s": statistics.median(got["asv_publish_s"]),
                   "claims_page_median_s": statistics.median(got["claims_page_s"])}
            print(json.dumps({k: v for k, v in row.items() if not isinstance(v, list)}),
                  flush=True)
            rows.append(row)
    record = {"machine": machine, "repeat": repeat, "template": "docs/data/results/vm",
              "command": f"python docs/experiments/fleet_scale.py --machine {machine} "
                         f"--repeat {repeat}", "sizes": rows}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=1) + "\n")
    return record


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--machine", required=True, help="name of the machine measuring")
    parser.add_argument("--repeat", type=int, default=2, help="timings per size (default 2)")
    parser.add_argument("--force", action="store_true", help="replace a run already there")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    run(args.machine, args.repeat, args.force)
    return 0


if __name__ == "__main__":
    sys.exit(main())
