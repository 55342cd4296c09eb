"""The noise of every benchmark: the "erratic by nature" set, the A/A
calibration that measures run-to-run noise, and the thresholds derived from it.

``gilbench calibrate`` clones the checkout into a scratch directory, makes
``runs`` commits there with identical code (asv keys results by commit hash)
and runs the default suite once per commit with ``--record-samples``, one run
after the other, as a user's nightly would.  Every two of those runs are an
A/A pair.  For every benchmark point the table holds

* its values over the runs and their **range** (largest / smallest);
* its **false flags** at factors 1.05, 1.10 and 1.20: the pairs in which
  ``asv compare``'s rule (:mod:`gilbench.significance`: the factor, and a
  Mann-Whitney test where samples exist) calls the identical code faster or
  slower;
* its **threshold**: the smallest rung of :data:`LADDER` whose margin the
  range stays inside (:data:`HEADROOM`), and its **status**:

  - ``stable``: threshold <= 1.05; gated at 1.05 or below;
  - ``gated``: threshold 1.10; gated at its threshold;
  - ``noisy``: no rung fits (its range is wider than HEADROOM of the
    largest rung's margin, 1 + 0.10 / 3 = 1.033), or it failed or was
    skipped in some run; never gated;
  - ``erratic``: erratic by nature (:data:`ERRATIC`, or oversubscribed, see
    :func:`erratic_reason`); reported, never gated, whatever one
    calibration happened to show.

The table is written to ``noise/<machine>.json`` (read by the gate and by the
publish pipeline, which turns it into asv's ``regressions_thresholds`` for
that machine's graphs, so that asv's Regressions page speaks only beyond each
benchmark's own noise) and ``noise/<machine>.md`` (for people).
"""

from __future__ import annotations

import itertools
import json
import math
import re
import statistics
import sys
import time
from pathlib import Path

from gilbench import _asv, results
from gilbench.significance import differs

__all__ = ["ERRATIC", "FACTORS", "LADDER", "HEADROOM", "erratic_reason", "analyze",
           "calibrate", "reanalyze", "write_table", "asv_thresholds",
           "load_table"]

#: The factors at which false flags are counted (asv compare's ``--factor``).
FACTORS = (1.05, 1.10, 1.20)
#: The thresholds a point can be gated at.
LADDER = (1.02, 1.05, 1.10)
#: A point is gated at threshold F only if its range over the calibration
#: runs stayed within HEADROOM of F's margin: 4 runs show the spread of 4
#: runs, and the next run may land outside it.
HEADROOM = 1 / 3
#: Thread-count parameters: a point that asks for more threads than the
#: machine has CPUs is oversubscribed.
THREAD_PARAMS = ("threads", "python_threads", "omp_threads", "blas_threads")

#: Benchmarks whose values are erratic by nature: (regex on asv's name with
#: parameters, why).  They are findings of their claims and stay in the suite
#: and the report, marked, and are never gated.
ERRATIC = (
    (r"\.TrackC7ColdRegion\.",
     "wakes an OpenMP team that has idled: milliseconds, set by the OS scheduler"),
    (r"\.TrackC9ConcurrentThroughput\.",
     "two Python threads race for the cores; how they split them is the scheduler's"),
    (r"\.TrackC3HeartbeatGap\.",
     "the wake-up latency of a sleeping thread, set by the OS scheduler"),
    (r"\.TrackC9Slowdown\.",
     "a ratio to the best point of a grid that holds oversubscribed points"),
    (r"\.TrackC4FlagSeen\.track_c4_flag_seen\(100000\)",
     "the starved window: whether the setter thread gets the GIL is a race"),
)


#: Benchmarks that read out a configuration (thread counts the libraries
#: report), not a time: oversubscription does not make them erratic.
READOUTS = r"\.TrackC9PinnedConfiguration\."


def _thread_counts(params: dict) -> list[int]:
    out = []
    for name in THREAD_PARAMS:
        try:
            out.append(int(params[name]))
        except (KeyError, TypeError, ValueError):
            pass
    return out


