"""The one place that pins BLAS and OpenMP threads (through threadpoolctl).

>>> from benchmarks.harness.pinning import pinned
>>> with pinned(blas=1, openmp=2) as pin:
...     pin.blas_threads()          # every loaded BLAS, e.g. {'...libscipy_openblas...so': 1, ...}

``pinned`` is a context manager and a decorator.  It limits *every* BLAS
library loaded in the process -- NumPy's and SciPy's wheels each ship their own
OpenBLAS -- and restores the original limits on exit, also when the body
raises.

BLAS caveat: a pthreads OpenBLAS (what the NumPy and SciPy wheels ship) has one
thread count for the whole process, and threadpoolctl lets only one Python
thread at a time set it: while one thread is inside ``pinned``, a ``pinned``
entered by another thread leaves BLAS unchanged.  Pin BLAS from one thread.

OpenMP caveat: libgomp keeps its thread limit *per thread*.  threadpoolctl's
OpenMP limit (``openmp=``) therefore applies only to the thread that entered
``pinned``; a prange started from another Python thread does not see it.  To
pin the thread that runs the prange, enter ``pinned`` *in that thread* -- use
it as a decorator on the thread's target, or call :func:`run_pinned`.  A
kernel's explicit ``num_threads=`` argument overrides any OpenMP limit.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import threading

from threadpoolctl import ThreadpoolController

__all__ = ["controller", "pinned", "run_pinned", "blas_info", "openmp_info",
           "unpinnable_blas", "start_blas_at_one", "blas_as_left_by_package"]

#: {library path: threads} of every BLAS as it was when the suite first set
#: BLAS to one thread (:func:`start_blas_at_one`): what the package under
#: test, imported before, left it at.  The runtime record reads it.
_AS_LEFT: dict | None = None


@functools.cache
def controller() -> ThreadpoolController:
    """The cached ThreadpoolController, created after every library gilbench
    uses is loaded (NumPy's OpenBLAS, SciPy's OpenBLAS, the OpenMP runtime the
    kernels link), so that it sees all of them."""
    import numpy  # noqa: F401  NumPy's BLAS
    import scipy.linalg  # noqa: F401  SciPy's BLAS (cython_blas)

    from gilbench import _openmp_helpers  # noqa: F401  libgomp, when compiled in

    return ThreadpoolController()


def blas_info() -> list[dict]:
    """threadpoolctl's info for every loaded BLAS library (live thread counts)."""
    return [lib.info() for lib in controller().select(user_api="blas").lib_controllers]


def openmp_info() -> list[dict]:
    """threadpoolctl's info for every loaded OpenMP runtime (for the calling thread)."""
    return [lib.info() for lib in controller().select(user_api="openmp").lib_controllers]


def unpinnable_blas() -> list[str]:
    """Why BLAS threads cannot be pinned apart from OpenMP threads here, if so.

    An OpenBLAS built with OpenMP threading shares libgomp's pool: threadpoolctl
    cannot give it a count of its own.  Returns one reason per such library
    (empty when every BLAS is separately controllable).
    """
    reasons = []
    for info in blas_info():
        layer = info.get("threading_layer")
        if layer == "openmp":
            reasons.append(f"{info['filepath']} is threaded with OpenMP: its threads "
                           "cannot be pinned apart from the prange's")
    if not blas_info():
        reasons.append("no BLAS library that threadpoolctl can control is loaded")
    return reasons


def start_blas_at_one() -> None:
    """Set every loaded BLAS library to one thread and leave it there: the
    suite's default (``Benchmark.pin_blas``), set when the suite is imported.

    asv's fork server imports the suite once and forks every benchmark
    process from it.  At the fork OpenBLAS stops its thread pool, and in the
    child it starts a new one whenever it is given a thread count, even the
    count it already has; the new threads spin before they sleep, beside
    whatever is timed next (docs/main-job.md, and the probe's output there).  A
    server already at one thread, and :class:`pinned` leaving a library at its
    count alone, start no pool in the child: a BLAS call at one thread runs
    in the calling thread.  The setting claims BLAS for the calling thread
    (threadpoolctl's rule for a pthreads OpenBLAS) until a :class:`pinned`
    that changes BLAS in that thread exits.
    """
    global _AS_LEFT
    blas = controller().select(user_api="blas")
    if _AS_LEFT is None:
        _AS_LEFT = {lib.filepath: lib.num_threads for lib in blas.lib_controllers}
    if any(lib.num_threads != 1 for lib in blas.lib_controllers):
        blas.limit(limits=1)


