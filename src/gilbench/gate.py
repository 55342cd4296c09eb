"""The regression gate: ``gilbench gate BASE HEAD`` benchmarks both commits on
this machine, side by side in time, and fails when HEAD is worse beyond each
benchmark's own noise, judged by the rules BASE committed.

* **What it runs** (its protocol, :mod:`gilbench.gate_protocol`).  Two
  ``asv run`` over both commits (asv builds each in its virtualenv;
  ``measure``): the exact counts once, then the times
  and in-process values in :data:`GATE_ROUNDS` rounds that alternate
  between the commits (asv's ``--interleave-rounds``, as ``asv continuous``
  does) of :data:`GATE_REPEAT` samples, samples recorded, so a machine that
  slows down for minutes slows both sides.  It runs what it watches
  (``candidates``): every exact count, and the times and in-process
  values that BASE's gate table for this machine (``noise/gate/<machine>.json``,
  made by ``gilbench calibrate --gate`` on the gate's own protocol,
  :mod:`gilbench.gate_calibration`) could give a threshold on its ladder;
  with ``verdicts``, also the benchmarks the claims' rules read.  The raw
  results of the first measurement and of the confirmation are kept apart
  (``RAW_DIR``).
* **BASE's rules.**  The gate table is ``noise/gate/<machine>.json`` as
  committed at BASE (``git show BASE:...``), whatever the working tree or
  HEAD holds; the summary says when HEAD changes the table or the gate's
  own code.  The pull-request workflow also runs the gate's code and the
  suite from BASE's checkout.
* **Two modes.**  *Calibrated* (a gate table for this machine): its stable
  and gated points at their own thresholds, plus the exact counts; a changed
  verdict fails (when the verdicts are measured).  *Uncalibrated* (no
  table: every hosted runner, every pull request from a fork): no timed
  point is gated -- the exact counts, vanished points, new failures,
  removed modules and the runtime changes of HEAD's import still fail;
  changed verdicts are reported, never validated there.
* **What fails it** (exit 1):

  - a gated point beyond its threshold (:mod:`gilbench.significance`: the
    factor, and Welch's test on the medians of the rounds where samples
    exist): for times, costs and instruction counts only a rise, for the
    other ``track_`` values (ratios, whose good direction depends on the
    claim; structure counts) a move either way -- **confirmed**: the failing timed
    benchmarks are measured again, interleaved, and a point fails only if it
    fails again (an exact count fails as measured: it reads the same in every
    run, to a small fraction of a percent);
  - a point gated at BASE that is missing, skipped, failed or NaN at HEAD,
    and a benchmark module that HEAD removes (**what vanishes fails**);
  - a benchmark that ran at BASE and fails at HEAD;
  - a runtime setting that HEAD's package changes when it is imported (a
    wait policy, a binding, a thread limit, a BLAS pin: the ``import`` items
    of :mod:`gilbench.harness.runtime`'s record, taken on both sides,
    :func:`compare_runtime`); a *machine* item that differs between the two
    sides means the machine changed mid-gate: exit 2;
  - in calibrated mode, a claim whose verdict changed (except a move into or
    out of "inconclusive", the band a rule keeps for values within its
    noise: reported, not failed).

* **What it says.**  A markdown summary: the mode, each point that moved in
  the first measurement and in the confirmation, base and head values,
  ratio, noise floor and threshold; what vanished; the verdicts side by side.
"""

from __future__ import annotations

import math
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from gilbench import _asv, claims, noise_table, results
from gilbench.claims import CLAIMS, INCONCLUSIVE, NOT_MEASURED
from gilbench.gate_protocol import (
    COSTS,
    EXACT_KIND,
    FEWER_IS_BETTER,
    GATE_ROUNDS,
    GATE_TIMED_BUDGET,
    RAW_DIR,
    TABLE,
    TIME_KIND,
    benchmark_filter,
    benchmark_regex,
    candidates,
    class_of,
    gated_points,
    is_exact,
    keep_raw,
    measure,
    no_match,
    record,
    watched_timed,
)
from gilbench.harness import instructions, runtime
from gilbench.significance import better

__all__ = ["Gate", "Moved", "gate", "compare_runtime", "judge", "judge_runs", "compare",
           "to_markdown", "table_at", "as_dict", "CALIBRATED", "UNCALIBRATED",
           "REGRESSION", "IMPROVEMENT", "CHANGED", "NEW_FAILURE", "VANISHED",
           "CONFIRMED_FAILS", "HARD_FAILS"]

