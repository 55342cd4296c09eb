"""C6: loop-carried (linear) algorithms give wrong answers in prange.

Two such loops -- the cumulative sum ``y[i] = y[i-1] + x[i]`` and the
first-order linear recurrence ``y[i] = a y[i-1] + b[i]`` (``y[-1] = 0``) --
each three ways:

* ``*_seq``    -- the plain sequential loop (the reference);
* ``*_naive``  -- the same loop under prange.  **Wrong on purpose**: a thread
  starting in the middle reads ``y[i-1]`` before the thread that owns it has
  written it.  Right only on one thread.  Never use it as a reference.
* ``*_scan``   -- a correct two-pass parallel scan: each thread reduces its
  own contiguous block, a barrier, each thread combines the totals of the
  blocks before its own into an offset, then scans its block from that offset.
"""

import numpy as np

from cython.parallel cimport parallel, prange
from libc.math cimport pow

from gilbench._checks cimport check_num_threads, check_same_length
from gilbench._openmp_helpers cimport gilbench_barrier, omp_get_num_threads, omp_get_thread_num


# --- cumulative sum ------------------------------------------------------------

def cumsum_seq(const double[::1] x not None, double[::1] out not None):
    """C6: ``out = cumsum(x)``, sequential.  Returns ``out``."""
    check_same_length(x.shape[0], out.shape[0], "x", "out")
    cdef Py_ssize_t i, n = x.shape[0]
    cdef double s = 0.0
    with nogil:
        for i in range(n):
            s += x[i]
            out[i] = s
    return out.base


def cumsum_naive(const double[::1] x not None, double[::1] out not None, num_threads=2):
    """C6: the cumulative sum's loop under prange -- WRONG ON PURPOSE with more
    than one thread (reads ``out[i-1]`` that another thread has not written).
    Returns ``out``."""
    cdef int nt = check_num_threads(num_threads)
    check_same_length(x.shape[0], out.shape[0], "x", "out")
    cdef Py_ssize_t i, n = x.shape[0]
    if n == 0:
        return out.base
    out[:] = 0.0
    out[0] = x[0]
    with nogil:
        for i in prange(1, n, num_threads=nt, schedule="static"):
            out[i] = out[i - 1] + x[i]
    return out.base


cdef inline Py_ssize_t _block_start(Py_ssize_t n, int tid, int nthreads) noexcept nogil:
    # Thread tid's contiguous block is [start(tid), start(tid + 1)).  Assign
    # the bounds in the parallel block itself: Cython makes a variable private
    # only when it sees it assigned there (not when it is set through a pointer).
    return n * tid // nthreads


def cumsum_scan(const double[::1] x not None, double[::1] out not None, num_threads=1):
    """C6: ``out = cumsum(x)`` as a two-pass parallel scan.  Returns ``out``."""
    cdef int nt = check_num_threads(num_threads)
    check_same_length(x.shape[0], out.shape[0], "x", "out")
    cdef Py_ssize_t i, n = x.shape[0], lo, hi
    cdef int tid, nthreads, t
    cdef double s, offset
    cdef double[::1] totals = np.zeros(nt + 1)
    with nogil, parallel(num_threads=nt):
        tid = omp_get_thread_num()
        nthreads = omp_get_num_threads()
        lo = _block_start(n, tid, nthreads)
        hi = _block_start(n, tid + 1, nthreads)
        s = 0.0
        for i in range(lo, hi):
            s = s + x[i]
        totals[tid + 1] = s
        gilbench_barrier()
        offset = 0.0
        for t in range(tid + 1):
            offset = offset + totals[t]
        for i in range(lo, hi):
            offset = offset + x[i]
            out[i] = offset
    return out.base


# --- first-order linear recurrence ----------------------------------------------

def recurrence_seq(double a, const double[::1] b not None, double[::1] out not None):
    """C6: ``out[i] = a out[i-1] + b[i]`` (``out[-1] = 0``), sequential."""
    check_same_length(b.shape[0], out.shape[0], "b", "out")
    cdef Py_ssize_t i, n = b.shape[0]
    cdef double y = 0.0
    with nogil:
        for i in range(n):
            y = a * y + b[i]
            out[i] = y
    return out.base


def recurrence_naive(double a, const double[::1] b not None, double[::1] out not None,
                     num_threads=2):
    """C6: the recurrence's loop under prange -- WRONG ON PURPOSE with more
    than one thread."""
    cdef int nt = check_num_threads(num_threads)
    check_same_length(b.shape[0], out.shape[0], "b", "out")
    cdef Py_ssize_t i, n = b.shape[0]
    if n == 0:
        return out.base
    out[:] = 0.0
    out[0] = b[0]
    with nogil:
        for i in prange(1, n, num_threads=nt, schedule="static"):
            out[i] = a * out[i - 1] + b[i]
    return out.base


def recurrence_scan(double a, const double[::1] b not None, double[::1] out not None,
                    num_threads=1):
    """C6: the recurrence as a two-pass parallel scan.

    Block t maps the value entering it, ``c``, to ``a**len c + e`` where ``e``
    is the block's recurrence from 0; the carries are combined in block order
    after a barrier, then every block runs again from its carry.
    """
    cdef int nt = check_num_threads(num_threads)
    check_same_length(b.shape[0], out.shape[0], "b", "out")
    cdef Py_ssize_t i, n = b.shape[0], lo, hi
    cdef int tid, nthreads, t
    cdef double y, carry
    cdef double[::1] ends = np.zeros(nt)
    cdef double[::1] gains = np.zeros(nt)
    with nogil, parallel(num_threads=nt):
        tid = omp_get_thread_num()
        nthreads = omp_get_num_threads()
        lo = _block_start(n, tid, nthreads)
        hi = _block_start(n, tid + 1, nthreads)
        y = 0.0
        for i in range(lo, hi):
            y = a * y + b[i]
        ends[tid] = y
        gains[tid] = pow(a, <double>(hi - lo))
        gilbench_barrier()
        carry = 0.0
        for t in range(tid):
            carry = gains[t] * carry + ends[t]
        for i in range(lo, hi):
            carry = a * carry + b[i]
            out[i] = carry
    return out.base
