"""C7 (bandwidth): STREAM-style copy and triad, and a read-only reduction
written two ways, with prange, in GB/s -- the limit every memory-bound kernel
of the suite can be read against.

Arrays are at least 4x the last-level cache the machine reports (read at run
time), as STREAM prescribes; bytes are counted as STREAM counts them (copy 16,
triad 24, reduction 8 per element); each value is the best of several passes.
"""


import numpy as np

from .common import SMOKE, THREADS, Benchmark, best, per_call, sample
from .harness.build_contents import module_names
from .harness.machine import last_level_cache_bytes, memory_bytes

bw = module_names("c7_bandwidth", "copy", "sum_naive", "sum_unrolled", "triad")

#: {kernel: bytes it moves per element, counted as STREAM counts them}: the
#: suite's own table (equal to the kernel module's ``BYTES_PER_ELEMENT``,
#: tests/test_build_contents.py checks), so that a build without the module
#: still imports the suite.
BYTES = {"copy": 16, "triad": 24, "sum_naive": 8, "sum_unrolled": 8, "numpy_copyto": 16}


def stream_elements():
    """Elements per array: 4x the last-level cache (at least 1e7), STREAM's rule."""
    if SMOKE:
        return 100_000
    llc = last_level_cache_bytes() or 32 * 2**20
    return max(10**7, 4 * llc // 8)


class TrackC7Bandwidth(Benchmark):
    """C7: GB/s of each kernel at each thread count (best of 5 passes)."""

    params = (list(BYTES), THREADS)
    param_names = ["kernel", "threads"]
    thread_param = "threads"
    unit = "GB/s"
    timeout = 300

    def setup(self, kernel, nt):
        if kernel == "numpy_copyto" and nt != 1:
            raise NotImplementedError("numpy.copyto runs on one thread")
        n = stream_elements()
        arrays = 3 if kernel == "triad" else (1 if kernel.startswith("sum") else 2)
        ram = memory_bytes()
        if ram is not None and arrays * 8 * n > ram // 2:
            raise NotImplementedError(
                f"{arrays} arrays of {8 * n / 2**30:.1f} GiB (4x the last-level cache) "
                f"need more than half of the {ram / 2**30:.1f} GiB of RAM")
        super().setup(kernel, nt)
        a = np.full(n, 1.0)
        b = np.full(n, 2.0) if arrays > 1 else None
        c = np.full(n, 0.5) if arrays > 2 else None
        self.n = n
        self.call = {
            "copy": lambda: bw.copy(a, b, nt),
            "triad": lambda: bw.triad(a, b, c, 3.0, nt),
            "sum_naive": lambda: bw.sum_naive(a, nt),
            "sum_unrolled": lambda: bw.sum_unrolled(a, nt),
            "numpy_copyto": lambda: np.copyto(b, a),
        }[kernel]

    def track_c7_gbps(self, kernel, nt):
        # STREAM reports the best pass.
        passes = sample(lambda: per_call(self.call), 5, warm=False)
        return BYTES[kernel] * self.n / best(passes.samples).value / 1e9