CALIBRATED, UNCALIBRATED = "calibrated", "uncalibrated"
#: How a point moved between BASE and HEAD (:class:`Moved`'s ``kind``).
REGRESSION, IMPROVEMENT, CHANGED = "regression", "improvement", "changed"
NEW_FAILURE, VANISHED = "new failure", "vanished"
#: The moves that fail a gate when confirmed, and those that fail it at once.
CONFIRMED_FAILS, HARD_FAILS = (REGRESSION, CHANGED), (VANISHED, NEW_FAILURE)


def compare_runtime(base_run, head_run, out: Gate) -> None:
    """Set ``out.runtime_changes`` from the two runs' records: an item a
    package can change at import that differs fails the gate, and with it
    any machine item that moved too (a binding set at import narrows the
    process's CPUs: the pull request did that, not the machine); a build
    item that differs is named; a machine item that differs while nothing
    of the import does means the machine changed between the two sides:
    ValueError (the gate cannot judge)."""
    base, head = base_run.runtime, head_run.runtime
    if not base or not head:
        side = "BASE's" if not base else "HEAD's"
        out.notes.append(f"{side} run recorded no runtime (bench_runtime): the records were "
                         "not compared")
        return
    diffs = runtime.differences(base, head)
    imported = [d for d in diffs if d.group == "import"]
    moved = [d for d in diffs if d.group == "machine"]
    if moved and not imported:
        raise ValueError("the machine changed between BASE's and HEAD's runs ("
                         + "; ".join(map(str, moved)) + "): the gate cannot judge HEAD")
    out.runtime_changes = imported + moved
    built = [d for d in diffs if d.group == "build"]
    if built:
        out.notes.append("HEAD's build differs in its runtime record (" + "; ".join(map(str, built))
                         + ")")


@dataclass
class Moved:
    name: str
    base: float | None
    head: float | None
    ratio: float | None
    threshold: float
    floor: float | None     # the calibration's range (largest / smallest), None if exact
    kind: str               # REGRESSION, IMPROVEMENT, CHANGED, NEW_FAILURE or VANISHED
    why: str = ""


@dataclass
class Gate:
    base: str
    head: str
    machine: str
    table_note: str | None                                # the noise table used, or why none
    mode: str = UNCALIBRATED
    gated: int = 0                                     # points compared
    moved: list = field(default_factory=list)          # Moved, first measurement
    confirmation: list | None = None                   # Moved, second measurement
    verdicts: list = field(default_factory=list)       # (claim, base status, head status)
    removed_modules: list = field(default_factory=list)
    #: runtime.Difference of the records' import items: what HEAD's package
    #: changed when it was imported (fails).
    runtime_changes: list = field(default_factory=list)
    notes: list = field(default_factory=list)          # HEAD changes the table, the gate...
    seconds: float = 0.0

    @property
    def vanished(self) -> list:
        return [m for m in self.moved if m.kind == VANISHED]

    @property
    def first_failures(self) -> list:
        """Points that failed the first measurement (before confirmation)."""
        return [m for m in self.moved if m.kind in CONFIRMED_FAILS]

    @property
    def exact_failures(self) -> list:
        """The first failures that are exact counts: they fail as measured.
        An exact count is the same in every run of one commit (a structure
        count identical across repeated runs and A/A builds, an instruction
        count within a small fraction of a percent: docs/gate.md), so
        measuring it again would only read the same number."""
        return [m for m in self.first_failures if is_exact(m.name)]

    @property
    def to_confirm(self) -> list:
        """The first failures the confirmation measures again: the timed
        ones (every first failure but :attr:`exact_failures`)."""
        return [m for m in self.first_failures if not is_exact(m.name)]

    @property
    def failures(self) -> list:
        """What fails the gate: vanished points, new failures and moved
        exact counts at once; moved timed points only if the confirmation
        moved them again."""
        hard = [m for m in self.moved if m.kind in HARD_FAILS]
        if self.confirmation is None:
            return hard + self.first_failures
        again = {m.name for m in self.confirmation if m.kind in CONFIRMED_FAILS}
        exact = {m.name for m in self.exact_failures}
        return hard + [m for m in self.first_failures if m.name in exact or m.name in again]

    @property
    def verdict_changes(self) -> list:
        """Claims whose verdict differs between BASE and HEAD."""
        return [v for v in self.verdicts if v[1] != v[2]]

    @property
    def verdict_failures(self) -> list:
        """The verdict changes that fail the gate: in calibrated mode, every
        change except a move into or out of "inconclusive" between two
        measured verdicts (the band a rule keeps for values within the
        noise); in uncalibrated mode none (reported only)."""
        if self.mode != CALIBRATED:
            return []
        return [v for v in self.verdict_changes
                if INCONCLUSIVE not in v[1:] or NOT_MEASURED in v[1:]]

    @property
    def passed(self) -> bool:
        return not (self.failures or self.verdict_failures or self.removed_modules
                    or self.runtime_changes)


