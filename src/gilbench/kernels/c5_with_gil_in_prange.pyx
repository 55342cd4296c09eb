"""C5: ``with gil:`` inside a prange costs time and serialises the threads.

The loops are blocked: a prange over blocks of ``every`` elements, a sum of
squares over each block, and (in :func:`prange_with_gil`) one ``with gil:``
block per element block, of one of three kinds (``BLOCKS``):

* ``"never"``  -- the ``with gil:`` block is in the code but never entered:
  what the code path alone costs;
* ``"empty"``  -- entered once per element block, does nothing;
* ``"python"`` -- entered once per element block, one small Python operation
  (an integer increment, in the thread's own slot of a list: without a GIL,
  on a free-threaded CPython, ``with gil:`` no longer makes the threads take
  turns, and two threads incrementing one slot would lose counts).

:func:`prange_plain` is the same blocked loop with no such block, and
:func:`gil_roundtrips` times one acquire/release from nogil code on one thread.
No division or modulo sits in the inner loop, so the comparison is of the
``with gil`` machinery only.

:func:`section_gil_once` is the other way to need Python in a parallel
loop: a ``parallel()`` section that released the GIL takes it back once per
thread, at its top (per-thread initialisation), then runs the same blocked
loop without it.  Cython 3.3 made that acquisition faster; the module
``c5_prange_keeps_gil`` (Cython 3.3 or newer) holds the third way, a prange
that never releases the GIL.
"""

cimport numpy as cnp
from cython.parallel cimport parallel, prange, threadid

from gilbench._checks cimport check_array, check_num_threads, check_positive_int

cnp.import_array()  # NumPy's C API, used by the argument checks

#: The kinds of ``with gil:`` block :func:`prange_with_gil` can hold.
BLOCKS = ("never", "empty", "python")


cdef inline Py_ssize_t _blocks(Py_ssize_t n, Py_ssize_t m) noexcept nogil:
    return (n + m - 1) // m


def prange_plain(x, every=1024, num_threads=1):
    """C5 baseline: prange over blocks of ``every`` elements, sum of squares,
    no ``with gil`` block."""
    cdef const double[::1] xv = check_array(x, "x")
    cdef Py_ssize_t m = check_positive_int(every, "every")
    cdef int nt = check_num_threads(num_threads)
    cdef Py_ssize_t b, j, lo, hi, n = xv.shape[0]
    cdef double s = 0.0
    with nogil:
        for b in prange(_blocks(n, m), num_threads=nt, schedule="static"):
            lo = b * m
            hi = min(lo + m, n)
            for j in range(lo, hi):
                s += xv[j] * xv[j]
    return s


def prange_with_gil(x, every=1024, num_threads=1, block="empty"):
    """C5: the blocked prange sum of squares with a ``with gil:`` block of kind
    ``block`` (one of ``BLOCKS``) per block of ``every`` elements.  Returns
    ``(sum, times the block ran)``."""
    cdef const double[::1] xv = check_array(x, "x")
    cdef Py_ssize_t m = check_positive_int(every, "every")
    cdef int nt = check_num_threads(num_threads)
    if not isinstance(block, str) or block not in BLOCKS:
        raise ValueError(f"block must be one of {BLOCKS}, got {block!r}")
    cdef bint python_op = block == "python"
    cdef bint do_enter = block != "never"  # a C flag: the block stays in the code
    cdef Py_ssize_t b, j, lo, hi, n = xv.shape[0]
    cdef Py_ssize_t entered = 0
    cdef double s = 0.0
    counter = [0] * nt  # one slot per thread (see the module's docstring)
    with nogil:
        for b in prange(_blocks(n, m), num_threads=nt, schedule="static"):
            lo = b * m
            hi = min(lo + m, n)
            for j in range(lo, hi):
                s += xv[j] * xv[j]
            if do_enter:
                entered += 1
                with gil:
                    if python_op:
                        counter[threadid()] += 1
    if python_op and sum(counter) != entered:
        raise RuntimeError("the Python operation ran a different number of times")
    return s, entered


def gil_roundtrips(count):
    """C5: ``count`` times ``with gil: pass`` from nogil code, on one thread."""
    cdef Py_ssize_t _i, n = check_positive_int(count, "count")
    with nogil:
        for _i in range(n):
            with gil:
                pass
    return n


def section_gil_once(x, every=1024, num_threads=1, take_gil=True):
    """C5: a ``parallel()`` section over the blocked sum of squares whose
    threads each take the GIL back once at its top (when ``take_gil``) to
    run one Python operation, their initialisation; without ``take_gil``
    the same section with no acquisition.  Returns ``(sum, threads that ran
    the initialisation)``."""
    cdef const double[::1] xv = check_array(x, "x")
    cdef Py_ssize_t m = check_positive_int(every, "every")
    cdef int nt = check_num_threads(num_threads)
    if not isinstance(take_gil, bool):
        raise TypeError(f"take_gil must be a bool, got {type(take_gil).__name__}")
    cdef bint acquire = take_gil
    cdef Py_ssize_t b, j, lo, hi, n = xv.shape[0]
    cdef double s = 0.0
    inits = [0] * nt  # one slot per thread: no two threads write the same one
    with nogil, parallel(num_threads=nt):
        if acquire:
            with gil:
                inits[threadid()] += 1
        for b in prange(_blocks(n, m), schedule="static"):
            lo = b * m
            hi = min(lo + m, n)
            for j in range(lo, hi):
                s += xv[j] * xv[j]
    return s, sum(inits)
