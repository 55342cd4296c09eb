"""C9: Cython prange threads and NumPy/SciPy's BLAS threads compete for cores.

Three patterns over a grid of OpenMP threads (the kernel's ``num_threads``) x
BLAS threads (every loaded OpenBLAS, pinned with threadpoolctl):

* nested      -- a dgemm per chunk inside a prange (BLAS inside prange), the
                 nogil kernel ``nested_matmul``;
* alternating -- NumPy matmul, then a short prange, repeated (:func:`alternating`);
* concurrent  -- one Python thread runs prange reductions while another runs
                 NumPy matmul (:func:`concurrent`).

The last two are plain Python orchestration of NumPy and C7's prange
reduction, so they live here rather than in a kernel module.

Remedies measured next to them: BLAS pinned to 1 (the grid's blas=1 column),
OpenMP at 1 thread (omp=1 row), and libgomp's wait policy: ``OMP_WAIT_POLICY=
PASSIVE`` or ``GOMP_SPINCOUNT=0``, which the runtime reads once when it loads,
so those run in fresh processes (``timeraw_`` and :func:`common.run_fresh`).
Every configuration is measured in a process of its own: idle BLAS or OpenMP
workers left spinning by one configuration would slow the next.

Default grid: the corners (omp 1, CPUs, 2 x CPUs; blas 1, CPUs);
GILBENCH_FULL_GRID=1 sweeps every count.
"""

import functools
import threading
import time

import numpy as np

from .common import (
    GRID_BLAS,
    GRID_OMP,
    Benchmark,
    InstructionCounts,
    StructureCounts,
    fresh_import,
    instruction_table,
    per_call,
    pinned_blas_exactly,
    require_threads,
    run_fresh,
    sample,
    structure_table,
)
from .harness import pinning, threads
from .harness.build_contents import kernels, missing_reason

call_in_prange, openmp_enabled, team_size = kernels("gilbench._openmp_helpers", "call_in_prange",
                                                    "openmp_enabled", "team_size")
sumsq_prange = kernels("c7_prange_overhead", "sumsq_prange")
nested_matmul = kernels("c9_blas_contention", "nested_matmul")

#: Wait policies of libgomp: the default spins a while after each region.
POLICIES = {
    "default": {},
    "PASSIVE": {"OMP_WAIT_POLICY": "PASSIVE"},
    "SPINCOUNT0": {"GOMP_SPINCOUNT": "0"},
}
PATTERNS = ["nested", "alternating", "concurrent"]

# Workload sizes: each pattern takes a few ms at its best on one core.
NESTED_SHAPE = (16, 128, 128)      # 16 chunks of 128x128 @ 128x128
MATMUL_N = 256                     # NumPy matmul of 256x256 matrices
PRANGE_N = 100_000                 # short prange region between two matmuls
ALTERNATING_REPEATS = 10
CONCURRENT_CALLS = 10


@functools.cache
def _data():
    rng = np.random.default_rng(9)
    return {
        "a3": rng.standard_normal(NESTED_SHAPE),
        "b2": rng.standard_normal(NESTED_SHAPE[2:] * 2),
        "out": np.empty(NESTED_SHAPE),
        "m": rng.standard_normal((MATMUL_N, MATMUL_N)),
        "x": rng.standard_normal(PRANGE_N),
        "xl": rng.standard_normal(10 * PRANGE_N),
    }


def alternating(a, b, x, repeats, omp=1):
    """``repeats`` times, ``numpy.matmul(a, b)`` (BLAS, with the threads BLAS
    is pinned to) then C7's ``sumsq_prange`` of ``x`` on ``omp`` OpenMP
    threads.  Returns ``(last product, sum of the reductions)``."""
    if isinstance(repeats, bool) or not isinstance(repeats, (int, np.integer)) or repeats < 1:
        raise ValueError(f"repeats must be an integer >= 1, got {repeats!r}")
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != np.float64 or b.dtype != np.float64 or a.ndim != 2 or b.ndim != 2:
        raise ValueError("a and b must be 2-D float64 arrays")
    if a.shape[1] != b.shape[0]:
        raise ValueError(f"a is {a.shape} and b is {b.shape}: inner dimensions must match")
    total = 0.0
    product = None
    for _ in range(repeats):
        product = np.matmul(a, b)
        total += sumsq_prange(x, omp)
    return product, total


