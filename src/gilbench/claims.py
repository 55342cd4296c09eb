"""The nine claims as data (and C5b: C5 on Cython 3.3): statement, the asv
results each reads, and the rule that turns them into a verdict for one
machine.

A verdict is ``holds``, ``fails``, ``inconclusive`` (the evidence lies between
the two bands, or its parts disagree) or ``not measured`` (the results are
missing, skipped or failed, or the machine cannot show the effect: several
claims need two CPUs).  Every rule returns the numbers and thresholds it used,
so a reader can check the verdict by hand.

The thresholds leave a gap between "holds" and "fails": a value in the gap is
"inconclusive", never a coin toss between the other two.  The gaps are set by
hand, with the spread of each deciding value over the calibration runs of
``noise/vm.json`` in view (``docs/noise.md``); a value that lands in a gap on
one run and out of it on the next is exactly what "inconclusive" is for.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from gilbench.harness.release_numbers import sort_key
from gilbench.harness.threads import over_limit
from gilbench.results import Run

__all__ = ["CLAIMS", "Claim", "Verdict", "HOLDS", "FAILS", "INCONCLUSIVE", "NOT_MEASURED",
           "NO_GIL", "verdicts"]

HOLDS, FAILS, INCONCLUSIVE, NOT_MEASURED = "holds", "fails", "inconclusive", "not measured"
#: The verdict of a claim whose premise is the GIL, on a run without one (a
#: free-threaded CPython whose GIL stayed off): its values are measured and
#: shown, and it is neither held nor failed.
NO_GIL = "no GIL on this build"


@dataclass
class Verdict:
    """A claim's verdict on one machine, with the evidence behind it."""

    claim: str
    status: str
    summary: str
    evidence: dict = field(default_factory=dict)    # label -> number
    thresholds: dict = field(default_factory=dict)  # name -> number
    notes: list = field(default_factory=list)
    basis: str = ""                                 # the points and runs it stands on

    def as_dict(self) -> dict:
        return {"claim": self.claim, "status": self.status, "summary": self.summary,
                "evidence": self.evidence, "thresholds": self.thresholds, "notes": self.notes,
                "basis": self.basis}


@dataclass(frozen=True)
class Claim:
    id: str
    title: str
    statement: str
    reads: tuple      # asv benchmark names (class.method) the rule reads
    rule: object      # Run -> Verdict
    without_gil: str = ""     # what the rule means on a free-threaded build (expectation)
    needs_gil: bool = False   # its premise is the GIL: NO_GIL on a run without one


# --- helpers -------------------------------------------------------------------

def _values(run: Run, bench: str, **grid) -> tuple[list[float], list[str]]:
    """Values of ``bench`` over the cartesian product of ``grid`` (lists of
    parameter values); returns (values found, reasons for those missing)."""
    import itertools

    names = list(grid)
    found, missing = [], []
    for combo in itertools.product(*(grid[n] for n in names)):
        point = run.point(bench, **dict(zip(names, combo, strict=True)))
        if point.ok:
            found.append(point.value)
        else:
            missing.append(f"{bench}{dict(zip(names, combo, strict=True))}: {point.reason}")
    return found, missing


class _Asked:
    """A run as a rule reads it: every point the rule asks for and the run
    does not have (absent, skipped, failed) is written down, so that
    :func:`verdicts` can tell a verdict that stood on all it needed from one
    that stood on part of it.  ``shown`` is the run itself, for the values a
    rule shows but does not decide by."""

    def __init__(self, run: Run):
        self.shown = run
        self.lacking: list[str] = []

    def __getattr__(self, name):
        return getattr(self.shown, name)

    def point(self, benchmark: str, **params):
        p = self.shown.point(benchmark, **params)
        if not p.ok:
            self.lacking.append(f"{benchmark}{params}: {p.reason}")
        return p


def _shown(run):
    """The run, read for a value that is shown and does not decide."""
    return getattr(run, "shown", run)


def _band(value: float, holds, fails) -> str:
    """holds / fails / inconclusive: ``holds(value)`` and ``fails(value)`` are
    the two bands; a value in neither is inconclusive."""
    if holds(value):
        return HOLDS
    if fails(value):
        return FAILS
    return INCONCLUSIVE


def _combine(parts: list[str]) -> str:
    """A claim of several parts: fails if a part fails, holds if every part
    that could be measured holds, inconclusive otherwise."""
    measured = [p for p in parts if p != NOT_MEASURED]
    if not measured:
        return NOT_MEASURED
    if FAILS in measured:
        return FAILS
    if all(p == HOLDS for p in measured):
        return HOLDS
    return INCONCLUSIVE


def _not_measured(claim: str, missing: list[str], why: str = "") -> Verdict:
    summary = why or "no results to judge by"
    return Verdict(claim, NOT_MEASURED, summary, notes=missing[:6])


#: Why a parallel half is not judged when the run's CPU count is unknown.
UNKNOWN_CPUS = ("the usable CPU count is unknown: the run did not record "
                "bench_machine.TrackMachine and asv's machine.json has no num_cpu")


def _two_or_more(run: Run) -> int | None:
    """The thread count at which a parallel effect is judged: the usable CPUs
    when there are 2 or more, else None (one CPU cannot show it)."""
    return run.cpus if run.cpus and run.cpus >= 2 else None


# --- the benchmarks the rules read --------------------------------------------

