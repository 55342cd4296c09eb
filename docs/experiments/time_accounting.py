"""Where the main job's asv time goes, from the raw results of
docs/experiments/main_job.py (asv's recorded durations and statistics):

    .nox/tests/bin/python docs/experiments/time_accounting.py --machine vm

prints, for every run of every launch method, asv's time split into

* ``setup_cache``: the modules' shared set-ups (asv's own durations);
* ``time_ kernels timed``: what the timer of the ``time_`` benchmarks saw,
  samples x number x the median sample, summed over every point;
* ``time_ warm-up``: asv's warm-up setting (``warmup_time``) times the
  processes, capped at what the durations leave: estimated from the
  settings, not recorded;
* ``time_ rest``: the rest of the ``time_`` benchmarks' durations: starting
  each process (spawned, or forked from the server), imports, ``setup``;
* ``track_`` and ``timeraw_``: their durations whole (a ``track_`` times its
  own kernels in process or counts them; a ``timeraw_`` starts fresh
  interpreters);

with the processes asv started (points x rounds, from asv's settings).
Everything else is a sum of numbers asv recorded.  docs/figures.py renders the table
(figure ``main-job``) with :func:`account`, from the same raw files.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TYPES = ("time", "track", "timeraw")


def _result_file(run_dir: Path) -> tuple[Path, Path]:
    results = run_dir / "results"
    files = [p for p in results.glob("*/*.json") if p.name != "machine.json"]
    if len(files) != 1:
        raise ValueError(f"{results}: expected one result file, found {len(files)}")
    return files[0], results / "benchmarks.json"


def _points(b: dict) -> int:
    return math.prod(len(axis) for axis in b["params"]) if b.get("params") else 1


def account(run_dir: Path) -> dict:
    """The split of one run's asv time (seconds), and its processes."""
    path, meta_path = _result_file(run_dir)
    data, meta = json.loads(path.read_text()), json.loads(meta_path.read_text())
    col = {name: i for i, name in enumerate(data["result_columns"])}
    out = {"setup_cache": sum(data.get("durations", {}).values()),
           "time_ kernels timed": 0.0, "time_ warm-up": 0.0, "time_ rest": 0.0,
           "track_": 0.0, "timeraw_": 0.0}
    processes = {t: 0 for t in TYPES}
    for name, row in data["results"].items():
        b = meta.get(name)
        if b is None:
            continue
        seconds = row[col["duration"]] or 0.0
        kind = "timeraw" if name.rsplit(".", 1)[-1].startswith("timeraw_") else b["type"]
        procs = _points(b) * (b.get("rounds") or 1)
        processes[kind] = processes.get(kind, 0) + procs
        if kind != "time":
            out[f"{kind}_"] = out.get(f"{kind}_", 0.0) + seconds
            continue
        values = row[col["result"]] or []
        numbers = row[col["stats_number"]] if len(row) > col["stats_number"] else None
        repeats = row[col["stats_repeat"]] if len(row) > col["stats_repeat"] else None
        timed = 0.0
        for i, v in enumerate(values):
            if v is None or not numbers or not repeats or numbers[i] is None:
                continue
            timed += v * numbers[i] * repeats[i]
        warm = b.get("warmup_time")
        warm = 0.1 if warm is None or warm < 0 else warm
        warm_total = min(warm * procs, max(seconds - timed, 0.0))
        out["time_ kernels timed"] += timed
        out["time_ warm-up"] += warm_total
        out["time_ rest"] += max(seconds - timed - warm_total, 0.0)
    total = sum(out.values())
    return {"asv_seconds": round(total, 1),
            "split": {k: round(v, 1) for k, v in out.items()},
            "processes": processes,
            "commit": data["commit_hash"][:8]}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--machine", default="vm")
    args = ap.parse_args(argv)
    base = ROOT / "docs" / "data" / "main-job" / args.machine
    if not base.is_dir():
        print(f"time_accounting: no runs under {base}", file=sys.stderr)
        return 2
    table = {}
    for method_dir in sorted(p for p in base.iterdir() if p.is_dir()):
        runs = {}
        for run_dir in sorted(method_dir.glob("run*")):
            if not (run_dir / "run.json").is_file():
                continue   # a run under way, or killed
            rec = json.loads((run_dir / "run.json").read_text())
            runs[run_dir.name] = {**account(run_dir), "wall_seconds": rec["seconds"],
                                  "exit": rec["exit"]}
        if runs:
            asv = [r["asv_seconds"] for r in runs.values()]
            table[method_dir.name] = {"runs": runs,
                                      "median_asv_seconds": round(statistics.median(asv), 1)}
    for method, t in table.items():
        print(method, t["median_asv_seconds"], "s of asv time;",
              {k: r["asv_seconds"] for k, r in t["runs"].items()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
