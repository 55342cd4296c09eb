"""Is the plain prange's swing in parallel efficiency a property of the
free-threaded build, or of the machine?  C5's plain blocked sum of squares
(1e6 elements, a block per element) at 1 and 2 threads, best of 5 each,
alternated 15 times in one process; run under each interpreter, one after
the other, several times (each interpreter needs gilbench installed):

    for i in 1 2 3; do for py in $PY_GIL $PY_FT; do
        $py docs/experiments/plain_efficiency.py; done; done

prints one line per process: the Python build, whether the GIL was on, the
15 efficiencies (t1 / (2 t2)) and their median.  docs/free-threaded.md
quotes the committed output (``docs/data/free-threaded/<machine>/plain-efficiency.txt``).
"""

import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.harness.pinning import pinned  # noqa: E402
from gilbench.kernels import c5_with_gil_in_prange as c5  # noqa: E402


def best(fn, reps=5):
    out = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        out = min(out, time.perf_counter() - t0)
    return out


def main():
    x = np.random.default_rng(0).standard_normal(1_000_000)
    effs = []
    with pinned(blas=1):
        for _ in range(15):
            t1 = best(lambda: c5.prange_plain(x, 1, 1))
            t2 = best(lambda: c5.prange_plain(x, 1, 2))
            effs.append(t1 / (2 * t2))
    gil = getattr(sys, "_is_gil_enabled", lambda: True)()
    print(f"Python {sys.version.split()[0]} GIL {'on' if gil else 'off'}: "
          + " ".join(f"{e:.2f}" for e in effs) + f" | median {statistics.median(effs):.3f}",
          flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
