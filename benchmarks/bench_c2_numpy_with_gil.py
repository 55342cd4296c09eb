"""C2: a fast NumPy function that needs the GIL can just be called.

``numpy.dot`` called from Cython with the GIL held, the same call from Python,
and a hand-written ``with nogil:`` loop (BLAS pinned to 1 thread).
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
from .harness.build_contents import kernels

dot_loop_nogil, dot_numpy_with_gil = kernels("c2_numpy_with_gil", "dot_loop_nogil",
                                             "dot_numpy_with_gil")

WAYS = {
    "cython_numpy_with_gil": dot_numpy_with_gil,
    "python_numpy": np.dot,
    "cython_loop_nogil": dot_loop_nogil,
}


def make_call(way, n):
    """The zero-argument call a benchmark times, with its data bound."""
    return functools.partial(WAYS[way], vector(n, seed=1), vector(n, seed=2))


class TimeC2NumpyCall(Benchmark):
    """C2: raw time of dot(x, y) each way."""

    params = (list(WAYS), SIZES)
    param_names = ["way", "n"]

    def setup(self, way, n):
        super().setup(way, n)
        self.call = make_call(way, n)

    def time_c2_dot(self, way, n):
        self.call()


class TrackC2RatioToPythonNumpy(Benchmark):
    """C2: time of each way / time of numpy.dot from Python, interleaved in one
    process (near 1.0 for the Cython call: calling NumPy with the GIL is fine)."""

    params = (["cython_numpy_with_gil", "cython_loop_nogil"], SIZES)
    param_names = ["way", "n"]
    unit = "ratio to numpy.dot from Python"
    timeout = 300

    def setup_cache(self):
        with pinned(blas=1):
            table = {}
            for n in SIZES:
                funcs = {way: make_call(way, n) for way in WAYS}
                for way, r in interleaved_ratios(funcs, "python_numpy", max_time=3.0).items():
                    table[way, n] = r.value
            return table

    def track_c2_ratio(self, table, way, n):
        return table[way, n]


class TrackC2Instructions(InstructionCounts):
    """C2: instructions per element of dot(x, y), the Cython call of
    numpy.dot and the hand-written nogil loop, counted exactly by callgrind
    (skipped, with the reason, without valgrind).  BLAS pinned to 1 thread."""

    params = [["cython_numpy_with_gil", "cython_loop_nogil"]]
    param_names = ["way"]

    def setup_cache(self):
        return instruction_table({
            "cython_numpy_with_gil": ("gilbench.kernels.c2_numpy_with_gil", "dot_numpy_with_gil",
                                      "x_y"),
            "cython_loop_nogil": ("gilbench.kernels.c2_numpy_with_gil", "dot_loop_nogil", "x_y")})

    def track_c2_instructions(self, table, way):
        return table[way]


class TrackC2Structure(StructureCounts):
    """C2: GIL releases per call, counted exactly: the hand-written loop
    releases it once (its ``with nogil:``); the call of ``numpy.dot`` made
    with the GIL held leaves releasing it to NumPy."""

    params = [["cython_numpy_with_gil", "cython_loop_nogil"]]
    param_names = ["way"]
    unit = "GIL releases per call"

    def setup_cache(self):
        return structure_table({
            "cython_numpy_with_gil": ("gilbench.kernels.c2_numpy_with_gil", "dot_numpy_with_gil",
                                      "x_y", 1),
            "cython_loop_nogil": ("gilbench.kernels.c2_numpy_with_gil", "dot_loop_nogil", "x_y",
                                  1)})

    def track_c2_structure(self, table, way):
        return table[way]["per_call"]["gil_saves"]


class TrackC2PythonThreadsStructure(StructureCounts):
    """C2 from 1 Python thread and from as many as there are usable CPUs,
    each calling the kernel at once: GIL releases per call, counted exactly.
    The ``numpy.dot`` call made with the GIL held still releases it once
    (NumPy does), which is why Python threads that call it run side by side
    without a ``with nogil`` of ours; the hand-written loop releases it once
    with its own."""

    params = (["cython_numpy_with_gil", "cython_loop_nogil"], STRUCTURE_THREADS)
    param_names = ["way", "python_threads"]
    unit = "GIL releases per call"

    def setup_cache(self):
        funcs = {"cython_numpy_with_gil": "dot_numpy_with_gil",
                 "cython_loop_nogil": "dot_loop_nogil"}
        return structure_table({f"{way}/{nt}": ("gilbench.kernels.c2_numpy_with_gil", func,
                                                "x_y_python_threads", nt)
                                for way, func in funcs.items()
                                for nt in STRUCTURE_THREADS})

    def track_c2_python_threads_structure(self, table, way, nt):
        return table[f"{way}/{nt}"]["per_call"]["gil_saves"] / nt
