"""Callgrind client requests, for exact instruction counts of one kernel call.

Under ``valgrind --tool=callgrind`` these reset the counters and write one
profile dump per measured call; elsewhere they cost nothing and do nothing.
Built with valgrind's ``callgrind.h`` when the build machine has it
(``available()`` says whether it did).
"""

cdef extern from *:
    """
    #if defined(GILBENCH_HAVE_CALLGRIND)
    #include <valgrind/valgrind.h>
    #include <valgrind/callgrind.h>
    #define GILBENCH_CG_BUILT 1
    #define GILBENCH_CG_ZERO() CALLGRIND_ZERO_STATS
    #define GILBENCH_CG_DUMP(label) CALLGRIND_DUMP_STATS_AT(label)
    #define GILBENCH_CG_ON_VALGRIND() (RUNNING_ON_VALGRIND)
    #else
    #define GILBENCH_CG_BUILT 0
    #define GILBENCH_CG_ZERO()
    #define GILBENCH_CG_DUMP(label) ((void)(label))
    #define GILBENCH_CG_ON_VALGRIND() 0
    #endif
    """
    int GILBENCH_CG_BUILT
    void GILBENCH_CG_ZERO() nogil
    void GILBENCH_CG_DUMP(const char* label) nogil
    int GILBENCH_CG_ON_VALGRIND() nogil


def available():
    """True when gilbench was built with valgrind's callgrind.h."""
    return bool(GILBENCH_CG_BUILT)


def on_valgrind():
    """True when this process runs under valgrind."""
    return bool(GILBENCH_CG_ON_VALGRIND())


def measure(label, func):
    """Call ``func()`` between a counter reset and a dump named ``label``;
    returns its result."""
    if not isinstance(label, str) or not label or "\n" in label:
        raise ValueError(f"label must be a non-empty one-line string, got {label!r}")
    cdef bytes name = label.encode()
    GILBENCH_CG_ZERO()
    result = func()
    GILBENCH_CG_DUMP(name)
    return result
