"""C6: loop-carried (linear) algorithms give wrong answers in prange.

The cumulative sum and the recurrence y[i] = a y[i-1] + b[i]: sequential,
naive prange (wrong on purpose -- the suite records how wrong), and a correct
two-pass parallel scan, whose speed-up over the sequential loop is tracked.
"""

import functools

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
    structure_table,
    vector,
)
from .harness.build_contents import module_names

k6 = module_names("c6_scan", "cumsum_naive", "cumsum_scan", "cumsum_seq", "recurrence_naive",
                  "recurrence_scan", "recurrence_seq")

A = 0.9  # the recurrence's coefficient: |a| < 1 keeps it bounded
SCAN_SIZES = [10**4] if SMOKE else [10**4, 10**6, 10**7]


def make_calls(algo, n, nt):
    """The zero-argument calls of each way ("seq", "naive", "scan") of ``algo``."""
    x, out = vector(n), np.empty(n)
    if algo == "cumsum":
        return {"seq": functools.partial(k6.cumsum_seq, x, out),
                "naive": functools.partial(k6.cumsum_naive, x, out, nt),
                "scan": functools.partial(k6.cumsum_scan, x, out, nt)}
    return {"seq": functools.partial(k6.recurrence_seq, A, x, out),
            "naive": functools.partial(k6.recurrence_naive, A, x, out, nt),
            "scan": functools.partial(k6.recurrence_scan, A, x, out, nt)}


class TimeC6Scan(Benchmark):
    """C6: raw time of each way (seq is timed at threads=1 only)."""

    params = (["cumsum", "recurrence"], ["seq", "scan"], SCAN_SIZES, THREADS)
    param_names = ["algorithm", "way", "n", "threads"]
    thread_param = "threads"

    def setup(self, algo, way, n, nt):
        if way == "seq" and nt != 1:
            raise NotImplementedError("the sequential loop has no thread count")
        super().setup(algo, way, n, nt)
        self.call = make_calls(algo, n, nt)[way]

    def time_c6_scan(self, algo, way, n, nt):
        self.call()


class TrackC6NaiveError(Benchmark):
    """C6: largest absolute error of the naive prange against the sequential
    loop over 5 runs of 1e6 elements (0 on one thread; wrong from two on --
    it is a race, so a single run can come out right)."""

    params = (["cumsum", "recurrence"], THREADS_OVERSUBSCRIBED)
    param_names = ["algorithm", "threads"]
    thread_param = "threads"
    unit = "max abs error"

    def track_c6_naive_error(self, algo, nt):
        n = 10**4 if SMOKE else 10**6
        w = make_calls(algo, n, nt)
        right = w["seq"]().copy()
        return max(float(np.max(np.abs(w["naive"]() - right))) for _ in range(5))


class TrackC6ScanSpeedup(Benchmark):
    """C6: time of the sequential loop / time of the parallel scan."""

    params = (["cumsum", "recurrence"], SCAN_SIZES, THREADS_OVERSUBSCRIBED)
    param_names = ["algorithm", "n", "threads"]
    thread_param = "threads"
    unit = "speed-up over sequential"

    def track_c6_scan_speedup(self, algo, n, nt):
        w = make_calls(algo, n, nt)
        return 1.0 / interleaved_ratios({"seq": w["seq"], "scan": w["scan"]}, "seq")["scan"].value


class TrackC6Instructions(InstructionCounts):
    """C6: instructions per element of the sequential cumulative sum and
    recurrence, counted exactly by callgrind (skipped, with the reason,
    without valgrind)."""

    params = [["cumsum", "recurrence"]]
    param_names = ["algorithm"]

    def setup_cache(self):
        return instruction_table({
            "cumsum": ("gilbench.kernels.c6_scan", "cumsum_seq", "x_out"),
            "recurrence": ("gilbench.kernels.c6_scan", "recurrence_seq", "a_b_out")})

    def track_c6_instructions(self, table, algo):
        return table[algo]


class TrackC6Structure(StructureCounts):
    """C6: the two-pass parallel scan (the right way to run a loop-carried
    sum in parallel), counted exactly: the parallel regions per call and the
    threads that ran it, at 1 thread and at the usable CPUs."""

    params = (["regions", "team_members"], STRUCTURE_THREADS)
    param_names = ["count", "threads"]
    thread_param = "threads"
    unit = "per call"

    def setup_cache(self):
        return structure_table({str(nt): ("gilbench.kernels.c6_scan", "cumsum_scan",
                                          "x_out_threads", nt) for nt in STRUCTURE_THREADS})

    def track_c6_structure(self, table, count, nt):
        return table[str(nt)]["per_call"][count]
