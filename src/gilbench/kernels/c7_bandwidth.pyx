"""C7 (bandwidth): STREAM-style kernels with prange, to read every
memory-bound kernel against the machine's limit.

* :func:`copy`  -- ``b[i] = a[i]``           (16 bytes per element, STREAM's count)
* :func:`triad` -- ``a[i] = b[i] + s c[i]``  (24 bytes per element)
* :func:`sum_naive` -- one accumulator per thread: every add waits for the
  previous one (latency-bound, not bandwidth-bound);
* :func:`sum_unrolled` -- eight independent accumulators per thread, which
  lets the adds overlap until memory is the limit (8 bytes per element).
"""

from cython.parallel cimport prange

from gilbench._checks cimport check_num_threads, check_same_length

#: Bytes each kernel moves per element, counted as STREAM counts them.
BYTES_PER_ELEMENT = {"copy": 16, "triad": 24, "sum_naive": 8, "sum_unrolled": 8}


def copy(const double[::1] a not None, double[::1] b not None, num_threads=1):
    """C7: ``b[:] = a`` with a prange.  Returns ``b``."""
    cdef int nt = check_num_threads(num_threads)
    check_same_length(a.shape[0], b.shape[0], "a", "b")
    cdef Py_ssize_t i, n = a.shape[0]
    with nogil:
        for i in prange(n, num_threads=nt, schedule="static"):
            b[i] = a[i]
    return b.base


def triad(double[::1] a not None, const double[::1] b not None, const double[::1] c not None,
          double scalar, num_threads=1):
    """C7: ``a[:] = b + scalar * c`` with a prange.  Returns ``a``."""
    cdef int nt = check_num_threads(num_threads)
    check_same_length(a.shape[0], b.shape[0], "a", "b")
    check_same_length(a.shape[0], c.shape[0], "a", "c")
    cdef Py_ssize_t i, n = a.shape[0]
    with nogil:
        for i in prange(n, num_threads=nt, schedule="static"):
            a[i] = b[i] + scalar * c[i]
    return a.base


def sum_naive(const double[::1] a not None, num_threads=1):
    """C7: sum of ``a``, one accumulator per thread (latency-bound)."""
    cdef int nt = check_num_threads(num_threads)
    cdef Py_ssize_t i, n = a.shape[0]
    cdef double s = 0.0
    with nogil:
        for i in prange(n, num_threads=nt, schedule="static"):
            s += a[i]
    return s


def sum_unrolled(const double[::1] a not None, num_threads=1):
    """C7: sum of ``a`` with eight independent accumulators per thread."""
    cdef int nt = check_num_threads(num_threads)
    cdef Py_ssize_t k, i, n = a.shape[0], blocks = a.shape[0] // 8
    cdef double s = 0.0
    cdef double s0, s1, s2, s3, s4, s5, s6, s7
    with nogil:
        for k in prange(blocks, num_threads=nt, schedule="static"):
            i = 8 * k
            # Each iteration's eight adds are independent of each other; the
            # reduction then adds their sum once.
            s0 = a[i]
            s1 = a[i + 1]
            s2 = a[i + 2]
            s3 = a[i + 3]
            s4 = a[i + 4]
            s5 = a[i + 5]
            s6 = a[i + 6]
            s7 = a[i + 7]
            s += ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
        for i in range(8 * blocks, n):
            s += a[i]
    return s