# asv's ``Class.method`` of every benchmark a rule reads, named once: the
# rules, CLAIMS' ``reads`` and the report's plots use these names.
C1_RATIO = "TrackC1RatioToGILHeld.track_c1_ratio"
C2_RATIO = "TrackC2RatioToPythonNumpy.track_c2_ratio"
C3_HEARTBEAT_GAP = "TrackC3HeartbeatGap.track_c3_worst_gap"
C3_SCALING = "TrackC3ThreadScaling.track_c3_scaling"
C4_COST_PER_RELEASE = "TrackC4CostPerRelease.track_c4_ns_per_release"
C4_FLAG_SEEN = "TrackC4FlagSeen.track_c4_flag_seen"
C4_SLOWDOWN = "TrackC4Slowdown.track_c4_slowdown"
C5_COST_PER_ACQUISITION = "TrackC5CostPerAcquisition.track_c5_ns_per_acquisition"
C5_EFFICIENCY = "TrackC5Efficiency.track_c5_efficiency"
C5B_KEPT_GAIN = "TrackC5KeptGilGain.track_c5_kept_gain"
C5B_PYTHON_EFFICIENCY = "TrackC5PythonEfficiency.track_c5_python_efficiency"
C5B_NS_PER_ITERATION = "TrackC5PythonPerIteration.track_c5_ns_per_iteration"
C5B_SECTION_ACQUISITION = "TrackC5SectionAcquisition.track_c5_section_acquisition_ns"
C6_NAIVE_ERROR = "TrackC6NaiveError.track_c6_naive_error"
C6_SCAN_SPEEDUP = "TrackC6ScanSpeedup.track_c6_scan_speedup"
C7_CROSSOVER = "TrackC7Crossover.track_c7_crossover"
C7_PRANGE_RATIO = "TrackC7PrangeOverSequential.track_c7_prange_ratio"
C7_REGION_US = "TrackC7RegionOverhead.track_c7_region_us"
C8_NORMALIZE_GAIN = "TrackC8NormalizeGain.track_c8_normalize_gain"
C8_PIPELINE_GAIN = "TrackC8PipelineGain.track_c8_pipeline_gain"
C9_SLOWDOWN = "TrackC9Slowdown.track_c9_slowdown"
C1_STRUCTURE = "TrackC1Structure.track_c1_structure"
C2_STRUCTURE = "TrackC2Structure.track_c2_structure"
C3_STRUCTURE = "TrackC3Structure.track_c3_structure"
C4_STRUCTURE = "TrackC4Structure.track_c4_structure"
C5_STRUCTURE = "TrackC5Structure.track_c5_structure"
C6_STRUCTURE = "TrackC6Structure.track_c6_structure"
C7_STRUCTURE = "TrackC7Structure.track_c7_structure"
C8_STRUCTURE = "TrackC8Structure.track_c8_structure"
C9_STRUCTURE = "TrackC9Structure.track_c9_structure"


# --- C1 ------------------------------------------------------------------------

#: "Same speed": the nogil and noexcept variants within this factor of the
#: GIL-held loop (median over kernels and sizes 1e3..1e6) ...
C1_SAME = 1.15
#: ... and "not the same" beyond this factor.
C1_DIFFERENT = 1.5
#: Re-acquiring the GIL per element ("void ... except *") costs at least
#: this many times the GIL-held loop to count as a cost, and below
#: C1_NO_COST it does not cost.
C1_COSTLY, C1_NO_COST = 3.0, 1.5


def rule_c1(run: Run) -> Verdict:
    """Holding the GIL costs nothing: the nogil and noexcept variants run at
    the GIL-held loop's speed (within 15%; beyond 50% it fails).  Taking the
    GIL back after every call costs: the ``except *`` variant is 3x or more
    (below 1.5x it fails).  Sizes 1e3..1e6 only: at 1e7 a call is memory-bound
    and few rounds fit, so its ratio wanders more between runs (its spread
    over the calibration runs: noise/vm.md, TrackC1RatioToGILHeld)."""
    bench = C1_RATIO
    sizes = [n for n in run.axis(bench, "n") if n <= 10**6]
    same, miss1 = _values(run, bench, kernel=["sumsq", "poly"], variant=["nogil", "noexcept"],
                          n=sizes)
    cost, miss2 = _values(run, bench, kernel=["sumsq", "poly"], variant=["except"], n=sizes)
    if not same or not cost:
        return _not_measured("C1", miss1 + miss2)
    same_m, cost_m = statistics.median(same), statistics.median(cost)
    dev = max(same_m, 1 / same_m)
    parts = [_band(dev, lambda v: v <= C1_SAME, lambda v: v > C1_DIFFERENT),
             _band(cost_m, lambda v: v >= C1_COSTLY, lambda v: v < C1_NO_COST)]
    return Verdict(
        "C1", _combine(parts),
        f"nogil/noexcept loops run at {same_m:.2f}x the GIL-held loop; taking the GIL back "
        f"after every call costs {cost_m:.1f}x",
        evidence={"nogil and noexcept / GIL held (median)": same_m,
                  "void except * / GIL held (median)": cost_m,
                  "points": len(same) + len(cost)},
        thresholds={"same speed within": C1_SAME, "different beyond": C1_DIFFERENT,
                    "re-acquire costs from": C1_COSTLY, "no cost below": C1_NO_COST},
        notes=miss1 + miss2)


# --- C2 ------------------------------------------------------------------------

#: numpy.dot called from Cython with the GIL within this factor of the same
#: call from Python (median over sizes) holds; beyond C2_DIFFERENT it fails.
C2_SAME, C2_DIFFERENT = 1.2, 1.5


