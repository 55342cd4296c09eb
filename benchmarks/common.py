"""What every gilbench benchmark shares: sizes, thread counts, pinning,
seeded data built once per process, and interleaved ratio timing.

Thread counts and pins come from :mod:`.harness.threads` and
:mod:`.harness.pinning`; this module only applies them.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

from gilbench import _openmp_helpers

from .harness.build_contents import absent_reason, missing_reason
from .harness.measurement import SMOKE, best, interleaved_ratios, per_call, sample
from .harness.pinning import pinned, start_blas_at_one
from .harness.threads import corner_counts, thread_counts, usable_cpus

__all__ = ["SMOKE", "SIZES", "THREADS", "THREADS_OVERSUBSCRIBED", "THREAD_CORNERS", "GRID_OMP",
           "GRID_BLAS",
           "run_fresh", "fresh_import", "extra_ns_per_event", "Benchmark", "vector",
           "require_threads", "interleaved_ratios", "sample", "per_call", "best", "usable_cpus",
           "pinned",
           "pinned_blas_exactly", "instruction_table", "InstructionCounts",
           "STRUCTURE_THREADS", "structure_table", "StructureCounts"]

# BLAS at one thread from the suite's import on (Benchmark.pin_blas's
# default).  Under asv's fork server this import is the server's, and a
# benchmark process forked from a server at one thread starts no OpenBLAS
# pool to spin beside what it times (harness.pinning.start_blas_at_one).
start_blas_at_one()

# GILBENCH_SMOKE=1 shrinks every sweep below to its smallest point, and
# .harness.measurement every repeat count: for checking that the whole suite
# runs (CI, the tests), never for numbers.

#: GILBENCH_FAIL_BENCHMARK=<regex>: every benchmark class whose name matches
#: fails in setup, on purpose -- to check that a night records a failure and
#: still stores the other results (the nightly's tests do).
FAIL_ON_PURPOSE = os.environ.get("GILBENCH_FAIL_BENCHMARK", "")

#: Problem sizes (elements) of the size sweeps: 1e3 .. 1e7.
SIZES = [10**3] if SMOKE else [10**3, 10**4, 10**5, 10**6, 10**7]

#: 1 .. usable CPUs, and the same plus 2 x CPUs where oversubscription matters.
THREADS = thread_counts()
THREADS_OVERSUBSCRIBED = thread_counts(oversubscribe=True)
#: The corners only (1, CPUs, 2 x CPUs): for a benchmark that sweeps other
#: axes as well and is shown rather than judged, so that its grid does not
#: grow with the machine (the same counts as the ladder up to 3 CPUs).
THREAD_CORNERS = corner_counts(oversubscribe=True)
if SMOKE:
    # Only whether each benchmark runs: one thread, and the most threads
    # each sweep asks for (the usable CPUs, or twice them).
    THREADS = corner_counts()
    THREADS_OVERSUBSCRIBED = THREAD_CORNERS = THREAD_CORNERS[::len(THREAD_CORNERS) - 1]

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


class Benchmark:
    """Base of every benchmark class: timing settings sized for the suite's
    budget; BLAS pinned to ``pin_blas`` threads (1 unless a benchmark varies
    it) for the duration of each benchmark; and, for a class that names its
    OpenMP thread-count parameter in ``thread_param``, a skip (with the reason)
    of any count above 1 when gilbench was built without OpenMP.
    Subclasses that override ``setup`` call ``super().setup(*args)`` with
    every argument asv gave them."""

    #: asv timing: warm up (cold OpenMP teams and caches are not the kernel),
    #: then 2..5 samples within ~0.5 s, in each of two rounds.  asv runs the
    #: rounds as separate processes minutes apart, so a value is the median
    #: of two moments of a machine whose speed drifts, not of one (the same
    #: samples and time as one round of 3..10; a ``track_`` computed in its
    #: method is computed twice).  A ratio table made in ``setup_cache`` is
    #: made once per run: its noise is cut by interleaving instead.
    warmup_time = 0.1
    repeat = (2, 5, 0.5)
    rounds = 2
    timeout = 120

    param_names: list[str] = []
    #: The parameter that carries the prange's OpenMP thread count, or None.
    thread_param: str | None = None
    #: BLAS threads for the whole benchmark; None leaves BLAS to the class.
    pin_blas: int | None = 1

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.thread_param is not None and cls.thread_param not in cls.param_names:
            raise TypeError(f"{cls.__name__}.thread_param = {cls.thread_param!r} is not one "
                            f"of its param_names {cls.param_names}")
        own = cls.__dict__.get("setup_cache")
        if own is not None:
            # asv runs setup_cache before setup, and an exception there is a
            # failure: a class whose kernels this build lacks records the
            # skip instead (setup then raises it).  functools.wraps keeps
            # asv's cache key (the module and line of the original).
            @functools.wraps(own)
            def setup_cache(self):
                reason = missing_reason(type(self))
                return {"skip": reason} if reason else own(self)
            cls.setup_cache = setup_cache

    def param_values(self, args) -> dict:
        """{parameter name: value} from the arguments asv passes to setup,
        which start with setup_cache's result when the class has one."""
        if hasattr(self, "setup_cache"):
            args = args[1:]
        return dict(zip(self.param_names, args, strict=True))

    def setup(self, *args):
        # A kernel this build lacks (an older commit's): asv's skip, naming it.
        reason = missing_reason(type(self))
        if reason:
            raise NotImplementedError(reason)
        if FAIL_ON_PURPOSE and re.search(FAIL_ON_PURPOSE, type(self).__name__):
            raise RuntimeError(f"{type(self).__name__} fails on purpose "
                               f"(GILBENCH_FAIL_BENCHMARK={FAIL_ON_PURPOSE!r})")
        if self.thread_param is not None:
            require_threads(self.param_values(args)[self.thread_param])
        self._pins = contextlib.ExitStack()
        if self.pin_blas is not None:
            self._pins.enter_context(pinned(blas=self.pin_blas))

    def teardown(self, *args):
        pins = getattr(self, "_pins", None)
        if pins is not None:
            pins.close()


