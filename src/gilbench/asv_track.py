"""A function ``gilbench advise`` measured, tracked in your own project's asv
suite: base classes for the benchmarks that ``gilbench advise FUNCTION
--asv-benchmark FILE`` writes (:func:`module_source`), so that ``asv run``,
``asv publish`` and a nightly follow the function over your commits.

* :class:`Counts` -- ``track_count(count, threads)``: the exact counts
  gilbench advise takes (the structure interposer, in a fresh process with
  the controlled runtime): GIL transitions per element, GIL releases per
  call, OpenMP regions per call and the team of each, at 1 thread and at the
  usable CPUs.  They read the same in every run, so any step in their graph
  is the code's.  Where they cannot be taken (no C compiler, not Linux) the
  benchmark is skipped with the reason.
* :class:`Time` -- ``time_call(n, threads)``: time per call at each size and
  thread count, OpenMP's and BLAS's threads pinned as the suite pins them
  (:class:`gilbench.harness.pinning.pinned`, BLAS at one thread).
* :class:`Runtime` -- ``track_runtime(item)``: the suite's runtime record
  (:mod:`gilbench.harness.runtime`: OpenMP's settings, the BLAS pools, the
  topology, the caller's thread variables), read in a benchmark process, so
  that each run's times say what they ran under.  It is the suite's
  ``benchmarks/bench_runtime.py`` again, over the installed harness: the
  suite's benchmarks cannot import the tool (asv's per-commit build leaves
  it out), and a user's suite has no ``benchmarks/harness``.

A generated module names this module, not its classes (``from gilbench
import asv_track``), since asv would take an imported base class for a
benchmark of its own.  Each generated :class:`Counts` subclass defines its
own ``setup_cache`` (asv keys a cache by the line that defines it, so an
inherited one would be shared by every advised function of a suite).
The asv environment needs gilbench installed (docs/advise.md).
"""

from __future__ import annotations

import keyword
import re

from gilbench import advise, advise_measure
from gilbench.harness import pinning, runtime, structure
from gilbench.harness.threads import usable_cpus

__all__ = ["COUNTS", "Counts", "Time", "Runtime", "thread_axis", "class_stem", "module_source"]

#: What :class:`Counts` tracks, per thread count.
COUNTS = ("gil_per_element", "gil_releases_per_call", "regions_per_call", "team_per_region")


def thread_axis() -> list[int]:
    """1 thread and the usable CPUs (one value on a 1-CPU machine)."""
    return sorted({1, usable_cpus()})


def _values(exact: dict) -> dict:
    call, elem = exact["per_call"], exact["per_element"]
    regions = call["regions"]
    return {"gil_per_element": elem["gil_ensures"] + elem["gil_restores"],
            "gil_releases_per_call": call["gil_saves"],
            "regions_per_call": regions,
            "team_per_region": call["team_members"] / regions if regions else 0}


class Counts:
    """Exact counts of ``spec``'s function (see the module)."""

    spec: dict = {}
    count_sizes = structure.SIZES
    params = (list(COUNTS), thread_axis())
    param_names = ["count", "threads"]
    unit = "count"
    timeout = 600

    def counts(self) -> dict:
        """{threads: {count: value}}, or {"unavailable": why}: what the
        generated ``setup_cache`` returns."""
        try:
            raw = advise.count(advise.Spec(**self.spec), self.params[1], self.count_sizes,
                               timeout=self.timeout)
        except structure.Unavailable as exc:
            return {"unavailable": str(exc)}
        return {nt: _values(exact) for nt, exact in raw.items()}

    def setup(self, table, count, threads):
        if "unavailable" in table:
            raise NotImplementedError(f"exact counts unavailable here: {table['unavailable']}")

    def track_count(self, table, count, threads):
        return table[str(threads)][count]


class Time:
    """Time per call of ``spec``'s function (see the module)."""

    spec: dict = {}
    params = ([1_000, 100_000], thread_axis())
    param_names = ["n", "threads"]

    def setup(self, n, threads):
        request = {"function": self.spec["function"], "args": self.spec.get("args")}
        f, make = advise_measure.load_function(request)
        arg = self.spec.get("threads_arg")
        self._call = advise_measure.make_call(f, advise_measure.make_args(make, n), arg,
                                              threads)
        self._pin = pinning.pinned(blas=1, openmp=None if arg else threads)
        self._pin.__enter__()
        self._call()   # the thread pool and first-call effects stay out of the time

    def teardown(self, n, threads):
        self._pin.__exit__(None, None, None)

    def time_call(self, n, threads):
        self._call()


class Runtime:
    """The runtime the function's benchmarks ran under, one item per point."""

    params = [list(runtime.ITEMS)]
    param_names = ["item"]
    unit = "value (see gilbench.harness.runtime.describe)"
    # A read-out, not a measurement: one process, one value.
    rounds = repeat = number = min_run_count = 1
    warmup_time = 0

    def setup(self, item):
        # An item that cannot be read here raises NotImplementedError: asv's skip.
        self.value = runtime.value(item)

    def track_runtime(self, item):
        return self.value


def class_stem(function: str) -> str:
    """``mypkg.kernels:smooth_pair`` -> ``SmoothPair``."""
    name = function.rsplit(":", 1)[-1].rsplit(".", 1)[-1]
    stem = "".join(part[:1].upper() + part[1:] for part in re.split(r"[^0-9A-Za-z]+", name)
                   if part)
    if not stem or not stem.isidentifier() or keyword.iskeyword(stem):
        raise ValueError(f"cannot name a benchmark class after {function!r}")
    return stem


def module_source(spec: advise.Spec, sizes=None, count_sizes=None, command: str = "") -> str:
    """The source of an asv benchmark module that tracks ``spec``'s function:
    a :class:`Counts` and a :class:`Time` subclass."""
    if not isinstance(spec, advise.Spec):
        raise TypeError(f"spec must be a gilbench.advise.Spec, got {type(spec).__name__}")
    sizes = sorted(set(sizes or Time.params[0]))
    count_sizes = tuple(count_sizes or structure.SIZES)
    if len(count_sizes) != 2 or not 0 < count_sizes[0] < count_sizes[1]:
        raise ValueError(f"count_sizes must be two sizes, the smaller first: {count_sizes!r}")
    stem = class_stem(spec.function)
    fields = {"function": spec.function, "args": spec.args, "threads_arg": spec.threads_arg}
    return f'''"""asv benchmarks of {spec.function}, measured as gilbench advise measures it.

Written by `{command or "gilbench advise --asv-benchmark"}`; needs gilbench in
the asv environment (docs/advise.md in gilbench).
"""

from gilbench import asv_track

SPEC = {fields!r}


class Track{stem}Counts(asv_track.Counts):
    """Exact GIL and OpenMP counts of {spec.function}: a step is the code's."""

    spec = SPEC
    count_sizes = {count_sizes!r}

    def setup_cache(self):
        return self.counts()


class Time{stem}(asv_track.Time):
    """Time per call of {spec.function} at 1 thread and the usable CPUs, BLAS pinned to 1."""

    spec = SPEC
    params = ({sizes!r}, asv_track.thread_axis())


class Track{stem}Runtime(asv_track.Runtime):
    """What the times of {spec.function} ran under: OpenMP, BLAS, topology."""
'''
