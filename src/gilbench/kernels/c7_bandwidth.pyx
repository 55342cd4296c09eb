"""C7 (bandwidth): STREAM-style kernels with prange, to read every
memory-bound kernel against the machine's limit.

* :func:`copy`  -- ``b[i] = a[i]``           (16 bytes per element, STREAM's count)
* :func:`triad` -- ``a[i] = b[i] + s c[i]``  (24 bytes per element)
* :func:`sum_naive` -- one accumulator per thread: every add waits for the
  previous one (latency-bound, not bandwidth-bound);
* :func:`sum_unrolled` -- eight independent accumulators per thread, which
  lets the adds overlap until memory is the limit (8 bytes per element).
"""

cimport numpy as cnp
from cython.parallel cimport prange

from gilbench._checks cimport check_array, check_num_threads, check_real, check_same_length

cnp.import_array()  # NumPy's C API, used by the argument checks

#: Bytes each kernel moves per element, counted as STREAM counts them.
BYTES_PER_ELEMENT = {"copy": 16, "triad": 24, "sum_naive": 8, "sum_unrolled": 8}


def copy(a, b, num_threads=1):
    """C7: ``b[:] = a`` with a prange.  Returns ``b``."""
    cdef int nt = check_num_threads(num_threads)
    cdef const double[::1] av = check_array(a, "a")
    cdef double[::1] bv = check_array(b, "b", writable=True)
    check_same_length(av.shape[0], bv.shape[0], "a", "b")
    cdef Py_ssize_t i, n = av.shape[0]
    with nogil:
        for i in prange(n, num_threads=nt, schedule="static"):
            bv[i] = av[i]
    return b


def triad(a, b, c, scalar, num_threads=1):
    """C7: ``a[:] = b + scalar * c`` with a prange.  Returns ``a``."""
    cdef int nt = check_num_threads(num_threads)
    cdef double[::1] av = check_array(a, "a", writable=True)
    cdef const double[::1] bv = check_array(b, "b")
    cdef const double[::1] cv = check_array(c, "c")
    cdef double s = check_real(scalar, "scalar")
    check_same_length(av.shape[0], bv.shape[0], "a", "b")
    check_same_length(av.shape[0], cv.shape[0], "a", "c")
    cdef Py_ssize_t i, n = av.shape[0]
    with nogil:
        for i in prange(n, num_threads=nt, schedule="static"):
            av[i] = bv[i] + s * cv[i]
    return a


def sum_naive(a, num_threads=1):
    """C7: sum of ``a``, one accumulator per thread (latency-bound)."""
    cdef int nt = check_num_threads(num_threads)
    cdef const double[::1] av = check_array(a, "a")
    cdef Py_ssize_t i, n = av.shape[0]
    cdef double s = 0.0
    with nogil:
        for i in prange(n, num_threads=nt, schedule="static"):
            s += av[i]
    return s


def sum_unrolled(a, num_threads=1):
    """C7: sum of ``a`` with eight independent accumulators per thread."""
    cdef int nt = check_num_threads(num_threads)
    cdef const double[::1] av = check_array(a, "a")
    cdef Py_ssize_t k, i, n = av.shape[0], blocks = av.shape[0] // 8
    cdef double s = 0.0
    cdef double s0, s1, s2, s3, s4, s5, s6, s7
    with nogil:
        for k in prange(blocks, num_threads=nt, schedule="static"):
            i = 8 * k
            # Each iteration's eight adds are independent of each other; the
            # reduction then adds their sum once.
            s0 = av[i]
            s1 = av[i + 1]
            s2 = av[i + 2]
            s3 = av[i + 3]
            s4 = av[i + 4]
            s5 = av[i + 5]
            s6 = av[i + 6]
            s7 = av[i + 7]
            s += ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
        for i in range(8 * blocks, n):
            s += av[i]
    return s
