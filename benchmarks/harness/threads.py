"""The one rule for which thread counts gilbench uses.

Counts come from the CPUs this process may run on (``os.sched_getaffinity``),
never from a hard-coded 4 or 8: 1, 2, ... up to the usable CPUs, plus one
oversubscribed count (2 x CPUs) where oversubscription is the point.  On a
64-core server the ladder is thinned to powers of two plus the top.
"""

from __future__ import annotations

import os

__all__ = ["usable_cpus", "total_cpus", "thread_counts", "corner_counts", "thread_limit",
           "over_limit", "THREADS_PER_CPU"]

#: The most threads a benchmark point may run at once, per usable CPU,
#: counting nested teams multiplied (C9's BLAS inside prange: OpenMP x BLAS).
#: 4 lets every default point on 1 to 4 CPUs run (the oversubscribed 2 x
#: CPUs, nested 2 x CPUs by CPUs on 2 CPUs); on a 64-CPU machine it stops the
#: nested 64 x 64 and 128 x 64 corners (4096 and 8192 threads), which would
#: measure the scheduler, not the claim, and risk the machine.
THREADS_PER_CPU = 4


def usable_cpus() -> int:
    """CPUs this process may run on (affinity mask, falling back to cpu_count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def total_cpus() -> int:
    """CPUs the machine has, whatever this process is allowed to use."""
    return os.cpu_count() or 1


def thread_counts(*, oversubscribe: bool = False, cpus: int | None = None) -> list[int]:
    """Thread counts a benchmark sweeps: 1 .. usable CPUs (and 2 x CPUs).

    Every count up to 4, then powers of two, then the CPU count itself, so that
    a 64-core server gets ``[1, 2, 3, 4, 8, 16, 32, 64]`` rather than 64 values.
    """
    n = usable_cpus() if cpus is None else int(cpus)
    if n < 1:
        raise ValueError(f"cpus must be >= 1, got {n}")
    counts = [c for c in range(1, min(n, 4) + 1)]
    p = 8
    while p < n:
        counts.append(p)
        p *= 2
    if counts[-1] != n:
        counts.append(n)
    if oversubscribe:
        counts.append(2 * n)
    return counts


def corner_counts(*, oversubscribe: bool = False, cpus: int | None = None) -> list[int]:
    """The corners of a thread grid: 1 and the usable CPUs (and 2 x CPUs).

    What a grid benchmark keeps by default, so that its size does not grow
    with the machine; the full ladder is :func:`thread_counts`.
    """
    full = thread_counts(oversubscribe=oversubscribe, cpus=cpus)
    n = usable_cpus() if cpus is None else int(cpus)
    keep = {1, n} | ({2 * n} if oversubscribe else set())
    return [c for c in full if c in keep]


def thread_limit(cpus: int | None = None) -> int:
    """Threads a benchmark point may run at once: THREADS_PER_CPU x usable
    CPUs, and never more than ``OMP_THREAD_LIMIT`` when it is set (libgomp's
    own cap on the threads of a contention group)."""
    n = usable_cpus() if cpus is None else int(cpus)
    limit = THREADS_PER_CPU * n
    env = os.environ.get("OMP_THREAD_LIMIT", "").strip()
    if env.isdigit() and int(env) > 0:
        limit = min(limit, int(env))
    return limit


def over_limit(threads: int, what: str = "threads", cpus: int | None = None) -> str | None:
    """Why a point that runs ``threads`` at once may not run here, or None."""
    limit = thread_limit(cpus)
    if threads > limit:
        return (f"{what} = {threads} threads at once, over the limit of {limit} "
                f"(harness.threads.thread_limit: {THREADS_PER_CPU} per usable CPU, "
                "OMP_THREAD_LIMIT)")
    return None
