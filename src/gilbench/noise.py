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
import math
import statistics
import sys
import time
from pathlib import Path

from gilbench import _asv, results
from gilbench.noise_table import (
    AA,
    ERRATIC,
    FACTORS,
    GATED,
    NOISY,
    STABLE,
    Row,
    Table,
    erratic_reason,
    judge_row,
)
from gilbench.significance import differs

__all__ = ["analyze", "classes", "flags_per_pair", "to_markdown", "write_table", "calibrate",
           "reanalyze"]

# --------------------------------------------------------------------------
# The analysis


def analyze(results_dir, machine: str, commits: list[str]) -> Table:
    """The noise table of the A/A runs ``commits`` (identical code) of
    ``machine`` in ``results_dir``."""
    if len(commits) < 2:
        raise ValueError(f"an A/A calibration needs at least 2 runs, got {len(commits)}")
    runs = [results.load_commit(results_dir, machine, c) for c in commits]
    cpus = runs[-1].cpus
    pairs = list(itertools.combinations(range(len(runs)), 2))
    rows = {}
    for name in sorted(set().union(*(run.points for run in runs))):
        got = [run.points.get(name) for run in runs]
        known = next(p for p in got if p is not None)
        erratic = erratic_reason(name, known.params, cpus)
        row = Row(class_name=known.cls, status=NOISY,
                  values=[p.value if p is not None else None for p in got])
        rows[name] = row
        if not all(p is not None and p.ok for p in got):
            row.status = ERRATIC if erratic else NOISY
            row.reason = erratic or "failed or skipped in some run"
            continue
        row.flags = {f"{f:.2f}": sum(differs(got[i], got[j], f) for i, j in pairs)
                     for f in FACTORS}
        lo, hi = min(row.values), max(row.values)
        spread = hi / lo if lo > 0 else (1.0 if hi == lo else math.inf)
        if erratic:
            row.range, row.status, row.reason = spread, ERRATIC, erratic
        else:
            judge_row(row, spread, "runs")
    return Table(protocol=AA, machine=machine, cpus=cpus, commits=list(commits),
                 pairs=len(pairs), created=time.strftime("%Y-%m-%d", time.gmtime()), rows=rows,
                 factors=list(FACTORS))


def classes(table: Table) -> dict:
    """Per benchmark (asv's name without parameters): points by status,
    false flags summed over points and pairs, median and worst range."""
    out = {}
    for name, row in table.rows.items():
        key = name.split("(")[0]
        c = out.setdefault(key, {"points": 0, STABLE: 0, GATED: 0, NOISY: 0, ERRATIC: 0,
                                 "flags": {f"{f:.2f}": 0 for f in FACTORS}, "ranges": []})
        c["points"] += 1
        c[row.status] += 1
        for f, k in row.flags.items():
            c["flags"][f] += k
        if row.measured_range is not None:
            c["ranges"].append(row.range)
    for c in out.values():
        r = c.pop("ranges")
        c["median_range"] = statistics.median(r) if r else None
        c["worst_range"] = max(r) if r else None
    return out


def flags_per_pair(table: Table) -> dict:
    """{factor: false flags per A/A pair, over all points} (as ``asv compare
    --factor F`` would count them on one pair, averaged over the pairs)."""
    pairs = table.pairs or 1
    return {f: sum(row.flags.get(f, 0) for row in table.rows.values()) / pairs
            for f in (f"{x:.2f}" for x in FACTORS)}


# --------------------------------------------------------------------------
# Writing it


def to_markdown(table: Table) -> str:
    pts = table.rows
    by_status = table.counts()
    per_pair = flags_per_pair(table)
    stable_flags = {f: sum(r.flags.get(f, 0) for r in pts.values()
                           if r.status == STABLE) for f in per_pair}
    lines = [
        f"# Noise of the gilbench suite on `{table.machine}`",
        "",
        f"Written by `gilbench calibrate` on {table.created}: {len(table.commits)} "
        f"default runs of identical code, one after the other "
        f"({table.cpus} usable CPUs), every two of them an A/A pair "
        f"({table.pairs} pairs). Range: largest / smallest value over the runs. "
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
    reasons = sorted({r.reason for r in pts.values() if r.status == ERRATIC})
    lines += ["", "Erratic by nature (never gated):", ""] + [f"- {r}" for r in reasons]
    return "\n".join(lines) + "\n"


def write_table(table: Table, out_dir, results_dir=None) -> tuple[Path, Path]:
    """Save ``table`` with its page under ``out_dir`` (:meth:`Table.save`)."""
    return table.save(out_dir, to_markdown(table), results_dir)


# --------------------------------------------------------------------------
# Running it


#: The tag of the calibrated commit in the scratch clone, and the clone's
#: default place under the checkout's .asv/.
BASE_TAG, WORKDIR = "calibration-base", "calibration"


def _log(message):
    print(f"gilbench calibrate: {message}", flush=True)


def reanalyze(workdir, machine: str) -> Table:
    """The noise table of the runs already measured in a calibration's
    scratch clone (after a change to the analysis, not to the suite)."""
    work = Path(workdir)
    if not (work / ".git").exists():
        raise ValueError(f"{work} is not a calibration's scratch clone")
    commits = _asv.identical_chain(work, BASE_TAG)[1:]
    results_dir = _asv.results_dir(work)
    done = results.commits(results_dir, machine)
    measured = [c for c in commits if c in done]
    return analyze(results_dir, machine, measured)


def calibrate(repo=".", *, runs: int = 4, workdir=None, machine: str | None = None,
              asv_args: tuple = ()) -> Table:
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
    work = _asv.scratch_clone(repo, Path(workdir) if workdir else repo / ".asv" / WORKDIR,
                              BASE_TAG)
    # The runs are the empty commits over the tagged HEAD.
    while len(_asv.identical_chain(work, BASE_TAG)) - 1 < runs:
        _asv.identical_commit(work, BASE_TAG)
    commits = _asv.identical_chain(work, BASE_TAG)[1:runs + 1]
    machine = _asv.machine(work, machine)
    results_dir = _asv.results_dir(work)
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
