"""The one rule for which thread counts gilbench uses.

Counts come from the CPUs this process may run on (``os.sched_getaffinity``),
never from a hard-coded 4 or 8: 1, 2, ... up to the usable CPUs, plus one
oversubscribed count (2 x CPUs) where oversubscription is the point.  On a
64-core server the ladder is thinned to powers of two plus the top.
"""

from __future__ import annotations

import os

__all__ = ["usable_cpus", "total_cpus", "thread_counts", "corner_counts"]


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
