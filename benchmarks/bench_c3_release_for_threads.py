"""C3: release the GIL so that other Python threads can run.

* Throughput: K Python threads each run the same compute kernel, GIL held or
  released.  Released, the work scales with the cores; held, it does not.
* Latency: a Python heartbeat thread ticks every 1 ms while the main thread
  runs one long kernel call; the worst gap between ticks is about the call's
  duration when the GIL is held, about the tick when it is released.
"""

import threading
import time

from .common import (
    SMOKE,
    THREADS_OVERSUBSCRIBED,
    Benchmark,
    InstructionCounts,
    StructureCounts,
    instruction_table,
    sample,
    structure_table,
)
from .harness.build_contents import kernels

spin_gil, spin_nogil = kernels("c3_release_for_threads", "spin_gil", "spin_nogil")

WAYS = {"gil": spin_gil, "nogil": spin_nogil}
#: Iterations per call: sized for about 10 ms of work on a current CPU (the
#: call's measured time is TimeC3ThreadThroughput's own at 1 thread).
WORK = 10_000 if SMOKE else 7_000_000
TICK = 1e-3
DURATIONS_MS = [5] if SMOKE else [5, 50, 200]
ITERATIONS_PER_MS = 700_000


def run_threads(kernel, k, work=WORK):
    """k Python threads each make one call of ``kernel(work)``; wall seconds."""
    threads = [threading.Thread(target=kernel, args=(work,)) for _ in range(k)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - t0


class TimeC3ThreadThroughput(Benchmark):
    """C3: wall time for K Python threads each running one ~10 ms kernel call."""

    params = (list(WAYS), THREADS_OVERSUBSCRIBED)
    param_names = ["gil", "python_threads"]

    def time_c3_threads(self, gil, k):
        run_threads(WAYS[gil], k)


class TrackC3ThreadScaling(Benchmark):
    """C3: aggregate work rate of K Python threads / the rate of one thread,
    interleaved in one process (released: ~min(K, CPUs); held: ~1)."""

    params = (list(WAYS), THREADS_OVERSUBSCRIBED)
    param_names = ["gil", "python_threads"]
    unit = "speed-up over 1 thread"

    def track_c3_scaling(self, gil, k):
        kernel = WAYS[gil]
        # One thread, then k threads, in each round (interleaved): their ratio.
        return sample(lambda: k * run_threads(kernel, 1) / run_threads(kernel, k), 7).value


def worst_tick_gap(kernel, duration_ms):
    """Worst gap (s) between 1 ms heartbeat ticks of a Python thread while
    the main thread makes one ``kernel`` call of about ``duration_ms``."""
    ticks = []
    stop = threading.Event()
    started = threading.Event()

    def heartbeat():
        started.set()
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(TICK)

    t = threading.Thread(target=heartbeat)
    t.start()
    started.wait()
    time.sleep(5 * TICK)  # the heartbeat is ticking
    t0 = time.perf_counter()
    kernel(duration_ms * ITERATIONS_PER_MS)
    t1 = time.perf_counter()
    time.sleep(5 * TICK)
    stop.set()
    t.join()
    # Gaps that overlap the kernel call, including the one that spans its end.
    during = [b - a for a, b in zip(ticks, ticks[1:], strict=False) if b >= t0 and a <= t1]
    return max(during) if during else t1 - t0


class TrackC3HeartbeatGap(Benchmark):
    """C3 ("polite" release): worst gap between 1 ms ticks of a Python thread
    while one long kernel call runs, in ms."""

    params = (list(WAYS), DURATIONS_MS)
    param_names = ["gil", "kernel_ms"]
    unit = "ms (worst tick gap)"

    def track_c3_worst_gap(self, gil, duration_ms):
        return 1e3 * sample(lambda: worst_tick_gap(WAYS[gil], duration_ms), 3,
                            warm=False).value


class TrackC3Instructions(InstructionCounts):
    """C3: instructions per loop iteration of the compute kernel, GIL held
    and released, counted exactly by callgrind (skipped, with the reason,
    without valgrind): the work C3's threads share is the same either way."""

    params = [list(WAYS)]
    param_names = ["gil"]

    def setup_cache(self):
        return instruction_table({
            way: ("gilbench.kernels.c3_release_for_threads", f.__name__, "iterations")
            for way, f in WAYS.items()})

    def track_c3_instructions(self, table, way):
        return table[way]


class TrackC3Structure(StructureCounts):
    """C3: GIL releases per call of the compute kernel, counted exactly: one
    when it releases the GIL for its whole loop (what lets other Python
    threads run), none when it holds it."""

    params = [list(WAYS)]
    param_names = ["gil"]
    unit = "GIL releases per call"

    def setup_cache(self):
        return structure_table({
            way: ("gilbench.kernels.c3_release_for_threads", f.__name__, "iterations", 1)
            for way, f in WAYS.items()})

    def track_c3_structure(self, table, way):
        return table[way]["per_call"]["gil_saves"]
