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

import numpy as np

from cython.parallel cimport parallel, prange
from libc.math cimport sqrt

from gilbench._checks cimport check_num_threads, check_positive_int, check_same_length
from gilbench._openmp_helpers cimport gilbench_barrier, omp_get_num_threads, omp_get_thread_num


def normalize_separate(const double[::1] x not None, double[::1] out not None, num_threads=1):
    """C8: ``out = x / sqrt(sum(x**2))`` as two prange regions.  Returns ``out``
    (all zeros when x is all zeros)."""
    cdef int nt = check_num_threads(num_threads)
    check_same_length(x.shape[0], out.shape[0], "x", "out")
    cdef Py_ssize_t i, n = x.shape[0]
    cdef double s = 0.0, inv
    with nogil:
        for i in prange(n, num_threads=nt, schedule="static"):
            s += x[i] * x[i]
        inv = 1.0 / sqrt(s) if s > 0 else 0.0
        for i in prange(n, num_threads=nt, schedule="static"):
            out[i] = x[i] * inv
    return out.base


def normalize_one_section(const double[::1] x not None, double[::1] out not None,
                          num_threads=1):
    """C8: the same normalisation in one ``parallel()`` section."""
    cdef int nt = check_num_threads(num_threads)
    check_same_length(x.shape[0], out.shape[0], "x", "out")
    cdef Py_ssize_t i, n = x.shape[0], lo, hi
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
            s = s + x[i] * x[i]
        partial[8 * tid] = s
        gilbench_barrier()
        total = 0.0
        for t in range(nthreads):
            total = total + partial[8 * t]
        inv = 1.0 / sqrt(total) if total > 0 else 0.0
        for i in range(lo, hi):
            out[i] = x[i] * inv
    return out.base


def pipeline_separate(const double[::1] x not None, double[::1] out not None, stages,
                      num_threads=1):
    """C8: ``out = x``, then ``out = 0.5 out + 1`` ``stages`` times, each stage
    its own prange region.  Returns ``out``."""
    cdef int nt = check_num_threads(num_threads)
    cdef Py_ssize_t k = check_positive_int(stages, "stages", 1000)
    check_same_length(x.shape[0], out.shape[0], "x", "out")
    cdef Py_ssize_t i, j, n = x.shape[0]
    with nogil:
        for i in prange(n, num_threads=nt, schedule="static"):
            out[i] = 0.5 * x[i] + 1.0
        for j in range(1, k):
            for i in prange(n, num_threads=nt, schedule="static"):
                out[i] = 0.5 * out[i] + 1.0
    return out.base


def pipeline_one_section(const double[::1] x not None, double[::1] out not None, stages,
                         num_threads=1):
    """C8: the same k stages as k prange loops inside one ``parallel()`` block."""
    cdef int nt = check_num_threads(num_threads)
    cdef Py_ssize_t k = check_positive_int(stages, "stages", 1000)
    check_same_length(x.shape[0], out.shape[0], "x", "out")
    cdef Py_ssize_t i, j, n = x.shape[0]
    with nogil, parallel(num_threads=nt):
        for i in prange(n, schedule="static"):
            out[i] = 0.5 * x[i] + 1.0
        for j in range(1, k):
            # Cython emits `omp for nowait`: no barrier between stages.  A
            # static schedule gives every loop of this region the same
            # partition (same trip count, same team), so each thread reads
            # only what it wrote itself in the stage before.
            for i in prange(n, schedule="static"):
                out[i] = 0.5 * out[i] + 1.0
    return out.base


def pipeline_fused(const double[::1] x not None, double[::1] out not None, stages,
                   num_threads=1):
    """C8: the same k stages fused into one prange (all stages per element)."""
    cdef int nt = check_num_threads(num_threads)
    cdef Py_ssize_t k = check_positive_int(stages, "stages", 1000)
    check_same_length(x.shape[0], out.shape[0], "x", "out")
    cdef Py_ssize_t i, j, n = x.shape[0]
    cdef double y
    with nogil:
        for i in prange(n, num_threads=nt, schedule="static"):
            y = 0.5 * x[i] + 1.0
            for j in range(1, k):
                y = 0.5 * y + 1.0
            out[i] = y
    return out.base
