"""What the OpenMP runtime compiled into gilbench can do (or that there is none)."""

cimport numpy as cnp
from cython.parallel cimport parallel, prange

from gilbench._checks cimport check_num_threads

cnp.import_array()  # NumPy's C API, used by the argument checks


def openmp_enabled():
    """True when the kernels were compiled with OpenMP (prange really forks)."""
    return bool(GILBENCH_OPENMP_ENABLED)


def openmp_version():
    """The ``_OPENMP`` date macro the kernels were compiled against (0 without OpenMP)."""
    return GILBENCH_OPENMP_VERSION


def openmp_max_threads():
    """``omp_get_max_threads()`` in the *calling* thread (1 without OpenMP).

    libgomp keeps this limit per thread: threadpoolctl changes it only for the
    thread that calls it.
    """
    return omp_get_max_threads()


def team_size(num_threads=None):
    """Number of threads a ``parallel()`` region really starts.

    With ``num_threads=None`` the runtime's default for the calling thread is
    used (what threadpoolctl's OpenMP limit controls); an explicit count
    overrides any limit.
    """
    cdef int n = 0
    cdef int[1] seen
    seen[0] = 1
    if num_threads is None:
        with nogil, parallel():
            if omp_get_thread_num() == 0:
                seen[0] = omp_get_num_threads()
    else:
        n = check_num_threads(num_threads)
        with nogil, parallel(num_threads=n):
            if omp_get_thread_num() == 0:
                seen[0] = omp_get_num_threads()
    return seen[0]


def call_in_prange(func, num_threads):
    """Call ``func()`` once from each iteration of a ``prange(num_threads)``.

    Returns ``[(openmp thread number, func()), ...]`` in iteration order: the
    way to ask what a library reports *from inside* the prange's worker threads
    (each call takes the GIL with ``with gil:``).  An exception in ``func`` is
    re-raised after the loop.
    """
    cdef int nt = check_num_threads(num_threads)
    cdef int i
    results = [None] * nt
    errors = []
    with nogil:
        for i in prange(nt, num_threads=nt, schedule="static", chunksize=1):
            with gil:
                try:
                    results[i] = (omp_get_thread_num(), func())
                except BaseException as exc:
                    errors.append(exc)
    if errors:
        raise errors[0]
    return results
