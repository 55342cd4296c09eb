"""C3: while a nogil kernel runs another Python thread makes progress; while
the GIL-held kernel runs it does not."""

import threading
import time

import pytest

from benchmarks.harness.gil import gil_enabled
from gilbench.kernels.c3_release_for_threads import spin_gil, spin_nogil

from helpers import recurrence_reference

LONG = 150_000_000  # ~0.2 s of work


def ticks_during(kernel):
    """Times at which a Python thread ticked while ``kernel(LONG)`` ran, and
    the call's start and end."""
    ticks, stop = [], threading.Event()

    def ticker():
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.0005)

    t = threading.Thread(target=ticker)
    t.start()
    time.sleep(0.01)
    t0 = time.perf_counter()
    kernel(LONG)
    t1 = time.perf_counter()
    stop.set()
    t.join()
    return ticks, t0, t1


def test_other_thread_runs_during_nogil_call():
    ticks, t0, t1 = ticks_during(spin_nogil)
    margin = 0.2 * (t1 - t0)
    inside = [t for t in ticks if t0 + margin < t < t1 - margin]
    assert len(inside) >= 5, f"{len(inside)} ticks during a {t1 - t0:.3f} s nogil call"


def test_other_thread_is_stopped_during_gil_held_call():
    """With a GIL, a call that holds it stops the other thread; on a
    free-threaded build with the GIL off (C3's premise gone) it does not."""
    ticks, t0, t1 = ticks_during(spin_gil)
    # A switch may fall between t0 and the call itself (at most one switch
    # interval, 5 ms), so look at the middle 60% of the call only.
    margin = 0.2 * (t1 - t0)
    assert t1 - t0 > 0.05
    inside = [t for t in ticks if t0 + margin < t < t1 - margin]
    if gil_enabled():
        assert inside == []
    else:
        assert len(inside) >= 5, f"{len(inside)} ticks during a {t1 - t0:.3f} s call, no GIL"


@pytest.mark.parametrize("n", [1, 2, 1000, 10**6])
def test_spins_agree_with_reference(n):
    assert spin_gil(n) == spin_nogil(n) == pytest.approx(recurrence_reference(n), rel=1e-9)


@pytest.mark.parametrize("func", [spin_gil, spin_nogil])
def test_bad_iterations(func):
    for bad in (0, -5):
        with pytest.raises(ValueError, match="iterations"):
            func(bad)
    with pytest.raises(TypeError, match="iterations"):
        func(2.5)