@contextlib.contextmanager
def pinned_blas_exactly(blas: int):
    """``pinned(blas=blas)``, skipping (asv's NotImplementedError) when the
    loaded BLAS libraries do not all report ``blas`` threads inside it."""
    with pinned(blas=blas) as pin:
        got = set(pin.blas_threads().values())
        if got != {blas}:
            raise NotImplementedError(f"BLAS could not be pinned to {blas} threads: "
                                      f"the libraries report {sorted(got)}")
        yield pin


class Uncounted(NotImplementedError):
    """A point of a :class:`CountTable` this build could not count (asv's
    skip, for the parameters that read it)."""


class CountTable(dict):
    """{label: count} of a count benchmark's points.  A point this build
    cannot count -- its kernel is not in the build, or takes other arguments
    (an older commit's) -- holds ``{"skip": reason}``, and reading it raises
    :class:`Uncounted` with the reason: :func:`skip_uncounted` turns that
    into asv's skip of just the parameters that read it."""

    def __init__(self, points: dict, counted: dict):
        super().__init__()
        for label, point in points.items():
            self[label] = counted[label] if label in counted else \
                {"skip": absent_reason([point])}

    def __getitem__(self, label):
        value = super().__getitem__(label)
        if isinstance(value, dict) and set(value) == {"skip"}:
            raise Uncounted(value["skip"])
        return value


def skip_uncounted(bench, table, params) -> None:
    """asv's skip (NotImplementedError, with the reason) for a count
    benchmark whose table is skipped whole, or whose parameters read a point
    of it the build could not count.  The ``track_`` methods of a count
    benchmark only read the table, so reading it here first is free."""
    if "skip" in table and not isinstance(table, CountTable):
        raise NotImplementedError(table["skip"])
    for name in dir(type(bench)):
        if name.startswith("track_"):
            try:
                getattr(bench, name)(table, *params)
            except Uncounted as exc:
                raise NotImplementedError(str(exc)) from None


#: True while :func:`every_instruction_point` asks each count table what it
#: counts (its ``setup_cache`` then returns the points instead of counting).
_LISTING = False


def instruction_table(points: dict) -> dict:
    """{label: instructions per element} of each point, counted exactly by
    callgrind (see :mod:`.harness.instructions`); for a ``setup_cache``.  The
    first table of a build counts every table's points in one valgrind
    process and keeps them for the others (``per_element_shared``).  Where
    they cannot be counted, ``{"skip": reason}``, which
    :class:`InstructionCounts` turns into asv's skip."""
    if _LISTING:
        return {"points": points}
    from .harness import instructions

    present = {label: p for label, p in points.items() if not absent_reason([p])}
    universe = [p for p in every_instruction_point() if not absent_reason([p])]
    try:
        counted = instructions.per_element_shared(present, universe) if present else {}
    except instructions.Unavailable as exc:
        return {"skip": str(exc)}
    return CountTable(points, counted)


