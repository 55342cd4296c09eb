# Input checks shared by every kernel, run at the Python boundary so that the
# loops themselves can run without bounds checks.  Inline: nothing to link.

from cpython.number cimport PyNumber_Index

# A team larger than this is a typo, not a benchmark: libgomp would try to start
# that many OS threads.
cdef enum:
    MAX_THREADS = 1024


cdef inline Py_ssize_t check_positive_int(object value, str name, Py_ssize_t upper=0) except -1:
    """``value`` as an integer >= 1 (and <= upper when upper > 0), else TypeError/ValueError."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an integer, got bool")
    try:
        value = PyNumber_Index(value)
    except TypeError:
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}") from None
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}")
    if upper > 0 and value > upper:
        raise ValueError(f"{name} must be <= {upper}, got {value}")
    return value


cdef inline int check_num_threads(object num_threads) except -1:
    return <int>check_positive_int(num_threads, "num_threads", MAX_THREADS)


cdef inline int check_same_length(Py_ssize_t a, Py_ssize_t b, str name_a, str name_b) except -1:
    if a != b:
        raise ValueError(f"{name_a} and {name_b} must have the same length, got {a} and {b}")
    return 0
