"""C5: ``with gil:`` inside a prange costs time and serialises the threads.

The loops are blocked: a prange over blocks of ``every`` elements, a sum of
squares over each block, and (in :func:`prange_with_gil`) one ``with gil:``
block per element block -- empty (``op="empty"``) or one small Python
operation (``op="python"``: an integer increment).  ``enter=False`` keeps the
``with gil:`` block in the code but never enters it: the code path alone can
cost.  :func:`prange_plain` is the same blocked loop with no such block, and
:func:`gil_roundtrips` times one acquire/release from nogil code on one thread.
No division or modulo sits in the inner loop, so the comparison is of the
``with gil`` machinery only.
"""

from cython.parallel cimport prange

from gilbench._checks cimport check_num_threads, check_positive_int

OPS = ("empty", "python")


cdef inline Py_ssize_t _blocks(Py_ssize_t n, Py_ssize_t m) noexcept nogil:
    return (n + m - 1) // m


def prange_plain(const double[::1] x not None, every=1024, num_threads=1):
    """C5 baseline: prange over blocks of ``every`` elements, sum of squares,
    no ``with gil`` block."""
    cdef int nt = check_num_threads(num_threads)
    cdef Py_ssize_t m = check_positive_int(every, "every")
    cdef Py_ssize_t b, j, lo, hi, n = x.shape[0]
    cdef double s = 0.0
    with nogil:
        for b in prange(_blocks(n, m), num_threads=nt, schedule="static"):
            lo = b * m
            hi = min(lo + m, n)
            for j in range(lo, hi):
                s += x[j] * x[j]
    return s


def prange_with_gil(const double[::1] x not None, every=1024, num_threads=1, op="empty",
                    enter=True):
    """C5: the blocked prange sum of squares, entering ``with gil:`` once per
    block of ``every`` elements (``enter=False``: the block is there but never
    entered).  Returns ``(sum, times the block ran)``."""
    cdef int nt = check_num_threads(num_threads)
    cdef Py_ssize_t m = check_positive_int(every, "every")
    if op not in OPS:
        raise ValueError(f"op must be one of {OPS}, got {op!r}")
    cdef bint python_op = op == "python"
    cdef bint do_enter = bool(enter)
    cdef Py_ssize_t b, j, lo, hi, n = x.shape[0]
    cdef Py_ssize_t entered = 0
    cdef double s = 0.0
    counter = [0]
    with nogil:
        for b in prange(_blocks(n, m), num_threads=nt, schedule="static"):
            lo = b * m
            hi = min(lo + m, n)
            for j in range(lo, hi):
                s += x[j] * x[j]
            if do_enter:
                entered += 1
                with gil:
                    if python_op:
                        counter[0] += 1
    if python_op and counter[0] != entered:
        raise RuntimeError("the Python operation ran a different number of times")
    return s, entered


def gil_roundtrips(count):
    """C5: ``count`` times ``with gil: pass`` from nogil code, on one thread."""
    cdef Py_ssize_t i, n = check_positive_int(count, "count")
    with nogil:
        for i in range(n):
            with gil:
                pass
    return n
