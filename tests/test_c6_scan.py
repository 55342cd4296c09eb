"""C6: the sequential loops and the two-pass parallel scans agree with NumPy /
SciPy references at every thread count; the naive prange versions are wrong
on purpose (checked only to be right on one thread -- never a reference)."""

import numpy as np
import pytest
from scipy.signal import lfilter

from gilbench.kernels import c6_scan as k6

from helpers import SIZES, THREADS

A = 0.9


def recurrence_reference(a, b):
    return lfilter([1.0], [1.0, -a], b)


@pytest.mark.parametrize("nt", THREADS)
@pytest.mark.parametrize("n", SIZES)
def test_cumsum(nt, n, rng):
    x = rng.standard_normal(n)
    ref = np.cumsum(x)
    np.testing.assert_allclose(k6.cumsum_seq(x, np.empty(n)), ref, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(k6.cumsum_scan(x, np.empty(n), nt), ref, rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("nt", THREADS)
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("a", [0.0, A, -0.5, 1.0])
def test_recurrence(nt, n, a, rng):
    b = rng.standard_normal(n)
    ref = recurrence_reference(a, b)
    np.testing.assert_allclose(k6.recurrence_seq(a, b, np.empty(n)), ref, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(k6.recurrence_scan(a, b, np.empty(n), nt), ref,
                               rtol=1e-9, atol=1e-8)


@pytest.mark.parametrize("n", SIZES)
def test_naive_prange_is_right_only_on_one_thread(n, rng):
    x = rng.standard_normal(n)
    np.testing.assert_allclose(k6.cumsum_naive(x, np.empty(n), 1), np.cumsum(x),
                               rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(k6.recurrence_naive(A, x, np.empty(n), 1),
                               recurrence_reference(A, x), rtol=1e-9, atol=1e-9)


def test_naive_prange_is_wrong_with_threads(rng):
    # What the claim says: with several threads the loop-carried prange gives
    # a wrong answer.  (Threads starting at 0 read zeros their neighbour has
    # not written: the error is the whole sum of the earlier blocks.)
    from gilbench._openmp_helpers import openmp_enabled
    if not openmp_enabled():
        pytest.skip("without OpenMP the naive prange runs serially and is right")
    # It is a race: if the second thread starts after the first has finished
    # its block, that run comes out right.  Over 20 runs of 4e6 elements
    # (milliseconds per block) at least one must be wrong.
    x = rng.standard_normal(4_000_000) + 1.0
    ref = np.cumsum(x)
    out = np.empty_like(x)
    errors = [np.max(np.abs(k6.cumsum_naive(x, out, 2) - ref)) for _ in range(20)]
    assert max(errors) > 1.0


@pytest.mark.parametrize("func", [k6.cumsum_naive, k6.cumsum_scan])
def test_cumsum_bad_input(func):
    with pytest.raises(ValueError, match="same length"):
        func(np.ones(3), np.empty(4), 1)
    with pytest.raises(ValueError, match="num_threads"):
        func(np.ones(3), np.empty(3), 0)
    ro = np.empty(3)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="out must be writable"):
        func(np.ones(3), ro, 1)


@pytest.mark.parametrize("func", [k6.recurrence_naive, k6.recurrence_scan])
def test_recurrence_bad_input(func):
    with pytest.raises(ValueError, match="same length"):
        func(A, np.ones(3), np.empty(4), 1)
    with pytest.raises(ValueError, match="num_threads"):
        func(A, np.ones(3), np.empty(3), -1)
    with pytest.raises(TypeError, match="a must be a real number"):
        func("a", np.ones(3), np.empty(3), 1)
