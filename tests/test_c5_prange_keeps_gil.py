"""C5 on Cython 3.3+: the three ways to do Python work in a parallel loop
give the right sum and run their Python operation as often as they say --
a prange that keeps the GIL (once per block), a nogil prange with ``with
gil`` (once per block, in test_c5_with_gil_in_prange), a released section
that takes the GIL once per thread at its top.  And the build without
Cython 3.3 says why the kept-GIL kernel is missing."""

import importlib

import numpy as np
import pytest

from gilbench import kernels
from gilbench._openmp_helpers import team_size
from gilbench.kernels.c5_with_gil_in_prange import section_gil_once

from helpers import SIZES, THREADS

needs_33 = pytest.mark.skipif(kernels.NO_PRANGE_KEEPS_GIL is not None,
                              reason=str(kernels.NO_PRANGE_KEEPS_GIL))


@needs_33
@pytest.mark.parametrize("nt", THREADS + [2 * THREADS[-1] + 1])
@pytest.mark.parametrize("every", [1, 3, 100, 10**6])
@pytest.mark.parametrize("n", SIZES[:4] + [100_003])
def test_kept_gil_sums_and_runs_once_per_block(nt, every, n, rng):
    from gilbench.kernels.c5_prange_keeps_gil import prange_keeps_gil

    x = rng.standard_normal(n)
    s, ran = prange_keeps_gil(x, every, nt)
    assert s == pytest.approx(float(np.dot(x, x)), rel=1e-12, abs=1e-12)
    assert ran == -(-n // every)


@pytest.mark.parametrize("nt", THREADS + [2 * THREADS[-1] + 1])
@pytest.mark.parametrize("n", [1, 1000, 100_003])
def test_section_takes_the_gil_once_per_thread(nt, n, rng):
    x = rng.standard_normal(n)
    ref = float(np.dot(x, x))
    s, inits = section_gil_once(x, 64, nt, True)
    assert s == pytest.approx(ref, rel=1e-12, abs=1e-12)
    # one initialisation per thread of the team OpenMP starts for nt threads
    # (1 without OpenMP)
    assert inits == team_size(nt)
    s, inits = section_gil_once(x, 64, nt, False)
    assert s == pytest.approx(ref, rel=1e-12, abs=1e-12)
    assert inits == 0


def test_section_bad_arguments():
    x = np.ones(10)
    with pytest.raises(TypeError, match="take_gil"):
        section_gil_once(x, 1, 1, 1)
    with pytest.raises(ValueError, match="every"):
        section_gil_once(x, 0)
    with pytest.raises(ValueError, match="num_threads"):
        section_gil_once(x, 1, 0)
    with pytest.raises(TypeError, match="x must have dtype float64"):
        section_gil_once(x.astype(np.float32))


@needs_33
def test_kept_gil_bad_arguments():
    from gilbench.kernels.c5_prange_keeps_gil import prange_keeps_gil

    x = np.ones(10)
    with pytest.raises(ValueError, match="every"):
        prange_keeps_gil(x, 0)
    with pytest.raises(ValueError, match="num_threads"):
        prange_keeps_gil(x, 1, 2000)
    with pytest.raises(TypeError, match="x must have dtype float64"):
        prange_keeps_gil(x.astype(np.int64))


def test_build_says_whether_it_has_the_kept_gil_kernel():
    """The flag meson wrote agrees with the Cython that built the kernels and
    with what is importable."""
    major, minor = (int(p) for p in kernels.CYTHON_VERSION.split(".")[:2])
    assert kernels.PRANGE_KEEPS_GIL == ((major, minor) >= (3, 3))
    found = importlib.util.find_spec("gilbench.kernels.c5_prange_keeps_gil") is not None
    assert found == kernels.PRANGE_KEEPS_GIL
    if not found:
        assert kernels.CYTHON_VERSION in kernels.NO_PRANGE_KEEPS_GIL
