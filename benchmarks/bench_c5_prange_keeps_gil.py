"""C5 on Cython 3.3+: three ways to do Python work in a parallel loop.

The loop is C5's blocked sum of squares over a 1e5-element vector, one
element per block, so that every iteration does one small Python operation
(an integer increment):

* ``kept``: a prange that keeps the GIL (``prange(nogil=False)``, Cython 3.3
  or newer; skipped, with the reason, on an older Cython);
* ``with_gil``: today's nogil prange with a ``with gil:`` block per iteration;
* ``section_once``: a released ``parallel()`` section whose threads take the
  GIL back once, at its top (per-thread initialisation), then run the loop
  without it -- Python work per thread instead of per iteration.

Measured at the corner thread counts (1, CPUs, 2 x CPUs): raw times, the
interleaved gain of keeping the GIL over taking it per iteration (the
claim's deciding value), the extra ns per iteration over the same loop
with no Python work, parallel efficiency, and the ns one acquisition at
the top of a section costs.
"""

import functools

from .common import (
    SMOKE,
    THREAD_CORNERS,
    Benchmark,
    extra_ns_per_event,
    interleaved_ratios,
    vector,
)
from .harness.build_contents import Missing, kernels, require

# Looked up by the way that needs it (require_way): a module-level name
# that a benchmark reaches would skip all of its ways.
if isinstance(kernels("c5_prange_keeps_gil", "prange_keeps_gil"), Missing):
    # Built with a Cython older than 3.3 (the build's own reason), or a
    # commit from before the kernel (which has none).
    NO_PRANGE_KEEPS_GIL = kernels("gilbench.kernels", "NO_PRANGE_KEEPS_GIL") or (
        f"not in this build of gilbench (Cython "
        f"{kernels('gilbench._build_info', 'cython_version') or 'unknown'})")
else:
    NO_PRANGE_KEEPS_GIL = None

#: The module of the nogil ways (each looked up by the way that needs it).
C5 = "c5_with_gil_in_prange"
N = 1000 if SMOKE else 100_000
#: Elements per section in the acquisition benchmark: small, so that the
#: section's own work does not drown the acquisitions.
SECTION_N = 1000
#: The ways, in the order the report shows them.
WAYS = ["kept", "with_gil", "section_once"]
#: Thread counts above 1 (efficiency at 1 thread is 1 by definition).
PARALLEL_CORNERS = [c for c in THREAD_CORNERS if c > 1]


#: The kernel of each way but ``kept``, in :data:`C5`.
WAY_KERNELS = {"plain": "prange_plain", "with_gil": "prange_with_gil",
               "section_once": "section_gil_once"}


def require_way(way: str | None):
    """The kernel of ``way``; asv's skip (NotImplementedError) for a way this
    build cannot run."""
    if way == "kept":
        if NO_PRANGE_KEEPS_GIL is not None:
            raise NotImplementedError(f"prange keeping the GIL: {NO_PRANGE_KEEPS_GIL}")
        return require("c5_prange_keeps_gil", "prange_keeps_gil")
    return require(C5, WAY_KERNELS[way]) if way is not None else None


def make_call(way: str, nt: int, n: int = N):
    """The zero-argument call a benchmark times: ``way`` over ``n`` elements
    on ``nt`` threads, one Python operation per element (per thread for
    ``section_once``); ``plain`` is the same loop with no Python work."""
    if way not in ("plain", *WAYS):
        raise ValueError(f"way must be one of {['plain', *WAYS]}, got {way!r}")
    x, kernel = vector(n), require_way(way)
    if way in ("plain", "kept"):
        return functools.partial(kernel, x, 1, nt)
    if way == "with_gil":
        return functools.partial(kernel, x, 1, nt, "python")
    return functools.partial(kernel, x, 1, nt, True)


class _Ways(Benchmark):
    """Base of this module's benchmarks: the thread count is the ``threads``
    parameter, and a way this build cannot run (the ``way`` parameter, else
    the class's ``way``) is skipped with the reason."""

    param_names = ["threads"]
    thread_param = "threads"
    #: The way a class without a ``way`` parameter needs.
    way: str | None = None

    def setup(self, *args):
        super().setup(*args)
        require_way(self.param_values(args).get("way", self.way))


class TimeC5PythonInParallel(_Ways):
    """C5: a parallel loop over 1e5 elements doing Python work, three ways."""

    params = (WAYS, THREAD_CORNERS)
    param_names = ["way", "threads"]

    def setup(self, way, nt):
        super().setup(way, nt)
        self.call = make_call(way, nt)

    def time_c5_python_in_parallel(self, way, nt):
        self.call()


class TrackC5KeptGilGain(_Ways):
    """C5 (Cython 3.3+): time of the nogil prange taking the GIL per
    iteration / time of the prange that keeps it, interleaved in one process
    (above 1: keeping the GIL is cheaper)."""

    params = [THREAD_CORNERS]
    way = "kept"
    unit = "with_gil / kept"

    def track_c5_kept_gain(self, nt):
        return interleaved_ratios({"kept": make_call("kept", nt),
                                   "with_gil": make_call("with_gil", nt)}, "kept")["with_gil"].value


class TrackC5PythonPerIteration(_Ways):
    """C5: extra ns per iteration of a loop that does one Python operation
    per iteration, kept GIL or ``with gil``, over the same loop with none."""

    params = (["kept", "with_gil"], THREAD_CORNERS)
    param_names = ["way", "threads"]
    unit = "ns per iteration"

    def track_c5_ns_per_iteration(self, way, nt):
        return extra_ns_per_event(make_call("plain", nt), make_call(way, nt), N)


class TrackC5PythonEfficiency(_Ways):
    """C5: parallel efficiency of each way, time on 1 thread / (time on T
    threads x T): 1.0 scales perfectly; a loop that holds the GIL cannot
    scale on a GIL build."""

    params = (WAYS, PARALLEL_CORNERS)
    param_names = ["way", "threads"]
    unit = "parallel efficiency"

    def track_c5_python_efficiency(self, way, nt):
        r = interleaved_ratios({1: make_call(way, 1), nt: make_call(way, nt)}, 1)
        return 1.0 / (r[nt].value * nt)


class TrackC5SectionAcquisition(_Ways):
    """C5: extra ns per thread of a short released section whose threads
    take the GIL back once at its top, over the same section without
    (Cython 3.3 made this acquisition faster; built on every release)."""

    params = [THREAD_CORNERS]
    way = "section_once"
    unit = "ns per acquisition"

    def track_c5_section_acquisition_ns(self, nt):
        x = vector(SECTION_N)
        section_gil_once = require_way("section_once")
        without = functools.partial(section_gil_once, x, 64, nt, False)
        with_gil = functools.partial(section_gil_once, x, 64, nt, True)
        # libgomp may give a smaller team than asked: count the acquisitions.
        return extra_ns_per_event(without, with_gil, with_gil()[1])