def erratic_reason(name: str, params: dict, cpus: int | None) -> str | None:
    """Why the point ``name`` (asv's name with parameters) with ``params``
    ({name: value}) is erratic by nature on a machine with ``cpus`` usable
    CPUs, or None."""
    for pattern, why in ERRATIC:
        if re.search(pattern, name):
            return why
    counts = _thread_counts(params)
    if cpus and counts and not re.search(READOUTS, name):
        if max(counts) > cpus:
            return f"oversubscribed: {max(counts)} threads on {cpus} CPUs"
        if {"omp_threads", "blas_threads"} <= set(params):
            omp, blas = int(params["omp_threads"]), int(params["blas_threads"])
            # C9's patterns: BLAS inside each prange thread (nested), both
            # teams at once (concurrent), or one after the other.
            pattern = params.get("pattern", "alternating")
            if pattern == "nested" and omp * blas > cpus:
                return f"oversubscribed: {omp} OpenMP x {blas} BLAS threads on {cpus} CPUs"
            if pattern == "concurrent" and omp + blas > cpus:
                return f"oversubscribed: {omp} OpenMP + {blas} BLAS threads on {cpus} CPUs"
    return None


# --------------------------------------------------------------------------
# The analysis


def _threshold(rng: float) -> float | None:
    for rung in LADDER:
        if rng <= 1 + HEADROOM * (rung - 1):
            return rung
    return None


def analyze(results_dir, machine: str, commits: list[str]) -> dict:
    """The noise table of the A/A runs ``commits`` (identical code) of
    ``machine`` in ``results_dir``."""
    if len(commits) < 2:
        raise ValueError(f"an A/A calibration needs at least 2 runs, got {len(commits)}")
    runs = [results.load_commit(results_dir, machine, c) for c in commits]
    cpus = runs[-1].cpus
    pairs = list(itertools.combinations(range(len(runs)), 2))
    points = {}
    for name in sorted(set().union(*(run.points for run in runs))):
        got = [run.points.get(name) for run in runs]
        known = next(p for p in got if p is not None)
        values = [p.value if p is not None else None for p in got]
        erratic = erratic_reason(name, known.params, cpus)
        row = {"class": known.cls, "values": values, "flags": {}, "range": None,
               "threshold": None}
        if not all(p is not None and p.ok for p in got):
            row.update(status="erratic" if erratic else "noisy",
                       reason=erratic or "failed or skipped in some run")
            points[name] = row
            continue
        for f in FACTORS:
            row["flags"][f"{f:.2f}"] = sum(differs(got[i], got[j], f) for i, j in pairs)
        lo, hi = min(values), max(values)
        rng = hi / lo if lo > 0 else (1.0 if hi == lo else math.inf)
        row["range"] = rng
        if erratic:
            row.update(status="erratic", reason=erratic)
        else:
            threshold = _threshold(rng)
            row["threshold"] = threshold
            if threshold is None:
                row.update(status="noisy", reason=f"moved {rng - 1:.1%} between identical runs")
            elif threshold <= 1.05:
                row.update(status="stable", reason=f"moved {rng - 1:.2%}")
            else:
                row.update(status="gated", reason=f"moved {rng - 1:.2%}")
        points[name] = row
    return {"machine": machine, "cpus": cpus, "commits": list(commits), "pairs": len(pairs),
            "factors": list(FACTORS), "ladder": list(LADDER), "headroom": HEADROOM,
            "created": time.strftime("%Y-%m-%d", time.gmtime()), "points": points}


def classes(table: dict) -> dict:
    """Per benchmark (asv's name without parameters): points by status,
    false flags summed over points and pairs, median and worst range."""
    out = {}
    for name, row in table["points"].items():
        key = name.split("(")[0]
        c = out.setdefault(key, {"points": 0, "stable": 0, "gated": 0, "noisy": 0,
                                 "erratic": 0, "flags": {f"{f:.2f}": 0 for f in FACTORS},
                                 "ranges": []})
        c["points"] += 1
        c[row["status"]] += 1
        for f, k in row["flags"].items():
            c["flags"][f] += k
        if row["range"] is not None and math.isfinite(row["range"]):
            c["ranges"].append(row["range"])
    for c in out.values():
        r = c.pop("ranges")
        c["median_range"] = statistics.median(r) if r else None
        c["worst_range"] = max(r) if r else None
    return out