def rule_c2(run: Run) -> Verdict:
    """Calling NumPy from Cython with the GIL held is as fast as calling it
    from Python: within 20% (median over sizes) holds, beyond 50% fails."""
    bench = C2_RATIO
    sizes = run.axis(bench, "n")
    vals, miss = _values(run, bench, way=["cython_numpy_with_gil"], n=sizes)
    loop, _ = _values(_shown(run), bench, way=["cython_loop_nogil"], n=sizes)
    if not vals:
        return _not_measured("C2", miss)
    m = statistics.median(vals)
    dev = max(m, 1 / m)
    evidence = {"Cython calling numpy.dot / numpy.dot from Python (median)": m}
    if loop:
        evidence["hand-written nogil loop / numpy.dot (median)"] = statistics.median(loop)
    return Verdict("C2", _band(dev, lambda v: v <= C2_SAME, lambda v: v > C2_DIFFERENT),
                   f"numpy.dot called from Cython with the GIL takes {m:.2f}x the call from "
                   "Python", evidence=evidence,
                   thresholds={"same within": C2_SAME, "different beyond": C2_DIFFERENT},
                   notes=miss)


# --- C3 ------------------------------------------------------------------------

#: Throughput: released, K=2 threads do at least this much more work than one
#: (and held, at most C3_HELD_FLAT); released below C3_NO_SCALING fails.
C3_SCALES, C3_HELD_FLAT, C3_NO_SCALING = 1.3, 1.15, 1.1
#: Latency: with the GIL held, the heartbeat's worst gap is at least this
#: fraction of the kernel call; released, at most C3_FREE of it.
C3_BLOCKED, C3_FREE = 0.5, 0.2


def rule_c3(run: Run) -> Verdict:
    """Releasing the GIL lets other Python threads run.  Latency (any machine):
    while a long call holds the GIL, a 1 ms heartbeat thread waits at least
    half the call; released, at most a fifth.  Throughput (2+ CPUs only): two
    threads calling the released kernel do 1.3x the work of one or more (held:
    at most 1.15x); released below 1.1x fails."""
    gap = C3_HEARTBEAT_GAP
    durations = run.axis(gap, "kernel_ms")
    parts, evidence, notes = [], {}, []
    if durations:
        ms = max(durations)
        held, released = run.point(gap, gil="gil", kernel_ms=ms), run.point(
            gap, gil="nogil", kernel_ms=ms)
        if held.ok and released.ok:
            evidence[f"worst heartbeat gap, {ms} ms call, GIL held (ms)"] = held.value
            evidence[f"worst heartbeat gap, {ms} ms call, released (ms)"] = released.value
            ok = held.value >= C3_BLOCKED * ms and released.value <= C3_FREE * ms
            bad = held.value < C3_FREE * ms or released.value >= C3_BLOCKED * ms
            parts.append(HOLDS if ok else FAILS if bad else INCONCLUSIVE)
        else:
            notes += [held.reason or "", released.reason or ""]
    scaling = C3_SCALING
    if _two_or_more(run):
        held, released = run.point(scaling, gil="gil", python_threads=2), run.point(
            scaling, gil="nogil", python_threads=2)
        if held.ok and released.ok:
            evidence["work rate of 2 threads / 1, released"] = released.value
            evidence["work rate of 2 threads / 1, GIL held"] = held.value
            ok = released.value >= C3_SCALES and held.value <= C3_HELD_FLAT
            parts.append(HOLDS if ok else FAILS if released.value < C3_NO_SCALING
                         else INCONCLUSIVE)
        else:
            notes += [held.reason or "", released.reason or ""]
    else:
        notes.append("throughput half not shown: one CPU cannot run two threads at once")
    if not parts:
        return _not_measured("C3", notes)
    status = _combine(parts)
    summary = "; ".join(f"{k}: {v:.2f}" for k, v in evidence.items())
    return Verdict("C3", status, summary, evidence=evidence,
                   thresholds={"released scales from": C3_SCALES, "held flat up to": C3_HELD_FLAT,
                               "no scaling below": C3_NO_SCALING,
                               "held gap at least (x call)": C3_BLOCKED,
                               "released gap at most (x call)": C3_FREE},
                   notes=[n for n in notes if n])


# --- C4 ------------------------------------------------------------------------

#: A release interval "lets the setter in" when the flag was seen in at least
#: this fraction of the tries.
C4_SEEN = 0.8


def rule_c4(run: Run) -> Verdict:
    """Cython never drops the GIL on its own: a poller that never releases it
    never sees the flag a Python thread sets (fraction 0; above 0 fails).  A
    brief ``with nogil: pass`` lets the setter in: some release interval sees
    it in at least 80% of the tries (none: fails)."""
    bench = C4_FLAG_SEEN
    intervals = run.axis(bench, "release_every")
    never = run.point(bench, release_every=0)
    some, miss = _values(run, bench, release_every=[k for k in intervals if k])
    if not never.ok or not some:
        return _not_measured("C4", miss + ([never.reason] if never.reason else []))
    best = max(some)
    parts = [HOLDS if never.value == 0 else FAILS,
             HOLDS if best >= C4_SEEN else FAILS if best == 0 else INCONCLUSIVE]
    evidence = {"flag seen, never releasing (fraction)": never.value,
                "flag seen, best release interval (fraction)": best}
    cost = run.point(C4_COST_PER_RELEASE)
    if cost.ok:
        evidence["cost of one brief release (ns)"] = cost.value
    return Verdict("C4", _combine(parts),
                   f"never releasing, the flag was seen in {never.value:.0%} of tries; with "
                   f"brief releases in up to {best:.0%}", evidence=evidence,
                   thresholds={"seen means at least": C4_SEEN}, notes=miss)


