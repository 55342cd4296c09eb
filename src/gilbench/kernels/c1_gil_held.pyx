"""C1: holding the GIL does not slow C-level code; re-acquiring it does.

One loop body, compiled five ways:

* ``*_gil``       -- the loop runs with the GIL held;
* ``*_nogil``     -- the same loop inside ``with nogil:``;
* ``*_noexcept``  -- inside ``with nogil:``, calling a ``noexcept nogil`` cdef
                     function per element;
* ``*_except``    -- inside ``with nogil:``, calling a ``void ... except *
                     nogil`` cdef function per element.  After every call
                     Cython must take the GIL back to ask ``PyErr_Occurred()``:
                     this is where releasing the GIL really costs.
* ``*_except_value`` -- the same with a ``double``-returning ``except * nogil``
                     function.  Cython 3 checks the error indicator (with the
                     GIL) only when the result equals -1.0, so this one pays
                     almost nothing on ordinary data.

The per-element helpers of the last three are plain (not ``inline``) cdef
functions, built the same way for both bodies; the C compiler may still
inline any of them, which is fine: what differs between the variants is the
error check Cython wraps around each call, and that it cannot remove.

Two loop bodies: ``sumsq`` (sum of squares, a streaming reduction) and
``poly`` (a degree-8 polynomial per element written to ``out``: arithmetic
dominates).  The article's claim is that the first three variants run at the
same speed.

At more threads, :func:`poly_noexcept_prange` and :func:`poly_except_prange`
run the polynomial's two cdef calls in a prange: the ``except *`` call takes
the GIL back after every element on every thread of the team, so the cost
that C1 names becomes a lock the team queues on (counted exactly by
``TrackC1PrangeStructure``).
"""

cimport numpy as cnp
from cython.parallel cimport prange
from gilbench._checks cimport check_array, check_num_threads, check_same_length
from gilbench.kernels._bodies cimport poly8

cnp.import_array()  # NumPy's C API, used by the argument checks


# --- per-element helpers: noexcept / except * (void) / except * (double) -----

cdef double _square_noexcept(double v) noexcept nogil:
    return v * v


cdef void _square_except(double v, double* acc) except * nogil:
    acc[0] += v * v


cdef double _square_except_value(double v) except * nogil:
    return v * v


cdef double _poly_noexcept(double v) noexcept nogil:
    return poly8(v)


cdef void _poly_except(double v, double* dst) except * nogil:
    dst[0] = poly8(v)


cdef double _poly_except_value(double v) except * nogil:
    return poly8(v)


# --- sum of squares ---------------------------------------------------------

def sumsq_gil(x):
    """C1: sum of ``x**2``, loop run with the GIL held."""
    cdef const double[::1] xv = check_array(x, "x")
    cdef Py_ssize_t i, n = xv.shape[0]
    cdef double s = 0.0
    for i in range(n):
        s += xv[i] * xv[i]
    return s


def sumsq_nogil(x):
    """C1: sum of ``x**2``, the same loop inside ``with nogil:``."""
    cdef const double[::1] xv = check_array(x, "x")
    cdef Py_ssize_t i, n = xv.shape[0]
    cdef double s = 0.0
    with nogil:
        for i in range(n):
            s += xv[i] * xv[i]
    return s


def sumsq_noexcept(x):
    """C1: sum of ``x**2`` via a ``noexcept nogil`` cdef call per element."""
    cdef const double[::1] xv = check_array(x, "x")
    cdef Py_ssize_t i, n = xv.shape[0]
    cdef double s = 0.0
    with nogil:
        for i in range(n):
            s += _square_noexcept(xv[i])
    return s


def sumsq_except(x):
    """C1: sum of ``x**2`` via a ``void ... except * nogil`` call per element
    (the GIL is re-acquired after every call to check for an exception)."""
    cdef const double[::1] xv = check_array(x, "x")
    cdef Py_ssize_t i, n = xv.shape[0]
    cdef double s = 0.0
    with nogil:
        for i in range(n):
            _square_except(xv[i], &s)
    return s


def sumsq_except_value(x):
    """C1: sum of ``x**2`` via a ``double ... except * nogil`` call per element
    (the GIL is taken only if a call returns -1.0)."""
    cdef const double[::1] xv = check_array(x, "x")
    cdef Py_ssize_t i, n = xv.shape[0]
    cdef double s = 0.0
    with nogil:
        for i in range(n):
            s += _square_except_value(xv[i])
    return s


# --- polynomial per element -------------------------------------------------