def flags_per_pair(table: dict) -> dict:
    """{factor: false flags per A/A pair, over all points} (as ``asv compare
    --factor F`` would count them on one pair, averaged over the pairs)."""
    pairs = table["pairs"] or 1
    return {f: sum(row["flags"].get(f, 0) for row in table["points"].values()) / pairs
            for f in (f"{x:.2f}" for x in FACTORS)}


# --------------------------------------------------------------------------
# Writing it


def to_markdown(table: dict) -> str:
    pts = table["points"]
    by_status = {s: sum(r["status"] == s for r in pts.values())
                 for s in ("stable", "gated", "noisy", "erratic")}
    per_pair = flags_per_pair(table)
    stable_flags = {f: sum(r["flags"].get(f, 0) for r in pts.values()
                           if r["status"] == "stable") for f in per_pair}
    lines = [
        f"# Noise of the gilbench suite on `{table['machine']}`",
        "",
        f"Written by `gilbench calibrate` on {table['created']}: {len(table['commits'])} "
        f"default runs of identical code, one after the other "
        f"({table['cpus']} usable CPUs), every two of them an A/A pair "
        f"({table['pairs']} pairs). Range: largest / smallest value over the runs. "
        "Flags: pairs in which `asv compare --factor F` (its Mann-Whitney test where "
        "samples exist) calls the identical code different, summed over the points.",
        "",
        f"Points: {len(pts)}; stable {by_status['stable']}, gated {by_status['gated']}, "
        f"noisy {by_status['noisy']}, erratic by nature {by_status['erratic']}.",
        "",
        "| factor | false flags per A/A pair, all points | over all pairs, stable points |",
        "|---|---|---|",
    ]
    lines += [f"| {f} | {per_pair[f]:.1f} | {stable_flags[f]} |" for f in per_pair]
    lines += ["", "| benchmark | points | stable | gated | noisy | erratic | flags 1.05 / 1.10 "
              "/ 1.20 | median range | worst range |", "|---|---|---|---|---|---|---|---|---|"]
    for name, c in sorted(classes(table).items()):
        fl = " / ".join(str(c["flags"][f]) for f in c["flags"])
        med = f"{c['median_range']:.3f}" if c["median_range"] else "-"
        worst = f"{c['worst_range']:.3f}" if c["worst_range"] else "-"
        lines.append(f"| `{name}` | {c['points']} | {c['stable']} | {c['gated']} | "
                     f"{c['noisy']} | {c['erratic']} | {fl} | {med} | {worst} |")
    reasons = sorted({r["reason"] for r in pts.values() if r["status"] == "erratic"})
    lines += ["", "Erratic by nature (never gated):", ""] + [f"- {r}" for r in reasons]
    return "\n".join(lines) + "\n"


def write_table(table: dict, out_dir) -> tuple[Path, Path]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    js = out_dir / f"{table['machine']}.json"
    md = out_dir / f"{table['machine']}.md"
    js.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    md.write_text(to_markdown(table), encoding="utf-8")
    return js, md


def load_table(path) -> dict:
    """A table written by :func:`write_table`; ValueError if it is not one."""
    path = Path(path)
    try:
        table = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"cannot read the noise table {path}: {exc}") from exc
    if not isinstance(table, dict) or not isinstance(table.get("points"), dict):
        raise ValueError(f"{path} is not a gilbench noise table (no 'points')")
    return table


#: The levels of asv's regressions_thresholds (fractions).
ASV_LEVELS = (0.05, 0.10, 0.20, 0.50, 1.0)


def asv_thresholds(table: dict) -> dict:
    """asv's ``regressions_thresholds`` ({regex: fraction}) from the table.
    Each point needs the margin of its threshold (stable and gated points),
    twice the excess of its range (noisy points) or 100% (erratic points),
    rounded up to a level of :data:`ASV_LEVELS`, never under asv's default
    5%.  One entry per benchmark and level, matching what asv matches them
    against: the name with parameters and the branch,
    ``name(p1, p2)@main`` (``re.match``; asv takes the largest entry that
    matches).  They are one machine's: :mod:`gilbench.publish` applies them
    to that machine's graphs only."""
    groups = {}
    for name, row in table["points"].items():
        if row["status"] == "erratic" or row["range"] is None or not math.isfinite(row["range"]):
            need = 1.0
        elif row["threshold"] is not None:
            need = row["threshold"] - 1
        else:
            need = 2 * (row["range"] - 1)
        level = next((lv for lv in ASV_LEVELS if need <= lv + 1e-9), ASV_LEVELS[-1])
        key, _, params = name.partition("(")
        groups.setdefault(key, {}).setdefault(level, []).append(params)
    out = {}
    for key, levels in sorted(groups.items()):
        for level, params in sorted(levels.items()):
            if level == ASV_LEVELS[0]:
                continue  # asv's default
            alts = "|".join(re.escape("(" + p) if p else "" for p in sorted(params))
            out[f"^{re.escape(key)}(?:{alts})(?:@[^@]*)?$"] = level
    return out