# --- C5 ------------------------------------------------------------------------

#: One ``with gil`` entry from nogil code costs at least this many ns to count
#: as a cost (below C5_FREE_NS it is free).
C5_COST_NS, C5_FREE_NS = 10.0, 2.0
#: Serialisation (2+ CPUs): parallel efficiency with a block entered per
#: element, relative to the plain loop, at most this (at least C5_NOT_SERIAL
#: fails).
C5_SERIAL, C5_NOT_SERIAL = 0.6, 0.9


def rule_c5(run: Run) -> Verdict:
    """``with gil`` inside prange costs and serialises.  Cost (any machine):
    one entry on one thread costs 10 ns or more (under 2 ns fails).
    Serialisation (2+ CPUs): entering the block once per element keeps at
    most 60% of the plain prange's parallel efficiency (90% or more fails)."""
    cost = run.point(C5_COST_PER_ACQUISITION, threads=1)
    parts, evidence, notes = [], {}, []
    if cost.ok:
        evidence["cost per with-gil entry, 1 thread (ns)"] = cost.value
        parts.append(_band(cost.value, lambda v: v >= C5_COST_NS, lambda v: v < C5_FREE_NS))
    else:
        notes.append(cost.reason)
    nt = _two_or_more(run)
    if nt:
        eff = C5_EFFICIENCY
        plain, entered = run.point(eff, block="plain", every=1, threads=nt), run.point(
            eff, block="empty", every=1, threads=nt)
        if plain.ok and entered.ok and plain.value > 0:
            rel = entered.value / plain.value
            evidence[f"parallel efficiency at {nt} threads, plain"] = plain.value
            evidence[f"parallel efficiency at {nt} threads, with gil per element"] = entered.value
            evidence["relative efficiency"] = rel
            parts.append(_band(rel, lambda v: v <= C5_SERIAL, lambda v: v >= C5_NOT_SERIAL))
        else:
            notes += [plain.reason or "", entered.reason or ""]
    else:
        notes.append("serialisation half not shown: one CPU runs one thread at a time anyway")
    if not parts:
        return _not_measured("C5", notes)
    summary = "; ".join(f"{k}: {v:.2f}" for k, v in evidence.items())
    return Verdict("C5", _combine(parts), summary, evidence=evidence,
                   thresholds={"costs from (ns)": C5_COST_NS, "free below (ns)": C5_FREE_NS,
                               "serialised at relative efficiency up to": C5_SERIAL,
                               "not serialised from": C5_NOT_SERIAL},
                   notes=[n for n in notes if n])


# --- C5b: Cython 3.3's prange that keeps the GIL ---------------------------------

#: Keeping the GIL in the prange is cheaper than taking it back per iteration
#: when the nogil prange with ``with gil`` takes at least this many times as
#: long (at most C5B_NO_GAIN: no cheaper).
C5B_GAIN, C5B_NO_GAIN = 1.5, 1.1
#: The release from which Cython compiles a prange that keeps the GIL.
C5B_SINCE = (3, 3)
#: Without a GIL (free-threaded build, GIL off): the kept-GIL prange runs in
#: parallel when its parallel efficiency at the usable CPUs is at least
#: C5B_PARALLEL; it is no better than serial at C5B_SERIAL_SLACK / threads
#: or less (serial is 1 / threads).
C5B_PARALLEL, C5B_SERIAL_SLACK = 0.7, 1.1


