"""The runtime record of a run: not a claim, what decides how threads behave
besides their count (:mod:`.harness.runtime`), read inside a benchmark
process after the suite and the package under test are imported.

``TrackRuntime.track_runtime(item)`` is one number per item (asv stores
numbers); :func:`gilbench.results` reads the record back, both pages and
``gilbench report`` show it, the gate compares BASE's and HEAD's.  An item
that cannot be read here is skipped with the reason.
"""

from . import common  # noqa: F401  the suite as every benchmark sees it (BLAS at one thread)
from .harness import runtime


class TrackRuntime:
    """The runtime the benchmarks ran under, one item per point."""

    params = [list(runtime.ITEMS)]
    param_names = ["item"]
    unit = "value (see gilbench.harness.runtime.describe)"
    # A read-out, not a measurement: one process, one value.
    rounds = 1
    repeat = 1
    number = 1
    warmup_time = 0
    min_run_count = 1

    def setup(self, item):
        # Read in setup: an item that cannot be read here raises
        # NotImplementedError there, which asv records as a skip with the reason.
        self.value = runtime.value(item)

    def track_runtime(self, item):
        return self.value
