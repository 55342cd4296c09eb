"""C7: starting a prange has a fixed cost, so it pays only on large problems.

* Region overhead (EPCC syncbench style): microseconds per empty parallel
  region and per tiny prange reduction, back to back, at every thread count
  and one oversubscribed count; and the price of waking a team left idle.
* Crossover: a memory-bound (sum of squares) and a compute-bound (degree-8
  polynomial) kernel, sequential vs prange vs ``use_threads_if``, over
  1e1..1e8 elements: the smallest size from which prange wins, per thread
  count.
* Schedules: static / dynamic / guided with chunk sizes, balanced and
  triangular work.
"""

import functools
import time

import numpy as np

from .common import (
    SMOKE,
    STRUCTURE_THREADS,
    THREADS,
    THREADS_OVERSUBSCRIBED,
    Benchmark,
    InstructionCounts,
    StructureCounts,
    instruction_table,
    interleaved_ratios,
    per_call,
    pinned,
    sample,
    structure_table,
    vector,
)
from .harness.build_contents import module_names

k7 = module_names("c7_prange_overhead", "empty_regions", "poly_prange", "poly_seq",
                  "poly_threads_if", "reduction_regions", "schedule_work", "sumsq_prange",
                  "sumsq_seq", "sumsq_threads_if")
#: The OpenMP schedules C7 compares (``schedule_work``'s choices; the kernel
#: module's ``SCHEDULES``, which tests/test_build_contents.py keeps equal).
SCHEDULES = ("static", "dynamic", "guided")


class TrackC7RegionOverhead(Benchmark):
    """C7: microseconds per back-to-back parallel region (empty body, or a
    prange reduction over one element per thread)."""

    params = (["empty", "reduction"], THREADS_OVERSUBSCRIBED)
    param_names = ["region", "threads"]
    thread_param = "threads"
    unit = "us per region"

    def track_c7_region_us(self, region, nt):
        func = {"empty": k7.empty_regions, "reduction": k7.reduction_regions}[region]
        reps = 10 if SMOKE else 2000
        # warm first: the team exists and is awake
        return 1e6 * sample(lambda: per_call(lambda: func(reps, nt)) / reps, 7).value


class TrackC7ColdRegion(Benchmark):
    """C7: microseconds for one empty parallel region started after the team
    sat idle for idle_ms (libgomp's threads spin a while, then sleep)."""

    params = ([1] if SMOKE else [1, 10, 100], THREADS_OVERSUBSCRIBED)
    param_names = ["idle_ms", "threads"]
    thread_param = "threads"
    unit = "us per region"

    def track_c7_cold_region_us(self, idle_ms, nt):
        k7.empty_regions(10, nt)

        def cold():
            time.sleep(idle_ms / 1e3)
            t0 = time.perf_counter()
            k7.empty_regions(1, nt)
            return time.perf_counter() - t0

        return 1e6 * sample(cold, 9, warm=False).value


# --- crossover ------------------------------------------------------------------

CROSS_SIZES = [10, 100] if SMOKE else [10**e for e in range(1, 9)]
CROSS_THREADS = [t for t in THREADS_OVERSUBSCRIBED if t > 1] or [1]
#: {kernel: {way: function}}, the ways compared at every size.
KERNELS = {
    "sumsq": {"seq": k7.sumsq_seq, "prange": k7.sumsq_prange, "threads_if": k7.sumsq_threads_if},
    "poly": {"seq": k7.poly_seq, "prange": k7.poly_prange, "threads_if": k7.poly_threads_if},
}


class _Crossover(Benchmark):
    """Shared by the crossover benchmarks: one interleaved measurement of
    seq / prange / use_threads_if for every kernel, size and thread count."""

    timeout = 1200

    def setup_cache(self):
        with pinned(blas=1):
            table = {}
            for kernel, ways in KERNELS.items():
                for n in CROSS_SIZES:
                    x = np.random.default_rng(7).uniform(-1, 1, n)
                    for nt in CROSS_THREADS:
                        r = interleaved_ratios({
                            "seq": functools.partial(ways["seq"], x),
                            "prange": functools.partial(ways["prange"], x, nt),
                            "threads_if": functools.partial(ways["threads_if"], x, nt),
                        }, "seq", rounds=7, max_time=3.0)
                        table[kernel, n, nt] = {w: e.value for w, e in r.items()}
            return table


