"""C2: a fast NumPy function that needs the GIL can simply be called.

Three ways to get ``dot(x, y)``:

* ``dot_numpy_with_gil`` -- Cython code, GIL held, calling ``numpy.dot``;
* ``numpy.dot`` from Python (the benchmark calls it directly);
* ``dot_loop_nogil``     -- a hand-written loop inside ``with nogil:``.

The claim: the first is as fast as the second, and no slower than hand-written
nogil code -- releasing the GIL buys nothing here.  Both kernels check their
arguments the same way (NumPy C-API macros, a few ns), so they are compared on
the same inputs.
"""

import numpy as np

cimport numpy as cnp
from gilbench._checks cimport check_array, check_same_length

cnp.import_array()  # NumPy's C API, used by the argument checks


def dot_numpy_with_gil(x, y):
    """C2: ``numpy.dot(x, y)`` called from Cython with the GIL held."""
    check_array(x, "x")
    check_array(y, "y")
    check_same_length(cnp.PyArray_DIM(<cnp.ndarray>x, 0), cnp.PyArray_DIM(<cnp.ndarray>y, 0),
                      "x", "y")
    return np.dot(x, y)


def dot_loop_nogil(x, y):
    """C2: ``sum(x * y)`` as a hand-written loop inside ``with nogil:``."""
    cdef const double[::1] xv = check_array(x, "x")
    cdef const double[::1] yv = check_array(y, "y")
    check_same_length(xv.shape[0], yv.shape[0], "x", "y")
    cdef Py_ssize_t i, n = xv.shape[0]
    cdef double s = 0.0
    with nogil:
        for i in range(n):
            s += xv[i] * yv[i]
    return s