def _lower_is_better(name: str) -> bool:
    """True for times, costs and instruction counts; False (either way
    matters) for the other track_ values, structure counts among them."""
    method = name.split("(")[0].rsplit(".", 1)[-1]
    return bool(method.startswith(("time_", "timeraw_")) or FEWER_IS_BETTER.search(name)
                or COSTS.search(name))


def compare(base: dict, head: dict, points: dict, rounds: int | None = GATE_ROUNDS) -> list:
    """Moved points: ``base`` and ``head`` are {name: Point}
    (:class:`gilbench.results.Run`'s ``points``), ``points`` {name: (threshold,
    range)}.  A gated point measured at BASE and missing, skipped or failed at
    HEAD has vanished; any other benchmark with a value at BASE that failed at
    HEAD is a new failure.  ``rounds``: the rounds of the test on rounds
    (None: asv compare's test on the samples)."""
    moved = []
    for name in sorted(set(base) | set(head)):
        b, h = base.get(name), head.get(name)
        if name in points and b is not None and b.ok and (h is None or not h.ok):
            why = "not run at HEAD" if h is None else h.reason
            moved.append(Moved(name, b.value, None, None, points[name][0], points[name][1],
                               VANISHED, why))
            continue
        if b is not None and b.ok and h is not None and h.status == "failed":
            moved.append(Moved(name, b.value, None, None, math.nan, None, NEW_FAILURE,
                               h.reason))
            continue
        if name not in points or b is None or h is None or not (b.ok and h.ok):
            continue
        threshold, floor = points[name]
        ratio = noise_table.ratio(h.value, b.value)
        worse = better(b, h, threshold, rounds)
        improved = better(h, b, threshold, rounds)
        if not (worse or improved):
            continue
        if _lower_is_better(name):
            kind = REGRESSION if worse else IMPROVEMENT
        else:
            kind = CHANGED
        moved.append(Moved(name, b.value, h.value, ratio, threshold, floor, kind))
    return moved


def _verdict_classes() -> tuple:
    return tuple(sorted({read.split(".")[0] for claim in CLAIMS for read in claim.reads}))


def _show(repo: Path, commit: str, path: str) -> str | None:
    r = _asv.git("show", f"{commit}:{path}", cwd=repo, check=False)
    return r.stdout if r.returncode == 0 else None


def table_at(repo, commit: str, path: str) -> noise_table.Table | None:
    """The noise table committed at ``commit`` (None if there is none)."""
    text = _show(repo, commit, path)
    if text is None:
        return None
    return noise_table.Table.parse(text, f"{path} at {commit[:8]}")


def _modules(repo: Path, commit: str) -> set[str]:
    out = _asv.git("ls-tree", "--name-only", f"{commit}:benchmarks", cwd=repo,
                   check=False).stdout.split()
    return {m for m in out if m.startswith("bench_") and m.endswith(".py")}


#: The measuring side: files whose change at HEAD the summary names.  The
#: gate measures and judges with BASE's (HEAD cannot loosen its own gate, nor
#: change how it is measured); only the gate's own code runs as checked out.
GATE_FILES = ("benchmarks", "asv.conf.json", "src/gilbench/gate.py",
              "src/gilbench/gate_protocol.py", "src/gilbench/significance.py",
              "src/gilbench/noise_table.py")
#: Where BASE's checkout (its suite and harness) is kept while a gate runs.
MEASURING_TREE = Path(".asv") / "gate-base"


