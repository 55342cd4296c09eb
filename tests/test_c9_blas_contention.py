"""C9 kernels: right answers at every grid point; pinning seen from inside prange."""

import numpy as np
import pytest

from benchmarks.bench_c9_blas_contention import alternating
from benchmarks.harness import pinning
from benchmarks.harness.pinning import pinned
from benchmarks.harness.threads import thread_counts
from gilbench._openmp_helpers import call_in_prange
from gilbench.kernels.c7_prange_overhead import sumsq_prange
from gilbench.kernels.c9_blas_contention import nested_matmul

from helpers import SIZES, THREADS, requires_openmp

BLAS = thread_counts()


@pytest.mark.parametrize("omp", THREADS)
@pytest.mark.parametrize("blas", BLAS)
def test_nested_matmul_equals_numpy_at_every_grid_point(omp, blas, rng):
    a = rng.standard_normal((7, 130, 65))
    b = rng.standard_normal((65, 129))
    out = np.full((7, 130, 129), np.nan)
    with pinned(blas=blas):
        ret = nested_matmul(a, b, out, omp)
    assert ret is out
    np.testing.assert_allclose(out, a @ b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("shape", [(0, 3, 4, 5), (2, 0, 4, 5), (2, 3, 0, 5), (2, 3, 4, 0),
                                   (1, 1, 1, 1), (3, 5, 7, 2)])
def test_nested_matmul_edge_shapes(shape, rng):
    c, m, k, n = shape
    a, b = rng.standard_normal((c, m, k)), rng.standard_normal((k, n))
    out = np.full((c, m, n), np.nan)
    nested_matmul(a, b, out, 2)
    np.testing.assert_allclose(out, a @ b, atol=1e-12)


def test_nested_matmul_bad_input():
    a, b, out = np.ones((2, 3, 4)), np.ones((4, 5)), np.empty((2, 3, 5))
    with pytest.raises(ValueError, match="k must match"):
        nested_matmul(a, np.ones((3, 5)), out)
    with pytest.raises(ValueError, match="out must have shape"):
        nested_matmul(a, b, np.empty((2, 3, 4)))
    with pytest.raises(ValueError, match="a must be C-contiguous"):
        nested_matmul(np.ones((2, 4, 3)).transpose(0, 2, 1), b, out)
    with pytest.raises(TypeError, match="a must have dtype float64"):
        nested_matmul(a.astype(np.float32), b, out)
    with pytest.raises(ValueError, match="b must be 2-D"):
        nested_matmul(a, np.ones(4), out)
    ro = out.copy()
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="out must be writable"):
        nested_matmul(a, b, ro)
    square = np.ones((2, 4, 4))
    with pytest.raises(ValueError, match="out must not share memory with a"):
        nested_matmul(square, np.eye(4), square)
    for bad in (0, -1):
        with pytest.raises(ValueError, match="num_threads"):
            nested_matmul(a, b, out, bad)
    with pytest.raises(TypeError, match="num_threads"):
        nested_matmul(a, b, out, 1.5)


@pytest.mark.parametrize("omp", THREADS)
@pytest.mark.parametrize("n", SIZES)
def test_prange_sumsq_matches_numpy(omp, n, rng):
    x = rng.standard_normal(n)
    assert sumsq_prange(x, omp) == pytest.approx(float(np.dot(x, x)), rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("omp", THREADS)
def test_alternating_result(omp, rng):
    a, b, x = rng.standard_normal((20, 30)), rng.standard_normal((30, 10)), rng.standard_normal(999)
    product, total = alternating(a, b, x, 3, omp)
    np.testing.assert_allclose(product, a @ b, rtol=1e-12)
    assert total == pytest.approx(3 * float(np.dot(x, x)), rel=1e-12)


def test_alternating_bad_input():
    a, x = np.ones((3, 3)), np.ones(5)
    with pytest.raises(ValueError, match="repeats"):
        alternating(a, a, x, 0)
    with pytest.raises(ValueError, match="inner dimensions"):
        alternating(a, np.ones((4, 3)), x, 1)
    with pytest.raises(ValueError, match="float64"):
        alternating(a.astype(np.float32), a, x, 1)
    with pytest.raises(TypeError, match="x must have dtype float64"):
        alternating(a, a, x.astype(np.float32), 1)
    with pytest.raises(ValueError, match="num_threads"):
        alternating(a, a, x, 1, 0)


@requires_openmp
@pytest.mark.parametrize("omp", THREADS)
@pytest.mark.parametrize("blas", BLAS)
def test_pin_is_seen_from_inside_the_prange_workers(omp, blas):
    # threadpoolctl's own nested test: ask from the prange's worker threads.
    before = pinned.blas_threads()
    with pinned(blas=blas):
        seen = call_in_prange(lambda: set(pinned.blas_threads().values()), omp)
    assert sorted(tid for tid, _ in seen) == list(range(omp))  # really omp threads
    assert all(counts == {blas} for _, counts in seen)
    assert pinned.blas_threads() == before
    assert len(before) == len(pinning.blas_info()) >= 2


def test_call_in_prange_reraises_and_validates():
    with pytest.raises(ZeroDivisionError):
        call_in_prange(lambda: 1 / 0, 2)
    with pytest.raises(ValueError, match="num_threads"):
        call_in_prange(lambda: None, 0)


def test_nested_kernel_at_the_largest_team_the_thread_limit_allows(rng):
    """The most threads the rule lets a nested point run on this machine
    (OpenMP x BLAS up to gilbench.harness.threads.thread_limit): right answer, no
    hang, no crash; one more is refused by the benchmark with the reason."""
    from benchmarks.bench_c9_blas_contention import over_limit
    from benchmarks.harness.threads import thread_limit, usable_cpus

    limit = thread_limit()
    blas = usable_cpus()
    omp = limit // blas
    assert omp * blas <= limit and over_limit("nested", omp, blas) is None
    a = rng.standard_normal((2 * omp, 64, 48))
    b = rng.standard_normal((48, 40))
    out = np.empty((2 * omp, 64, 40))
    with pinned(blas=blas):
        nested_matmul(a, b, out, omp)
    np.testing.assert_allclose(out, a @ b, rtol=1e-12, atol=1e-12)
    assert "over the limit" in over_limit("nested", omp + 1, blas)


def test_the_thread_limit_follows_the_machine_and_omp_thread_limit(monkeypatch):
    from benchmarks.harness import threads

    assert threads.thread_limit(cpus=64) == 256
    assert threads.over_limit(64 * 64, cpus=64)
    assert threads.over_limit(8, cpus=2) is None
    monkeypatch.setenv("OMP_THREAD_LIMIT", "3")
    assert threads.thread_limit(cpus=2) == 3
