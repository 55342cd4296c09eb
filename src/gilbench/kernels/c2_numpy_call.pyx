"""C2: a fast NumPy function that needs the GIL can simply be called.

Three ways to get ``dot(x, y)``:

* ``dot_numpy_with_gil`` -- Cython code, GIL held, calling ``numpy.dot``;
* ``numpy.dot`` from Python (the benchmark calls it directly);
* ``dot_loop_nogil``     -- a hand-written loop inside ``with nogil:``.

The claim: the first is as fast as the second, and no slower than hand-written
nogil code -- releasing the GIL buys nothing here.
"""

import numpy as np
cimport numpy as cnp

cnp.import_array()


def dot_numpy_with_gil(cnp.ndarray x not None, cnp.ndarray y not None):
    """C2: ``numpy.dot(x, y)`` called from Cython with the GIL held.

    Same argument rules as :func:`dot_loop_nogil` (1-D, C-contiguous float64,
    equal lengths), so the two are compared on the same inputs.
    """
    _check_vector(x, "x")
    _check_vector(y, "y")
    if cnp.PyArray_DIM(x, 0) != cnp.PyArray_DIM(y, 0):
        raise ValueError(
            f"x and y must have the same length, got {x.shape[0]} and {y.shape[0]}")
    return np.dot(x, y)


def dot_loop_nogil(const double[::1] x not None, const double[::1] y not None):
    """C2: ``sum(x * y)`` as a hand-written loop inside ``with nogil:``."""
    if x.shape[0] != y.shape[0]:
        raise ValueError(
            f"x and y must have the same length, got {x.shape[0]} and {y.shape[0]}")
    cdef Py_ssize_t i, n = x.shape[0]
    cdef double s = 0.0
    with nogil:
        for i in range(n):
            s += x[i] * y[i]
    return s


cdef int _check_vector(cnp.ndarray a, str name) except -1:
    # NumPy C-API macros: a few ns, so the check does not blur the comparison
    # with numpy.dot called from Python at small n.
    if cnp.PyArray_TYPE(a) != cnp.NPY_DOUBLE:
        raise ValueError(f"{name} must have dtype float64, got {a.dtype}")
    if cnp.PyArray_NDIM(a) != 1:
        raise ValueError(f"{name} must be 1-D, got {a.ndim}-D")
    if not cnp.PyArray_IS_C_CONTIGUOUS(a):
        raise ValueError(f"{name} must be C-contiguous")
    return 0
