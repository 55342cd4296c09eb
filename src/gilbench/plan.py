"""What the default suite will run on a machine of N CPUs, and for how long,
before running it: ``gilbench plan [--cpus N] [--json]``.

The grids come from the suite itself: a fresh interpreter imports every
``benchmarks/bench_*.py`` with :func:`gilbench.harness.threads.usable_cpus` answering
N (for that planning process only; no benchmark ever runs under it) and
counts each benchmark's parameter combinations the way asv discovers them.
The duration of a benchmark is this machine's measured time per point
(asv's recorded duration in the newest run of ``.asv/results``) times its
points at N CPUs; a benchmark never measured here is estimated from its asv
settings (rounds, repeats, warm-up, sample time).  Run times that grow with
the thread count (a region on 64 threads costs more than on 2) are not
modelled: the estimate is a floor for time_ benchmarks and a guide for the
rest, and says which benchmarks it measured.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from gilbench import _asv, results
from gilbench.harness.threads import usable_cpus

__all__ = ["discover", "plan", "to_text"]

#: asv's defaults for what a benchmark class does not set.
ASV_DEFAULTS = {"rounds": 2, "repeat": 0, "warmup_time": -1, "sample_time": 0.01,
                "number": 0}
#: Seconds asv spends starting the process of one benchmark, parameter
#: combination and round, by launch method (asv.conf.json): a fresh
#: interpreter that imports asv's runner, NumPy, SciPy and the suite
#: (spawn), or a fork of a server that imported them once (forkserver).
#: Used only for a benchmark this machine never measured.
PROCESS_START = {"spawn": 0.5, "forkserver": 0.05}
#: asv's method prefixes that make a benchmark.
PREFIXES = ("time_", "timeraw_", "track_", "mem_", "peakmem_")

_CHILD = r"""
import importlib, inspect, itertools, json, os, sys
sys.path.insert(0, sys.argv[1])
from benchmarks.harness import threads
cpus = int(sys.argv[2])
threads.usable_cpus = lambda: cpus          # planning only: this process runs nothing
prefixes = tuple(json.loads(sys.argv[3]))
out = []
for path in sorted(os.listdir(os.path.join(sys.argv[1], "benchmarks"))):
    if not (path.startswith("bench_") and path.endswith(".py")):
        continue
    mod = importlib.import_module("benchmarks." + path[:-3])
    for cname, cls in inspect.getmembers(mod, inspect.isclass):
        if cls.__module__ != mod.__name__ or cname.startswith("_"):
            continue
        for mname, _ in inspect.getmembers(cls, callable):
            if not mname.startswith(prefixes):
                continue
            meth = getattr(cls, mname)
            params = getattr(meth, "params", getattr(cls, "params", []))
            if params and not isinstance(params[0], (list, tuple)):
                params = [params]
            points = 1
            for axis in params:
                points *= len(axis)
            attrs = {k: getattr(meth, k, getattr(cls, k, None))
                     for k in ("rounds", "repeat", "warmup_time", "sample_time", "number",
                               "timeout")}
            names = list(getattr(cls, "param_names", []) or [])
            threads_axes = {n: [int(v) for v in a] for n, a in zip(names, params)
                            if "threads" in n}
            out.append({"benchmark": f"{path[:-3]}.{cname}.{mname}", "class": cname,
                        "points": points, "threads": threads_axes, "param_names": names,
                        "param_reprs": [[repr(v) for v in axis] for axis in params],
                        "setup_cache": hasattr(cls, "setup_cache"), **attrs})
print(json.dumps(out))
"""


def discover(repo, cpus: int) -> list[dict]:
    """Every benchmark of ``repo``'s suite as asv would discover it on a
    machine of ``cpus`` usable CPUs: its name, class, points, thread axes,
    parameter names and values (as asv prints them, ``repr``), asv settings."""
    if isinstance(cpus, bool) or not isinstance(cpus, int) or cpus < 1:
        raise ValueError(f"cpus must be an integer >= 1, got {cpus!r}")
    repo = Path(repo).resolve()
    if not (repo / "benchmarks").is_dir():
        raise ValueError(f"{repo} has no benchmarks/ directory")
    r = subprocess.run([sys.executable, "-c", _CHILD, str(repo), str(cpus),
                        json.dumps(PREFIXES)], capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        raise RuntimeError(f"could not import the suite for planning: {r.stderr[-1500:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def _measured_seconds(run) -> tuple[dict, dict]:
    """From ``run`` (a :class:`gilbench.results.Run`; asv's recorded
    durations): {benchmark: (seconds per point, points)} and {module:
    setup_cache seconds}."""
    per_point, setups = {}, {}
    if run is None:
        return per_point, setups
    for key, seconds in run.durations.items():
        if key.startswith("<setup_cache "):
            module = key[len("<setup_cache "):].split(":")[0]
            setups[module] = setups.get(module, 0.0) + seconds
        elif key in run.grids:
            points = 1
            for axis in run.grids[key][1]:
                points *= len(axis)
            per_point[key] = (seconds / points, points)
    return per_point, setups


def _from_settings(b: dict, launch: str = "forkserver") -> float:
    """Seconds per point from asv settings, for a benchmark never measured
    here, started by asv's ``launch`` method."""
    rounds = b.get("rounds") or ASV_DEFAULTS["rounds"]
    repeat = b.get("repeat") or (1, 10, 20.0)
    top = repeat[1] if isinstance(repeat, (list, tuple)) else repeat
    sample = b.get("sample_time") or ASV_DEFAULTS["sample_time"]
    warm = b.get("warmup_time")
    warm = 0.1 if warm is None or warm < 0 else warm
    start = PROCESS_START.get(launch, PROCESS_START["spawn"])
    return rounds * (start + warm + top * max(sample, 0.01))


