# The one place that knows whether OpenMP was compiled in (the scikit-learn
# pattern): kernels cimport these names instead of cimporting `openmp`, so the
# package still builds, and runs serially, without an OpenMP compiler.

cdef extern from * nogil:
    """
    #ifdef _OPENMP
    #include <omp.h>
    #define GILBENCH_OPENMP_ENABLED 1
    #define GILBENCH_OPENMP_VERSION _OPENMP
    #define gilbench_barrier() _Pragma("omp barrier")
    #else
    #define gilbench_barrier()
    #define GILBENCH_OPENMP_ENABLED 0
    #define GILBENCH_OPENMP_VERSION 0
    static int omp_get_max_threads(void) { return 1; }
    static int omp_get_thread_num(void) { return 0; }
    static int omp_get_num_threads(void) { return 1; }
    #endif
    """
    bint GILBENCH_OPENMP_ENABLED
    int GILBENCH_OPENMP_VERSION
    int omp_get_max_threads()
    int omp_get_thread_num()
    int omp_get_num_threads()
    # An OpenMP barrier for ``with parallel():`` blocks: every thread of the
    # team must reach it (call it outside any prange, never conditionally).
    void gilbench_barrier()
