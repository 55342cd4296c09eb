# Loop bodies shared by several claims' kernels (inline: nothing to link).

cdef inline double poly8(double v) noexcept nogil:
    """Degree-8 Taylor polynomial of exp(v), Horner form: compute-bound work."""
    return 1.0 + v * (1.0 + v * (0.5 + v * (1.0 / 6 + v * (1.0 / 24 + v * (
        1.0 / 120 + v * (1.0 / 720 + v * (1.0 / 5040 + v * (1.0 / 40320))))))))


cdef inline double recurrence_steps(Py_ssize_t n) noexcept nogil:
    """n steps of s = 0.999999 s + 1 from 0: a dependent chain (~1.4 ns/step)
    that the compiler cannot shorten."""
    cdef double s = 0.0
    cdef Py_ssize_t _i
    for _i in range(n):
        s = s * 0.999999 + 1.0
    return s
