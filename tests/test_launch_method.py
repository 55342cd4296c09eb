"""asv's launch method (asv.conf.json): ``forkserver``.  One server process
per environment imports the suite once, and asv forks it for each benchmark
and round, instead of starting and importing a fresh interpreter each time.

A fork is safe for OpenMP only while the forking process has never entered a
parallel region: libgomp's thread pool does not survive a fork, and a child
that inherits a pool's bookkeeping without its threads waits for them for
ever.  So the server must start no parallel region and no thread while it
imports the suite.  These tests count exactly what it does, with the
harness's interposer (benchmarks/harness/structure.c) preloaded, running the
same discovery the server runs (asv_runner.discovery.disc_benchmarks), and
show that the check sees a module that does start a region.
"""

import json
import os
import re
import subprocess
import sys

from benchmarks.harness import structure

from helpers import ROOT, require, requires_openmp

#: What asv's forkserver does before it forks: import every benchmark module
#: (asv_runner.server, action "preimport").  Prints the interposer's counts.
IMPORT_LIKE_THE_SERVER = """
import ctypes, json, sys
from asv_runner.discovery import disc_benchmarks
lib = ctypes.PyDLL(sys.argv[1])
lib.gilbench_structure_ncounts.restype = ctypes.c_int
for _ in disc_benchmarks(sys.argv[2], ignore_import_errors=False):
    pass
buf = (ctypes.c_long * lib.gilbench_structure_ncounts())()
lib.gilbench_structure_read(buf)
print(json.dumps(dict(zip(json.loads(sys.argv[3]), buf))))
print(json.dumps(sys.modules['benchmarks'].__file__))
"""


def counts_while_importing(benchmark_dir) -> dict:
    """The interposer's counts (regions, threads made, ...) over one import
    of the suite in ``benchmark_dir``, as asv's server imports it.  BLAS is
    started on one thread (OPENBLAS_NUM_THREADS=1) so that what is counted is
    the suite's own doing: OpenBLAS's own pool shuts itself down around a
    fork (pthread_atfork) and starts again in the child."""
    require("the structure counts' interposer", structure.unavailable_reason(),
            "it is compiled with the C compiler the build needs anyway")
    env = dict(os.environ, LD_PRELOAD=str(structure.interposer()), OPENBLAS_NUM_THREADS="1")
    env.pop("PYTHONPATH", None)
    # From the suite's parent directory, as asv's server runs: a package of
    # the same name elsewhere on the path would be imported instead.
    r = subprocess.run([sys.executable, "-c", IMPORT_LIKE_THE_SERVER, str(structure.interposer()),
                        str(benchmark_dir), json.dumps(structure.COUNTS)],
                       cwd=benchmark_dir.parent, env=env, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    *_, counts, imported = r.stdout.strip().splitlines()
    assert json.loads(imported) == str(benchmark_dir / "__init__.py"), "imported another suite"
    return json.loads(counts)


def test_asv_forks_each_benchmark_from_one_server():
    text = (ROOT / "asv.conf.json").read_text()
    assert re.search(r'^\s*"launch_method":\s*"forkserver"', text, re.M), text


@requires_openmp
def test_importing_the_suite_starts_no_parallel_region_and_no_thread():
    counts = counts_while_importing(ROOT / "benchmarks")
    assert counts["regions"] == 0, counts
    assert counts["team_members"] == 0, counts
    assert counts["threads_made"] == 0, counts


@requires_openmp
def test_the_check_sees_a_suite_that_starts_a_region_at_import(tmp_path):
    bench = tmp_path / "benchmarks"
    bench.mkdir()
    (bench / "__init__.py").write_text("")
    (bench / "bench_eager.py").write_text(
        "import numpy as np\n"
        "from gilbench.kernels import c7_bandwidth\n"
        "# a warm-up at import, with a prange: what the server must never do\n"
        "c7_bandwidth.copy(np.ones(100_000), np.empty(100_000), num_threads=2)\n\n"
        "def time_nothing():\n    pass\n")
    counts = counts_while_importing(bench)
    assert counts["regions"] >= 1, counts
    assert counts["threads_made"] >= 1, counts
