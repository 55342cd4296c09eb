"""How the gate measures: its protocol, apart from its rule
(:mod:`gilbench.gate`) so that the gate, its calibration
(:mod:`gilbench.gate_calibration`) and the experiments measure alike.

* **Settings.**  :func:`asv_settings` for the times and in-process values
  (:data:`GATE_ROUNDS` interleaved rounds of :data:`GATE_REPEAT` samples,
  :data:`GATE_LAUNCH`), :func:`suite_settings` for the exact counts and the
  verdicts' benchmarks, :data:`RECORD_SETTINGS` for the runtime record.
* **What it can watch.**  :func:`candidates`: every exact count
  (:data:`EXACT`), the ``time_`` points and the in-process values of
  :data:`GATE_RATIOS` at their largest size, at 1 thread and the usable
  CPUs; :func:`gated_points`: what a gate table gives a threshold;
  :func:`watched_timed`: which timed points a gate measures within
  :data:`GATE_TIMED_BUDGET`.
* **Running it.**  :func:`measure` (both asv runs), :func:`record` (the
  runtime record), :func:`keep_raw` (a copy of the results judged).
"""

from __future__ import annotations

import ast
import itertools
import re
from pathlib import Path

from gilbench import _asv, noise_table, plan
from gilbench.harness.threads import usable_cpus

__all__ = ["GATE_ROUNDS", "GATE_REPEAT", "GATE_LAUNCH", "EXACT_KIND", "TIME_KIND",
           "RATIO_KIND", "asv_settings", "suite_settings", "RECORD_SETTINGS", "record",
           "measure", "EXACT", "is_exact", "FEWER_IS_BETTER", "GATE_GAINS", "GATE_COSTS",
           "GATE_RATIOS", "COSTS", "TABLE",
           "candidates", "GATE_TIMED_BUDGET", "watched_timed", "point_regex", "gated_points",
           "class_of", "benchmark_regex", "RAW_DIR", "keep_raw", "benchmark_filter", "select",
           "no_match"]


#: asv rounds per commit of every time and in-process track value the gate
#: watches, alternating between BASE and HEAD (asv's ``--interleave-rounds``,
#: each round a fresh process per point): the unit of the gate's test
#: (:func:`gilbench.significance.rounds_differ`), since samples within one
#: round are not independent.  Four a side let Welch's test on the round
#: medians decide; the exact counts run once (:func:`suite_settings`).
GATE_ROUNDS = 4
#: Samples per time point, commit and round: 4 x 2 = 8 a side, as before
#: the unit changed, so a gate costs about what it did in samples.
GATE_REPEAT = 2


#: What a watched point is: an exact count, a raw time, a value timed in
#: one process (a ratio of two kernels timed alternately, a cost per call).
EXACT_KIND, TIME_KIND, RATIO_KIND = "exact", "time", "ratio"

#: How asv starts each of the gate's benchmark processes: a fresh
#: interpreter, the protocol its calibration (noise/gate/) and its fresh A/A
#: runs were measured with.  The main suite forks them from a server
#: (asv.conf.json, docs/main-job.md); the gate keeps the launch its
#: thresholds stand on until it is calibrated again on the other.
GATE_LAUNCH = ["--launch-method", "spawn"]


def asv_settings() -> list[str]:
    """asv run arguments for the gate's times and in-process values (also
    used by its calibration and experiments, so that they measure as it
    does): :data:`GATE_ROUNDS` interleaved rounds of :data:`GATE_REPEAT`
    samples, samples recorded, :data:`GATE_LAUNCH`."""
    return ["--interleave-rounds", "--record-samples", "-a", f"repeat={GATE_REPEAT}",
            "-a", f"rounds={GATE_ROUNDS}", *GATE_LAUNCH]


def suite_settings() -> list[str]:
    """asv run arguments for the exact counts and the verdicts' benchmarks:
    the suite's own rounds and repeats (a count runs once: a second round
    would count the same instructions again, for minutes), interleaved,
    :data:`GATE_LAUNCH`."""
    return ["--interleave-rounds", "--record-samples", *GATE_LAUNCH]


#: The runtime record (bench_runtime): not timed, so it runs under the
#: launch method that costs least (one server per environment imports the
#: suite and the package, each item a fork of it).
RECORD_SETTINGS = ["--launch-method", "forkserver", "-b", r"^bench_runtime\."]


def record(repo, shas: list, *, asv_args=(), machine: str | None = None) -> None:
    """Take the runtime record of ``shas`` (:mod:`gilbench.harness.runtime`)."""
    _asv.run_commits(repo, shas, *RECORD_SETTINGS, *asv_args, machine=machine)