def poly_gil(x, out):
    """C1: ``out[i] = p(x[i])`` (degree-8 Horner), loop run with the GIL held.
    Returns ``out``."""
    cdef const double[::1] xv = check_array(x, "x")
    cdef double[::1] ov = check_array(out, "out", writable=True)
    check_same_length(xv.shape[0], ov.shape[0], "x", "out")
    cdef Py_ssize_t i, n = xv.shape[0]
    for i in range(n):
        ov[i] = poly8(xv[i])
    return out


def poly_nogil(x, out):
    """C1: ``out[i] = p(x[i])``, the same loop inside ``with nogil:``."""
    cdef const double[::1] xv = check_array(x, "x")
    cdef double[::1] ov = check_array(out, "out", writable=True)
    check_same_length(xv.shape[0], ov.shape[0], "x", "out")
    cdef Py_ssize_t i, n = xv.shape[0]
    with nogil:
        for i in range(n):
            ov[i] = poly8(xv[i])
    return out


def poly_noexcept(x, out):
    """C1: ``out[i] = p(x[i])`` via a ``noexcept nogil`` cdef call per element."""
    cdef const double[::1] xv = check_array(x, "x")
    cdef double[::1] ov = check_array(out, "out", writable=True)
    check_same_length(xv.shape[0], ov.shape[0], "x", "out")
    cdef Py_ssize_t i, n = xv.shape[0]
    with nogil:
        for i in range(n):
            ov[i] = _poly_noexcept(xv[i])
    return out


def poly_except(x, out):
    """C1: ``out[i] = p(x[i])`` via a ``void ... except * nogil`` call per
    element (the GIL is re-acquired after every call)."""
    cdef const double[::1] xv = check_array(x, "x")
    cdef double[::1] ov = check_array(out, "out", writable=True)
    check_same_length(xv.shape[0], ov.shape[0], "x", "out")
    cdef Py_ssize_t i, n = xv.shape[0]
    with nogil:
        for i in range(n):
            _poly_except(xv[i], &ov[i])
    return out


def poly_except_value(x, out):
    """C1: ``out[i] = p(x[i])`` via a ``double ... except * nogil`` call per
    element (the GIL is taken only if a call returns -1.0)."""
    cdef const double[::1] xv = check_array(x, "x")
    cdef double[::1] ov = check_array(out, "out", writable=True)
    check_same_length(xv.shape[0], ov.shape[0], "x", "out")
    cdef Py_ssize_t i, n = xv.shape[0]
    with nogil:
        for i in range(n):
            ov[i] = _poly_except_value(xv[i])
    return out


# --- the polynomial's cdef calls in a prange --------------------------------

def poly_noexcept_prange(x, out, num_threads=1):
    """C1 at more threads: ``out[i] = p(x[i])`` via a ``noexcept nogil`` cdef
    call per element, in a prange on ``num_threads`` threads.  Returns
    ``out``."""
    cdef int nt = check_num_threads(num_threads)
    cdef const double[::1] xv = check_array(x, "x")
    cdef double[::1] ov = check_array(out, "out", writable=True)
    check_same_length(xv.shape[0], ov.shape[0], "x", "out")
    cdef Py_ssize_t i, n = xv.shape[0]
    with nogil:
        for i in prange(n, num_threads=nt, schedule="static"):
            ov[i] = _poly_noexcept(xv[i])
    return out


def poly_except_prange(x, out, num_threads=1):
    """C1 at more threads: ``out[i] = p(x[i])`` via a ``void ... except *
    nogil`` cdef call per element, in a prange on ``num_threads`` threads:
    each thread takes the GIL back after each of its calls.  Returns
    ``out``."""
    cdef int nt = check_num_threads(num_threads)
    cdef const double[::1] xv = check_array(x, "x")
    cdef double[::1] ov = check_array(out, "out", writable=True)
    check_same_length(xv.shape[0], ov.shape[0], "x", "out")
    cdef Py_ssize_t i, n = xv.shape[0]
    with nogil:
        for i in prange(n, num_threads=nt, schedule="static"):
            _poly_except(xv[i], &ov[i])
    return out


#: The five ways, in the order the benchmarks report them (first = baseline).
VARIANTS = ("gil", "nogil", "noexcept", "except", "except_value")
#: {loop body: {variant: kernel}}.
KERNELS = {
    "sumsq": {"gil": sumsq_gil, "nogil": sumsq_nogil, "noexcept": sumsq_noexcept,
              "except": sumsq_except, "except_value": sumsq_except_value},
    "poly": {"gil": poly_gil, "nogil": poly_nogil, "noexcept": poly_noexcept,
             "except": poly_except, "except_value": poly_except_value},
}
#: {variant: kernel} of the polynomial's cdef calls in a prange.
PRANGE_KERNELS = {"noexcept": poly_noexcept_prange, "except": poly_except_prange}
