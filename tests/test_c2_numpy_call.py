"""C2 kernels: numpy.dot from Cython and the nogil loop agree with numpy.dot."""

import numpy as np
import pytest

from gilbench.kernels.c2_numpy_call import dot_loop_nogil, dot_numpy_with_gil
from conftest import SIZES

FUNCS = [dot_numpy_with_gil, dot_loop_nogil]


@pytest.mark.parametrize("func", FUNCS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("n", SIZES)
def test_dot_matches_numpy(func, n, rng):
    x, y = rng.standard_normal(n), rng.standard_normal(n)
    assert func(x, y) == pytest.approx(float(np.dot(x, y)), rel=1e-10, abs=1e-10)


@pytest.mark.parametrize("func", FUNCS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("bad, match", [
    (np.ones(4, dtype=np.float32), "float64|dtype"),
    (np.ones(8)[::2], "contiguous"),
    (np.ones((2, 2)), "1-D|dimensions"),
])
def test_bad_input_raises_value_error(func, bad, match):
    with pytest.raises(ValueError, match=match):
        func(bad, np.ones(4))
    with pytest.raises(ValueError, match=match):
        func(np.ones(4), bad)


@pytest.mark.parametrize("func", FUNCS, ids=lambda f: f.__name__)
def test_length_mismatch_and_none(func):
    with pytest.raises(ValueError, match="same length"):
        func(np.ones(3), np.ones(4))
    with pytest.raises(TypeError):
        func(None, np.ones(4))
