"""Argument factories for ``gilbench advise --args`` that fit common
signatures: each takes the problem size ``n`` and returns the positional
arguments (float64, seeded, so that every run calls the same problem), or
the size itself for a function that takes a count.
A function of another shape gets a factory of its own, written the same
way (see :mod:`gilbench.advise`)."""

from __future__ import annotations

import numpy as np

__all__ = ["x", "x_y", "x_out", "square_pair", "iterations"]


def _normal(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def x(n: int) -> tuple:
    """``f(x)``: one array of n elements (the default)."""
    return (_normal(n),)


def x_y(n: int) -> tuple:
    """``f(x, y)``: two arrays of n elements (``numpy.dot``)."""
    return _normal(n), _normal(n, seed=1)


def x_out(n: int) -> tuple:
    """``f(x, out)``: an input and an output array of n elements."""
    return _normal(n), np.empty(n)


def square_pair(n: int) -> tuple:
    """``f(a, b)``: two n x n matrices (``numpy.matmul``: BLAS)."""
    return _normal((n, n)), _normal((n, n), seed=1)


def iterations(n: int) -> tuple:
    """``f(n)``: the size itself, for a function that takes a count of
    iterations (C3's ``spin_gil``)."""
    return (n,)
