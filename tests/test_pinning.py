"""Pinning really changes what threadpoolctl reports for every BLAS, and restores it."""

import threading

import pytest

from benchmarks.harness import pinning
from benchmarks.harness.pinning import pinned, run_pinned

from helpers import requires_openmp


def blas_counts():
    return pinned.blas_threads()


def test_both_wheels_openblas_are_seen():
    libs = pinning.blas_info()
    # NumPy's and SciPy's wheels each ship their own OpenBLAS.
    assert len({lib["filepath"] for lib in libs}) >= 2


@pytest.mark.parametrize("n", [1, 2, 3])
def test_pinned_sets_every_blas_and_restores(n):
    before = blas_counts()
    with pinned(blas=n) as pin:
        assert set(pin.blas_threads().values()) == {n}
        assert set(blas_counts()) == set(before)
        report = pin.report()
        assert report["requested"] == {"blas": n, "openmp": None}
        assert {lib["num_threads"] for lib in report["blas"]} == {n}
    assert blas_counts() == before


def test_restored_after_exception():
    before = blas_counts()
    with pytest.raises(RuntimeError, match="boom"):
        with pinned(blas=1):
            assert set(blas_counts().values()) == {1}
            raise RuntimeError("boom")
    assert blas_counts() == before


def test_nested_pins_restore_in_order():
    before = blas_counts()
    with pinned(blas=2):
        with pinned(blas=1):
            assert set(blas_counts().values()) == {1}
        assert set(blas_counts().values()) == {2}
    assert blas_counts() == before


def test_decorator_pins_per_call_and_restores():
    before = blas_counts()

    @pinned(blas=1)
    def inside():
        return set(blas_counts().values())

    assert inside() == {1}
    assert inside() == {1}
    assert blas_counts() == before


@requires_openmp
def test_openmp_pin_and_restore():
    before = pinned.openmp_threads()
    with pinned(blas=None, openmp=1):
        assert set(pinned.openmp_threads().values()) == {1}
    assert pinned.openmp_threads() == before


@requires_openmp
def test_run_pinned_pins_inside_the_new_thread():
    from gilbench._openmp_helpers import openmp_max_threads, team_size

    main_before = openmp_max_threads()
    seen = run_pinned(lambda: (team_size(), set(blas_counts().values())), blas=1, openmp=1)
    assert seen == (1, {1})
    assert openmp_max_threads() == main_before


def test_run_pinned_reraises():
    with pytest.raises(ZeroDivisionError):
        run_pinned(lambda: 1 / 0)


def test_blas_pin_is_process_wide():
    # OpenBLAS (pthreads) keeps one count for the process: a worker thread sees the pin.
    seen = {}
    with pinned(blas=1):
        t = threading.Thread(target=lambda: seen.setdefault("n", set(blas_counts().values())))
        t.start()
        t.join()
    assert seen["n"] == {1}


@pytest.mark.parametrize("kwargs, exc", [
    ({"blas": 0}, ValueError), ({"blas": -1}, ValueError), ({"openmp": 0}, ValueError),
    ({"blas": 1.5}, TypeError), ({"openmp": "2"}, TypeError), ({"blas": True}, TypeError),
])
def test_bad_counts_raise(kwargs, exc):
    with pytest.raises(exc):
        pinned(**kwargs)


def test_unpinnable_blas_is_empty_for_pthreads_openblas():
    layers = {lib.get("threading_layer") for lib in pinning.blas_info()}
    if "openmp" in layers:
        assert pinning.unpinnable_blas()
    else:
        assert pinning.unpinnable_blas() == []


#: Imports the suite as asv's fork server does, forks, and in the child
#: enters the benchmarks' BLAS pin: the threads the child has after the fork,
#: inside pinned(blas=1), and inside pinned(blas=2) (which must start a pool).
FORKED_PIN = """
import json, os, sys
sys.path.insert(0, sys.argv[1])
import benchmarks.common
from benchmarks.harness.pinning import pinned, blas_info

def threads():
    return len(os.listdir("/proc/self/task"))

server = [lib["num_threads"] for lib in blas_info()]
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    seen = {"server": server, "after fork": threads()}
    with pinned(blas=1):
        seen["pinned(blas=1)"] = threads()
    with pinned(blas=2) as pin:
        seen["pinned(blas=2)"] = threads()
        seen["counts at 2"] = sorted(set(pin.blas_threads().values()))
    os.write(w, json.dumps(seen).encode())
    os._exit(0)
os.close(w)
os.waitpid(pid, 0)
print(os.read(r, 4096).decode())
"""


def test_a_forked_benchmark_pinned_at_one_starts_no_blas_pool():
    """The suite sets BLAS to one thread when imported, and ``pinned`` leaves
    a library already at its count alone: a process forked from the suite
    (asv's fork server) keeps the single thread the fork left it when its
    benchmark pins BLAS to one, instead of OpenBLAS restarting a pool whose
    threads spin beside the timing.  Pinning to two in the same child does
    start threads (the count sees a pool when there is one)."""
    import json
    import subprocess
    import sys

    from helpers import ROOT

    r = subprocess.run([sys.executable, "-c", FORKED_PIN, str(ROOT)], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    seen = json.loads(r.stdout)
    assert set(seen["server"]) == {1}
    assert seen["after fork"] == 1
    assert seen["pinned(blas=1)"] == 1
    assert seen["counts at 2"] == [2] and seen["pinned(blas=2)"] > 1
