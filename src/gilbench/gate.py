"""The regression gate: ``gilbench gate BASE HEAD`` benchmarks both commits on
this machine and fails when HEAD is worse beyond each benchmark's own noise.

* **What it runs.**  One ``asv run`` over both commits (asv builds each in its
  virtualenv), one round per commit, :data:`GATE_REPEAT` samples per time, samples recorded:
  the exact instruction counts, the benchmarks the claims' rules read, and
  the time_ benchmarks in which the noise table of this machine
  (``noise/<machine>.json``, :mod:`gilbench.noise`) has gated points.  The
  table's ``stable`` and ``gated`` points among them are gated at their own
  threshold.  Without a table for this machine, only the exact instruction
  counts are gated (their noise is nil by construction) and the summary
  says so.
* **What fails it** (exit 1):

  - a gated point beyond its threshold, by asv compare's own rule (its
    Mann-Whitney test where samples exist, and the factor;
    :mod:`gilbench.significance`): for times and
    instruction counts only a rise (a fall is reported as an improvement),
    for the other ``track_`` values (ratios, speed-ups, whose good direction
    depends on the claim) a move either way;
  - a benchmark that ran at BASE and fails at HEAD;
  - a claim whose verdict differs between BASE and HEAD (except a move
    into or out of "inconclusive", the band a rule keeps for values within
    its noise: reported, not failed).

* **What it says.**  A markdown summary (for ``$GITHUB_STEP_SUMMARY`` or a PR
  comment): each point that moved, base and head values, ratio, its noise
  floor (the calibration's range) and threshold; new failures; the verdicts
  side by side.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from gilbench import _asv, claims, noise, results
from gilbench.claims import CLAIMS, INCONCLUSIVE, NOT_MEASURED
from gilbench.significance import better

__all__ = ["Gate", "gate", "judge", "compare", "asv_settings", "gated_points", "to_markdown",
           "EXACT"]

#: asv rounds per commit in the gate: one, to fit a PR's budget (15 min on
#: 2 CPUs with two builds).  The ratio tables of ``setup_cache`` are made once
#: per commit either way; the calibration's thresholds were measured on
#: whole runs made one after the other, as the gate's two commits are.
GATE_ROUNDS = 1
#: Samples per time_ point and commit.  asv's Mann-Whitney test (two-sided,
#: p < 0.002) cannot reach significance with 5 a side (asv then falls back to
#: overlapping 99% intervals, which hid a 7% slowdown here) nor with 6 (two
#: fully separated samples of 6 give p = 2/924 = 0.0022: a 50% slowdown went
#: through); 8 a side reach p = 2/12870.
GATE_REPEAT = 8


def asv_settings() -> list[str]:
    """The asv run arguments of a gate (also used by the injected-slowdown
    experiment, so that it measures as the gate does)."""
    return ["--record-samples", "-a", f"rounds={GATE_ROUNDS}", "-a", f"repeat={GATE_REPEAT}"]

#: Benchmarks whose values are exact (instruction counts): gated at the
#: lowest rung of the noise ladder even without a calibration.
EXACT = re.compile(r"\.Track\w+Instructions\.")


@dataclass
class Moved:
    name: str
    base: float | None
    head: float | None
    ratio: float | None
    threshold: float
    floor: float | None     # the calibration's range (largest / smallest), None if exact
    kind: str               # "regression", "improvement", "changed", "new failure"


@dataclass
class Gate:
    base: str
    head: str
    machine: str
    table: str | None                                  # the noise table used, or why none
    gated: int = 0                                     # points compared
    moved: list = field(default_factory=list)          # Moved
    verdicts: list = field(default_factory=list)       # (claim, base status, head status)
    missing: list = field(default_factory=list)        # gated points absent from a side
    seconds: float = 0.0

    @property
    def failures(self) -> list:
        return [m for m in self.moved if m.kind != "improvement"]

    @property
    def verdict_changes(self) -> list:
        """Claims whose verdict differs between BASE and HEAD."""
        return [v for v in self.verdicts if v[1] != v[2]]

    @property
    def verdict_failures(self) -> list:
        """The verdict changes that fail the gate: every change except a move
        into or out of "inconclusive" between two measured verdicts -- the
        band a rule keeps for values within the noise (C8's verdict moved
        holds <-> inconclusive in 3 of 6 A/A pairs here)."""
        return [v for v in self.verdict_changes
                if INCONCLUSIVE not in v[1:] or NOT_MEASURED in v[1:]]

    @property
    def passed(self) -> bool:
        return not self.failures and not self.verdict_failures


def gated_points(table: dict | None) -> dict:
    """{point name: (threshold, range)} of the points to gate: the stable and
    gated points of the noise table; without one, no points (the caller adds
    the instruction counts it finds)."""
    if not table:
        return {}
    return {name: (row["threshold"], row["range"]) for name, row in table["points"].items()
            if row["status"] in ("stable", "gated") and row["threshold"]}


def _lower_is_better(name: str) -> bool | None:
    """True for times and instruction counts; None (either way matters) for
    the other track_ values."""
    method = name.split("(")[0].rsplit(".", 1)[-1]
    if method.startswith(("time_", "timeraw_")) or EXACT.search(name):
        return True
    return None


def compare(base: dict, head: dict, points: dict) -> list:
    """Moved points: ``base`` and ``head`` are {name: Point}
    (:class:`gilbench.results.Run`'s ``points``), ``points`` {name: (threshold,
    range)}.  Also every benchmark that has a value at base and failed at head."""
    moved = []
    for name in sorted(set(base) | set(head)):
        b, h = base.get(name), head.get(name)
        if b is not None and b.ok and h is not None and h.status == "failed":
            moved.append(Moved(name, b.value, None, None, math.nan, None, "new failure"))
            continue
        if name not in points or b is None or h is None or not (b.ok and h.ok):
            continue
        threshold, floor = points[name]
        ratio = h.value / b.value if b.value else (1.0 if h.value == b.value else math.inf)
        worse = better(b, h, threshold)
        improved = better(h, b, threshold)
        if not (worse or improved):
            continue
        if _lower_is_better(name):
            kind = "regression" if worse else "improvement"
        else:
            kind = "changed"
        moved.append(Moved(name, b.value, h.value, ratio, threshold, floor, kind))
    return moved


def _benchmark_regex(points: dict, extra: tuple) -> str:
    classes = sorted({name.split("(")[0].rsplit(".", 1)[0].split(".", 1)[-1]
                      for name in points} | set(extra))
    return "|".join(re.escape(c) + r"\b" for c in classes)


def _verdict_classes() -> tuple:
    return tuple(sorted({read.split(".")[0] for claim in CLAIMS for read in claim.reads}))


def gate(repo=".", base="origin/main", head="HEAD", *, noise_dir="noise",
         machine: str | None = None, verdicts: bool = True, asv_args: tuple = ()) -> Gate:
    """Benchmark ``base`` and ``head`` of the checkout ``repo`` and judge
    them (see the module)."""
    t0 = time.monotonic()
    repo = Path(repo).resolve()
    if not (repo / ".git").exists():
        raise ValueError(f"{repo} is not a git checkout")
    shas = []
    for rev in (base, head):
        sha = _asv.resolve(repo, rev)
        if sha is None:
            raise ValueError(f"{rev!r} is not a commit of {repo}")
        shas.append(sha)
    if shas[0] == shas[1]:
        raise ValueError(f"BASE and HEAD are the same commit ({shas[0][:8]})")
    machine = _asv.machine(repo, machine)

    table_path = (repo / noise_dir).resolve() / f"{machine}.json"
    table = noise.load_table(table_path) if table_path.is_file() else None
    # What runs: the exact instruction counts (every claim has one), the
    # benchmarks behind the verdicts, and the time_ benchmarks that have
    # gated points; the table's gated points in them are gated.  Gated
    # track_ points elsewhere are left to the nightly (asv's
    # regressions_thresholds), to keep a gate within a PR's budget.
    points = gated_points(table)
    # Without a table: every instruction count (exact on any machine).
    classes = (() if table else ("Instructions",)) + (_verdict_classes() if verdicts else ())
    classes += tuple(sorted({n.split(".")[1] for n in points
                             if n.split("(")[0].rsplit(".", 1)[1].startswith("time_")}))
    points = {n: v for n, v in points.items()
              if n.split(".")[1] in classes or n.split(".")[1].endswith("Instructions")}
    regex = _benchmark_regex(points, classes)

    # asv's exit 2 (a benchmark failed) is judged below; anything else raises.
    _asv.run_commits(repo, shas, *asv_settings(), "-b", regex, *asv_args, machine=machine)
    name = table_path.relative_to(repo) if table_path.is_relative_to(repo) else table_path
    out = judge(repo / ".asv" / "results", machine, shas[0], shas[1], table,
                table_name=str(name), verdicts=verdicts)
    out.seconds = time.monotonic() - t0
    return out


def judge(results_dir, machine: str, base: str, head: str, table: dict | None, *,
          table_name: str = "the noise table", verdicts: bool = True) -> Gate:
    """The gate's decision on results already in ``results_dir``: gated
    points (of ``table``; without one, the instruction counts at the lowest
    rung), new failures, verdicts."""
    base_run = results.load_commit(results_dir, machine, base)
    head_run = results.load_commit(results_dir, machine, head)
    base_values, head_values = base_run.points, head_run.points
    points = gated_points(table)
    if table is None:
        points = {name: (noise.LADDER[0], None) for name in set(base_values) | set(head_values)
                  if EXACT.search(name)}
        note = (f"no noise table for machine {machine!r} ({table_name}): only the exact "
                "instruction counts are gated; `gilbench calibrate` measures the rest")
    else:
        note = f"{table_name} ({table['pairs']} A/A pairs, {table['created']})"
    out = Gate(base=base, head=head, machine=machine, table=note)
    # Gated: the table's points that ran here; a point that ran on one side
    # only is listed, not judged.
    points = {n: v for n, v in points.items() if n in base_values or n in head_values}
    out.gated = sum(1 for name in points if name in base_values and name in head_values)
    out.missing = sorted(name for name in points
                         if name not in base_values or name not in head_values)
    out.moved = compare(base_values, head_values, points)
    if verdicts:
        vb, vh = claims.verdicts(base_run), claims.verdicts(head_run)
        out.verdicts = [(a.claim, a.status, b.status) for a, b in zip(vb, vh, strict=True)]
    return out


def _fmt(x) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x:.4g}"


def to_markdown(g: Gate) -> str:
    status = "passed" if g.passed else "FAILED"
    lines = [
        f"## gilbench gate: {status}",
        "",
        f"`{g.base[:8]}` (base) against `{g.head[:8]}` (head) on machine `{g.machine}`, "
        f"{g.gated} gated points, {g.seconds / 60:.1f} min. Noise: {g.table}.",
        "",
    ]
    if g.moved:
        lines += ["| benchmark | base | head | ratio | noise floor | threshold | result |",
                  "|---|---|---|---|---|---|---|"]
        for m in g.moved:
            exact = m.kind != "new failure" and (m.floor is None or m.floor == 1.0)
            floor = "exact" if exact else _fmt(m.floor)
            lines.append(f"| `{m.name}` | {_fmt(m.base)} | {_fmt(m.head)} | {_fmt(m.ratio)} | "
                         f"{floor} | {_fmt(m.threshold)} | {m.kind} |")
        lines.append("")
    else:
        lines += ["No gated point moved beyond its threshold.", ""]
    if g.verdicts:
        lines += ["| claim | base | head |", "|---|---|---|"]
        failing = {v[0] for v in g.verdict_failures}
        lines += [f"| {c} | {a} | {b}" + ("" if a == b else " (changed)" if c in failing
                                          else " (within the rule's noise band)") + " |"
                  for c, a, b in g.verdicts]
        lines.append("")
    if g.missing:
        lines += [f"{len(g.missing)} gated point(s) not measured on a side (skipped here): "
                  + ", ".join(f"`{n}`" for n in g.missing[:10])
                  + (" ..." if len(g.missing) > 10 else ""), ""]
    return "\n".join(lines)