def gate(repo=".", base="origin/main", head="HEAD", *, noise_dir="noise",
         machine: str | None = None, verdicts: bool = False, asv_args: tuple = (),
         confirm: bool = True, only: str | None = None) -> Gate:
    """Benchmark ``base`` and ``head`` of the checkout ``repo`` and judge
    them (see the module): the exact counts, the points BASE's gate table
    (``noise/gate/<machine>.json``) found steady, and with ``verdicts`` the
    benchmarks behind the claims' verdicts; ``only``: a regex on benchmark
    class names that restricts all of these (a subset of the gate, e.g. for
    one claim).  ValueError: bad input; RuntimeError: asv or git failed."""
    benchmark_filter(only)   # a bad --only fails before anything runs
    t0 = time.monotonic()
    repo = Path(repo).resolve()
    if not (repo / ".git").exists():
        raise ValueError(f"{repo} is not a git checkout")
    base_sha, head_sha = (_commit(repo, rev) for rev in (base, head))
    shas = [base_sha, head_sha]
    if base_sha == head_sha:
        raise ValueError(f"BASE and HEAD are the same commit ({base_sha[:8]})")
    why = instructions.unavailable_reason()
    if why:
        raise ValueError(f"the exact instruction counts are gated and cannot be taken here: "
                         f"{why}")
    machine = _asv.machine(repo, machine)
    table_path = TABLE.format(noise=noise_dir.rstrip("/"), machine=machine)
    table = table_at(repo, base_sha, table_path)
    notes = []
    if _show(repo, base_sha, table_path) != _show(repo, head_sha, table_path):
        notes.append(f"HEAD changes {table_path}; the gate judged by BASE's")
    changed = _asv.git("diff", "--name-only", base_sha, head_sha, "--", *GATE_FILES,
                       cwd=repo).stdout.split()
    if changed:
        notes.append("HEAD changes the measuring side (" + ", ".join(changed) + "); both "
                     "commits were measured and judged with BASE's suite, harness and table "
                     "(the gate's own code ran as checked out here)")
    removed = sorted(_modules(repo, base_sha) - _modules(repo, head_sha))
    # BASE's suite and harness measure both commits: HEAD brings only the
    # package under test.
    suite = _asv.worktree_at(repo, base_sha, repo / MEASURING_TREE)
    config = ("--config", str(_asv.measuring_config(repo, suite)))

    threads = {}
    kinds = {n: kind for n, kind in candidates(suite, threads=threads).items()
             if kind == EXACT_KIND}
    timed = watched_timed(table, threads)
    kinds |= {n: table.rows[n].kind or TIME_KIND for n in timed}
    left = len([n for n in gated_points(table) if not is_exact(n)]) - len(timed)
    if left > 0:
        notes.append(f"{left} timed points with a threshold were left out by the gate's time "
                     f"budget ({GATE_TIMED_BUDGET} timed points; the tightest of each "
                     "benchmark at 1 thread and at more threads first)")
    classes = _verdict_classes() if verdicts else ()
    if only is not None:
        kinds = {n: k for n, k in kinds.items() if re.search(only, class_of(n))}
        classes = tuple(c for c in classes if re.search(only, c))
        if not (kinds or classes):
            raise ValueError(no_match(only))
    raw = repo / RAW_DIR
    shutil.rmtree(raw, ignore_errors=True)
    # asv's exit 2 (a benchmark failed) is judged below; anything else raises.
    measure(repo, shas, kinds, extra_regex=benchmark_regex([], classes) if classes else "",
            asv_args=(*config, *asv_args), machine=machine)
    record(repo, shas, asv_args=(*config, *asv_args), machine=machine)
    results_dir = _asv.results_dir(repo)
    keep_raw(results_dir, machine, shas, raw / "first")
    base_run, head_run = sides(results_dir, machine, base_sha, head_sha)
    shown = f"{table_path} at {base_sha[:8]}"
    _can_judge(base_run, head_run, base_sha, head_sha)
    out = judge_runs(base_run, head_run, table, base=base_sha, head=head_sha, machine=machine,
                     table_name=shown, verdicts=verdicts, watched=set(kinds))
    _judged_something(out, head_run, head_sha)
    compare_runtime(base_run, head_run, out)
    out.removed_modules = removed
    out.notes += notes
    if confirm and out.first_failures:
        out.confirmation = []
    if confirm and out.to_confirm:
        names = {m.name: kinds.get(m.name, TIME_KIND) for m in out.to_confirm}
        measure(repo, shas, names, asv_args=(*config, *asv_args), machine=machine)
        keep_raw(results_dir, machine, shas, raw / "confirmation")
        second = judge(results_dir, machine, base_sha, head_sha, table, table_name=shown,
                       verdicts=False, watched=set(names))
        out.confirmation = [m for m in second.moved if m.name in names]
    out.seconds = time.monotonic() - t0
    return out