def rule_c5b(run: Run) -> Verdict:
    """Python work in every iteration of a parallel loop: a prange that keeps
    the GIL (Cython 3.3's ``prange(nogil=False)``) is cheaper than a nogil
    prange that takes the GIL back each iteration.  Holds when the ``with
    gil`` prange takes 1.5 times as long or more (interleaved, one process)
    at 1 thread and, on 2+ CPUs, at the usable CPUs; 1.1 times or less fails.
    Without a GIL (a free-threaded build, GIL off) the kept-GIL prange's
    threads can run at once, so its parallel efficiency at the usable CPUs is
    judged too: 70% or more holds, 1.1 / threads or less (serial) fails.  Not
    measured where the kernels were built with a Cython older than 3.3.
    Shown, not judged: ns per iteration, each way's parallel efficiency, and
    what one acquisition at the top of a released section costs."""
    release = run.cython
    shown = _shown(run)
    evidence, notes = {}, []
    nt = _two_or_more(run)
    counts = [1] + ([nt] if nt else [])
    old = release is not None and sort_key(release)[1][:2] < C5B_SINCE
    # Shown on every release (what an older Cython builds is measured too).
    for c in counts:
        p = shown.point(C5B_SECTION_ACQUISITION, threads=c)
        if p.ok:
            evidence[f"one acquisition at a section's top, {c} thread(s) (ns)"] = p.value
        for way in shown.axis(C5B_NS_PER_ITERATION, "way"):
            p = shown.point(C5B_NS_PER_ITERATION, way=way,
                            threads=c)
            if p.ok:
                evidence[f"{way}: extra ns per iteration, {c} thread(s)"] = p.value
    if nt:
        for way in shown.axis(C5B_PYTHON_EFFICIENCY, "way"):
            p = shown.point(C5B_PYTHON_EFFICIENCY, way=way,
                            threads=nt)
            if p.ok:
                evidence[f"{way}: parallel efficiency at {nt} threads"] = p.value
    if old:
        return Verdict("C5b", NOT_MEASURED,
                       f"not measured: built with Cython {release}; a prange that keeps the "
                       f"GIL needs Cython {'.'.join(map(str, C5B_SINCE))} or newer",
                       evidence=evidence,
                       notes=["measure with GILBENCH_CYTHON listing a 3.3 release "
                              "to compare (README)"])
    parts = []
    for c in counts:
        gain = run.point(C5B_KEPT_GAIN, threads=c)
        if gain.ok:
            evidence[f"with-gil prange / kept-GIL prange, {c} thread(s)"] = gain.value
            parts.append(_band(gain.value, lambda v: v >= C5B_GAIN, lambda v: v <= C5B_NO_GAIN))
        else:
            notes.append(gain.reason)
    if nt and run.without_gil:
        # Without a GIL the kept-GIL prange's threads can run at once: its
        # parallel efficiency is judged (on a GIL build it is only shown).
        eff = run.point(C5B_PYTHON_EFFICIENCY, way="kept", threads=nt)
        if eff.ok:
            serial = C5B_SERIAL_SLACK / nt
            evidence[f"kept: parallel efficiency at {nt} threads, judged"] = eff.value
            parts.append(_band(eff.value, lambda v: v >= C5B_PARALLEL,
                               lambda v: v <= serial))
        else:
            notes.append(eff.reason)
    elif nt:
        notes.append("the kept-GIL prange's parallel efficiency is shown, not judged: with a "
                     "GIL its threads take turns (judged on a free-threaded build)")
    if not nt:
        notes.append("judged at 1 thread only: one CPU runs one thread at a time anyway")
    if not parts:
        return _not_measured("C5b", [n for n in notes if n],
                             "no kept-GIL results to judge by" + (
                                 "" if release else " (the run recorded no Cython release)"))
    gains = [(k.rsplit(", ", 1)[1], v) for k, v in evidence.items()
             if k.startswith("with-gil prange / kept-GIL prange")]
    summary = ("a nogil prange taking the GIL back every iteration takes "
               + ", ".join(f"{v:.3g}x at {where}" for where, v in gains)
               + " the time of a prange that keeps it")
    thresholds = {"cheaper from (ratio)": C5B_GAIN, "no cheaper up to (ratio)": C5B_NO_GAIN}
    if nt and run.without_gil:
        thresholds.update({"kept-GIL prange parallel from (efficiency)": C5B_PARALLEL,
                           "serial up to (efficiency)": round(C5B_SERIAL_SLACK / nt, 3)})
    return Verdict("C5b", _combine(parts), summary, evidence=evidence,
                   thresholds=thresholds,
                   notes=[n for n in notes if n])


# --- C6 ------------------------------------------------------------------------

#: The naive prange cumulative sum is "wrong" when its worst error exceeds
#: this (the values are sums of standard normals: round-off is ~1e-12).
C6_WRONG = 1e-6


def rule_c6(run: Run) -> Verdict:
    """Loop-carried algorithms give wrong answers in prange: on one thread the
    naive prange is exact; from 2 threads its worst error (of 5 runs) exceeds
    1e-6.  On a 1-CPU machine the race may never show (threads then rarely
    run at once): no error there is inconclusive, not a failure."""
    bench = C6_NAIVE_ERROR
    counts = [t for t in run.axis(bench, "threads") if t >= 2]
    one, miss1 = _values(run, bench, algorithm=["cumsum", "recurrence"], threads=[1])
    many, miss2 = _values(run, bench, algorithm=["cumsum", "recurrence"], threads=counts)
    if not many:
        return _not_measured("C6", miss1 + miss2)
    worst = max(many)
    evidence = {"worst error of the naive prange, 2+ threads": worst}
    if one:
        evidence["worst error on 1 thread"] = max(one)
    if worst > C6_WRONG and (not one or max(one) == 0):
        status = HOLDS
    elif one and max(one) > 0:
        status = FAILS  # wrong on one thread: the kernel, not the claim, is at fault
    else:
        status = FAILS if _two_or_more(run) else INCONCLUSIVE
    return Verdict("C6", status, f"the naive prange scan is off by up to {worst:.3g} "
                   "(exact on one thread)" if status == HOLDS else
                   f"worst naive prange error {worst:.3g}", evidence=evidence,
                   thresholds={"wrong beyond": C6_WRONG}, notes=miss1 + miss2)


# --- C7 ------------------------------------------------------------------------

#: At the smallest size the prange must take at least this many times the
#: sequential loop ("a fixed cost dominates") ...
C7_SMALL_LOSES, C7_SMALL_EVEN = 1.5, 1.1
#: ... and (2+ CPUs) at the largest size at most this fraction of it ("pays").
C7_LARGE_WINS, C7_LARGE_EVEN = 0.9, 1.0


