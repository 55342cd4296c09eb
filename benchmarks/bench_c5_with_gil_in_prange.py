"""C5: ``with gil:`` inside a prange costs time and serialises the threads.

A prange over blocks of m elements of a 1e5-element vector (sum of squares);
per block, one ``with gil:`` entry -- empty, or one Python integer increment
-- or the block present but never entered, or no block at all ("plain", the
baseline with the same blocking).  Over m and the thread count; plus one
acquire/release from nogil code on one thread.
"""

import functools

from .common import (
    SMOKE,
    STRUCTURE_THREADS,
    THREADS_OVERSUBSCRIBED,
    Benchmark,
    InstructionCounts,
    StructureCounts,
    extra_ns_per_event,
    instruction_table,
    interleaved_ratios,
    structure_table,
    vector,
)
from .harness.build_contents import kernels

gil_roundtrips, prange_plain, prange_with_gil = kernels(
    "c5_with_gil_in_prange", "gil_roundtrips", "prange_plain", "prange_with_gil")
#: The kinds of ``with gil`` block the kernel runs (its ``block`` argument).
BLOCKS = ("never", "empty", "python")

N = 1000 if SMOKE else 100_000
#: Elements per block; one ``with gil`` block per element block (a smoke run
#: keeps the two ends).
BLOCK_SIZES = [1, 10_000] if SMOKE else [1, 100, 10_000]
#: "plain" (no ``with gil`` block), then the kernel's kinds of block.
KINDS = ["plain", *BLOCKS]


def make_call(kind, every, nt):
    """The zero-argument call a benchmark times: the blocked prange with a
    ``with gil`` block of ``kind`` per ``every`` elements, on ``nt`` threads."""
    x = vector(N)
    if kind == "plain":
        return functools.partial(prange_plain, x, every, nt)
    return functools.partial(prange_with_gil, x, every, nt, kind)


class TimeC5WithGilInPrange(Benchmark):
    """C5: prange over 1e5 elements, one ``with gil`` per block of m."""

    params = (KINDS, BLOCK_SIZES, THREADS_OVERSUBSCRIBED)
    param_names = ["block", "every", "threads"]
    thread_param = "threads"

    def setup(self, kind, every, nt):
        super().setup(kind, every, nt)
        self.call = make_call(kind, every, nt)

    def time_c5_prange(self, kind, every, nt):
        self.call()


class TrackC5CostPerAcquisition(Benchmark):
    """C5: extra ns per ``with gil`` entry (empty block, every element) against
    the same loop without the block, interleaved in one process."""

    params = [THREADS_OVERSUBSCRIBED]
    param_names = ["threads"]
    thread_param = "threads"
    unit = "ns per acquisition"

    def track_c5_ns_per_acquisition(self, nt):
        return extra_ns_per_event(make_call("plain", 1, nt), make_call("empty", 1, nt), N)


class TrackC5Efficiency(Benchmark):
    """C5: parallel efficiency, time on 1 thread / (time on T threads x T)
    (1.0 = perfect scaling; entering the GIL serialises)."""

    params = (KINDS, BLOCK_SIZES, THREADS_OVERSUBSCRIBED)
    param_names = ["block", "every", "threads"]
    thread_param = "threads"
    unit = "parallel efficiency"

    def track_c5_efficiency(self, kind, every, nt):
        r = interleaved_ratios({1: make_call(kind, every, 1), nt: make_call(kind, every, nt)}, 1)
        return 1.0 / (r[nt].value * nt)


class TrackC5BlockNeverEntered(Benchmark):
    """C5: a prange whose ``with gil`` block is never entered / the same
    prange with no block (what the code path alone costs)."""

    params = (BLOCK_SIZES, THREADS_OVERSUBSCRIBED)
    param_names = ["every", "threads"]
    thread_param = "threads"
    unit = "ratio to no block"

    def track_c5_never_entered(self, every, nt):
        return interleaved_ratios({"plain": make_call("plain", every, nt),
                                   "never": make_call("never", every, nt)}, "plain")["never"].value


class TimeC5GilRoundtrip(Benchmark):
    """C5: 1000 x ``with gil: pass`` from nogil code on one thread."""

    def time_c5_gil_roundtrip(self):
        gil_roundtrips(1000)


class TrackC5Instructions(InstructionCounts):
    """C5: instructions per element of the blocked prange on one thread,
    without a ``with gil`` block and with an empty one every element, counted
    exactly by callgrind (skipped, with the reason, without valgrind): their
    difference is what one uncontended acquisition executes."""

    params = [["plain", "empty"]]
    param_names = ["block"]

    def setup_cache(self):
        module = "gilbench.kernels.c5_with_gil_in_prange"
        return instruction_table({
            "plain": (module, "prange_plain", "x_block_every_element_1thread"),
            "empty": (module, "prange_with_gil", "x_empty_gil_block_every_element_1thread")})

    def track_c5_instructions(self, table, block):
        return table[block]


class TrackC5Structure(StructureCounts):
    """C5: a prange with a ``with gil`` block every element, counted exactly:
    the GIL acquisitions per element (one per entry, whatever the threads:
    the block serialises them) and the threads that ran the loop, at 1 thread
    and at the usable CPUs."""

    params = (["gil_acquisitions_per_element", "team_members"], STRUCTURE_THREADS)
    param_names = ["count", "threads"]
    thread_param = "threads"
    unit = "count"

    def setup_cache(self):
        return structure_table({str(nt): ("gilbench.kernels.c5_with_gil_in_prange",
                                          "prange_with_gil", "x_gil_every_element_threads", nt)
                                for nt in STRUCTURE_THREADS})

    def track_c5_structure(self, table, count, nt):
        row = table[str(nt)]
        if count == "gil_acquisitions_per_element":
            return row["per_element"]["gil_ensures"]
        return row["per_call"][count]
