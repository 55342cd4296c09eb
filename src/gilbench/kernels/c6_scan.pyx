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

cimport numpy as cnp
from cython.parallel cimport parallel, prange
from libc.math cimport pow

from gilbench._checks cimport (check_apart, check_array, check_num_threads, check_real,
                               check_same_length)
from gilbench._openmp_helpers cimport gilbench_barrier, omp_get_num_threads, omp_get_thread_num

cnp.import_array()  # NumPy's C API, used by the argument checks


# --- cumulative sum ------------------------------------------------------------

def cumsum_seq(x, out):
    """C6: ``out = cumsum(x)``, sequential.  Returns ``out``."""
    cdef const double[::1] xv = check_array(x, "x")
    cdef double[::1] ov = check_array(out, "out", writable=True)
    check_same_length(xv.shape[0], ov.shape[0], "x", "out")
    cdef Py_ssize_t i, n = xv.shape[0]
    cdef double s = 0.0
    with nogil:
        for i in range(n):
            s += xv[i]
            ov[i] = s
    return out


def cumsum_naive(x, out, num_threads=2):
    """C6: the cumulative sum's loop under prange -- WRONG ON PURPOSE with more
    than one thread (reads ``out[i-1]`` that another thread has not written).
    Returns ``out``."""
    cdef int nt = check_num_threads(num_threads)
    cdef const double[::1] xv = check_array(x, "x")
    cdef double[::1] ov = check_array(out, "out", writable=True)
    check_same_length(xv.shape[0], ov.shape[0], "x", "out")
    cdef Py_ssize_t i, n = xv.shape[0]
    if n == 0:
        return out
    check_apart(out, x, "out", "x")  # it is cleared first
    ov[:] = 0.0  # stale results from an earlier call must not hide the race
    ov[0] = xv[0]
    with nogil:
        for i in prange(1, n, num_threads=nt, schedule="static"):
            ov[i] = ov[i - 1] + xv[i]
    return out


cdef inline Py_ssize_t _block_start(Py_ssize_t n, int tid, int nthreads) noexcept nogil:
    # Thread tid's contiguous block is [start(tid), start(tid + 1)).  Assign
    # the bounds in the parallel block itself: Cython makes a variable private
    # only when it sees it assigned there (not when it is set through a pointer).
    return n * tid // nthreads


def cumsum_scan(x, out, num_threads=1):
    """C6: ``out = cumsum(x)`` as a two-pass parallel scan.  Returns ``out``."""
    cdef int nt = check_num_threads(num_threads)
    cdef const double[::1] xv = check_array(x, "x")
    cdef double[::1] ov = check_array(out, "out", writable=True)
    check_same_length(xv.shape[0], ov.shape[0], "x", "out")
    cdef Py_ssize_t i, n = xv.shape[0], lo, hi
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
            s = s + xv[i]
        totals[tid + 1] = s
        gilbench_barrier()
        offset = 0.0
        for t in range(tid + 1):
            offset = offset + totals[t]
        for i in range(lo, hi):
            offset = offset + xv[i]
            ov[i] = offset
    return out


# --- first-order linear recurrence ----------------------------------------------

def recurrence_seq(a, b, out):
    """C6: ``out[i] = a out[i-1] + b[i]`` (``out[-1] = 0``), sequential."""
    cdef double av = check_real(a, "a")
    cdef const double[::1] bv = check_array(b, "b")
    cdef double[::1] ov = check_array(out, "out", writable=True)
    check_same_length(bv.shape[0], ov.shape[0], "b", "out")
    cdef Py_ssize_t i, n = bv.shape[0]
    cdef double y = 0.0
    with nogil:
        for i in range(n):
            y = av * y + bv[i]
            ov[i] = y
    return out


def recurrence_naive(a, b, out, num_threads=2):
    """C6: the recurrence's loop under prange -- WRONG ON PURPOSE with more
    than one thread."""
    cdef int nt = check_num_threads(num_threads)
    cdef double av = check_real(a, "a")
    cdef const double[::1] bv = check_array(b, "b")
    cdef double[::1] ov = check_array(out, "out", writable=True)
    check_same_length(bv.shape[0], ov.shape[0], "b", "out")
    cdef Py_ssize_t i, n = bv.shape[0]
    if n == 0:
        return out
    check_apart(out, b, "out", "b")  # it is cleared first
    ov[:] = 0.0  # stale results from an earlier call must not hide the race
    ov[0] = bv[0]
    with nogil:
        for i in prange(1, n, num_threads=nt, schedule="static"):
            ov[i] = av * ov[i - 1] + bv[i]
    return out


def recurrence_scan(a, b, out, num_threads=1):
    """C6: the recurrence as a two-pass parallel scan.

    Block t maps the value entering it, ``c``, to ``a**len c + e`` where ``e``
    is the block's recurrence from 0; the carries are combined in block order
    after a barrier, then every block runs again from its carry.
    """
    cdef int nt = check_num_threads(num_threads)
    cdef double av = check_real(a, "a")
    cdef const double[::1] bv = check_array(b, "b")
    cdef double[::1] ov = check_array(out, "out", writable=True)
    check_same_length(bv.shape[0], ov.shape[0], "b", "out")
    cdef Py_ssize_t i, n = bv.shape[0], lo, hi
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
            y = av * y + bv[i]
        ends[tid] = y
        gains[tid] = pow(av, <double>(hi - lo))
        gilbench_barrier()
        carry = 0.0
        for t in range(tid):
            carry = gains[t] * carry + ends[t]
        for i in range(lo, hi):
            carry = av * carry + bv[i]
            ov[i] = carry
    return out