def concurrent(omp):
    """Run CONCURRENT_CALLS prange reductions in one thread while another runs
    as many matmuls; return (seconds until both finished, prange calls/s,
    matmul calls/s)."""
    d = _data()
    spans = {}

    def prange_side():
        t0 = time.perf_counter()
        for _ in range(CONCURRENT_CALLS):
            sumsq_prange(d["xl"], omp)
        spans["prange"] = time.perf_counter() - t0

    def blas_side():
        t0 = time.perf_counter()
        for _ in range(CONCURRENT_CALLS):
            np.matmul(d["m"], d["m"])
        spans["blas"] = time.perf_counter() - t0

    threads = [threading.Thread(target=prange_side), threading.Thread(target=blas_side)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return (time.perf_counter() - t0, CONCURRENT_CALLS / spans["prange"],
            CONCURRENT_CALLS / spans["blas"])


def make_call(pattern, omp):
    """The zero-argument call that one pattern times at ``omp`` threads."""
    d = _data()
    if pattern == "nested":
        return functools.partial(nested_matmul, d["a3"], d["b2"], d["out"], omp)
    if pattern == "alternating":
        return functools.partial(alternating, d["m"], d["m"], d["x"], ALTERNATING_REPEATS, omp)
    if pattern == "concurrent":
        return functools.partial(concurrent, omp)
    raise ValueError(f"unknown pattern {pattern!r}")


def threads_at_once(pattern, omp, blas) -> int:
    """How many threads a pattern runs at once: BLAS inside each prange thread
    (nested) multiplies, both teams side by side (concurrent) add, one after
    the other (alternating) takes the larger."""
    if pattern == "nested":
        return omp * blas
    if pattern == "concurrent":
        return omp + blas
    return max(omp, blas)


def over_limit(pattern, omp, blas):
    """Why a grid point asks for more threads than this machine may run, or None."""
    return threads.over_limit(threads_at_once(pattern, omp, blas),
                              f"{pattern} {omp} OpenMP x {blas} BLAS")


def check_pinnable(omp, pattern=None, blas=1):
    """Skip, with the reason, a grid point this build or this BLAS cannot run:
    an OpenMP count above 1 without OpenMP, a BLAS threaded with OpenMP, or
    more threads at once than :func:`.harness.threads.thread_limit`."""
    require_threads(omp)
    reasons = pinning.unpinnable_blas()
    if reasons:
        raise NotImplementedError("; ".join(reasons))
    why = over_limit(pattern, omp, blas) if pattern else None
    if why:
        raise NotImplementedError(why)


def measure(pattern, omp, blas):
    """Median seconds of one call of ``pattern``, pinned; used in fresh processes."""
    check_pinnable(omp)
    call = make_call(pattern, omp)
    with pinned_blas_exactly(blas):
        call()  # warm: thread teams started, pages touched (per_call adds one more)
        return sample(lambda: per_call(call), 9, warm=False).value


class _C9Grid(Benchmark):
    """Pins BLAS to the grid point's count (the base class skips OpenMP counts
    this build cannot run); skips, with the reason, what cannot be pinned."""

    params = (GRID_OMP, GRID_BLAS)
    param_names = ["omp_threads", "blas_threads"]
    thread_param = "omp_threads"
    pin_blas = None  # pinned per grid point below
    #: The pattern whose thread limit applies to every point (None: set per point).
    pattern = None

    def setup(self, *args):
        super().setup(*args)
        values = self.param_values(args)
        check_pinnable(values["omp_threads"], self.pattern or values.get("pattern"),
                       values["blas_threads"])
        self._pins.enter_context(pinned_blas_exactly(values["blas_threads"]))


class TimeC9Pattern(_C9Grid):
    """C9: raw time of each pattern -- nested (dgemm per chunk inside a
    prange), alternating (NumPy matmul then a short prange, 10 times),
    concurrent (prange reductions in one Python thread, matmul in another,
    until both have done 10 calls)."""

    params = (PATTERNS, GRID_OMP, GRID_BLAS)
    param_names = ["pattern", "omp_threads", "blas_threads"]
    thread_param = "omp_threads"

    def setup(self, pattern, omp, blas):
        super().setup(pattern, omp, blas)
        self.call = make_call(pattern, omp)

    def time_c9_pattern(self, pattern, omp, blas):
        self.call()


class TrackC9ConcurrentThroughput(_C9Grid):
    """C9 concurrent: calls per second of each side (prange reductions over
    1e6 elements, or 256x256 NumPy matmuls) while the other side runs in a
    second Python thread.  (A ratio to "alone" measured in the same process
    would be skewed by BLAS workers left spinning by the concurrent rounds;
    the cross-configuration ratio is TrackC9Slowdown, in fresh processes.)"""

    params = (["prange", "blas"], GRID_OMP, GRID_BLAS)
    param_names = ["side", "omp_threads", "blas_threads"]
    thread_param = "omp_threads"
    unit = "calls/s while both run"
    pattern = "concurrent"

    def track_c9_concurrent_throughput(self, side, omp, blas):
        return sample(lambda: concurrent(omp)[1 if side == "prange" else 2], 7).value


class TimerawC9AlternatingWaitPolicy:
    """C9 remedy: the alternating pattern in a fresh process under a libgomp
    wait policy (read once at start-up, hence timeraw)."""

    params = (list(POLICIES), GRID_OMP, GRID_BLAS)
    param_names = ["policy", "omp_threads", "blas_threads"]
    repeat = (3, 5, 20.0)
    number = 1
    timeout = 120

    def setup(self, policy, omp, blas):
        # A timeraw_ class, not a Benchmark: its own skips.
        reason = missing_reason(make_call)
        if reason:
            raise NotImplementedError(reason)
        check_pinnable(omp, "alternating", blas)

    def timeraw_c9_alternating(self, policy, omp, blas):
        env = "".join(f"os.environ[{k!r}] = {v!r}; " for k, v in POLICIES[policy].items())
        # The pin stays entered for the whole (fresh, short-lived) process.
        setup = (f"import os; {env}"
                 f"{fresh_import('bench_c9_blas_contention', 'make_call')}; "
                 f"{fresh_import('harness.pinning', 'pinned')}; "
                 f"pinned(blas={blas}).__enter__(); "
                 f"call = make_call('alternating', {omp}); call(); call()")
        return "call()", setup


class TrackC9Slowdown(Benchmark):
    """C9: each pattern's time at each (policy, OpenMP, BLAS) point divided by
    that pattern's best time over the whole grid -- every point measured in a
    fresh process.  1.0 marks the best configuration; the remedies are the
    rows where it lands."""

    params = (PATTERNS, list(POLICIES), GRID_OMP, GRID_BLAS)
    param_names = ["pattern", "policy", "omp_threads", "blas_threads"]
    thread_param = "omp_threads"
    unit = "slowdown vs best configuration"
    timeout = 900
    pin_blas = None  # every point is pinned in its own fresh process

    def setup_cache(self):
        # A NotImplementedError here would be a failure, not a skip: record
        # why nothing was measured, and let setup() skip with that reason.
        # Each point runs measure() in a fresh process: a kernel it reaches
        # that this build lacks is a skip, not that process's failure.
        reasons = [missing_reason(measure)] if missing_reason(measure) else \
            pinning.unpinnable_blas()
        if reasons:
            return {"skip": "; ".join(reasons)}
        omps = [omp for omp in GRID_OMP if omp == 1 or openmp_enabled()]
        times = {}
        for pattern in PATTERNS:
            for policy, env in POLICIES.items():
                for omp in omps:
                    for blas in GRID_BLAS:
                        if over_limit(pattern, omp, blas):
                            continue   # skipped in setup, with the reason
                        times[pattern, policy, omp, blas] = run_fresh(
                            "bench_c9_blas_contention", "measure", pattern, omp, blas, env=env)
        best = {p: min(t for k, t in times.items() if k[0] == p) for p in PATTERNS}
        return {k: t / best[k[0]] for k, t in times.items()}

    def setup(self, table, *params):
        super().setup(table, *params)  # skips OpenMP counts this build cannot run
        if "skip" in table:
            raise NotImplementedError(table["skip"])
        pattern, _, omp, blas = params
        why = over_limit(pattern, omp, blas)
        if why:
            raise NotImplementedError(why)

    def track_c9_slowdown(self, table, pattern, policy, omp, blas):
        return table[pattern, policy, omp, blas]


class TrackC9PinnedConfiguration(_C9Grid):
    """C9 record: what the libraries report inside the pinned region, asked
    from inside every prange worker thread -- the smallest and largest BLAS
    thread count seen (both must equal blas_threads), the OpenMP team size
    (must equal omp_threads), and how many BLAS libraries were pinned.
    ``gilbench info`` prints their names, versions and threading layers."""

    unit = "threads"
    rounds = 1  # a read-out of the configuration, not a measurement

    def _seen_from_prange(self, omp):
        seen = call_in_prange(lambda: list(pinning.pinned.blas_threads().values()), omp)
        return [n for _, counts in seen for n in counts]

    def track_c9_blas_threads_min(self, omp, blas):
        return min(self._seen_from_prange(omp))

    def track_c9_blas_threads_max(self, omp, blas):
        return max(self._seen_from_prange(omp))

    def track_c9_openmp_team(self, omp, blas):
        return team_size(omp)

    def track_c9_blas_libraries(self, omp, blas):
        """How many BLAS libraries were loaded and pinned (NumPy's and SciPy's)."""
        return len(pinning.blas_info())


class TrackC9Instructions(InstructionCounts):
    """C9: instructions per chunk of the nested kernel (one 8x8 @ 8x8
    ``dgemm`` through scipy's cython_blas per chunk) on one OpenMP and one
    BLAS thread, counted exactly by callgrind (skipped, with the reason,
    without valgrind): the work whose threads compete, without the
    competition."""

    unit = "instructions per chunk"

    def setup_cache(self):
        return instruction_table({"nested": ("gilbench.kernels.c9_blas_contention",
                                             "nested_matmul", "chunks_1thread")})

    def track_c9_instructions(self, table):
        return table["nested"]


class TrackC9Structure(StructureCounts):
    """C9: the nested pattern (a BLAS call in each prange thread), counted
    exactly: the OpenMP threads at work per call, at 1 thread, the usable
    CPUs and twice them.  Each of them calls BLAS, so with BLAS on b threads
    b times as many threads compete for the cores (BLAS is pinned to 1 while
    counting: its own threads are not counted here)."""

    params = [threads.corner_counts(oversubscribe=True)]
    param_names = ["threads"]
    thread_param = "threads"
    unit = "OpenMP threads per call"

    def setup_cache(self):
        return structure_table({str(nt): ("gilbench.kernels.c9_blas_contention", "nested_matmul",
                                          "chunks_threads", nt)
                                for nt in threads.corner_counts(oversubscribe=True)})

    def track_c9_structure(self, table, nt):
        return table[str(nt)]["per_call"]["team_members"]