def every_instruction_point() -> list:
    """(module, function, recipe) of every instruction count in the suite:
    each :class:`InstructionCounts` class of ``bench_*.py`` asked for its
    points.  Empty when the suite is not imported as a package (each table
    then counts its own)."""
    global _LISTING
    import importlib

    package = __name__.rpartition(".")[0]
    if not package:
        return []
    found = []
    _LISTING = True
    try:
        for path in sorted(Path(__file__).parent.glob("bench_*.py")):
            module = importlib.import_module(f"{package}.{path.stem}")
            for obj in vars(module).values():
                if isinstance(obj, type) and issubclass(obj, InstructionCounts) and \
                        obj.__module__ == module.__name__:
                    listed = obj().setup_cache().get("points", {})
                    found += [tuple(p) for p in listed.values()]
    finally:
        _LISTING = False
    return found


class InstructionCounts(Benchmark):
    """Base of the exact instruction-count benchmarks: a subclass defines
    ``setup_cache`` (one line: ``instruction_table({...})``; asv keys the cache
    by where ``setup_cache`` is written, so each class writes its own) and a
    ``track_`` method reading the table.  Skipped, with the reason, where the
    counts cannot be taken."""

    unit = "instructions per element"
    timeout = 900
    #: Exact: a second round would count the same instructions again.
    rounds = 1

    def setup(self, table, *params):
        super().setup(table, *params)
        skip_uncounted(self, table, params)


#: The thread counts of the exact structure counts: 1 and the usable CPUs
#: (C9 adds 2 x CPUs, where oversubscription is its point); OpenMP threads,
#: or Python threads where the claim is about those (C2, C4).  Whatever the
#: smoke setting: a count costs the same at every size.
STRUCTURE_THREADS = corner_counts()


def structure_table(points: dict) -> dict:
    """{label: {"per_call": {...}, "per_element": {...}}} of each point
    (module, function, recipe, threads), counted exactly by interposing the
    OpenMP runtime's and CPython's entry points (:mod:`.harness.structure`);
    for a ``setup_cache``.  ``{"skip": reason}`` where they cannot be
    counted, which :class:`StructureCounts` turns into asv's skip."""
    from .harness import structure

    present = {label: p for label, p in points.items() if not absent_reason([p])}
    try:
        counted = structure.per_call(present) if present else {}
    except structure.Unavailable as exc:
        return {"skip": str(exc)}
    return CountTable(points, counted)


class StructureCounts(Benchmark):
    """Base of the exact structure counts (regions, team members, GIL
    transitions per kernel call): a subclass defines ``setup_cache`` (one
    ``structure_table({...})``) and a ``track_`` method reading the table.
    Skipped, with the reason, where the counts cannot be taken, or where the
    build has no OpenMP (a count at 2 threads then describes a serial loop)."""

    unit = "count"
    timeout = 300
    #: Exact: a second round would count the same again.
    rounds = 1
    repeat = 1
    number = 1

    def setup(self, table, *params):
        super().setup(table, *params)
        skip_uncounted(self, table, params)


def extra_ns_per_event(base, variant, events: int) -> float:
    """Extra nanoseconds per event of ``variant`` over ``base``, two calls
    that do the same work except for ``events`` events (GIL releases, GIL
    acquisitions): the interleaved ratio times the base's own time."""
    ratio = interleaved_ratios({"base": base, "variant": variant}, "base")["variant"].value
    base_time = sample(lambda: per_call(base), 5, warm=False).value
    return 1e9 * base_time * (ratio - 1.0) / events


def fresh_import(module: str, *names: str) -> str:
    """Python source that, in a fresh interpreter, imports ``names`` from
    ``module`` of this benchmark package (for :func:`run_fresh` and asv's
    ``timeraw_`` benchmarks, whose code runs in a new process)."""
    root = str(Path(__file__).resolve().parents[1])
    package = Path(__file__).resolve().parent.name
    return (f"import sys; sys.path.insert(0, {root!r}); "
            f"from {package}.{module} import {', '.join(names)}")


def run_fresh(module: str, func: str, *args, env: dict | None = None, timeout: float = 300):
    """``module.func(*args)`` in a fresh Python process; returns its result.

    For what a running process cannot change: the OpenMP runtime reads
    ``OMP_WAIT_POLICY``/``GOMP_SPINCOUNT`` once, when it loads, and thread
    pools left by an earlier measurement (spinning OpenBLAS or libgomp
    workers) would leak into the next.  ``module`` is imported from this
    benchmark package; arguments and result must be JSON-able.
    """
    code = (f"import json; {fresh_import(module, func)}; "
            f"print(json.dumps({func}(*json.loads(sys.argv[1]))))")
    child_env = dict(os.environ)
    child_env.update(env or {})
    r = subprocess.run([sys.executable, "-c", code, json.dumps(list(args))], env=child_env,
                       capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError(f"fresh process {module}.{func}{args} failed:\n{r.stderr[-2000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])
