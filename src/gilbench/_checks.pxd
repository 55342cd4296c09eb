# Argument checks shared by every kernel, run at the Python boundary so that
# the loops themselves can run without bounds checks.  Every check raises a
# TypeError or ValueError whose message names the argument; arrays are checked
# with NumPy C-API macros (a few ns), so the checks do not blur a comparison
# of kernels at small sizes.  Inline: nothing to link.

cimport numpy as cnp
from cpython.number cimport PyNumber_Index


# A team larger than this is a typo, not a benchmark: libgomp would try to start
# that many OS threads.
cdef enum:
    MAX_THREADS = 1024


cdef inline object _as_index(object value, str name):
    """``value`` as a Python int that fits a C integer: ints and NumPy
    integers, never bool or float."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an integer, got bool")
    try:
        value = PyNumber_Index(value)
    except TypeError:
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}") from None
    if not -(2**62) <= value <= 2**62:
        raise ValueError(f"{name} is out of range, got {value}")
    return value


cdef inline Py_ssize_t check_positive_int(object value, str name, Py_ssize_t upper=0) except -1:
    """``value`` as an integer >= 1 (and <= upper when upper > 0), else TypeError/ValueError."""
    cdef Py_ssize_t v = _as_index(value, name)
    if v < 1:
        raise ValueError(f"{name} must be >= 1, got {v}")
    if upper > 0 and v > upper:
        raise ValueError(f"{name} must be <= {upper}, got {v}")
    return v


cdef inline Py_ssize_t check_count(object value, str name) except -1:
    """``value`` as an integer >= 0 (0 meaning "never"), else TypeError/ValueError."""
    cdef Py_ssize_t v = _as_index(value, name)
    if v < 0:
        raise ValueError(f"{name} must be >= 0, got {v}")
    return v


cdef inline int check_num_threads(object num_threads) except -1:
    return <int>check_positive_int(num_threads, "num_threads", MAX_THREADS)


cdef inline double check_real(object value, str name) except? -1.0:
    """``value`` as a C double (any real number, NaN and inf included)."""
    if isinstance(value, (bool, str, bytes)) or not hasattr(value, "__float__"):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    if isinstance(value, complex):
        raise TypeError(f"{name} must be a real number, got complex")
    return float(value)


cdef inline object check_array(object a, str name, bint writable=False, int ndim=1):
    """``a`` itself when it is a C-contiguous float64 ndarray of ``ndim``
    dimensions (and writable, when asked), else TypeError/ValueError naming it.
    Read-only inputs are fine: the kernels read them through const views."""
    if not cnp.PyArray_Check(a):
        raise TypeError(f"{name} must be a NumPy float64 array, got {type(a).__name__}")
    if cnp.PyArray_TYPE(<cnp.ndarray>a) != cnp.NPY_DOUBLE:
        raise TypeError(f"{name} must have dtype float64, got {a.dtype}")
    if cnp.PyArray_NDIM(<cnp.ndarray>a) != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got {a.ndim}-D")
    if not cnp.PyArray_IS_C_CONTIGUOUS(<cnp.ndarray>a):
        raise ValueError(f"{name} must be C-contiguous (a strided view is not; "
                         "use numpy.ascontiguousarray)")
    if writable and not cnp.PyArray_ISWRITEABLE(<cnp.ndarray>a):
        raise ValueError(f"{name} must be writable (it receives the result)")
    return a


cdef inline int check_same_length(Py_ssize_t a, Py_ssize_t b, str name_a, str name_b) except -1:
    if a != b:
        raise ValueError(f"{name_a} and {name_b} must have the same length, got {a} and {b}")
    return 0


cdef inline int check_apart(object a, object b, str name_a, str name_b) except -1:
    """ValueError when two arrays (already checked: C-contiguous) overlap in
    memory, for kernels that cannot work in place."""
    cdef char* pa = <char*>cnp.PyArray_DATA(<cnp.ndarray>a)
    cdef char* pb = <char*>cnp.PyArray_DATA(<cnp.ndarray>b)
    cdef Py_ssize_t na = cnp.PyArray_NBYTES(<cnp.ndarray>a)
    cdef Py_ssize_t nb = cnp.PyArray_NBYTES(<cnp.ndarray>b)
    if na > 0 and nb > 0 and pa < pb + nb and pb < pa + na:
        raise ValueError(f"{name_a} must not share memory with {name_b}")
    return 0
