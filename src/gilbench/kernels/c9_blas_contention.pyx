"""C9: prange threads and BLAS threads compete for the same cores.

Three workloads (the benchmarks pin both thread counts and time them):

* :func:`nested_matmul` -- BLAS *inside* prange: a prange over chunks, each
  chunk one ``dgemm`` through ``scipy.linalg.cython_blas`` (the shape of
  scikit-learn's k-means and threadpoolctl's nested test).  With more than one
  BLAS thread each prange thread may start a BLAS team of its own:
  oversubscription.
* :func:`alternating` -- a NumPy matmul (BLAS) then a short prange reduction,
  repeated.  libgomp's threads keep spinning after each region and take the
  cores OpenBLAS's threads need.
* the concurrent pattern runs C7's prange reduction (``sumsq_prange``) in one
  Python thread while another runs NumPy matmul.
"""

import numpy as np

from cython.parallel cimport prange
from libc.limits cimport INT_MAX
from scipy.linalg.cython_blas cimport dgemm

from gilbench._checks cimport check_num_threads, check_positive_int

# The short prange of the alternating and concurrent patterns is C7's reduction.
from gilbench.kernels.c7_prange_overhead import sumsq_prange


def nested_matmul(const double[:, :, ::1] a not None, const double[:, ::1] b not None,
                  double[:, :, ::1] out not None, num_threads=1):
    """C9 nested: ``out[c] = a[c] @ b`` for each chunk c, BLAS inside prange.

    ``a`` is (chunks, m, k), ``b`` is (k, n), ``out`` is (chunks, m, n), all
    C-contiguous float64.  One ``dgemm`` per chunk, chunks spread over
    ``num_threads`` OpenMP threads; each dgemm uses as many BLAS threads as the
    BLAS is pinned to.  Returns ``out``.
    """
    cdef int nt = check_num_threads(num_threads)
    if a.shape[2] != b.shape[0]:
        raise ValueError(f"a's chunks are (m, k) = ({a.shape[1]}, {a.shape[2]}) but b is "
                         f"({b.shape[0]}, {b.shape[1]}): k must match")
    if out.shape[0] != a.shape[0] or out.shape[1] != a.shape[1] or out.shape[2] != b.shape[1]:
        raise ValueError(f"out must have shape ({a.shape[0]}, {a.shape[1]}, {b.shape[1]}), "
                         f"got ({out.shape[0]}, {out.shape[1]}, {out.shape[2]})")
    if max(a.shape[1], a.shape[2], b.shape[1]) > INT_MAX:
        raise ValueError("matrix dimensions must fit BLAS's 32-bit integers")
    cdef Py_ssize_t c, chunks = a.shape[0]
    cdef int m = <int>a.shape[1], k = <int>a.shape[2], n = <int>b.shape[1]
    cdef double one = 1.0, zero = 0.0
    cdef char* notrans = b"N"
    if chunks == 0 or m == 0 or n == 0:
        return out.base
    if k == 0:
        out[...] = 0.0
        return out.base
    with nogil:
        for c in prange(chunks, num_threads=nt, schedule="static"):
            # Row-major C = A @ B is column-major C^T = B^T @ A^T.
            dgemm(notrans, notrans, &n, &m, &k, &one, <double*>&b[0, 0], &n,
                  <double*>&a[c, 0, 0], &k, &zero, &out[c, 0, 0], &n)
    return out.base


def alternating(a, b, const double[::1] x not None, repeats, num_threads=1):
    """C9 alternating: ``repeats`` times, ``numpy.matmul(a, b)`` (BLAS, with
    the threads BLAS is pinned to) then C7's ``sumsq_prange`` of ``x`` on
    ``num_threads`` OpenMP threads.  Returns ``(last product, sum of the
    reductions)``."""
    cdef Py_ssize_t r, reps = check_positive_int(repeats, "repeats")
    cdef int nt = check_num_threads(num_threads)
    a = np.asarray(a)
    b = np.asarray(b)
    if a.dtype != np.float64 or b.dtype != np.float64 or a.ndim != 2 or b.ndim != 2:
        raise ValueError("a and b must be 2-D float64 arrays")
    if a.shape[1] != b.shape[0]:
        raise ValueError(f"a is {a.shape} and b is {b.shape}: inner dimensions must match")
    total = 0.0
    product = None
    for r in range(reps):
        product = np.matmul(a, b)
        total += sumsq_prange(x, nt)
    return product, total