def rule_c7(run: Run) -> Verdict:
    """A prange has a fixed start-up cost, so it pays only on large problems.
    Small (any machine): at the smallest size, prange on 2+ threads takes
    1.5x the sequential loop or more (under 1.1x fails).  Large (2+ CPUs
    only): at the largest size it takes at most 0.9x (1.0x or more fails).
    Judged on the better of the memory-bound and compute-bound kernel."""
    bench = C7_PRANGE_RATIO
    threads = run.axis(bench, "threads")
    sizes = run.axis(bench, "n")
    if not threads or not sizes:
        return _not_measured("C7", [f"{bench}: not in the results"])
    nt = _two_or_more(run) or max(threads)
    if nt not in threads:
        nt = max(threads)
    small, miss1 = _values(run, bench, kernel=["sumsq", "poly"], n=[min(sizes)], threads=[nt])
    large, miss2 = _values(run, bench, kernel=["sumsq", "poly"], n=[max(sizes)], threads=[nt])
    parts, evidence, notes = [], {}, miss1 + miss2
    if small:
        s = min(small)
        evidence[f"prange / sequential at n={min(sizes)}, {nt} threads (best kernel)"] = s
        parts.append(_band(s, lambda v: v >= C7_SMALL_LOSES, lambda v: v < C7_SMALL_EVEN))
    if _two_or_more(run) and large:
        g = min(large)
        evidence[f"prange / sequential at n={max(sizes)}, {nt} threads (best kernel)"] = g
        parts.append(_band(g, lambda v: v <= C7_LARGE_WINS, lambda v: v >= C7_LARGE_EVEN))
        cross = _shown(run).point(C7_CROSSOVER, kernel="sumsq",
                                  threads=nt)
        if cross.ok:
            evidence[f"crossover size, sum of squares, {nt} threads"] = cross.value
    elif not _two_or_more(run):
        notes.append("'pays on large problems' not shown: one CPU cannot run a prange faster "
                     "than the sequential loop")
    overhead = _shown(run).point(C7_REGION_US, region="empty",
                                 threads=nt)
    if overhead.ok:
        evidence[f"empty parallel region, {nt} threads (us)"] = overhead.value
    if not parts:
        return _not_measured("C7", notes)
    summary = "; ".join(f"{k}: {v:.3g}" for k, v in evidence.items())
    return Verdict("C7", _combine(parts), summary, evidence=evidence,
                   thresholds={"small: prange loses from": C7_SMALL_LOSES,
                               "small: even below": C7_SMALL_EVEN,
                               "large: prange wins up to": C7_LARGE_WINS,
                               "large: no gain from": C7_LARGE_EVEN}, notes=notes)


# --- C8 ------------------------------------------------------------------------

#: Gain of one parallel section over two prange regions in the article's
#: normalize example, at the smallest size: at least C8_GAIN holds, at most
#: C8_NO_GAIN fails.
C8_GAIN, C8_NO_GAIN = 1.1, 0.97


def rule_c8(run: Run) -> Verdict:
    """One long parallel section beats several short prange loops: in the
    article's normalize example at the smallest size (1e3 elements), at the
    machine's CPU count, one section is 1.1x faster or more than two prange
    regions (0.97x or less fails).  The k-stage pipeline is shown next to it
    but does not decide: in the runs the choice was made on its gain moved by
    more than the effect; the calibrations since disagree on which of the two
    is steadier (the generated table in docs/claims.md, C8).  One CPU still shows it
    at one thread: a region costs its start and its end there too."""
    bench = C8_NORMALIZE_GAIN
    sizes, threads = run.axis(bench, "n"), run.axis(bench, "threads")
    if not sizes or not threads:
        return _not_measured("C8", [f"{bench}: not in the results"])
    usable = [t for t in threads if t <= (run.cpus or 1)]
    nt = max(usable) if usable else min(threads)
    gain = run.point(bench, n=min(sizes), threads=nt)
    if not gain.ok:
        return _not_measured("C8", [gain.reason])
    evidence = {f"normalize, n={min(sizes)}, {nt} thread(s): two regions / one section":
                gain.value}
    pipe = C8_PIPELINE_GAIN
    stages, psizes = run.axis(pipe, "stages"), run.axis(pipe, "n")
    if stages and psizes:
        p = _shown(run).point(pipe, way="one_section", stages=max(stages), n=min(psizes),
                              threads=nt)
        if p.ok:
            evidence[f"{max(stages)}-stage pipeline, n={min(psizes)}, {nt} thread(s): separate "
                     "/ one section (not deciding)"] = p.value
    return Verdict("C8", _band(gain.value, lambda v: v >= C8_GAIN, lambda v: v <= C8_NO_GAIN),
                   f"one parallel section normalizes {min(sizes)} elements {gain.value:.2f}x as "
                   f"fast as two prange regions ({nt} thread(s))", evidence=evidence,
                   thresholds={"gain from": C8_GAIN, "no gain up to": C8_NO_GAIN})


# --- C9 ------------------------------------------------------------------------

#: Contention: a pattern at (OpenMP = BLAS = CPUs) is at least this many times
#: slower than with BLAS pinned to 1; under C9_NO_CONTENTION for every pattern
#: fails.
C9_CONTENDS, C9_NO_CONTENTION = 2.0, 1.2


