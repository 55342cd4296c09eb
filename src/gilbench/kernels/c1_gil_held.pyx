"""C1: holding the GIL does not slow C-level code; re-acquiring it does.

One loop body, compiled four ways:

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

Two loop bodies: ``sumsq`` (sum of squares, a streaming reduction) and
``poly`` (a degree-8 polynomial per element written to ``out``: arithmetic
dominates).  The article's claim is that the first three variants run at the
same speed.
"""

from gilbench.kernels._bodies cimport poly8


cdef inline double _square(double v) noexcept nogil:
    return v * v


cdef double _square_except_value(double v) except * nogil:
    return v * v


cdef void _square_except(double v, double* acc) except * nogil:
    acc[0] += v * v


cdef inline double _poly(double v) noexcept nogil:
    return poly8(v)


cdef double _poly_except_value(double v) except * nogil:
    return _poly(v)


cdef void _poly_except(double v, double* dst) except * nogil:
    dst[0] = _poly(v)


def _check_out(const double[::1] x, double[::1] out):
    if x.shape[0] != out.shape[0]:
        raise ValueError(
            f"x and out must have the same length, got {x.shape[0]} and {out.shape[0]}")


# --- sum of squares ---------------------------------------------------------

def sumsq_gil(const double[::1] x not None):
    """C1: sum of ``x**2``, loop run with the GIL held."""
    cdef Py_ssize_t i, n = x.shape[0]
    cdef double s = 0.0
    for i in range(n):
        s += x[i] * x[i]
    return s


def sumsq_nogil(const double[::1] x not None):
    """C1: sum of ``x**2``, the same loop inside ``with nogil:``."""
    cdef Py_ssize_t i, n = x.shape[0]
    cdef double s = 0.0
    with nogil:
        for i in range(n):
            s += x[i] * x[i]
    return s


def sumsq_noexcept(const double[::1] x not None):
    """C1: sum of ``x**2`` via a ``noexcept nogil`` cdef call per element."""
    cdef Py_ssize_t i, n = x.shape[0]
    cdef double s = 0.0
    with nogil:
        for i in range(n):
            s += _square(x[i])
    return s


def sumsq_except(const double[::1] x not None):
    """C1: sum of ``x**2`` via a ``void ... except * nogil`` call per element
    (the GIL is re-acquired after every call to check for an exception)."""
    cdef Py_ssize_t i, n = x.shape[0]
    cdef double s = 0.0
    with nogil:
        for i in range(n):
            _square_except(x[i], &s)
    return s


def sumsq_except_value(const double[::1] x not None):
    """C1: sum of ``x**2`` via a ``double ... except * nogil`` call per element
    (the GIL is taken only if a call returns -1.0)."""
    cdef Py_ssize_t i, n = x.shape[0]
    cdef double s = 0.0
    with nogil:
        for i in range(n):
            s += _square_except_value(x[i])
    return s


# --- polynomial per element -------------------------------------------------

def poly_gil(const double[::1] x not None, double[::1] out not None):
    """C1: ``out[i] = p(x[i])`` (degree-8 Horner), loop run with the GIL held."""
    _check_out(x, out)
    cdef Py_ssize_t i, n = x.shape[0]
    for i in range(n):
        out[i] = _poly(x[i])
    return out.base


def poly_nogil(const double[::1] x not None, double[::1] out not None):
    """C1: ``out[i] = p(x[i])``, the same loop inside ``with nogil:``."""
    _check_out(x, out)
    cdef Py_ssize_t i, n = x.shape[0]
    with nogil:
        for i in range(n):
            out[i] = _poly(x[i])
    return out.base


def poly_noexcept(const double[::1] x not None, double[::1] out not None):
    """C1: ``out[i] = p(x[i])`` via a (not inlined) ``noexcept nogil`` call."""
    _check_out(x, out)
    cdef Py_ssize_t i, n = x.shape[0]
    with nogil:
        for i in range(n):
            out[i] = _poly_noexcept_call(x[i])
    return out.base


def poly_except(const double[::1] x not None, double[::1] out not None):
    """C1: ``out[i] = p(x[i])`` via a ``void ... except * nogil`` call per
    element (the GIL is re-acquired after every call)."""
    _check_out(x, out)
    cdef Py_ssize_t i, n = x.shape[0]
    with nogil:
        for i in range(n):
            _poly_except(x[i], &out[i])
    return out.base


def poly_except_value(const double[::1] x not None, double[::1] out not None):
    """C1: ``out[i] = p(x[i])`` via a ``double ... except * nogil`` call per
    element (the GIL is taken only if a call returns -1.0)."""
    _check_out(x, out)
    cdef Py_ssize_t i, n = x.shape[0]
    with nogil:
        for i in range(n):
            out[i] = _poly_except_value(x[i])
    return out.base


cdef double _poly_noexcept_call(double v) noexcept nogil:
    return poly8(v)


#: The four ways, in the order the benchmarks report them (first = baseline).
VARIANTS = ("gil", "nogil", "noexcept", "except", "except_value")
KERNELS = {
    "sumsq": {"gil": sumsq_gil, "nogil": sumsq_nogil, "noexcept": sumsq_noexcept,
              "except": sumsq_except, "except_value": sumsq_except_value},
    "poly": {"gil": poly_gil, "nogil": poly_nogil, "noexcept": poly_noexcept,
             "except": poly_except, "except_value": poly_except_value},
}
