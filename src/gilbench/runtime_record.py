"""The runtime record as the tool reads it back: each run's record
(:attr:`gilbench.results.Run.runtime`, items and words from
:mod:`gilbench.harness.runtime`), the items where runs differ (machines side
by side), and the commits where one machine's record changed (a NumPy or
OpenBLAS upgrade, a new compiler), so that a step in a graph is read as the
runtime's, not the code's.  The report, the pages and the gate use it."""

from __future__ import annotations

from gilbench.harness import runtime
from gilbench.results import Run

__all__ = ["rows", "differing", "changes", "summary", "as_dict"]


def _items(runs) -> list[str]:
    seen = [n for n in runtime.ITEMS if any(n in r.runtime for r in runs)]
    extra = sorted({n for r in runs for n in r.runtime} - set(runtime.ITEMS))
    return seen + extra


def _group(name: str) -> str:
    item = runtime.ITEMS.get(name)
    return item.group if item else "unknown"


def rows(runs: list[Run]) -> list[dict]:
    """One row per item any run recorded: {"item", "group", "values" (words,
    one per run; "not recorded" where a run has no record or lacks the
    item), "differs" (two runs that recorded it disagree; never for the
    sampled load)}."""
    out = []
    for name in _items(runs):
        values = [r.runtime.get(name) if name in r.runtime else None for r in runs]
        recorded = [v for r, v in zip(runs, values, strict=True) if name in r.runtime]
        differs = _group(name) != "load" and len(set(recorded)) > 1
        out.append({"item": name, "group": _group(name),
                    "values": [("skipped here" if v is None else runtime.describe(name, v))
                               if name in r.runtime else "not recorded"
                               for r, v in zip(runs, values, strict=True)],
                    "differs": differs})
    return out


def differing(runs: list[Run]) -> list[dict]:
    """The rows of :func:`rows` where the runs differ."""
    return [row for row in rows(runs) if row["differs"]]


def changes(run: Run) -> list[dict]:
    """Where the record of ``run``'s machine and build changed over the
    commits the report read (``run.earlier``, then ``run``), oldest first:
    {"commit", "since", "differences": ["item: old -> new", ...]}."""
    chain = [r for r in reversed(run.earlier) if r.runtime] + ([run] if run.runtime else [])
    out = []
    for older, newer in zip(chain, chain[1:], strict=False):
        diffs = runtime.differences(older.runtime, newer.runtime)
        if diffs:
            out.append({"commit": newer.commit, "since": older.commit,
                        "differences": [str(d) for d in diffs]})
    return out


def summary(run: Run) -> str:
    """One line: the settings the run ran under, its OpenMP runtime, its
    BLAS and the CPU's shape."""
    rec = run.runtime
    if not rec:
        return "no runtime record (a suite older than the record, or a run that left it out)"

    def say(name):
        return runtime.describe(name, rec.get(name)) if name in rec else "?"

    settings = run.settings
    parts = [f"under {settings}" if settings else "the suite's settings (no OMP_/BLAS "
             "variable set)"]
    if rec.get("openmp runtime"):     # 0: none loaded
        # libgomp displays PASSIVE for an unset policy too; what tells them
        # apart is how long an idle thread spins before it sleeps.
        parts.append(f"OpenMP {say('openmp runtime')}: an idle thread spins "
                     f"{say('openmp spin count')} iterations before it sleeps")
    blas = int(rec.get("blas libraries") or 0)
    if blas:
        libs = [f"{say(f'blas{i} api')} {say(f'blas{i} version')} "
                f"{say(f'blas{i} architecture')} ({say(f'blas{i} layer')})"
                for i in range(1, blas + 1) if f"blas{i} api" in rec]
        parts.append("BLAS " + "; ".join(libs))
    parts.append(f"{say('cores usable')} cores x {say('smt siblings')} SMT, "
                 f"LLC {say('cache llc')} shared by {say('llc shared by')} usable CPUs, "
                 f"{say('numa nodes')} NUMA node(s)")
    return "; ".join(parts)


def as_dict(run: Run) -> dict:
    """The record in words and numbers: {item: {"value", "text", "group"}}."""
    return {name: {"value": value, "text": runtime.describe(name, value),
                   "group": _group(name)} for name, value in run.runtime.items()}