def rule_c9(run: Run) -> Verdict:
    """prange threads and BLAS threads compete for cores: with OpenMP and BLAS
    both at the CPU count (default wait policy), the nested or the alternating
    pattern is 2x slower or more than with BLAS pinned to 1 thread (under
    1.2x for every pattern fails).  Needs 2+ CPUs (a BLAS of one thread cannot
    compete)."""
    bench = C9_SLOWDOWN
    if not run.of(bench):
        return _not_measured("C9", [f"{bench}: not in the results"], "not run")
    if run.cpus is None:
        return _not_measured("C9", [], UNKNOWN_CPUS)
    nt = _two_or_more(run)
    if not nt:
        return _not_measured("C9", [], "needs 2+ CPUs: with one CPU, BLAS runs one thread and "
                             "there is nothing to compete for")
    evidence, notes, factors = {}, [], []
    for pattern in run.axis(bench, "pattern"):   # the suite's patterns, as it named them
        if pattern == "nested" and over_limit(nt * nt, cpus=nt):
            notes.append(f"nested at {nt} x {nt} threads not run: "
                         + over_limit(nt * nt, cpus=nt))
            continue
        both = run.point(bench, pattern=pattern, policy="default", omp_threads=nt, blas_threads=nt)
        pinned = run.point(bench, pattern=pattern, policy="default", omp_threads=nt,
                           blas_threads=1)
        if both.ok and pinned.ok and pinned.value > 0:
            factors.append((pattern, both.value / pinned.value))
            evidence[f"{pattern}: BLAS {nt} threads / BLAS pinned to 1"] = both.value / pinned.value
        else:
            notes += [both.reason or "", pinned.reason or ""]
        passive = _shown(run).point(bench, pattern=pattern, policy="PASSIVE", omp_threads=nt,
                                    blas_threads=nt)
        if passive.ok:
            evidence[f"{pattern}: slowdown under OMP_WAIT_POLICY=PASSIVE"] = passive.value
    if not factors:
        return _not_measured("C9", [n for n in notes if n])
    worst_pattern, worst = max(factors, key=lambda f: f[1])
    if worst >= C9_CONTENDS:
        status = HOLDS
    elif all(f < C9_NO_CONTENTION for _, f in factors):
        status = FAILS
    else:
        status = INCONCLUSIVE
    return Verdict("C9", status, f"the {worst_pattern} pattern is {worst:.1f}x slower with BLAS "
                   f"on {nt} threads than pinned to 1", evidence=evidence,
                   thresholds={"contends from": C9_CONTENDS, "no contention below":
                               C9_NO_CONTENTION}, notes=[n for n in notes if n])


CLAIMS = [
    Claim("C1", "Holding the GIL does not slow C code",
          "Holding the GIL does not slow single-threaded C-level code; what costs is taking it "
          "back, e.g. after every call of an `except *` nogil function.",
          (C1_RATIO,), rule_c1,
          without_gil="Judged the same. Taking the GIL back becomes attaching a thread state, "
          "which should cost less: the `except *` ratio may shrink."),
    Claim("C2", "Just call a fast NumPy function",
          "A fast NumPy function that needs the GIL can simply be called from Cython.",
          (C2_RATIO,), rule_c2,
          without_gil="Judged the same: calling NumPy needs an attached thread state, not "
          "a GIL; the ratio should not move."),
    Claim("C3", "Release the GIL for other Python threads",
          "Releasing the GIL lets other Python threads run: in parallel on several cores, and "
          "without waiting for a long call to end.",
          (C3_HEARTBEAT_GAP, C3_SCALING),
          rule_c3,
          without_gil="Its premise is gone: a kernel that keeps its thread state attached "
          "no longer stops other Python threads, so the held kernel should scale and leave "
          "the heartbeat alone as the released one does. Shown, not judged.",
          needs_gil=True),
    Claim("C4", "Cython never drops the GIL by itself",
          "Cython never releases the GIL on its own; a brief `with nogil: pass` lets a waiting "
          "Python thread in.",
          (C4_FLAG_SEEN, C4_COST_PER_RELEASE),
          rule_c4,
          without_gil="Its premise is gone: the setter thread runs while the poller holds "
          "its thread state, so the flag should be seen without any release. Shown, not "
          "judged.", needs_gil=True),
    Claim("C5", "`with gil` inside prange costs and serialises",
          "Taking the GIL inside a prange costs time and makes the threads take turns.",
          (C5_COST_PER_ACQUISITION,
           C5_EFFICIENCY), rule_c5,
          without_gil="Judged the same, with another meaning: `with gil` only attaches a "
          "thread state, so nothing makes the threads take turns and the cost per entry "
          "should shrink; if the threads still slow each other down, something else "
          "(attaching and detaching) serialises them."),
    Claim("C5b", "Cython 3.3: a prange that keeps the GIL",
          "Where every iteration of a parallel loop needs Python, a prange that keeps the GIL "
          "(Cython 3.3's `nogil=False`) costs less than a nogil prange taking the GIL back "
          "each time.  An addition to C5 for Cython 3.3, not a claim of the article.",
          (C5B_KEPT_GAIN,), rule_c5b,
          without_gil="Judged, and its efficiency half with it: the kept-GIL prange should "
          "run in parallel (parallel efficiency at least 0.7 at the usable CPUs), which it "
          "cannot with a GIL."),
    Claim("C6", "Loop-carried algorithms are wrong in prange",
          "A loop whose step reads the previous step's result gives wrong answers under prange.",
          (C6_NAIVE_ERROR,), rule_c6,
          without_gil="Judged the same: the race is in C and never involved the GIL."),
    Claim("C7", "prange has a fixed cost and pays only on large problems",
          "Starting a prange has a fixed cost, so it is slower than a plain loop on small "
          "problems and pays only on large ones.",
          (C7_PRANGE_RATIO,
           C7_CROSSOVER, C7_REGION_US),
          rule_c7,
          without_gil="Judged the same: an OpenMP region's start-up does not involve the "
          "GIL."),
    Claim("C8", "One parallel section beats several prange loops",
          "One extended `parallel()` section can beat several short prange loops.",
          (C8_NORMALIZE_GAIN,
           C8_PIPELINE_GAIN), rule_c8,
          without_gil="Judged the same: it compares OpenMP regions, not the GIL."),
    Claim("C9", "prange threads compete with BLAS threads",
          "Cython's prange threads and NumPy/SciPy's BLAS threads compete for the same cores.",
          (C9_SLOWDOWN,), rule_c9,
          without_gil="Judged the same; Python threads can now add a third layer of "
          "threads competing for the cores."),
]