def blas_as_left_by_package() -> dict | None:
    """{library path: threads} of every BLAS before the suite pinned it (None
    when :func:`start_blas_at_one` has not run in this process)."""
    return None if _AS_LEFT is None else dict(_AS_LEFT)


def _check_count(value, name):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int >= 1 or None, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}")
    return value


class pinned(contextlib.ContextDecorator):
    """Pin BLAS threads and/or OpenMP threads; restore them on exit.

    Parameters
    ----------
    blas : int or None, default 1
        Threads for every loaded BLAS library; None leaves BLAS alone.
    openmp : int or None, default None
        OpenMP threads for the *calling thread* (libgomp's limit is per
        thread); None leaves OpenMP alone.

    On entry it returns itself; :meth:`blas_threads` and :meth:`openmp_threads`
    report what the libraries say now.
    """

    def __init__(self, blas: int | None = 1, openmp: int | None = None):
        self.blas = _check_count(blas, "blas")
        self.openmp = _check_count(openmp, "openmp")
        self._limiter = None

    def _recreate_cm(self):
        # A fresh instance per decorated call: safe under recursion and threads.
        return copy.copy(self)

    def __enter__(self):
        wanted = {"blas": self.blas, "openmp": self.openmp}
        ctl = controller()
        # Only the libraries not at their count already: OpenBLAS restarts its
        # thread pool whenever it is given a count in a process forked from
        # one that had a pool (asv's fork server), even the count it has, and
        # the new threads spin before they sleep (see start_blas_at_one).
        moving = [lib.filepath for lib in ctl.lib_controllers
                  if wanted.get(lib.user_api) not in (None, lib.num_threads)]
        if moving:
            # Entered as threadpoolctl's own context manager: its exit restores
            # the limits *and* releases the "controlling thread" claim that it
            # keeps for pthreads OpenBLAS (otherwise no other thread could pin).
            limits = {api: n for api, n in wanted.items() if n is not None}
            self._limiter = ctl.select(filepath=moving).limit(limits=limits)
            self._limiter.__enter__()
        return self

    def __exit__(self, *exc):
        if self._limiter is not None:
            limiter, self._limiter = self._limiter, None
            limiter.__exit__(*exc)
        return False

    @staticmethod
    def blas_threads() -> dict[str, int]:
        """{library file: threads it reports now} for every loaded BLAS."""
        return {i["filepath"]: i["num_threads"] for i in blas_info()}

    @staticmethod
    def openmp_threads() -> dict[str, int]:
        """{runtime file: max threads it reports now, for this thread}."""
        return {i["filepath"]: i["num_threads"] for i in openmp_info()}

    def report(self) -> dict:
        """What was asked and what every library reports now (for run records)."""
        return {
            "requested": {"blas": self.blas, "openmp": self.openmp},
            "blas": blas_info(),
            "openmp": openmp_info(),
        }


def run_pinned(func, *args, blas: int | None = 1, openmp: int | None = None, **kwargs):
    """Run ``func(*args, **kwargs)`` in a new thread pinned inside that thread.

    The way to give a prange started from a worker thread an OpenMP limit
    (libgomp's limit is per thread).  Returns func's result; re-raises its
    exception in the caller.
    """
    result = {}

    @pinned(blas=blas, openmp=openmp)
    def target():
        try:
            result["value"] = func(*args, **kwargs)
        except BaseException as exc:  # handed back to the caller
            result["error"] = exc

    t = threading.Thread(target=target, name="gilbench-pinned")
    t.start()
    t.join()
    if "error" in result:
        raise result["error"]
    return result["value"]