def _commit(repo: Path, rev: str) -> str:
    sha = _asv.resolve(repo, rev)
    if sha is None:
        raise ValueError(f"{rev!r} is not a commit of {repo}")
    return sha


def sides(results_dir, machine: str, base: str, head: str) -> tuple:
    """The runs of ``base`` and ``head`` on ``machine`` in ``results_dir``,
    each None where asv recorded no result for it."""
    def load(sha):
        try:
            return results.load_commit(results_dir, machine, sha)
        except ValueError:
            return None
    return load(base), load(head)


def _measured(run) -> bool:
    return run is not None and any(p.ok for p in run.points.values())


def _can_judge(base_run, head_run, base: str, head: str) -> None:
    """ValueError (the CLI's exit 2: the gate could not judge) when BASE
    measured nothing -- it did not build, or every benchmark failed; a HEAD
    that measured nothing is a failure of HEAD (its points vanished)."""
    if not _measured(base_run):
        raise ValueError(f"BASE {base[:8]} measured nothing (it did not build, or every "
                         "benchmark failed there; asv's output above says which): the gate "
                         "cannot judge HEAD against it")


def _judged_something(out: Gate, head_run, head: str) -> None:
    """ValueError when no point was gated; the summary says so when HEAD
    measured nothing (every gated point vanished)."""
    if out.gated == 0:
        raise ValueError("the gate watched nothing: BASE measured none of the points it gates "
                         "(exact counts, and the points its table found steady)")
    if not _measured(head_run):
        out.notes.append(f"HEAD {head[:8]} did not build, or every benchmark failed there: "
                         "every gated point vanished")


def judge(results_dir, machine: str, base: str, head: str, table: noise_table.Table | None, *,
          table_name: str = "the noise table", verdicts: bool = True,
          watched=None, rounds: int | None = GATE_ROUNDS) -> Gate:
    """The gate's decision on results already in ``results_dir``
    (:func:`judge_runs` on the two commits' runs; ValueError when one has
    none)."""
    return judge_runs(results.load_commit(results_dir, machine, base),
                      results.load_commit(results_dir, machine, head), table, base=base,
                      head=head, machine=machine, table_name=table_name, verdicts=verdicts,
                      watched=watched, rounds=rounds)


def judge_runs(base_run, head_run, table: noise_table.Table | None, *, base: str, head: str,
               machine: str,
               table_name: str = "the noise table", verdicts: bool = True,
               watched=None, rounds: int | None = GATE_ROUNDS) -> Gate:
    """The gate's decision on BASE's and HEAD's runs (HEAD's None: it
    recorded nothing): gated points (of ``table``, plus the exact counts),
    vanished points, new failures, verdicts.  ``watched``: the point names
    the gate measured (a table's point elsewhere, or an exact count
    elsewhere, is not judged)."""
    head_points = head_run.points if head_run is not None else {}
    points = gated_points(table)
    if watched is not None:
        points = {n: v for n, v in points.items() if n in watched}
    exact = {name: (noise_table.LADDER[0], None) for name, p in base_run.points.items()
             if is_exact(name) and p.ok and (watched is None or name in watched)}
    points = {**exact, **{n: v for n, v in points.items() if n not in exact}}
    if table is None:
        note = (f"no noise table for machine {machine!r} ({table_name}): uncalibrated mode, "
                "no timed point is gated, the exact counts and vanished points are; changed "
                "verdicts are reported (`gilbench calibrate` on this machine measures the rest)")
        mode = UNCALIBRATED
    else:
        note = f"{table_name} ({table.pairs} A/A pairs, {table.created})"
        mode = CALIBRATED
    # A table's point BASE did not measure here (skipped on this machine) is
    # not judged.
    points = {n: v for n, v in points.items() if n in base_run.points and
              base_run.points[n].ok}
    out = Gate(base=base, head=head, machine=machine, table_note=note, mode=mode)
    out.gated = len(points)
    out.moved = compare(base_run.points, head_points, points, rounds)
    if verdicts and head_run is not None:
        vb, vh = claims.verdicts(base_run), claims.verdicts(head_run)
        out.verdicts = [(a.claim, a.status, b.status) for a, b in zip(vb, vh, strict=True)]
    return out


def _fmt(x) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x:.4g}"