class TrackC7Crossover(_Crossover):
    """C7: smallest size (elements, of 1e1..1e8) from which the prange beats
    the sequential loop at that size and every larger one."""

    params = (list(KERNELS), CROSS_THREADS)
    param_names = ["kernel", "threads"]
    thread_param = "threads"
    unit = "elements"

    def setup(self, table, kernel, nt):
        super().setup(table, kernel, nt)
        if self._crossover(table, kernel, nt) is None:
            raise NotImplementedError(
                f"{kernel}: prange on {nt} threads never beat the sequential loop up to "
                f"{CROSS_SIZES[-1]:.0e} elements")

    @staticmethod
    def _crossover(table, kernel, nt):
        best = None
        for n in reversed(CROSS_SIZES):
            if table[kernel, n, nt]["prange"] < 1.0:
                best = n
            else:
                break
        return best

    def track_c7_crossover(self, table, kernel, nt):
        return self._crossover(table, kernel, nt)


class TrackC7PrangeOverSequential(_Crossover):
    """C7: time of the prange / time of the sequential loop (below 1: prange wins)."""

    params = (list(KERNELS), CROSS_SIZES, CROSS_THREADS)
    param_names = ["kernel", "n", "threads"]
    thread_param = "threads"
    unit = "ratio to sequential"

    def track_c7_prange_ratio(self, table, kernel, n, nt):
        return table[kernel, n, nt]["prange"]


class TrackC7ThreadsIf(_Crossover):
    """C7: ``use_threads_if=n >= threshold`` (32768 for sumsq, 4096 for poly):
    its time / the better of sequential and prange (1.0 = never worse)."""

    params = (list(KERNELS), CROSS_SIZES, CROSS_THREADS)
    param_names = ["kernel", "n", "threads"]
    thread_param = "threads"
    unit = "ratio to the better of seq and prange"

    def track_c7_threads_if_ratio(self, table, kernel, n, nt):
        r = table[kernel, n, nt]
        return r["threads_if"] / min(1.0, r["prange"])


class TimeC7SequentialVsPrange(Benchmark):
    """C7: raw time of sum of squares, sequential and prange, 1e3 / 1e5 / 1e7."""

    params = (["seq", "prange"], [10**3, 10**5] if SMOKE else [10**3, 10**5, 10**7], THREADS)
    param_names = ["way", "n", "threads"]
    thread_param = "threads"

    def setup(self, way, n, nt):
        if way == "seq" and nt != 1:
            raise NotImplementedError("the sequential loop has no thread count")
        super().setup(way, n, nt)
        x = vector(n)
        self.call = (functools.partial(k7.sumsq_seq, x) if way == "seq"
                     else functools.partial(k7.sumsq_prange, x, nt))

    def time_c7_sumsq(self, way, n, nt):
        self.call()


# --- schedules -------------------------------------------------------------------

class TimeC7Schedule(Benchmark):
    """C7: a prange of 10000 iterations of ~200 recurrence steps each,
    balanced or triangular (all work at the end), per schedule and chunk."""

    params = (list(SCHEDULES), [1] if SMOKE else [1, 64], ["balanced", "triangular"], THREADS)
    param_names = ["schedule", "chunk", "work", "threads"]
    thread_param = "threads"

    def setup(self, schedule, chunk, work, nt):
        super().setup(schedule, chunk, work, nt)
        n, inner = (100, 10) if SMOKE else (10_000, 200)
        self.call = functools.partial(k7.schedule_work, n, inner, work == "balanced",
                                      schedule, chunk, nt)

    def time_c7_schedule(self, schedule, chunk, work, nt):
        self.call()


class TrackC7Instructions(InstructionCounts):
    """C7: instructions per element of the sequential loops the prange is
    measured against (sum of squares, degree-8 polynomial), counted exactly
    by callgrind (skipped, with the reason, without valgrind)."""

    params = [list(KERNELS)]
    param_names = ["kernel"]

    def setup_cache(self):
        return instruction_table({k: ("gilbench.kernels.c7_prange_overhead", f"{k}_seq", "x")
                                  for k in KERNELS})

    def track_c7_instructions(self, table, kernel):
        return table[kernel]


class TrackC7Structure(StructureCounts):
    """C7: what one prange call starts, counted exactly: the parallel regions
    it enters and the threads that ran the region's body, at 1 thread and at
    the usable CPUs.  A change that loses the parallelism (no OpenMP, a
    serial loop) shows here whatever the machine's noise."""

    params = (["regions", "team_members"], STRUCTURE_THREADS)
    param_names = ["count", "threads"]
    thread_param = "threads"
    unit = "per call"

    def setup_cache(self):
        return structure_table({str(nt): ("gilbench.kernels.c7_prange_overhead", "sumsq_prange",
                                          "x_threads", nt) for nt in STRUCTURE_THREADS})

    def track_c7_structure(self, table, count, nt):
        return table[str(nt)]["per_call"][count]