# --------------------------------------------------------------------------
# Running it


def _git(*args, cwd) -> str:
    return _asv.git(*args, cwd=cwd).stdout


def _log(message):
    print(f"gilbench calibrate: {message}", flush=True)


def reanalyze(workdir, machine: str) -> dict:
    """The noise table of the runs already measured in a calibration's
    scratch clone (after a change to the analysis, not to the suite)."""
    work = Path(workdir)
    if not (work / ".git").exists():
        raise ValueError(f"{work} is not a calibration's scratch clone")
    commits = _git("rev-list", "--reverse", "calibration-base..main", cwd=work).split()
    results_dir = work / ".asv" / "results"
    done = results.commits(results_dir, machine)
    measured = [c for c in commits if c in done]
    return analyze(results_dir, machine, measured)


def calibrate(repo=".", *, runs: int = 4, workdir=None, machine: str | None = None,
              asv_args: tuple = ()) -> dict:
    """Run ``runs`` A/A runs of the installed gilbench on the benchmarks of
    ``repo``'s HEAD in a scratch clone (``workdir``, default
    ``<repo>/.asv/calibration``) and return their noise table.  A run whose
    results are already in the scratch clone is not repeated, so a killed
    calibration resumes where it stopped."""
    if isinstance(runs, bool) or not isinstance(runs, int) or runs < 2:
        raise ValueError(f"runs must be an integer >= 2, got {runs!r}")
    repo = Path(repo).resolve()
    if not (repo / ".git").exists():
        raise ValueError(f"{repo} is not a git checkout")
    work = Path(workdir) if workdir else repo / ".asv" / "calibration"
    head = _git("rev-parse", "HEAD", cwd=repo).strip()
    if (work / ".git").exists():
        base = _git("rev-parse", "calibration-base", cwd=work).strip()
        if base != head:
            raise ValueError(f"{work} calibrates {base[:8]}, not HEAD {head[:8]}: remove it "
                             "or give another --workdir")
    else:
        work.parent.mkdir(parents=True, exist_ok=True)
        _git("clone", "--quiet", "--no-local", str(repo), str(work), cwd=repo.parent)
        _git("checkout", "--quiet", "-B", "main", head, cwd=work)
        _git("tag", "calibration-base", head, cwd=work)
    git_id = ["-c", "user.name=gilbench calibrate", "-c", "user.email=calibrate@gilbench"]
    commits = _git("rev-list", "--reverse", "calibration-base..main", cwd=work).split()
    while len(commits) < runs:
        _git(*git_id, "commit", "--quiet", "--allow-empty", "-m",
              f"A/A run {len(commits) + 1}: code identical to calibration-base", cwd=work)
        commits = _git("rev-list", "--reverse", "calibration-base..main", cwd=work).split()
    commits = commits[:runs]
    machine = _asv.machine(work, machine)
    results_dir = work / ".asv" / "results"
    for k, commit in enumerate(commits, 1):
        if commit in results.commits(results_dir, machine):
            _log(f"run {k}/{runs} ({commit[:8]}) already measured, kept")
            continue
        _log(f"run {k}/{runs}: {commit[:8]} (identical code), machine {machine}")
        t0 = time.monotonic()
        # A failed benchmark (asv's exit 2) is recorded, and the rest kept;
        # any other exit raises.
        _asv.asv("run", "-E", f"existing:{sys.executable}", "--set-commit-hash", commit,
                 "--record-samples", "--machine", machine, *asv_args, cwd=work,
                 capture=False, ok=(0, _asv.ASV_BENCHMARK_FAILED))
        _log(f"run {k}/{runs} took {time.monotonic() - t0:.0f} s")
    return analyze(results_dir, machine, commits)
