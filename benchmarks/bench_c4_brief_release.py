"""C4: Cython never drops the GIL on its own; a brief ``with nogil: pass``
lets a waiting Python thread in, at a price per release.

* Whether a kernel polling (with the GIL held) for a flag that a Python
  thread sets ever sees it: never without a release, soon with one.
* The cost: a compute loop that releases every k iterations, against the
  same loop that never does; time per release.
"""

import threading
import time

import numpy as np

from .common import (
    SMOKE,
    STRUCTURE_THREADS,
    Benchmark,
    InstructionCounts,
    StructureCounts,
    extra_ns_per_event,
    instruction_table,
    interleaved_ratios,
    structure_table,
)
from .harness.build_contents import kernels

poll_flag, spin_release_every = kernels("c4_brief_release", "poll_flag", "spin_release_every")

N = 10_000 if SMOKE else 1_000_000
RELEASE_EVERY = [0, 1, 10, 100, 1000, 10_000, 100_000, 1_000_000]
#: Releasing every 1 or 1000 polls (sub-microsecond apart) lets the setter in
#: within a fraction of a millisecond; every 1e5 polls (tens of microseconds
#: apart) it is mostly starved -- each release wakes the setter but the poller
#: takes the GIL back first, and CPython forces a switch only after 5 ms with
#: no switch at all; every 1e7 polls (milliseconds apart) the forced switch
#: works again.  The points show that window.
POLL_EVERY = [0, 1, 1000, 100_000, 10_000_000]
SETTER_DELAY = 0.01
TIMEOUT = 0.25


def flag_round(release_every):
    """Start a Python thread that sets a flag after 10 ms, poll for it with
    the GIL held; return (seen, seconds from the set request to seen)."""
    flag = np.zeros(1, dtype=np.uint8)

    def setter():
        time.sleep(SETTER_DELAY)
        flag[0] = 1

    t = threading.Thread(target=setter)
    t.start()
    seen, _, seconds = poll_flag(flag, TIMEOUT, release_every)
    t.join()
    return seen, seconds - SETTER_DELAY


class TrackC4FlagSeen(Benchmark):
    """C4: fraction of 5 tries in which the GIL-holding poller saw, within
    0.25 s, the flag a Python thread set (0 without any release)."""

    params = [POLL_EVERY]
    param_names = ["release_every"]
    unit = "fraction seen"
    timeout = 60

    def track_c4_flag_seen(self, release_every):
        return sum(flag_round(release_every)[0] for _ in range(5)) / 5


class TimeC4ReleaseEvery(Benchmark):
    """C4: 1e6 loop steps with the GIL held, released every k steps (0 = never)."""

    params = [RELEASE_EVERY]
    param_names = ["release_every"]

    def time_c4_release_every(self, k):
        spin_release_every(N, k)


class TrackC4CostPerRelease(Benchmark):
    """C4: extra nanoseconds per ``with nogil: pass``, from the loop that
    releases every step against the one that never does (interleaved)."""

    unit = "ns per release"

    def track_c4_ns_per_release(self):
        return extra_ns_per_event(lambda: spin_release_every(N, 0),
                                  lambda: spin_release_every(N, 1), N)


class TrackC4Slowdown(Benchmark):
    """C4: time of the loop releasing every k steps / the loop never releasing."""

    params = [RELEASE_EVERY[1:]]
    param_names = ["release_every"]
    unit = "ratio to never releasing"

    def setup_cache(self):
        funcs = {k: (lambda k=k: spin_release_every(N, k)) for k in RELEASE_EVERY}
        return {k: e.value for k, e in interleaved_ratios(funcs, 0).items()}

    def track_c4_slowdown(self, table, k):
        return table[k]


class TrackC4Instructions(InstructionCounts):
    """C4: instructions per loop step of the loop that never releases the
    GIL and of the one that releases it every step (``with nogil: pass``),
    counted exactly by callgrind (skipped, with the reason, without
    valgrind): their difference is what one brief release executes."""

    params = [["never", "every_step"]]
    param_names = ["release"]

    def setup_cache(self):
        kernel = ("gilbench.kernels.c4_brief_release", "spin_release_every")
        return instruction_table({"never": (*kernel, "iterations_never_release"),
                                  "every_step": (*kernel, "iterations_release_every_step")})

    def track_c4_instructions(self, table, release):
        return table[release]


class TrackC4Structure(StructureCounts):
    """C4: GIL releases per loop step, counted exactly: one with a brief
    ``with nogil: pass`` every step, none without (Cython never drops the
    GIL by itself)."""

    params = [["every_step", "never"]]
    param_names = ["release"]
    unit = "GIL releases per step"

    def setup_cache(self):
        return structure_table({
            "every_step": ("gilbench.kernels.c4_brief_release", "spin_release_every",
                           "iterations_release_every_step", 1),
            "never": ("gilbench.kernels.c4_brief_release", "spin_release_every",
                      "iterations_never_release", 1)})

    def track_c4_structure(self, table, release):
        return table[release]["per_element"]["gil_saves"]


class TrackC4PythonThreadsStructure(StructureCounts):
    """C4 from 1 Python thread and from as many as there are usable CPUs,
    each running the spin loop at once: GIL releases per loop step and
    thread, counted exactly.  With a brief ``with nogil: pass`` every step,
    one, however many threads wait for the GIL; without, none: Cython does
    not hand the GIL to a waiting thread by itself."""

    params = (["every_step", "never"], STRUCTURE_THREADS)
    param_names = ["release", "python_threads"]
    unit = "GIL releases per step"

    def setup_cache(self):
        recipes = {"every_step": "iterations_release_every_step_python_threads",
                   "never": "iterations_never_release_python_threads"}
        return structure_table({f"{release}/{nt}": ("gilbench.kernels.c4_brief_release",
                                                    "spin_release_every", recipe, nt)
                                for release, recipe in recipes.items()
                                for nt in STRUCTURE_THREADS})

    def track_c4_python_threads_structure(self, table, release, nt):
        return table[f"{release}/{nt}"]["per_element"]["gil_saves"] / nt
