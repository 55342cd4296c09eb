"""The harness: what times, counts, pins and sizes every benchmark, for every
commit alike.

asv builds gilbench once per commit but takes this suite, harness included,
from the checkout it runs in; so a commit from last year and today's are
measured by the same instruments, and a pull request cannot change how its
own side of the gate is measured.  The measured package (the kernels,
``gilbench._openmp_helpers``, ``gilbench._build_info``) holds nothing of it.

* :mod:`.threads`: the one rule for thread counts (from the usable CPUs);
* :mod:`.pinning`: threadpoolctl's controller and the pins;
* :mod:`.measurement`: repeats, interleaving, the estimator and its spread;
* :mod:`.instructions`: exact instruction counts under callgrind
  (client requests compiled from ``callgrind.c``);
* :mod:`.machine`: the cache and memory sizes the bandwidth kernels need;
* :mod:`.release_numbers`: the number a run records for its Cython release;
* :mod:`.runtime`: the runtime record (OpenMP and BLAS settings, libraries,
  CPU topology) and the one rule for which of the caller's variables the
  benchmarks see.

The gilbench tool (report, gate, nightly, plan, ``gilbench info``) needs some
of these rules too: its build from the checkout (meson option ``tool``)
installs a copy of this package as ``gilbench.harness``, so the rule has one
source, here.  Modules of the harness import each other relatively, and only
the measured package's stable names from ``gilbench``.
"""
