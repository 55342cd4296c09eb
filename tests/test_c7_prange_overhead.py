"""C7: every crossover kernel agrees with NumPy at every thread count and on both
sides of its use_threads_if threshold; regions and schedules are right; bad
arguments raise.  (The bandwidth kernels: test_c7_bandwidth.py.)"""

import math

import numpy as np
import pytest

from gilbench.kernels import c7_prange_overhead as k7

from helpers import SIZES, THREADS, schedule_work_reference

COEFFS = [1 / math.factorial(k) for k in range(9)]


@pytest.mark.parametrize("nt", THREADS)
@pytest.mark.parametrize("n", SIZES)
def test_sumsq_and_poly(nt, n, rng):
    x = rng.uniform(-1, 1, n)
    ss = float(np.dot(x, x))
    pp = float(np.polynomial.polynomial.polyval(x, COEFFS).sum())
    assert k7.sumsq_seq(x) == pytest.approx(ss, rel=1e-12, abs=1e-12)
    assert k7.sumsq_prange(x, nt) == pytest.approx(ss, rel=1e-12, abs=1e-12)
    assert k7.poly_seq(x) == pytest.approx(pp, rel=1e-12, abs=1e-12)
    assert k7.poly_prange(x, nt) == pytest.approx(pp, rel=1e-12, abs=1e-12)
    for threshold in (1, max(n, 1), n + 1):  # threads on, at the edge, off
        assert k7.sumsq_threads_if(x, nt, threshold) == pytest.approx(ss, rel=1e-12, abs=1e-12)
        assert k7.poly_threads_if(x, nt, threshold) == pytest.approx(pp, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("nt", THREADS)
def test_regions(nt):
    assert k7.empty_regions(5, nt) == 5
    assert k7.reduction_regions(5, nt) == 5 * nt


@pytest.mark.parametrize("nt", THREADS)
@pytest.mark.parametrize("schedule", k7.SCHEDULES)
@pytest.mark.parametrize("chunk", [1, 7, 64])
@pytest.mark.parametrize("balanced", [True, False])
def test_schedules(nt, schedule, chunk, balanced):
    got = k7.schedule_work(300, 20, balanced, schedule, chunk, nt)
    assert got == pytest.approx(schedule_work_reference(300, 20, balanced), rel=1e-12)


def test_bad_arguments():
    x = np.ones(4)
    with pytest.raises(ValueError, match="schedule must be"):
        k7.schedule_work(10, 1, True, "auto")
    with pytest.raises(ValueError, match="chunksize"):
        k7.schedule_work(10, 1, True, "static", 0)
    with pytest.raises(ValueError, match="num_threads"):
        k7.schedule_work(10, 1, True, "static", 1, 0)
    with pytest.raises(ValueError, match="num_threads"):
        k7.sumsq_prange(x, 0)
    with pytest.raises(ValueError, match="threshold"):
        k7.sumsq_threads_if(x, 1, 0)
    with pytest.raises(ValueError, match="reps"):
        k7.empty_regions(0, 1)
    with pytest.raises(ValueError, match="num_threads"):
        k7.reduction_regions(1, 5000)
