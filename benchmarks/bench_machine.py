"""What a run ran on, recorded with its results: not a claim, the facts the
claims' rules need.

``TrackMachine.track_usable_cpus`` is the CPUs the benchmark processes may
use (``os.sched_getaffinity``, so a ``taskset`` or a cgroup's mask counts),
which decides the thread counts every rule judges at.  asv's own
``num_cpu`` counts every CPU of the machine; gilbench's report reads this
value first (:mod:`gilbench.results`).

``TrackMachine.track_smoke_run`` is 1 when the run was a smoke run
(``GILBENCH_SMOKE=1``: every sweep shrunk, one call per point), whose numbers
show that the suite runs and nothing about the claims: such a run is never
judged.

``TrackMachine.track_cython_release`` is the Cython release that compiled
the kernels measured (``gilbench._build_info.cython_version``, there since
the first build), as one number,
``major * 10000 + minor * 100 + patch`` (3.3.1 is 30301), since asv tracks
numbers: the report labels each run with it (:mod:`gilbench.results`), and
asv's graph of it shows a change of compiler between two commits.

``track_free_threaded_build``, ``track_gil_enabled`` and
``track_python_release`` say which CPython ran the benchmarks: a
free-threaded build (3.13t and newer) or not, whether its GIL was on after
importing every kernel module (a module that does not declare itself
free-threading compatible turns it back on: :mod:`.harness.gil`), and the
release.  A free-threaded run whose GIL was on is never judged as one
without the GIL (:mod:`gilbench.results`).
"""

import sys

from gilbench._build_info import cython_version as CYTHON_VERSION

from .harness.gil import free_threaded_build, gil_enabled
from .harness.measurement import SMOKE
from .harness.release_numbers import release_number
from .harness.threads import usable_cpus


class TrackMachine:
    """The machine the suite ran on, as the benchmark processes saw it."""

    unit = "CPUs"
    # A read-out, not a measurement: one process, one value.
    rounds = 1
    repeat = 1
    number = 1

    def track_usable_cpus(self):
        return usable_cpus()

    def track_smoke_run(self):
        return 1.0 if SMOKE else 0.0

    track_smoke_run.unit = "1 = smoke run"

    def track_cython_release(self):
        return release_number(CYTHON_VERSION)

    track_cython_release.unit = "Cython release (major*10000 + minor*100 + patch)"

    def track_free_threaded_build(self):
        return 1.0 if free_threaded_build() else 0.0

    track_free_threaded_build.unit = "1 = free-threaded CPython (3.13t and newer)"

    def track_gil_enabled(self):
        return 1.0 if gil_enabled() else 0.0

    track_gil_enabled.unit = "1 = the GIL was on after importing every kernel module"

    def track_python_release(self):
        return release_number(".".join(map(str, sys.version_info[:3])))

    track_python_release.unit = "Python release (major*10000 + minor*100 + micro)"
