"""C4: Cython never lets go of the GIL on its own; a brief ``with nogil:
pass`` lets a waiting Python thread in.

* :func:`poll_flag` holds the GIL and polls a flag that only a Python thread
  sets.  Without a release it can never see the flag (the setter cannot run);
  releasing briefly every ``release_every`` iterations lets the setter in.
  It is bounded by a deadline, so it never hangs.
* :func:`spin_release_every` is a compute loop that releases and re-takes the
  GIL every ``k`` iterations: the price of being polite.
"""

import numpy as np

cimport numpy as cnp
from posix.time cimport CLOCK_MONOTONIC, clock_gettime, timespec

from gilbench._checks cimport check_count, check_positive_int, check_real

cnp.import_array()  # NumPy's C API, used by the argument checks


cdef inline double _now() noexcept nogil:
    cdef timespec ts
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return ts.tv_sec + 1e-9 * ts.tv_nsec


def poll_flag(flag, timeout, release_every=0):
    """C4: poll ``flag[0]`` with the GIL held until it is non-zero or
    ``timeout`` seconds have passed.

    ``flag`` is a 1-D uint8 NumPy array (only its first element is read).
    ``release_every=0`` never releases the GIL; ``k >= 1`` runs ``with nogil:
    pass`` every k polls.  Returns ``(seen, polls, seconds)``.
    """
    if not cnp.PyArray_Check(flag) or flag.dtype != np.uint8 or flag.ndim != 1:
        raise TypeError(f"flag must be a 1-D NumPy uint8 array, got {type(flag).__name__}"
                        + (f" of dtype {flag.dtype} and {flag.ndim} dimensions"
                           if cnp.PyArray_Check(flag) else ""))
    cdef const unsigned char[:] fv = flag
    if fv.shape[0] < 1:
        raise ValueError("flag must have at least one element")
    cdef double seconds = check_real(timeout, "timeout")
    if not seconds > 0 or seconds > 3600:
        raise ValueError(f"timeout must be in (0, 3600] seconds, got {timeout}")
    cdef Py_ssize_t every = check_count(release_every, "release_every")
    cdef Py_ssize_t polls = 0
    cdef double start = _now(), deadline = start + seconds
    cdef volatile const unsigned char* p = &fv[0]
    cdef bint seen = False
    while True:
        if p[0] != 0:
            seen = True
            break
        polls += 1
        if every and polls % every == 0:
            with nogil:
                pass
        if (polls & 1023) == 0 and _now() > deadline:
            break
    return seen, polls, _now() - start


def spin_release_every(iterations, release_every=0):
    """C4: ``iterations`` steps of ``s = 0.999999 s + 1`` with the GIL held,
    releasing it briefly (``with nogil: pass``) every ``release_every`` steps
    (0 = never).  Returns ``s``."""
    cdef Py_ssize_t n = check_positive_int(iterations, "iterations")
    cdef Py_ssize_t every = check_count(release_every, "release_every")
    cdef Py_ssize_t i, next_release = every if every else n + 1
    cdef double s = 0.0
    for i in range(1, n + 1):
        s = s * 0.999999 + 1.0
        if i == next_release:
            with nogil:
                pass
            next_release += every
    return s
