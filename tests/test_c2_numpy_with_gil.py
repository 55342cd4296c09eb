"""C2 kernels: ``numpy.dot`` called from Cython with the GIL held, and the
hand-written nogil loop, both return the dot product -- checked against
``math.fsum`` of the products (a correctly rounded sum, neither NumPy's
code nor the kernels').  What C2 is about, what each does with the GIL (the
loop releases it once per call; NumPy, called with it held, releases it
itself once per call), is measured by the structure counts
(tests/test_structure.py)."""

import math

import numpy as np
import pytest

from gilbench.kernels.c2_numpy_with_gil import dot_loop_nogil, dot_numpy_with_gil

from helpers import SIZES

FUNCS = [dot_numpy_with_gil, dot_loop_nogil]


@pytest.mark.parametrize("func", FUNCS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("n", SIZES)
def test_dot_is_the_dot_product(func, n, rng):
    x, y = rng.standard_normal(n), rng.standard_normal(n)
    assert func(x, y) == pytest.approx(math.fsum(x * y), rel=1e-10, abs=1e-10)


@pytest.mark.parametrize("func", FUNCS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("bad, error, match", [
    (np.ones(4, dtype=np.float32), TypeError, "must have dtype float64"),
    (np.ones(8)[::2], ValueError, "must be C-contiguous"),
    (np.ones((2, 2)), ValueError, "must be 1-D"),
])
def test_bad_input_raises_naming_the_argument(func, bad, error, match):
    with pytest.raises(error, match="x " + match):
        func(bad, np.ones(4))
    with pytest.raises(error, match="y " + match):
        func(np.ones(4), bad)


@pytest.mark.parametrize("func", FUNCS, ids=lambda f: f.__name__)
def test_length_mismatch_and_none(func):
    with pytest.raises(ValueError, match="same length"):
        func(np.ones(3), np.ones(4))
    with pytest.raises(TypeError, match="x must be a NumPy float64 array"):
        func(None, np.ones(4))