def measure(repo, shas: list, kinds: dict, *, extra_regex: str = "", asv_args=(),
            machine: str | None = None) -> None:
    """Run asv on ``shas`` over the points ``kinds`` ({name: kind}) the way
    the gate measures: the exact counts (and the benchmarks ``extra_regex``
    selects) with :func:`suite_settings`, then the times and in-process
    values with :func:`asv_settings`; both into one result file per commit.
    ``asv_args`` go to both runs (``--config``, ...)."""
    exact = [n for n, k in kinds.items() if k == EXACT_KIND]
    timed = [n for n, k in kinds.items() if k != EXACT_KIND]
    first = "|".join(filter(None, [point_regex(exact), extra_regex]))
    if first:
        _asv.run_commits(repo, shas, *suite_settings(), "-b", first, *asv_args,
                         machine=machine)
    if timed:
        _asv.run_commits(repo, shas, *asv_settings(), "-b", point_regex(timed), *asv_args,
                         machine=machine)


#: Benchmarks whose values are exact -- instruction counts, and the
#: structure counts of parallel code (regions, team members, GIL
#: transitions) -- gated at the lowest rung of the noise ladder even without
#: a calibration.
EXACT = re.compile(r"\.Track\w+(?:Instructions|Structure)\.")


def is_exact(name: str) -> bool:
    """Whether the point ``name`` (asv's name, with or without parameters)
    is an exact count (:data:`EXACT`): the one test, wherever it is asked."""
    return EXACT.search(name) is not None
#: Exact counts for which fewer is better (instructions); a structure count
#: that moves either way fails (a team of 1 where there were 2 is no gain).
FEWER_IS_BETTER = re.compile(r"\.Track\w+Instructions\.")

#: The values timed in one process that the gate may watch (each measured
#: anew in every round, in the benchmark itself): C6's speed-up of the scan
#: over the sequential loop and C8's gain of one parallel section over
#: separate pranges (ratios of two kernels timed alternately), and C7's cost
#: of a back-to-back parallel region at 1 thread and the usable CPUs (what a
#: sleeping team, ``OMP_WAIT_POLICY=PASSIVE``, multiplies).  (The ratio
#: tables made in a ``setup_cache``, such as C1's, cost half a minute a round
#: for the whole table.)
GATE_GAINS = ("TrackC6ScanSpeedup", "TrackC8NormalizeGain")
#: Of those, the costs: only a rise fails, as for a time.
GATE_COSTS = ("TrackC7RegionOverhead",)
GATE_RATIOS = GATE_GAINS + GATE_COSTS
#: The points of :data:`GATE_COSTS`, by asv's name.
COSTS = re.compile(r"\.(?:" + "|".join(map(re.escape, GATE_COSTS)) + r")\.")

#: Where the gate's noise table lives in the repository, per machine.
TABLE = "{noise}/gate/{machine}.json"


def candidates(repo, cpus: int | None = None, *, threads: dict | None = None) -> dict:
    """{point name: kind} of everything the gate can watch on a machine of
    ``cpus`` usable CPUs (default: this one), from the suite of ``repo`` as
    asv discovers it (:func:`gilbench.plan.discover`):

    * ``exact``: every exact count (:data:`EXACT`: instructions, and the
      structure counts of parallel code);
    * ``time``: the ``time_`` points, and ``ratio``: the interleaved ratios
      of :data:`GATE_RATIOS`, each at its largest problem size (``n``) and at
      1 thread and at the usable CPUs, all values of its other parameters;
      never a point that is erratic by nature (oversubscribed, ...).

    The calibration measures all of them; the gate measures the exact counts
    and what the calibration found steady (a few minutes a side here, where
    the whole suite takes a quarter of an hour)."""
    cpus = usable_cpus() if cpus is None else cpus
    out = {}
    for b in plan.discover(repo, cpus):
        method = b["benchmark"].rsplit(".", 1)[1]
        if is_exact(b["benchmark"]):
            kind = EXACT_KIND
        elif method.startswith("time_"):
            kind = TIME_KIND
        elif b["class"] in GATE_RATIOS:
            kind = RATIO_KIND
        else:
            continue
        names, axes = b["param_names"], b["param_reprs"]
        keep = []
        for pname, axis in zip(names, axes, strict=False):
            if kind == EXACT_KIND:
                keep.append(axis)
            elif pname == "n":
                keep.append([max(axis, key=ast.literal_eval)])
            elif pname in noise_table.THREAD_PARAMS:
                keep.append([v for v in axis if ast.literal_eval(v) in (1, cpus)])
            else:
                keep.append(axis)
        for combo in itertools.product(*keep):
            name = f"{b['benchmark']}({', '.join(combo)})" if axes else b["benchmark"]
            params = {k: ast.literal_eval(v) for k, v in zip(names, combo, strict=False)}
            if kind != EXACT_KIND and noise_table.erratic_reason(name, params, cpus):
                continue
            out[name] = kind
            if threads is not None:
                threads[name] = max((int(v) for k, v in params.items()
                                     if k in noise_table.THREAD_PARAMS), default=1)
    return out