def _timing_run(results_dir: Path, machine: str | None):
    """The run whose times the plan uses: ``machine``'s newest, else the
    newest commit's run with the most CPUs; None when there are no results."""
    try:
        runs = results.load(results_dir, machine=machine)
    except ValueError:
        if machine:
            raise
        return None
    return max(runs, key=lambda r: (r.date or 0, r.cpus or 0))


def plan(repo=".", cpus: int | None = None, results_dir=None, machine: str | None = None
         ) -> dict:
    """The default suite at ``cpus`` usable CPUs (default: this machine's),
    timed from ``machine``'s newest run in ``results_dir`` (default
    ``.asv/results``; default: the newest commit's machine with the most
    CPUs)."""
    repo = Path(repo).resolve()
    results_dir = Path(results_dir) if results_dir else _asv.results_dir(repo)
    timing = _timing_run(results_dir, machine)
    here = timing.cpus if timing and timing.cpus else usable_cpus()
    cpus = usable_cpus() if cpus is None else cpus
    benches = discover(repo, cpus)
    here_benches = {b["benchmark"]: b for b in discover(repo, here)} if cpus != here else {
        b["benchmark"]: b for b in benches}
    measured, setups = _measured_seconds(timing)
    launch = _asv.config(repo).get("launch_method", "auto")
    if launch == "auto":   # asv's default: a fork server where there is fork()
        launch = "forkserver" if hasattr(os, "fork") else "spawn"
    # A module's setup_cache time, shared by its benchmarks that have one in
    # proportion to their points here, grows with their points like they do.
    cached = {}
    for b in here_benches.values():
        if b["setup_cache"] and b["benchmark"] in measured:
            cached.setdefault(b["benchmark"].split(".")[0], []).append(b)
    share = {}
    for module, members in cached.items():
        total = sum(measured[m["benchmark"]][1] for m in members)
        for m in members:
            share[m["benchmark"]] = setups.get(module, 0.0) / total if total else 0.0
    classes = {}
    for b in benches:
        known = measured.get(b["benchmark"])
        per_point = known[0] + share.get(b["benchmark"], 0.0) if known else None
        source = "measured here" if per_point is not None else "from asv settings"
        if per_point is None:
            per_point = _from_settings(b, launch)
        c = classes.setdefault(b["class"], {"class": b["class"], "points": 0, "seconds": 0.0,
                                            "threads": {}, "estimate": source,
                                            "points_here": 0})
        c["points"] += b["points"]
        c["points_here"] += here_benches.get(b["benchmark"], {}).get("points", 0)
        c["seconds"] += per_point * b["points"]
        for name, counts in b["threads"].items():
            c["threads"][name] = sorted(set(c["threads"].get(name, [])) | set(counts))
        if source == "from asv settings":
            c["estimate"] = source
    points = sum(c["points"] for c in classes.values())
    return {"cpus": cpus, "cpus_here": here, "timed_from": timing.machine if timing else None,
            "points": points,
            "points_here": sum(b["points"] for b in here_benches.values()),
            "estimated_seconds": round(sum(c["seconds"] for c in classes.values()), 1),
            "classes": sorted(classes.values(), key=lambda c: c["class"])}


def to_text(p: dict) -> str:
    lines = [f"gilbench plan: the default suite at {p['cpus']} usable CPUs "
             f"(timed from a run on {p['cpus_here']})",
             f"  {p['points']} points ({p['points_here']} on {p['cpus_here']} CPUs), about "
             f"{p['estimated_seconds'] / 60:.1f} min of asv run", "",
             f"{'benchmark class':<34} {'points':>6} {'then':>5} {'min':>6}  threads"]
    for c in p["classes"]:
        threads = "; ".join(f"{k} {','.join(map(str, v))}" for k, v in c["threads"].items())
        lines.append(f"{c['class']:<34} {c['points']:>6} {c['points_here']:>5} "
                     f"{c['seconds'] / 60:>6.1f}  {threads}"
                     + ("" if c["estimate"] == "measured here" else "  (estimated from "
                        "settings)"))
    return "\n".join(lines) + "\n"
