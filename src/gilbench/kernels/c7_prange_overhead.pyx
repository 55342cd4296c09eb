"""C7: starting a prange has a fixed cost, so it pays only on large problems.

* Region overhead, in the spirit of EPCC's syncbench: :func:`empty_regions`
  runs ``reps`` back-to-back parallel regions that do (almost) nothing, and
  :func:`reduction_regions` ``reps`` prange reductions over one element per
  thread; the caller divides by ``reps``.
* Crossover: a memory-bound kernel (sum of squares) and a compute-bound one
  (a degree-8 polynomial per element, summed), each sequential
  (``*_seq``), as a plain prange (``*_prange``) and as a prange with
  ``use_threads_if=n >= threshold`` (``*_threads_if``, Cython 3.1+).
* Schedules: :func:`schedule_work` runs a balanced or a triangular
  (unbalanced) loop under static / dynamic / guided with a chunk size.
"""

cimport numpy as cnp
from cython.parallel cimport parallel, prange

from gilbench._checks cimport check_array, check_num_threads, check_positive_int
from gilbench._openmp_helpers cimport omp_get_thread_num
from gilbench.kernels._bodies cimport poly8, recurrence_steps

cnp.import_array()  # NumPy's C API, used by the argument checks

# The sequential memory-bound kernel is C1's loop, the same code.
from gilbench.kernels.c1_gil_held import sumsq_nogil as sumsq_seq  # no-cython-lint

SCHEDULES = ("static", "dynamic", "guided")


def empty_regions(reps, num_threads=1):
    """C7: ``reps`` back-to-back ``parallel()`` regions whose body only asks
    its thread number; thread 0 counts the region.  Returns the count,
    ``reps`` (so the regions cannot be optimised away)."""
    cdef Py_ssize_t _r, n = check_positive_int(reps, "reps")
    cdef int nt = check_num_threads(num_threads)
    cdef int tid
    cdef long[1] acc
    acc[0] = 0
    with nogil:
        for _r in range(n):
            with parallel(num_threads=nt):
                tid = omp_get_thread_num()
                if tid == 0:
                    acc[0] += 1
    return acc[0]


def reduction_regions(reps, num_threads=1):
    """C7: ``reps`` back-to-back prange reductions over one element per
    thread.  Returns the sum of all reductions (reps x threads)."""
    cdef Py_ssize_t _r, n = check_positive_int(reps, "reps")
    cdef int nt = check_num_threads(num_threads)
    cdef Py_ssize_t _i
    cdef double s, total = 0.0
    with nogil:
        for _r in range(n):
            s = 0.0
            for _i in prange(nt, num_threads=nt, schedule="static"):
                s += 1.0
            total += s
    return total


# --- crossover: memory-bound -------------------------------------------------

def sumsq_prange(x, num_threads=1):
    """C7: the same sum of squares as a prange reduction."""
    cdef int nt = check_num_threads(num_threads)
    cdef const double[::1] xv = check_array(x, "x")
    cdef Py_ssize_t i, n = xv.shape[0]
    cdef double s = 0.0
    with nogil:
        for i in prange(n, num_threads=nt, schedule="static"):
            s += xv[i] * xv[i]
    return s


def sumsq_threads_if(x, num_threads=1, threshold=32768):
    """C7: the prange sum of squares, run on threads only when
    ``len(x) >= threshold`` (``use_threads_if``)."""
    cdef int nt = check_num_threads(num_threads)
    cdef Py_ssize_t th = check_positive_int(threshold, "threshold")
    cdef const double[::1] xv = check_array(x, "x")
    cdef Py_ssize_t i, n = xv.shape[0]
    cdef double s = 0.0
    with nogil:
        for i in prange(n, num_threads=nt, schedule="static", use_threads_if=n >= th):
            s += xv[i] * xv[i]
    return s


# --- crossover: compute-bound ------------------------------------------------

def poly_seq(x):
    """C7: sequential sum of p(x[i]), p of degree 8 (compute-bound)."""
    cdef const double[::1] xv = check_array(x, "x")
    cdef Py_ssize_t i, n = xv.shape[0]
    cdef double s = 0.0
    with nogil:
        for i in range(n):
            s += poly8(xv[i])
    return s


def poly_prange(x, num_threads=1):
    """C7: the same sum of p(x[i]) as a prange reduction."""
    cdef int nt = check_num_threads(num_threads)
    cdef const double[::1] xv = check_array(x, "x")
    cdef Py_ssize_t i, n = xv.shape[0]
    cdef double s = 0.0
    with nogil:
        for i in prange(n, num_threads=nt, schedule="static"):
            s += poly8(xv[i])
    return s


def poly_threads_if(x, num_threads=1, threshold=4096):
    """C7: the prange sum of p(x[i]) on threads only when ``len(x) >= threshold``."""
    cdef int nt = check_num_threads(num_threads)
    cdef Py_ssize_t th = check_positive_int(threshold, "threshold")
    cdef const double[::1] xv = check_array(x, "x")
    cdef Py_ssize_t i, n = xv.shape[0]
    cdef double s = 0.0
    with nogil:
        for i in prange(n, num_threads=nt, schedule="static", use_threads_if=n >= th):
            s += poly8(xv[i])
    return s


# --- schedules ----------------------------------------------------------------

cdef inline Py_ssize_t _steps(Py_ssize_t i, Py_ssize_t n, Py_ssize_t inner,
                              bint balanced) noexcept nogil:
    # Balanced: every iteration does `inner` steps.  Triangular: iteration i
    # does about 2 * inner * i / n, the same total but all of it at the end.
    if balanced:
        return inner
    return (2 * inner * i) // n


def schedule_work(n, inner, balanced=True, schedule="static", chunksize=1, num_threads=1):
    """C7: a prange of ``n`` iterations, each ``inner`` steps of a dependent
    recurrence (balanced) or about ``2 inner i / n`` steps (triangular), under
    ``schedule`` with ``chunksize``.  Returns the sum over iterations."""
    cdef Py_ssize_t N = check_positive_int(n, "n")
    cdef Py_ssize_t K = check_positive_int(inner, "inner")
    cdef int chunk = <int>check_positive_int(chunksize, "chunksize", 1 << 30)
    cdef int nt = check_num_threads(num_threads)
    cdef bint bal = bool(balanced)
    if schedule not in SCHEDULES:
        raise ValueError(f"schedule must be one of {SCHEDULES}, got {schedule!r}")
    cdef int which = SCHEDULES.index(schedule)  # chosen with the GIL held
    cdef Py_ssize_t i
    cdef double s = 0.0
    with nogil:
        if which == 0:
            for i in prange(N, num_threads=nt, schedule="static", chunksize=chunk):
                s += recurrence_steps(_steps(i, N, K, bal))
        elif which == 1:
            for i in prange(N, num_threads=nt, schedule="dynamic", chunksize=chunk):
                s += recurrence_steps(_steps(i, N, K, bal))
        else:
            for i in prange(N, num_threads=nt, schedule="guided", chunksize=chunk):
                s += recurrence_steps(_steps(i, N, K, bal))
    return s
