"""C8: normalize and the k-stage pipeline give the same answer every way, at
every thread count."""

import numpy as np
import pytest

from gilbench.kernels import c8_parallel_section as k8

from helpers import SIZES, THREADS


@pytest.mark.parametrize("nt", THREADS)
@pytest.mark.parametrize("n", SIZES)
def test_normalize(nt, n, rng):
    x = rng.standard_normal(n)
    ref = x / np.linalg.norm(x) if n else x
    for func in (k8.normalize_separate, k8.normalize_one_section):
        np.testing.assert_allclose(func(x, np.empty(n), nt), ref, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("func", [k8.normalize_separate, k8.normalize_one_section])
def test_normalize_zero_vector_gives_zeros(func):
    np.testing.assert_array_equal(func(np.zeros(5), np.full(5, np.nan), 2), np.zeros(5))


@pytest.mark.parametrize("nt", THREADS)
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("k", [1, 2, 5, 8])
def test_pipeline(nt, n, k, rng):
    x = rng.standard_normal(n)
    ref = x.copy()
    for _ in range(k):
        ref = 0.5 * ref + 1.0
    for func in (k8.pipeline_separate, k8.pipeline_one_section, k8.pipeline_fused):
        np.testing.assert_allclose(func(x, np.empty(n), k, nt), ref, rtol=1e-15)


@pytest.mark.parametrize("func", [k8.pipeline_separate, k8.pipeline_one_section,
                                  k8.pipeline_fused])
def test_pipeline_bad_input(func):
    with pytest.raises(ValueError, match="stages"):
        func(np.ones(3), np.empty(3), 0)
    with pytest.raises(ValueError, match="same length"):
        func(np.ones(3), np.empty(2), 2)
    with pytest.raises(ValueError, match="num_threads"):
        func(np.ones(3), np.empty(3), 2, 0)


@pytest.mark.parametrize("func", [k8.normalize_separate, k8.normalize_one_section])
def test_normalize_bad_input(func):
    with pytest.raises(ValueError, match="same length"):
        func(np.ones(3), np.empty(4))
    with pytest.raises(TypeError, match="x must have dtype float64"):
        func(np.ones(3, dtype=np.float32), np.empty(3))
