"""Exact counts of what parallel code does per kernel call: parallel regions
entered, the threads that ran each region's body, barriers, critical
sections, threads created, and GIL transitions (taking the GIL back with
``with gil``, releasing it, re-acquiring it after a release).

A wall-clock time cannot tell a prange that ran on 2 threads from one that
ran on 1 on a noisy machine; these counts can, and they do not move between
runs.  :func:`per_call` runs one fresh interpreter with ``structure.c``
(beside this file, compiled once by the C compiler) preloaded: it interposes
the OpenMP runtime's and CPython's entry points that the kernels call, counts
every call on every thread, and calls the real one.  Each point is called at
two sizes, each call between a reset and a read, after a first uncounted
call (the thread pool is made then), ``REPEATS`` times: a count is returned
only when every repeat gave the same number, so "exact" is shown, not
assumed.

From the two sizes: the count per call at the smaller size (regions, team
members: fixed per call) and the count per element (the difference over the
difference of sizes: GIL acquisitions per element, fixed costs dropped).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from . import compiled
from .build_contents import OLD_ARGUMENTS, other_arguments

__all__ = ["COUNTS", "RECIPES", "SIZES", "REPEATS", "Unavailable", "Counter", "per_call",
           "exact", "unavailable_reason", "interposer"]

#: The counts, in structure.c's order.
COUNTS = ("regions", "team_members", "barriers", "criticals", "threads_made", "gil_ensures",
          "gil_saves", "gil_restores")
#: The two sizes (elements, or C9's chunks) each point is counted at.
SIZES = (1_000, 3_000)
#: Times each call is counted; they must agree.
REPEATS = 3
#: C9's chunks: (CHUNK x CHUNK) @ (CHUNK x CHUNK).
CHUNK = 8

SOURCE = Path(__file__).with_name("structure.c")


class Unavailable(RuntimeError):
    """The counts cannot be taken here (the reason is the message)."""


def _normal(n, seed=0):
    import numpy as np

    return np.random.default_rng(seed).standard_normal(n)


def _x(f, n, nt):
    x = _normal(n)
    return lambda: f(x)


def _x_out(f, n, nt):
    x, out = _normal(n), _normal(n)
    return lambda: f(x, out)


def _x_y(f, n, nt):
    x, y = _normal(n), _normal(n, seed=1)
    return lambda: f(x, y)


def _iterations(f, n, nt):
    return lambda: f(n)


def _iterations_release_every_step(f, n, nt):
    return lambda: f(n, 1)


def _iterations_never_release(f, n, nt):
    return lambda: f(n, 0)


def _x_threads(f, n, nt):
    x = _normal(n)
    return lambda: f(x, nt)


def _x_out_threads(f, n, nt):
    x, out = _normal(n), _normal(n)
    return lambda: f(x, out, nt)


def _x_out_4stages_threads(f, n, nt):
    x, out = _normal(n), _normal(n)
    return lambda: f(x, out, 4, nt)


def _x_gil_every_element_threads(f, n, nt):
    x = _normal(n)
    return lambda: f(x, 1, nt)


def _chunks_threads(f, n, nt):
    import numpy as np

    a = _normal(n * CHUNK * CHUNK).reshape(n, CHUNK, CHUNK)
    b = _normal(CHUNK * CHUNK, 1).reshape(CHUNK, CHUNK)
    out = np.empty_like(a)
    return lambda: f(a, b, out, nt)


def _in_python_threads(recipe):
    """``recipe``'s call made by ``nt`` Python threads at once, each on its
    own data, started together and joined: the kernels of the claims about
    Python threads (C2, C4) at more than one thread.  An exception in a
    thread is raised in the caller.  The counts are of all ``nt`` calls."""
    def make(f, n, nt):
        import threading

        calls = [recipe(f, n, 1) for _ in range(nt)]

        def call():
            start, errors = threading.Barrier(nt), []

            def run(c):
                start.wait()
                try:
                    c()
                except BaseException as exc:  # handed to the caller
                    errors.append(exc)

            threads = [threading.Thread(target=run, args=(c,)) for c in calls]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            if errors:
                raise errors[0]
        return call
    return make


#: How a kernel f is called on n elements (or chunks, or loop steps) by nt
#: threads; the single-thread kernels' recipes take no thread count, and a
#: ``*_python_threads`` recipe calls one in each of nt Python threads.
RECIPES = {
    "x": _x,
    "x_out": _x_out,
    "x_y": _x_y,
    "iterations": _iterations,
    "iterations_release_every_step": _iterations_release_every_step,
    "iterations_never_release": _iterations_never_release,
    "x_threads": _x_threads,
    "x_out_threads": _x_out_threads,
    "x_out_4stages_threads": _x_out_4stages_threads,
    "x_gil_every_element_threads": _x_gil_every_element_threads,
    "chunks_threads": _chunks_threads,
    "x_y_python_threads": _in_python_threads(_x_y),
    "iterations_release_every_step_python_threads":
        _in_python_threads(_iterations_release_every_step),
    "iterations_never_release_python_threads": _in_python_threads(_iterations_never_release),
}


def interposer() -> Path:
    """The shared library of ``structure.c`` (:mod:`.compiled`).  Raises
    :class:`Unavailable` where it cannot be built or preloaded."""
    if not sys.platform.startswith("linux"):
        raise Unavailable(f"counts by interposition need Linux's dynamic linker, "
                          f"not {sys.platform}")
    try:
        return compiled.shared_library(SOURCE, "-ldl")
    except compiled.CompileError as exc:
        raise Unavailable(f"the counting library cannot be built: {exc}") from None


def unavailable_reason() -> str | None:
    """Why the counts cannot be taken here, or None."""
    try:
        interposer()
    except Unavailable as exc:
        return str(exc)
    return None


class Counter:
    """The interposer's counters, read in a process that runs with it
    preloaded (``LD_PRELOAD``, as :func:`per_call`'s child and gilbench
    advise's do)."""

    def __init__(self, path=None):
        import ctypes

        self._lib = ctypes.PyDLL(str(path or interposer()))   # PyDLL: a read releases no GIL
        self._lib.gilbench_structure_ncounts.restype = ctypes.c_int
        self._buf = (ctypes.c_long * self._lib.gilbench_structure_ncounts())()

    def count(self, call) -> list[int]:
        """The counts (:data:`COUNTS`' order) of one ``call()``, on every thread."""
        self._lib.gilbench_structure_reset()
        call()
        self._lib.gilbench_structure_read(self._buf)
        return list(self._buf)


def _child(spec: dict) -> None:
    """What runs with the interposer preloaded: every point at both sizes,
    REPEATS times; prints {label: [[counts at n1, counts at n2], ...]}."""
    import importlib

    counter = Counter(spec["interposer"])
    out = {}
    for label, (module, func, recipe, nt) in spec["points"].items():
        f = getattr(importlib.import_module(module), func)
        calls = [RECIPES[recipe](f, n, nt) for n in spec["sizes"]]
        try:
            for call in calls:
                call()  # the thread pool and first-call effects stay out of the counts
        except OLD_ARGUMENTS as exc:
            out[label] = {"skip": other_arguments(module, func, exc)}
            continue
        out[label] = [[counter.count(call) for call in calls] for _ in range(spec["repeats"])]
    print(json.dumps(out))


def exact(label: str, seen: list, sizes) -> dict:
    """{"per_call": {count: n}, "per_element": {count: x}} from ``seen``
    (repeats x the two ``sizes`` x :data:`COUNTS`): the counts at the smaller
    size, and the difference over the difference of sizes.  RuntimeError,
    naming ``label``, when two repeats differ (the counts are not exact)."""
    n1, n2 = sizes
    if any(rep != seen[0] for rep in seen[1:]):
        raise RuntimeError(f"{label}: the counts differ between repeats, they are not "
                           f"exact: {seen}")
    small, large = seen[0]
    return {
        "per_call": dict(zip(COUNTS, small, strict=True)),
        "per_element": {c: (b - a) / (n2 - n1)
                        for c, a, b in zip(COUNTS, small, large, strict=True)},
    }


def per_call(points: dict, sizes=SIZES, repeats: int = REPEATS,
             timeout: float = 600) -> dict[str, dict]:
    """{label: {"per_call": {count: n}, "per_element": {count: x}}} for
    ``points`` = {label: (module, function, recipe, threads)}; ``{"skip":
    reason}`` for a point whose kernel refuses the recipe's arguments (an
    older build's, :data:`.build_contents.OLD_ARGUMENTS`).  Raises
    :class:`Unavailable` where the interposer cannot be built, ValueError for
    a bad point, RuntimeError when the child fails or two repeats differ."""
    n1, n2 = sizes
    if not (isinstance(n1, int) and isinstance(n2, int) and 0 < n1 < n2):
        raise ValueError(f"sizes must be two integers 0 < n1 < n2, got {sizes!r}")
    for label, point in points.items():
        if (not isinstance(point, (tuple, list)) or len(point) != 4 or point[2] not in RECIPES
                or isinstance(point[3], bool) or not isinstance(point[3], int) or point[3] < 1):
            raise ValueError(f"point {label!r} must be (module, function, recipe, threads >= 1) "
                             f"with a recipe in {sorted(RECIPES)}, got {point!r}")
    spec = json.dumps({"points": points, "sizes": [n1, n2], "repeats": repeats,
                       "interposer": str(interposer())})
    root = Path(__file__).resolve().parents[__name__.count(".")]
    code = (f"import json, sys; sys.path.insert(0, {str(root)!r}); "
            f"from {__name__} import _child; _child(json.loads(sys.argv[1]))")
    env = dict(os.environ, LD_PRELOAD=str(interposer()), OPENBLAS_NUM_THREADS="1",
               OMP_DYNAMIC="false")
    r = subprocess.run([sys.executable, "-c", code, spec], env=env, capture_output=True,
                       text=True, timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError(f"the counting process exited {r.returncode}:\n{r.stderr[-3000:]}")
    raw = json.loads(r.stdout.strip().splitlines()[-1])
    out = {}
    for label, seen in raw.items():
        if isinstance(seen, dict):   # {"skip": reason}: an older build's kernel
            out[label] = seen
            continue
        out[label] = exact(label, seen, (n1, n2))
    return out
