"""C3: release the GIL so that other Python threads can run.

One compute-bound loop (a dependent floating-point recurrence, about one
nanosecond per iteration, that the compiler cannot shorten), compiled with
the GIL held (:func:`spin_gil`) and inside ``with nogil:``
(:func:`spin_nogil`).  Several Python threads calling :func:`spin_nogil`
run in parallel; calling :func:`spin_gil` they take turns, and while one
long :func:`spin_gil` call runs no other Python thread runs at all.
"""

cimport numpy as cnp
from gilbench._checks cimport check_positive_int
from gilbench.kernels._bodies cimport recurrence_steps

cnp.import_array()  # NumPy's C API, used by the argument checks


def spin_gil(iterations):
    """C3: ``iterations`` steps of ``s = 0.999999 s + 1``, GIL held throughout."""
    cdef Py_ssize_t n = check_positive_int(iterations, "iterations")
    return recurrence_steps(n)


def spin_nogil(iterations):
    """C3: the same loop with the GIL released for its whole duration."""
    cdef Py_ssize_t n = check_positive_int(iterations, "iterations")
    cdef double s
    with nogil:
        s = recurrence_steps(n)
    return s