def _basis(run: Run, claim: Claim) -> str:
    """What a verdict stands on: the points it read, how asv measured them
    (rounds recorded in benchmarks.json; a ratio table made once per run in
    a setup_cache), in one run (one commit on one machine)."""
    points = [p for read in claim.reads for p in run.of(read) if p.ok]
    if not points:
        return "no measured point"
    how = set()
    for bench in {p.benchmark for p in points}:
        meta = run.meta.get(bench, {})
        if meta.get("setup_cache_key"):
            how.add("a table made once per run")
        else:
            rounds = int(meta.get("rounds", 1) or 1)
            how.add(f"the median of {rounds} asv rounds" if rounds > 1 else "one asv round")
    return (f"{len(points)} points ({'; '.join(sorted(how))}), one run "
            f"(commit {run.commit[:8]} on {run.machine}, {run.cpus} usable CPUs)")


def _lacking(v: Verdict, lacking: list[str]) -> Verdict:
    """A verdict whose rule needed points the run does not have: it could
    have gone the other way on them, so it is inconclusive, and says which."""
    v.notes = [f"would be {v.status} on what was measured"] + [
        n for n in v.notes if n not in lacking] + lacking[:6]
    v.summary = (f"inconclusive: the rule needs {len(lacking)} point(s) this run does not "
                 f"have ({lacking[0]}{', ...' if len(lacking) > 1 else ''}); on the rest, "
                 + v.summary)
    v.status = INCONCLUSIVE
    return v


def _no_gil(v: Verdict, claim: Claim) -> Verdict:
    """A claim whose premise is the GIL, on a run without one: the values
    stay, the status says what the build lacks (never fails for it)."""
    v.notes = [f"by the GIL build's rule it would be {v.status}", claim.without_gil] + v.notes
    v.summary = f"no GIL on this build (free-threaded, GIL off); measured: {v.summary}"
    v.status = NO_GIL
    return v


def structure_evidence(run: Run, claim_id: str) -> dict:
    """The exact structure counts a claim shows beside its deciding values,
    at 1 thread and the usable CPUs (C9: twice them too).  They do not
    decide: they say what the code did (regions, threads, GIL acquisitions),
    not how fast."""
    threads = sorted({1, run.cpus or 1} | ({2 * (run.cpus or 1)} if claim_id == "C9" else set()))
    rows = {
        "C1": [(f"GIL acquisitions per element, {v} (exact)", C1_STRUCTURE,
                {"count": "gil_acquisitions_per_element", "variant": v})
               for v in ("gil", "nogil", "except")],
        "C2": [(f"GIL releases per call, {w.replace('_', ' ')} (exact)", C2_STRUCTURE,
                {"way": w}) for w in ("cython_numpy_with_gil", "cython_loop_nogil")],
        "C3": [(f"GIL releases per call, {g} kernel (exact)", C3_STRUCTURE, {"gil": g})
               for g in ("gil", "nogil")],
        "C4": [(f"GIL releases per step, release {r.replace('_', ' ')} (exact)", C4_STRUCTURE,
                {"release": r}) for r in ("never", "every_step")],
        "C6": [(f"parallel regions per scan call, {nt} thread(s) (exact)", C6_STRUCTURE,
                {"count": "regions", "threads": nt}) for nt in threads],
        "C5": [(f"GIL acquisitions per element, `with gil` every element, {nt} thread(s) "
                "(exact)", C5_STRUCTURE, {"count": "gil_acquisitions_per_element",
                                          "threads": nt}) for nt in threads],
        "C7": [(f"parallel regions per prange call, {nt} thread(s) (exact)", C7_STRUCTURE,
                {"count": "regions", "threads": nt}) for nt in threads]
        + [(f"threads that ran the prange, {nt} asked (exact)", C7_STRUCTURE,
            {"count": "team_members", "threads": nt}) for nt in threads],
        "C8": [(f"parallel regions per call, {way.replace('_', ' ')}, {nt} thread(s) (exact)",
                C8_STRUCTURE, {"way": way, "count": "regions", "threads": nt})
               for way in ("separate", "one_section") for nt in threads],
        "C9": [(f"OpenMP threads calling BLAS, nested, {nt} asked (exact)", C9_STRUCTURE,
                {"threads": nt}) for nt in threads],
    }.get(claim_id, [])
    out = {}
    for label, bench, params in rows:
        p = run.point(bench, **params)
        if p.ok:
            out[label] = p.value
    return out


def verdicts(run: Run) -> list[Verdict]:
    """Every claim's verdict on one machine's run, in claim order.  A smoke
    run (``GILBENCH_SMOKE=1`` or asv's ``--quick``: one call per point) is
    never judged: every claim is "not measured" there, and says why."""
    smoke = run.smoke
    out = []
    for claim in CLAIMS:
        if smoke:
            v = Verdict(claim.id, NOT_MEASURED,
                        f"not measured: smoke run ({smoke}); one call per point shows that "
                        "the suite runs, not what a claim does",
                        notes=["run the default suite (README command 1) for a verdict"])
        else:
            asked = _Asked(run)
            v = claim.rule(asked)
            if v.status in (HOLDS, FAILS) and asked.lacking:
                v = _lacking(v, asked.lacking)
            if claim.needs_gil and run.without_gil:
                v = _no_gil(v, claim)
            elif run.gil_came_back:
                v.notes.append(f"free-threaded build, judged as a GIL build: "
                               f"{run.gil_came_back}")
        v.basis = _basis(run, claim)
        if not smoke:
            v.evidence.update(structure_evidence(run, claim.id))
        out.append(v)
    return out
