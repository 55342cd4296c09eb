"""C5: prange kernels with a ``with gil`` block give the right sum and enter the
block once per element block, for every thread count."""

import numpy as np
import pytest

from benchmarks.harness import structure
from gilbench.kernels.c5_with_gil_in_prange import (
    BLOCKS,
    gil_roundtrips,
    prange_plain,
    prange_with_gil,
)

from helpers import SIZES, THREADS, require


@pytest.mark.parametrize("nt", THREADS)
@pytest.mark.parametrize("every", [1, 3, 100, 10**6])
@pytest.mark.parametrize("n", SIZES[:4] + [100_003])
def test_sums_and_entries(nt, every, n, rng):
    x = rng.standard_normal(n)
    ref = float(np.dot(x, x))
    blocks = -(-n // every)
    assert prange_plain(x, every, nt) == pytest.approx(ref, rel=1e-12, abs=1e-12)
    for block in BLOCKS:
        s, entered = prange_with_gil(x, every, nt, block)
        assert s == pytest.approx(ref, rel=1e-12, abs=1e-12)
        assert entered == (0 if block == "never" else blocks)


def test_roundtrips_take_the_gil_once_per_count():
    """Counted, not returned: the interposer counts every time the kernel
    takes the GIL back (``with gil`` from nogil code) and releases it."""
    require("the structure counts' interposer", structure.unavailable_reason(),
            "it is compiled with the C compiler the build needs anyway")
    counts = structure.per_call({"rt": ("gilbench.kernels.c5_with_gil_in_prange",
                                        "gil_roundtrips", "iterations", 1)})["rt"]
    n = structure.SIZES[0]
    assert counts["per_element"]["gil_ensures"] == 1.0
    assert counts["per_call"]["gil_ensures"] == n
    # Each ``with gil`` hands the GIL back when it ends, and the one ``with
    # nogil`` released it first.
    assert counts["per_element"]["gil_saves"] == 1.0
    assert counts["per_call"]["gil_saves"] == n + 1
    assert counts["per_call"]["regions"] == 0
    assert gil_roundtrips(1000) == 1000


@pytest.mark.parametrize("func", [prange_plain, prange_with_gil])
def test_bad_arguments(func):
    x = np.ones(10)
    with pytest.raises(ValueError, match="every"):
        func(x, 0)
    with pytest.raises(ValueError, match="every"):
        func(x, -2)
    with pytest.raises(ValueError, match="num_threads"):
        func(x, 1, 0)
    with pytest.raises(TypeError, match="x must have dtype float64"):
        func(x.astype(np.float32), 1)


def test_bad_op_and_count():
    with pytest.raises(ValueError, match="block must be one of"):
        prange_with_gil(np.ones(3), 1, 1, "sleep")
    with pytest.raises(ValueError, match="count"):
        gil_roundtrips(0)
