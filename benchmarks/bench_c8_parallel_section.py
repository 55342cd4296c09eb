"""C8: one extended parallel section can beat several short prange loops.

The normalize example (sum of squares, sqrt, divide: two prange regions vs
one ``parallel()`` section with a barrier) and a k-stage elementwise pipeline
(k prange regions vs k prange loops in one ``parallel()`` section vs one
fused prange), at sizes where a region's start-up cost is visible.
"""

import functools

import numpy as np

from .common import (
    SMOKE,
    STRUCTURE_THREADS,
    THREAD_CORNERS,
    THREADS_OVERSUBSCRIBED,
    Benchmark,
    InstructionCounts,
    StructureCounts,
    instruction_table,
    interleaved_ratios,
    pinned,
    structure_table,
    vector,
)
from .harness.build_contents import module_names

k8 = module_names("c8_parallel_section", "normalize_one_section", "normalize_separate",
                  "pipeline_fused", "pipeline_one_section", "pipeline_separate")

NORMALIZE_SIZES = [1000] if SMOKE else [10**3, 10**4, 10**5, 10**6]
STAGES = [2, 3] if SMOKE else [2, 3, 4, 5, 6, 7, 8]
PIPE_SIZES = [1000] if SMOKE else [10**4, 10**5]
NORMALIZE_WAYS = {"separate": k8.normalize_separate, "one_section": k8.normalize_one_section}
PIPELINE_WAYS = {"separate": k8.pipeline_separate, "one_section": k8.pipeline_one_section,
            "fused": k8.pipeline_fused}


class TimeC8Normalize(Benchmark):
    """C8: x / ||x|| as two prange regions or one parallel section."""

    params = (list(NORMALIZE_WAYS), NORMALIZE_SIZES, THREADS_OVERSUBSCRIBED)
    param_names = ["way", "n", "threads"]
    thread_param = "threads"

    def setup(self, way, n, nt):
        super().setup(way, n, nt)
        self.call = functools.partial(NORMALIZE_WAYS[way], vector(n), np.empty(n), nt)

    def time_c8_normalize(self, way, n, nt):
        self.call()


class TrackC8NormalizeGain(Benchmark):
    """C8: time of two regions / time of one section (above 1: one section wins)."""

    params = (NORMALIZE_SIZES, THREADS_OVERSUBSCRIBED)
    param_names = ["n", "threads"]
    thread_param = "threads"
    unit = "gain of one section"

    def track_c8_normalize_gain(self, n, nt):
        x, out = vector(n), np.empty(n)
        calls = {w: functools.partial(f, x, out, nt) for w, f in NORMALIZE_WAYS.items()}
        return interleaved_ratios(calls, "one_section")["separate"].value


class TimeC8Pipeline(Benchmark):
    """C8: k-stage pipeline over 1e5 elements, each way."""

    params = (list(PIPELINE_WAYS), [2, 8] if not SMOKE else [2], THREADS_OVERSUBSCRIBED)
    param_names = ["way", "stages", "threads"]
    thread_param = "threads"

    def setup(self, way, k, nt):
        super().setup(way, k, nt)
        n = PIPE_SIZES[-1]
        self.call = functools.partial(PIPELINE_WAYS[way], vector(n), np.empty(n), k, nt)

    def time_c8_pipeline(self, way, k, nt):
        self.call()


class TrackC8PipelineGain(Benchmark):
    """C8: time of k separate prange regions / time of each other way (above
    1: fewer regions win), k = 2..8."""

    # Shown, not judged, with a stage axis of its own: the thread corners.
    params = (["one_section", "fused"], STAGES, PIPE_SIZES, THREAD_CORNERS)
    param_names = ["way", "stages", "n", "threads"]
    thread_param = "threads"
    unit = "gain over k regions"
    timeout = 600

    def setup_cache(self):
        with pinned(blas=1):
            table = {}
            for n in PIPE_SIZES:
                x, out = vector(n), np.empty(n)
                for nt in THREAD_CORNERS:
                    for k in STAGES:
                        calls = {w: functools.partial(f, x, out, k, nt)
                                 for w, f in PIPELINE_WAYS.items()}
                        r = interleaved_ratios(calls, "separate", max_time=1.0)
                        for way in ("one_section", "fused"):
                            table[way, k, n, nt] = 1.0 / r[way].value
            return table

    def track_c8_pipeline_gain(self, table, way, k, n, nt):
        return table[way, k, n, nt]


class TrackC8Instructions(InstructionCounts):
    """C8: instructions per element of the 4-stage pipeline each way, on one
    thread (the loops without the threads), counted exactly by callgrind
    (skipped, with the reason, without valgrind)."""

    params = [list(PIPELINE_WAYS)]
    param_names = ["way"]

    def setup_cache(self):
        return instruction_table({
            way: ("gilbench.kernels.c8_parallel_section", f.__name__, "x_out_4stages_1thread")
            for way, f in PIPELINE_WAYS.items()})

    def track_c8_instructions(self, table, way):
        return table[way]


class TrackC8Structure(StructureCounts):
    """C8: the article's normalize example as two prange loops and as one
    ``parallel()`` section, counted exactly: parallel regions per call (two
    against one: the start-up one section saves) and the threads that ran
    them, at 1 thread and at the usable CPUs."""

    params = (["separate", "one_section"], ["regions", "team_members"], STRUCTURE_THREADS)
    param_names = ["way", "count", "threads"]
    thread_param = "threads"
    unit = "per call"

    def setup_cache(self):
        return structure_table({f"{way}-{nt}": ("gilbench.kernels.c8_parallel_section",
                                                f"normalize_{way}", "x_out_threads", nt)
                                for way in ("separate", "one_section")
                                for nt in STRUCTURE_THREADS})

    def track_c8_structure(self, table, way, count, nt):
        return table[f"{way}-{nt}"]["per_call"][count]
