"""C5 on Cython 3.3 or newer: a prange that keeps the GIL.

Cython 3.3 lets ``prange(..., nogil=False)`` run without releasing the GIL,
so its body may do Python work directly.  Cython calls it experimental and
says it runs in parallel only on a free-threaded Python: on a GIL build
each thread takes the GIL at its first iteration and keeps it for its whole
chunk, so the chunks run one after another.

:func:`prange_keeps_gil` is the blocked sum of squares of
``c5_with_gil_in_prange``, with one Python operation per block of ``every``
elements, done in the body instead of inside a ``with gil:`` block.  meson
builds this module only when the building Cython is 3.3 or newer
(``gilbench.kernels.PRANGE_KEEPS_GIL``); older releases cannot compile it.
"""

cimport numpy as cnp
from cython.parallel cimport prange, threadid

from gilbench._checks cimport check_array, check_num_threads, check_positive_int

cnp.import_array()  # NumPy's C API, used by the argument checks


def prange_keeps_gil(x, every=1024, num_threads=1):
    """C5 (Cython 3.3+): a prange over blocks of ``every`` elements that
    keeps the GIL: the sum of squares of each block, then one Python
    operation (an integer increment in the thread's own slot).  Returns
    ``(sum, times the operation ran)``."""
    cdef const double[::1] xv = check_array(x, "x")
    cdef Py_ssize_t m = check_positive_int(every, "every")
    cdef int nt = check_num_threads(num_threads)
    cdef Py_ssize_t b, j, lo, hi, n = xv.shape[0]
    cdef Py_ssize_t blocks = (n + m - 1) // m
    cdef double s = 0.0
    counts = [0] * nt  # one slot per thread: no two threads write the same one
    for b in prange(blocks, nogil=False, num_threads=nt, schedule="static"):
        lo = b * m
        hi = min(lo + m, n)
        for j in range(lo, hi):
            s += xv[j] * xv[j]
        counts[threadid()] += 1
    ran = sum(counts)
    if ran != blocks:
        raise RuntimeError(f"the Python operation ran {ran} times for {blocks} blocks")
    return s, ran