#: The timed points a gate measures at most: sized from the gate
#: calibration's wall time per pair on ``vm`` (noise/gate/vm.json's loads;
#: the fresh A/A runs' wall times in docs/gate.md) so that a whole gate
#: (environment, builds, counts, confirmation) stays well within 15 minutes
#: there.
GATE_TIMED_BUDGET = 48


def watched_timed(table: noise_table.Table | None, threads: dict,
                  budget: int = GATE_TIMED_BUDGET) -> set:
    """The timed points a gate measures: of the ``time_`` points ``table``
    gives a threshold, first the tightest of each benchmark at 1 thread and
    the tightest at more threads (so that every benchmark the table gates is
    watched at both, where it has both), then the rest by threshold, tightest
    first, up to ``budget`` points.  ``threads``: {name: threads}
    (:func:`candidates`).

    Not the values timed in one process (``ratio`` kind): asv keeps one
    value of a ``track_`` point per run, its last round, so the gate's test
    on rounds cannot be made on them, and two calibration pairs of single
    values understate their spread (the A/A run ``noise/gate-aa/vm/run2``
    failed identical builds on C7's region cost: the gate-aa figure in
    docs/gate.md).  The calibration still measures them, and the nightly
    graphs them."""
    rows = sorted((threshold, name) for name, (threshold, _) in gated_points(table).items()
                  if not is_exact(name)
                  and (table.rows[name].kind or TIME_KIND) == TIME_KIND)
    chosen, seen = [], set()
    for _, name in rows:
        cell = (class_of(name), threads.get(name, 1) > 1)
        if cell not in seen:
            seen.add(cell)
            chosen.append(name)
    for _, name in rows:
        if name not in chosen:
            chosen.append(name)
    return set(chosen[:budget])


def point_regex(names) -> str:
    """An asv ``-b`` regex that selects exactly these points (asv matches
    ``name(params)`` of each parameter combination)."""
    return "|".join(f"^{re.escape(n)}$" for n in sorted(names))



def gated_points(table: noise_table.Table | None) -> dict:
    """{point name: (threshold, range)} of the points to gate: the stable and
    gated points of the noise table; without one, none (the caller adds the
    exact counts)."""
    return table.gated() if table is not None else {}



def class_of(name: str) -> str:
    return name.split("(")[0].rsplit(".", 1)[0].split(".", 1)[-1]


def benchmark_regex(names, extra: tuple = ()) -> str:
    classes = sorted({class_of(n) for n in names} | set(extra))
    return "|".join(re.escape(c) + r"\b" for c in classes)



#: Where a gate keeps the raw asv results it judged, under the checkout:
#: ``first/`` (the first measurement) and ``confirmation/`` (the failing
#: points measured again), each a results directory of its own, since the
#: confirmation's asv run overwrites those points in asv's result files.
RAW_DIR = Path(".asv") / "gate-raw"


def keep_raw(results_dir, machine: str, shas: list, dest) -> Path:
    """Copy the result files of ``shas`` on ``machine`` (with
    ``benchmarks.json`` and ``machine.json``) from ``results_dir`` into the
    results directory ``dest``, which :func:`gilbench.results.load_commit`
    reads as it reads asv's (:func:`gilbench.noise_table.copy_raw`)."""
    return noise_table.copy_raw(results_dir, dest, machine, shas)


def benchmark_filter(only: str | None):
    """``only`` (a regex on benchmark class names: ``--only``) compiled, or
    None; ValueError in one line when it is not a regular expression."""
    if only is None:
        return None
    try:
        return re.compile(only)
    except re.error as exc:
        raise ValueError(f"the benchmark filter {only!r} is not a regular expression: "
                         f"{exc}") from None


def select(kinds: dict, only: str | None) -> dict:
    """The points of ``kinds`` ({name: kind}) whose benchmark class ``only``
    matches (all without one); ValueError when it matches none."""
    pattern = benchmark_filter(only)
    if pattern is None:
        return kinds
    chosen = {n: k for n, k in kinds.items() if pattern.search(class_of(n))}
    if not chosen:
        raise ValueError(no_match(only))
    return chosen


def no_match(only: str) -> str:
    return f"the benchmark filter {only!r} matches none of the gate's benchmarks"
