"""C1: holding the GIL does not slow single-threaded C-level code; taking
it back (after every call of an ``except *`` nogil function) does.

Variants (see :mod:`gilbench.kernels.c1_gil_held`): ``gil`` (loop run with the
GIL held, the baseline), ``nogil`` (inside ``with nogil:``), ``noexcept``
(``noexcept nogil`` cdef call per element), ``except`` (``void ... except *
nogil`` call per element: re-acquires the GIL after each call),
``except_value`` (``double ... except * nogil``: checks only on -1.0).
"""

import functools

import numpy as np

from .common import (
    SIZES,
    STRUCTURE_THREADS,
    Benchmark,
    InstructionCounts,
    StructureCounts,
    instruction_table,
    interleaved_ratios,
    pinned,
    structure_table,
    vector,
)
from .harness.build_contents import require

#: The loop bodies and the ways each is compiled (``gilbench.kernels.
#: c1_gil_held`` names its kernels ``<body>_<variant>``).  The suite's own
#: lists, so that every commit is measured over the same parameters.
KERNELS = ("sumsq", "poly")
VARIANTS = ("gil", "nogil", "noexcept", "except", "except_value")


def make_call(kernel, variant, n):
    """The zero-argument call a benchmark times, with its data bound."""
    func = require("c1_gil_held", f"{kernel}_{variant}")
    x = vector(n)
    if kernel == "sumsq":
        return functools.partial(func, x)
    return functools.partial(func, x, np.empty(n))


class TimeC1HoldingGIL(Benchmark):
    """C1: raw time of each variant of the same loop, GIL held or not."""

    params = (list(KERNELS), list(VARIANTS), SIZES)
    param_names = ["kernel", "variant", "n"]

    def setup(self, kernel, variant, n):
        super().setup(kernel, variant, n)
        self.call = make_call(kernel, variant, n)

    def time_c1_loop(self, kernel, variant, n):
        self.call()


class TrackC1RatioToGILHeld(Benchmark):
    """C1: time of each variant / time of the GIL-held loop, measured
    interleaved in one process (1.0 = holding the GIL costs nothing)."""

    params = (list(KERNELS), [v for v in VARIANTS if v != "gil"], SIZES)
    param_names = ["kernel", "variant", "n"]
    unit = "ratio to GIL held"
    timeout = 300

    def setup_cache(self):
        with pinned(blas=1):
            table = {}
            for kernel in KERNELS:
                for n in SIZES:
                    funcs = {v: make_call(kernel, v, n) for v in VARIANTS}
                    # 10 s: room for a few rounds at 1e7, where the except
                    # variant's round is the longest (asv's durations in the
                    # committed results show each benchmark's time).
                    for v, r in interleaved_ratios(funcs, "gil", max_time=10.0).items():
                        table[kernel, v, n] = r.value
            return table

    def track_c1_ratio(self, table, kernel, variant, n):
        return table[kernel, variant, n]


class TrackC1Instructions(InstructionCounts):
    """C1: instructions per element of each variant, counted exactly by
    callgrind (the same on every run; skipped, with the reason, without
    valgrind).  Holding the GIL adds none; the ``except *`` call adds the
    re-acquisition's instructions to every element."""

    params = (list(KERNELS), list(VARIANTS))
    param_names = ["kernel", "variant"]

    def setup_cache(self):
        return instruction_table({
            f"{k}/{v}": ("gilbench.kernels.c1_gil_held", f"{k}_{v}", "x" if k == "sumsq" else
                         "x_out") for k in KERNELS for v in VARIANTS})

    def track_c1_instructions(self, table, kernel, variant):
        return table[f"{kernel}/{variant}"]


class TrackC1Structure(StructureCounts):
    """C1: the GIL transitions of each variant of the sum of squares, counted
    exactly: GIL acquisitions per element (one for the ``except *`` function,
    which takes the GIL back after every call; none for the others) and GIL
    releases per call (none while the loop holds the GIL, one for the
    released variants).  One thread: the claim is about single-threaded code."""

    params = (["gil_acquisitions_per_element", "gil_releases_per_call"], list(VARIANTS))
    param_names = ["count", "variant"]
    unit = "count"

    def setup_cache(self):
        return structure_table({v: ("gilbench.kernels.c1_gil_held", f"sumsq_{v}", "x", 1)
                                for v in VARIANTS})

    def track_c1_structure(self, table, count, variant):
        row = table[variant]
        if count == "gil_acquisitions_per_element":
            return row["per_element"]["gil_ensures"]
        return row["per_call"]["gil_saves"]


class TrackC1PrangeStructure(StructureCounts):
    """C1 at 1 thread and at the usable CPUs: the polynomial's ``noexcept``
    and ``except *`` cdef calls in a prange, counted exactly per call: the
    GIL acquisitions per element (one for ``except *``, on whichever thread
    made the call; none for ``noexcept``) and the threads that ran the
    region's body.  Taking the GIL back does not shrink the team; it makes
    the team queue on one lock once per element, which a time on a noisy
    machine may hide and this count does not."""

    params = (["gil_acquisitions_per_element", "team_members"], ["noexcept", "except"],
              STRUCTURE_THREADS)
    param_names = ["count", "variant", "threads"]
    thread_param = "threads"
    unit = "count"

    def setup_cache(self):
        return structure_table({f"{v}/{nt}": ("gilbench.kernels.c1_gil_held",
                                              f"poly_{v}_prange", "x_out_threads", nt)
                                for v in ("noexcept", "except") for nt in STRUCTURE_THREADS})

    def track_c1_prange_structure(self, table, count, variant, nt):
        row = table[f"{variant}/{nt}"]
        if count == "gil_acquisitions_per_element":
            return row["per_element"]["gil_ensures"]
        return row["per_call"]["team_members"]
