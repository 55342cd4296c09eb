"""The thread-count rule, and the OpenMP helpers against real OpenMP threads."""

import threading

import pytest

from benchmarks.harness.pinning import pinned
from benchmarks.harness.threads import thread_counts, usable_cpus
from gilbench import _openmp_helpers as omp

from helpers import requires_openmp


def test_thread_counts_follow_the_cpus():
    assert thread_counts(cpus=1) == [1]
    assert thread_counts(cpus=1, oversubscribe=True) == [1, 2]
    assert thread_counts(cpus=2, oversubscribe=True) == [1, 2, 4]
    assert thread_counts(cpus=6) == [1, 2, 3, 4, 6]
    assert thread_counts(cpus=64) == [1, 2, 3, 4, 8, 16, 32, 64]
    assert thread_counts()[-1] == usable_cpus()
    with pytest.raises(ValueError):
        thread_counts(cpus=0)


@requires_openmp
@pytest.mark.parametrize("n", [1, 2, 3, 2 * usable_cpus()])
def test_explicit_num_threads_gives_that_team(n):
    # libgomp does not cap a team at the CPU count: oversubscription is real.
    assert omp.team_size(n) == n


@requires_openmp
def test_openmp_pin_applies_to_calling_thread_only():
    seen = {}

    def other_thread():
        seen["other"] = omp.team_size()

    with pinned(blas=None, openmp=1):
        seen["pinned"] = omp.team_size()
        t = threading.Thread(target=other_thread)
        t.start()
        t.join()
    assert seen["pinned"] == 1
    # The other thread kept the process default (the libgomp per-thread rule).
    assert seen["other"] == omp.openmp_max_threads()


@pytest.mark.parametrize("bad, exc", [(0, ValueError), (-3, ValueError), (2000, ValueError),
                                      (1.5, TypeError), ("2", TypeError), (True, TypeError)])
def test_team_size_rejects_bad_thread_counts(bad, exc):
    with pytest.raises(exc, match="num_threads"):
        omp.team_size(bad)


def test_openmp_status_is_consistent():
    assert omp.openmp_enabled() == (omp.openmp_version() > 0)
    assert omp.openmp_max_threads() >= 1
