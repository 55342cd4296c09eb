"""C8: one extended parallel section can beat several short prange loops.

* Normalize ``out = x / ||x||``: :func:`normalize_separate` runs two prange
  regions (a reduction, then the division); :func:`normalize_one_section`
  does both in one ``parallel()`` block -- each thread reduces its own block,
  a barrier, then each thread divides its own block.
* A k-stage elementwise pipeline ``y <- 0.5 y + 1`` applied k times:
  :func:`pipeline_separate` (k prange regions), :func:`pipeline_one_section`
  (one ``parallel()`` block holding the k prange loops) and
  :func:`pipeline_fused` (one prange doing all k stages per element).
"""

cimport numpy as cnp
import numpy as np

from cython.parallel cimport parallel, prange
from libc.math cimport sqrt

from gilbench._checks cimport (check_array, check_num_threads, check_positive_int,
                               check_same_length)
from gilbench._openmp_helpers cimport gilbench_barrier, omp_get_num_threads, omp_get_thread_num

cnp.import_array()  # NumPy's C API, used by the argument checks


cdef inline double _inverse_norm(double sumsq) noexcept nogil:
    # 1 / ||x||; 0 for the zero vector (out = 0), and NaN stays NaN (a NaN
    # in x must not turn into a silent 0 everywhere else).
    if sumsq == 0.0:
        return 0.0
    return 1.0 / sqrt(sumsq)


def normalize_separate(x, out, num_threads=1):
    """C8: ``out = x / sqrt(sum(x**2))`` as two prange regions.  Returns ``out``
    (all zeros when x is all zeros, all NaN when x holds a NaN)."""
    cdef int nt = check_num_threads(num_threads)
    cdef const double[::1] xv = check_array(x, "x")
    cdef double[::1] ov = check_array(out, "out", writable=True)
    check_same_length(xv.shape[0], ov.shape[0], "x", "out")
    cdef Py_ssize_t i, n = xv.shape[0]
    cdef double s = 0.0, inv
    with nogil:
        for i in prange(n, num_threads=nt, schedule="static"):
            s += xv[i] * xv[i]
        inv = _inverse_norm(s)
        for i in prange(n, num_threads=nt, schedule="static"):
            ov[i] = xv[i] * inv
    return out


def normalize_one_section(x, out, num_threads=1):
    """C8: the same normalisation in one ``parallel()`` section."""
    cdef int nt = check_num_threads(num_threads)
    cdef const double[::1] xv = check_array(x, "x")
    cdef double[::1] ov = check_array(out, "out", writable=True)
    check_same_length(xv.shape[0], ov.shape[0], "x", "out")
    cdef Py_ssize_t i, n = xv.shape[0], lo, hi
    cdef int tid, nthreads, t
    cdef double s, total, inv
    # One slot per thread, 8 doubles apart: no false sharing between writers.
    cdef double[::1] partial = np.zeros(8 * nt)
    with nogil, parallel(num_threads=nt):
        tid = omp_get_thread_num()
        nthreads = omp_get_num_threads()
        lo = n * tid // nthreads
        hi = n * (tid + 1) // nthreads
        s = 0.0
        for i in range(lo, hi):
            s = s + xv[i] * xv[i]
        partial[8 * tid] = s
        gilbench_barrier()
        total = 0.0
        for t in range(nthreads):
            total = total + partial[8 * t]
        inv = _inverse_norm(total)
        for i in range(lo, hi):
            ov[i] = xv[i] * inv
    return out


def pipeline_separate(x, out, stages, num_threads=1):
    """C8: ``out = x``, then ``out = 0.5 out + 1`` ``stages`` times, each stage
    its own prange region.  Returns ``out``."""
    cdef int nt = check_num_threads(num_threads)
    cdef Py_ssize_t k = check_positive_int(stages, "stages", 1000)
    cdef const double[::1] xv = check_array(x, "x")
    cdef double[::1] ov = check_array(out, "out", writable=True)
    check_same_length(xv.shape[0], ov.shape[0], "x", "out")
    cdef Py_ssize_t i, _j, n = xv.shape[0]
    with nogil:
        for i in prange(n, num_threads=nt, schedule="static"):
            ov[i] = 0.5 * xv[i] + 1.0
        for _j in range(1, k):
            for i in prange(n, num_threads=nt, schedule="static"):
                ov[i] = 0.5 * ov[i] + 1.0
    return out


def pipeline_one_section(x, out, stages, num_threads=1):
    """C8: the same k stages as k prange loops inside one ``parallel()`` block."""
    cdef int nt = check_num_threads(num_threads)
    cdef Py_ssize_t k = check_positive_int(stages, "stages", 1000)
    cdef const double[::1] xv = check_array(x, "x")
    cdef double[::1] ov = check_array(out, "out", writable=True)
    check_same_length(xv.shape[0], ov.shape[0], "x", "out")
    cdef Py_ssize_t i, _j, n = xv.shape[0]
    with nogil, parallel(num_threads=nt):
        for i in prange(n, schedule="static"):
            ov[i] = 0.5 * xv[i] + 1.0
        for _j in range(1, k):
            # Cython emits `omp for nowait`: no barrier between stages.  A
            # static schedule gives every loop of this region the same
            # partition (same trip count, same team), so each thread reads
            # only what it wrote itself in the stage before.
            for i in prange(n, schedule="static"):
                ov[i] = 0.5 * ov[i] + 1.0
    return out


def pipeline_fused(x, out, stages, num_threads=1):
    """C8: the same k stages fused into one prange (all stages per element)."""
    cdef int nt = check_num_threads(num_threads)
    cdef Py_ssize_t k = check_positive_int(stages, "stages", 1000)
    cdef const double[::1] xv = check_array(x, "x")
    cdef double[::1] ov = check_array(out, "out", writable=True)
    check_same_length(xv.shape[0], ov.shape[0], "x", "out")
    cdef Py_ssize_t i, _j, n = xv.shape[0]
    cdef double y
    with nogil:
        for i in prange(n, num_threads=nt, schedule="static"):
            y = 0.5 * xv[i] + 1.0
            for _j in range(1, k):
                y = 0.5 * y + 1.0
            ov[i] = y
    return out
