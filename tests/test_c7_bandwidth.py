"""C7 bandwidth kernels (STREAM-style copy, triad and two reductions): right
answers at every size and thread count; bad input named in the error."""

import numpy as np
import pytest

from gilbench.kernels import c7_bandwidth as bw

from helpers import SIZES, THREADS


@pytest.mark.parametrize("nt", THREADS)
@pytest.mark.parametrize("n", SIZES)
def test_bandwidth_kernels(nt, n, rng):
    a, c = rng.standard_normal(n), rng.standard_normal(n)
    b = np.empty(n)
    np.testing.assert_array_equal(bw.copy(a, b, nt), a)
    out = np.empty(n)
    np.testing.assert_allclose(bw.triad(out, a, c, 3.0, nt), a + 3.0 * c, rtol=1e-15)
    assert bw.sum_naive(a, nt) == pytest.approx(a.sum(), rel=1e-12, abs=1e-9)
    assert bw.sum_unrolled(a, nt) == pytest.approx(a.sum(), rel=1e-12, abs=1e-9)


def test_bandwidth_bad_input():
    with pytest.raises(ValueError, match="same length"):
        bw.copy(np.ones(3), np.empty(4))
    with pytest.raises(ValueError, match="same length"):
        bw.triad(np.empty(3), np.ones(3), np.ones(2), 1.0)
    ro = np.empty(3)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="b must be writable"):
        bw.copy(np.ones(3), ro)
    with pytest.raises(TypeError, match="scalar must be a real number"):
        bw.triad(np.empty(3), np.ones(3), np.ones(3), None)
    with pytest.raises(TypeError, match="a must have dtype float64"):
        bw.sum_unrolled(np.ones(3, dtype=np.int64))
