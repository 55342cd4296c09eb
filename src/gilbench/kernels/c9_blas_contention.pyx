"""C9: prange threads and BLAS threads compete for the same cores.

The nogil kernel of C9; the benchmarks (``bench_c9_blas_contention``) pin
both thread counts and time it, and hold the two patterns that are plain
Python orchestration of NumPy and C7's prange:

* :func:`nested_matmul` -- BLAS *inside* prange: a prange over chunks, each
  chunk one ``dgemm`` through ``scipy.linalg.cython_blas`` (the shape of
  scikit-learn's k-means and threadpoolctl's nested test).  With more than one
  BLAS thread each prange thread may start a BLAS team of its own:
  oversubscription.
* alternating -- a NumPy matmul (BLAS) then a short prange reduction,
  repeated.  libgomp's threads keep spinning after each region and take the
  cores OpenBLAS's threads need.
* concurrent -- runs C7's prange reduction (``sumsq_prange``) in one
  Python thread while another runs NumPy matmul.
"""

cimport numpy as cnp

from cython.parallel cimport prange
from libc.limits cimport INT_MAX
from scipy.linalg.cython_blas cimport dgemm

from gilbench._checks cimport check_apart, check_array, check_num_threads

cnp.import_array()  # NumPy's C API, used by the argument checks


def nested_matmul(a, b, out, num_threads=1):
    """C9 nested: ``out[c] = a[c] @ b`` for each chunk c, BLAS inside prange.

    ``a`` is (chunks, m, k), ``b`` is (k, n), ``out`` is (chunks, m, n), all
    C-contiguous float64.  One ``dgemm`` per chunk, chunks spread over
    ``num_threads`` OpenMP threads; each dgemm uses as many BLAS threads as the
    BLAS is pinned to.  Returns ``out``.
    """
    cdef int nt = check_num_threads(num_threads)
    cdef const double[:, :, ::1] av = check_array(a, "a", False, 3)
    cdef const double[:, ::1] bv = check_array(b, "b", False, 2)
    cdef double[:, :, ::1] ov = check_array(out, "out", True, 3)
    if av.shape[2] != bv.shape[0]:
        raise ValueError(f"a's chunks are (m, k) = ({av.shape[1]}, {av.shape[2]}) but b is "
                         f"({bv.shape[0]}, {bv.shape[1]}): k must match")
    if ov.shape[0] != av.shape[0] or ov.shape[1] != av.shape[1] or ov.shape[2] != bv.shape[1]:
        raise ValueError(f"out must have shape ({av.shape[0]}, {av.shape[1]}, {bv.shape[1]}), "
                         f"got ({ov.shape[0]}, {ov.shape[1]}, {ov.shape[2]})")
    check_apart(out, a, "out", "a")  # dgemm cannot write over its inputs
    check_apart(out, b, "out", "b")
    if max(av.shape[1], av.shape[2], bv.shape[1]) > INT_MAX:
        raise ValueError("matrix dimensions must fit BLAS's 32-bit integers")
    cdef Py_ssize_t c, chunks = av.shape[0]
    cdef int m = <int>av.shape[1], k = <int>av.shape[2], n = <int>bv.shape[1]
    cdef double one = 1.0, zero = 0.0
    cdef char* notrans = b"N"
    if chunks == 0 or m == 0 or n == 0:
        return out
    if k == 0:
        ov[...] = 0.0
        return out
    with nogil:
        for c in prange(chunks, num_threads=nt, schedule="static"):
            # Row-major C = A @ B is column-major C^T = B^T @ A^T.
            dgemm(notrans, notrans, &n, &m, &k, &one, <double*>&bv[0, 0], &n,
                  <double*>&av[c, 0, 0], &k, &zero, &ov[c, 0, 0], &n)
    return out