def _moved_table(moved: list) -> list[str]:
    lines = ["| benchmark | base | head | ratio | noise floor | threshold | result |",
             "|---|---|---|---|---|---|---|"]
    for m in moved:
        exact = m.kind != NEW_FAILURE and (m.floor is None or m.floor == 1.0)
        floor = "exact" if exact else _fmt(m.floor)
        result = m.kind + (f": {m.why}" if m.why else "")
        lines.append(f"| `{m.name}` | {_fmt(m.base)} | {_fmt(m.head)} | {_fmt(m.ratio)} | "
                     f"{floor} | {_fmt(m.threshold)} | {result} |")
    return lines + [""]


def _nan_to_none(x):
    return None if isinstance(x, float) and not math.isfinite(x) else x


def as_dict(g: Gate) -> dict:
    """The gate's result as plain data (``gilbench gate --json FILE``)."""
    def moved(ms):
        return [{"name": m.name, "base": _nan_to_none(m.base), "head": _nan_to_none(m.head),
                 "ratio": _nan_to_none(m.ratio), "threshold": _nan_to_none(m.threshold),
                 "floor": _nan_to_none(m.floor), "kind": m.kind, "why": m.why} for m in ms]
    failing = {m.name for m in g.failures}
    return {"passed": g.passed, "base": g.base, "head": g.head, "machine": g.machine,
            "mode": g.mode, "table": g.table_note, "gated": g.gated, "seconds": round(g.seconds, 1),
            "first": moved(g.moved),
            "confirmation": None if g.confirmation is None else moved(g.confirmation),
            "failures": sorted(failing), "removed_modules": g.removed_modules,
            "runtime_changes": [{"item": d.item, "base": runtime.describe(d.item, d.base),
                                 "head": runtime.describe(d.item, d.head)}
                                for d in g.runtime_changes],
            "verdicts": [{"claim": c, "base": a, "head": b} for c, a, b in g.verdicts],
            "verdict_failures": [v[0] for v in g.verdict_failures], "notes": g.notes,
            "raw": str(RAW_DIR)}


def to_markdown(g: Gate) -> str:
    status = "passed" if g.passed else "FAILED"
    lines = [
        f"## gilbench gate: {status}",
        "",
        f"`{g.base[:8]}` (base) against `{g.head[:8]}` (head) on machine `{g.machine}`, "
        f"{g.mode} mode, {g.gated} gated points, BASE and HEAD in interleaved rounds, "
        f"{g.seconds / 60:.1f} min. Noise: {g.table_note}.",
        "",
    ]
    lines += [f"- {n}" for n in g.notes] + ([""] if g.notes else [])
    if g.removed_modules:
        lines += ["Benchmark modules removed at HEAD (fails): "
                  + ", ".join(f"`{m}`" for m in g.removed_modules), ""]
    if g.runtime_changes:
        lines += ["HEAD's package changes the runtime when it is imported (fails: every "
                  "benchmark of HEAD ran under it):", "", "| runtime item | base | head |",
                  "|---|---|---|"]
        lines += [f"| {d.item} | {runtime.describe(d.item, d.base)} | "
                  f"{runtime.describe(d.item, d.head)} |" for d in g.runtime_changes]
        lines.append("")
    if g.moved:
        lines += ["First measurement:", ""] + _moved_table(g.moved)
    else:
        lines += ["No gated point moved beyond its threshold.", ""]
    exact = g.exact_failures
    if g.confirmation is not None and exact:
        lines += [f"Exact counts that moved: {len(exact)}. They fail as measured (not "
                  "measured again): an exact count reads the same in every run, to a "
                  "small fraction of a percent.", ""]
    if g.confirmation is not None and g.to_confirm:
        if g.confirmation:
            lines += ["Confirmation (the failing timed benchmarks measured again, "
                      "interleaved):", ""] + _moved_table(g.confirmation)
        else:
            lines += ["Confirmation (the failing timed benchmarks measured again, "
                      "interleaved): none moved again; not a failure.", ""]
    if g.verdicts:
        lines += ["| claim | base | head |", "|---|---|---|"]
        failing = {v[0] for v in g.verdict_failures}
        for c, a, b in g.verdicts:
            if a == b:
                tag = ""
            elif c in failing:
                tag = " (changed)"
            elif g.mode != CALIBRATED:
                tag = " (changed; reported: verdicts are not validated on an uncalibrated " \
                      "runner)"
            else:
                tag = " (within the rule's noise band)"
            lines.append(f"| {c} | {a} | {b}{tag} |")
        lines.append("")
    return "\n".join(lines)
