"""C1 kernels: every variant of each loop gives NumPy's answer; bad input raises."""

import math

import numpy as np
import pytest

from gilbench.kernels import c1_gil_held as c1

from helpers import SIZES

COEFFS = [1 / math.factorial(k) for k in range(9)]


@pytest.mark.parametrize("variant", c1.VARIANTS)
@pytest.mark.parametrize("n", SIZES)
def test_sumsq_matches_numpy(variant, n, rng):
    x = rng.standard_normal(n)
    got = c1.KERNELS["sumsq"][variant](x)
    assert got == pytest.approx(float(np.dot(x, x)), rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("variant", c1.VARIANTS)
@pytest.mark.parametrize("n", SIZES)
def test_poly_matches_numpy(variant, n, rng):
    x = rng.uniform(-2, 2, n)
    out = np.full(n, np.nan)
    ret = c1.KERNELS["poly"][variant](x, out)
    assert ret is out
    np.testing.assert_allclose(out, np.polynomial.polynomial.polyval(x, COEFFS), rtol=1e-13)


def test_except_value_variant_is_right_when_result_is_minus_one():
    # -1.0 is the value on which the except * function's caller asks for the
    # error indicator: the answer must still be the plain value.
    x = np.array([-1.0])
    out = np.empty(1)
    c1.poly_except_value(x, out)
    assert out[0] == pytest.approx(np.polynomial.polynomial.polyval(-1.0, COEFFS))


ALL = [f for kernel in c1.KERNELS.values() for f in kernel.values()] + list(
    c1.PRANGE_KERNELS.values())


def _call(func, x, out=None):
    if func.__name__.startswith("sumsq"):
        return func(x)
    n = np.shape(x)[0] if np.ndim(x) else 0
    return func(x, np.empty(n) if out is None else out)


@pytest.mark.parametrize("func", ALL, ids=lambda f: f.__name__)
@pytest.mark.parametrize("bad, error, match", [
    (np.ones(5, dtype=np.float32), TypeError, "x must have dtype float64"),
    (np.ones(5, dtype=np.int64), TypeError, "x must have dtype float64"),
    (np.ones(10)[::2], ValueError, "x must be C-contiguous"),
    (np.ones((2, 3)), ValueError, "x must be 1-D"),
])
def test_bad_x_raises_naming_x(func, bad, error, match):
    with pytest.raises(error, match=match):
        _call(func, bad)


@pytest.mark.parametrize("func", ALL, ids=lambda f: f.__name__)
def test_none_and_list_raise_type_error(func):
    with pytest.raises(TypeError, match="x must be a NumPy float64 array, got NoneType"):
        _call(func, None)
    with pytest.raises(TypeError, match="x must be a NumPy float64 array, got list"):
        _call(func, [1.0, 2.0])


@pytest.mark.parametrize("variant", c1.VARIANTS)
def test_poly_rejects_read_only_and_short_out(variant):
    f = c1.KERNELS["poly"][variant]
    x = np.ones(4)
    ro = np.empty(4)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="out must be writable"):
        f(x, ro)
    with pytest.raises(ValueError, match="same length"):
        f(x, np.empty(3))


def test_read_only_input_is_accepted():
    x = np.arange(5.0)
    x.flags.writeable = False
    assert c1.sumsq_nogil(x) == 30.0


@pytest.mark.parametrize("variant", list(c1.PRANGE_KERNELS))
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("nt", [1, 2, 8])
def test_poly_in_a_prange_matches_numpy_at_any_thread_count(variant, n, nt, rng):
    x = rng.uniform(-2, 2, n)
    out = np.full(n, np.nan)
    ret = c1.PRANGE_KERNELS[variant](x, out, nt)
    assert ret is out
    np.testing.assert_allclose(out, np.polynomial.polynomial.polyval(x, COEFFS), rtol=1e-13)


@pytest.mark.parametrize("variant", list(c1.PRANGE_KERNELS))
@pytest.mark.parametrize("nt, error, match", [
    (0, ValueError, "num_threads"), (-2, ValueError, "num_threads"),
    (1.5, TypeError, "num_threads"), (True, TypeError, "num_threads"),
    ("2", TypeError, "num_threads"), (10**6, ValueError, "num_threads"),
])
def test_poly_in_a_prange_refuses_a_bad_thread_count(variant, nt, error, match):
    with pytest.raises(error, match=match):
        c1.PRANGE_KERNELS[variant](np.ones(4), np.empty(4), nt)
