"""What every gilbench benchmark shares: sizes, thread counts, pinning,
seeded data built once per process, and interleaved ratio timing.

Thread counts and pins come from :mod:`gilbench.threads` and
:mod:`gilbench.pinning`; this module only applies them.
"""

from __future__ import annotations

import functools
import os
import statistics
import time

import numpy as np

from gilbench import _openmp_helpers
from gilbench.pinning import pinned
from gilbench.threads import corner_counts, thread_counts, usable_cpus

__all__ = ["SMOKE", "SIZES", "THREADS", "THREADS_OVERSUBSCRIBED", "GRID_OMP", "GRID_BLAS",
           "run_fresh", "extra_ns_per_event", "Benchmark", "vector",
           "require_threads", "interleaved_ratios", "usable_cpus", "pinned"]

#: GILBENCH_SMOKE=1 shrinks every sweep to its smallest point and every
#: interleaved measurement to 3 short rounds: for checking that the whole suite
#: runs (CI, the tests), never for numbers.
SMOKE = os.environ.get("GILBENCH_SMOKE", "") == "1"

#: Problem sizes (elements) of the size sweeps: 1e3 .. 1e7.
SIZES = [10**3] if SMOKE else [10**3, 10**4, 10**5, 10**6, 10**7]

#: 1 .. usable CPUs, and the same plus 2 x CPUs where oversubscription matters.
THREADS = thread_counts()
THREADS_OVERSUBSCRIBED = thread_counts(oversubscribe=True)

#: GILBENCH_FULL_GRID=1 sweeps every thread count in the grid benchmarks (C9);
#: by default they keep the corners (1, CPUs, 2 x CPUs), whatever the machine.
FULL_GRID = os.environ.get("GILBENCH_FULL_GRID", "") == "1"
if SMOKE:
    GRID_OMP, GRID_BLAS = [1], [1]
elif FULL_GRID:
    GRID_OMP, GRID_BLAS = THREADS_OVERSUBSCRIBED, THREADS
else:
    GRID_OMP, GRID_BLAS = corner_counts(oversubscribe=True), corner_counts()


@functools.lru_cache(maxsize=16)
def vector(n: int, seed: int = 0) -> np.ndarray:
    """A read-only float64 vector of n standard normals, built once per process."""
    a = np.random.default_rng(seed).standard_normal(n)
    a.flags.writeable = False
    return a


def require_threads(num_threads: int) -> None:
    """Skip (asv's NotImplementedError) what cannot run as asked on this build."""
    if num_threads > 1 and not _openmp_helpers.openmp_enabled():
        raise NotImplementedError(
            f"gilbench was built without OpenMP: a {num_threads}-thread prange would run serially")


#: Parameter names that carry an OpenMP thread count.
THREAD_PARAMS = ("threads", "omp_threads")


class Benchmark:
    """Base of every benchmark class: timing settings sized for the suite's
    budget; a skip (with the reason) of any OpenMP thread count above 1 when
    gilbench was built without OpenMP -- read from the parameter named
    ``threads`` or ``omp_threads``; and BLAS pinned to ``pin_blas`` threads
    (1 unless a benchmark varies it) for the duration of each benchmark.
    Subclasses that override ``setup`` call ``super().setup(*params)``."""

    #: asv timing: warm up (cold OpenMP teams and caches are not the kernel),
    #: then 3..10 samples within ~1 s; one round keeps the suite in budget.
    warmup_time = 0.1
    repeat = (3, 10, 1.0)
    rounds = 1
    timeout = 120

    pin_blas: int | None = 1

    def setup(self, *params):
        names = list(getattr(self, "param_names", []))
        # With setup_cache, asv passes its result before the parameters.
        values = params[len(params) - len(names):] if names else ()
        for name, value in zip(names, values):
            if name in THREAD_PARAMS:
                require_threads(value)
        if self.pin_blas is not None:
            self._pin = pinned(blas=self.pin_blas).__enter__()

    def teardown(self, *params):
        pin = getattr(self, "_pin", None)
        if pin is not None:
            pin.__exit__(None, None, None)
            self._pin = None


def extra_ns_per_event(base, variant, events: int) -> float:
    """Extra nanoseconds per event of ``variant`` over ``base``, two calls
    that do the same work except for ``events`` events (GIL releases, GIL
    acquisitions): the interleaved ratio times the base's own time."""
    ratio = interleaved_ratios({"base": base, "variant": variant}, "base")["variant"]
    base_time = statistics.median(_per_call(base, 1) for _ in range(5))
    return 1e9 * base_time * (ratio - 1.0) / events


def _per_call(func, number: int) -> float:
    func()  # untimed: wakes threads an earlier batch left idle, warms caches
    t0 = time.perf_counter()
    for _ in range(number):
        func()
    return (time.perf_counter() - t0) / number


def interleaved_ratios(funcs: dict, baseline: str, *, rounds: int = 9,
                       batch_time: float = 2e-3, max_time: float = 10.0) -> dict:
    """Median over rounds of ``time(f) / time(funcs[baseline])`` for every f.

    Each round times every function once, one after another, so that a machine
    that speeds up or slows down during the measurement moves numerator and
    denominator together; the round's ratios are taken before the median.
    Calls are batched so each timing lasts at least ``batch_time`` seconds,
    and each batch starts with one untimed call: an OpenMP team left idle by
    the previous batch wakes slowly (milliseconds), which is a cost of its own
    (C7), not of the function being compared.
    The measurement stops early (with at least 3 rounds) after ``max_time``.
    """
    if SMOKE:
        rounds, batch_time = 3, 1e-4
    if baseline not in funcs:
        raise ValueError(f"baseline {baseline!r} is not one of {sorted(funcs)}")
    numbers = {}
    for name, func in funcs.items():
        once = _per_call(func, 1)
        numbers[name] = max(1, int(batch_time / max(once, 1e-9)))
    ratios = {name: [] for name in funcs}
    names = list(funcs)
    start = time.perf_counter()
    for r in range(rounds):
        order = names[r % len(names):] + names[:r % len(names)]  # rotate
        times = {name: _per_call(funcs[name], numbers[name]) for name in order}
        for name in names:
            ratios[name].append(times[name] / times[baseline])
        if r >= 2 and time.perf_counter() - start > max_time:
            break
    return {name: statistics.median(v) for name, v in ratios.items()}


def run_fresh(module: str, func: str, *args, env: dict | None = None, timeout: float = 300):
    """``module.func(*args)`` in a fresh Python process; returns its result.

    For what a running process cannot change: the OpenMP runtime reads
    ``OMP_WAIT_POLICY``/``GOMP_SPINCOUNT`` once, when it loads, and thread
    pools left by an earlier measurement (spinning OpenBLAS or libgomp
    workers) would leak into the next.  ``module`` is imported from this
    benchmark package; arguments and result must be JSON-able.
    """
    import json
    import subprocess
    import sys
    from pathlib import Path

    root = str(Path(__file__).resolve().parents[1])
    package = Path(__file__).resolve().parent.name
    code = ("import json, sys; sys.path.insert(0, {root!r}); "
            "from {package}.{module} import {func}; "
            "print(json.dumps({func}(*json.loads(sys.argv[1]))))").format(
                root=root, package=package, module=module, func=func)
    child_env = dict(os.environ)
    child_env.update(env or {})
    r = subprocess.run([sys.executable, "-c", code, json.dumps(list(args))], env=child_env,
                       capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError(f"fresh process {module}.{func}{args} failed:\n{r.stderr[-2000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])
