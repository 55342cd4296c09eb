/* Exact counts of what parallel code does, for gilbench's harness
 * (harness/structure.py compiles this with the C compiler and preloads it,
 * LD_PRELOAD, into a fresh interpreter).  It interposes the entry points a
 * Cython kernel calls in the OpenMP runtime (libgomp's GOMP_* ABI, which
 * LLVM's libomp provides too) and in CPython, counts each call, and calls the
 * real one:
 *
 *   regions        GOMP_parallel: parallel regions entered
 *   team_members   threads that ran a region's body (the team that worked)
 *   barriers       GOMP_barrier: explicit barriers reached, all threads
 *   criticals      GOMP_critical_start / GOMP_critical_name_start
 *   threads_made   pthread_create: threads created
 *   gil_ensures    PyGILState_Ensure: `with gil` (taking the GIL back)
 *   gil_saves      PyEval_SaveThread: releasing the GIL (`with nogil`)
 *   gil_restores   PyEval_RestoreThread: taking it back after a release
 *
 * A call of a CPython entry point from inside the interpreter itself is not
 * counted, only what extension modules (the kernels, NumPy) ask for: a
 * CPython built with a shared libpython and without
 * -fno-semantic-interposition (pyenv's) calls its own PyEval_SaveThread
 * through the dynamic linker whenever a lock or a thread join blocks, as
 * often as the scheduler decides; the caller's object (dladdr of the return
 * address) tells them apart.  Counts are totals over all threads, exact
 * (atomic). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

enum { REGIONS, TEAM, BARRIERS, CRITICALS, THREADS, ENSURES, SAVES, RESTORES, NCOUNTS };
static atomic_long counts[NCOUNTS];

static void *real_symbol(const char *name) {
    void *f = dlsym(RTLD_NEXT, name);
    /* Extension modules are loaded RTLD_LOCAL: the OpenMP runtime they link
     * is not in the global scope that RTLD_NEXT searches. */
    static const char *runtimes[] = {"libgomp.so.1", "libomp.so", "libomp.so.5", NULL};
    for (int i = 0; !f && runtimes[i]; i++) {
        void *h = dlopen(runtimes[i], RTLD_NOLOAD | RTLD_LAZY);
        if (h) f = dlsym(h, name);
    }
    if (!f) {
        fprintf(stderr, "gilbench structure counts: cannot find the real %s\n", name);
        _exit(3);
    }
    return f;
}

/* The real entry point ``name`` (returning ``ret``, taking ``args``), found once. */
#define REAL(ret, name, args) \
    static ret (*real_##name) args; \
    if (!real_##name) real_##name = (ret (*) args)real_symbol(#name)

/* The shared object (or executable) that holds the code at ``addr``. */
static const void *object_of(const void *addr) {
    Dl_info info;
    return dladdr(addr, &info) ? info.dli_fbase : NULL;
}

/* Inside one of the CPython wrappers below: whether its caller is the object
 * that defines the real entry point (the interpreter calling itself). */
#define FROM_THE_INTERPRETER(real) \
    (object_of(__builtin_return_address(0)) == object_of((const void *)(real)))

typedef void (*body_fn)(void *);
struct body { body_fn fn; void *data; };

static void counted_body(void *p) {
    struct body *b = p;
    atomic_fetch_add(&counts[TEAM], 1);
    b->fn(b->data);
}

void GOMP_parallel(body_fn fn, void *data, unsigned num_threads, unsigned flags) {
    REAL(void, GOMP_parallel, (body_fn, void *, unsigned, unsigned));
    atomic_fetch_add(&counts[REGIONS], 1);
    struct body b = {fn, data};
    real_GOMP_parallel(counted_body, &b, num_threads, flags);
}

void GOMP_barrier(void) {
    REAL(void, GOMP_barrier, (void));
    atomic_fetch_add(&counts[BARRIERS], 1);
    real_GOMP_barrier();
}

void GOMP_critical_start(void) {
    REAL(void, GOMP_critical_start, (void));
    atomic_fetch_add(&counts[CRITICALS], 1);
    real_GOMP_critical_start();
}

void GOMP_critical_name_start(void **pptr) {
    REAL(void, GOMP_critical_name_start, (void **));
    atomic_fetch_add(&counts[CRITICALS], 1);
    real_GOMP_critical_name_start(pptr);
}

int pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*start)(void *),
                   void *arg) {
    REAL(int, pthread_create,
         (pthread_t *, const pthread_attr_t *, void *(*)(void *), void *));
    atomic_fetch_add(&counts[THREADS], 1);
    return real_pthread_create(thread, attr, start, arg);
}

int PyGILState_Ensure(void) {
    REAL(int, PyGILState_Ensure, (void));
    if (!FROM_THE_INTERPRETER(real_PyGILState_Ensure)) atomic_fetch_add(&counts[ENSURES], 1);
    return real_PyGILState_Ensure();
}

void *PyEval_SaveThread(void) {
    REAL(void *, PyEval_SaveThread, (void));
    if (!FROM_THE_INTERPRETER(real_PyEval_SaveThread)) atomic_fetch_add(&counts[SAVES], 1);
    return real_PyEval_SaveThread();
}

void PyEval_RestoreThread(void *tstate) {
    REAL(void, PyEval_RestoreThread, (void *));
    if (!FROM_THE_INTERPRETER(real_PyEval_RestoreThread)) atomic_fetch_add(&counts[RESTORES], 1);
    real_PyEval_RestoreThread(tstate);
}

/* What structure.py reads: the counts since the last reset, in enum order. */
int gilbench_structure_ncounts(void) { return NCOUNTS; }

void gilbench_structure_read(long *out) {
    for (int i = 0; i < NCOUNTS; i++) out[i] = atomic_load(&counts[i]);
}

void gilbench_structure_reset(void) {
    for (int i = 0; i < NCOUNTS; i++) atomic_store(&counts[i], 0);
}
