"""What else the machine did while we measured: the CPU time of everything
that was not us, and the time the hypervisor stole.

A calibration pair measured while the test suite, a build or another tenant
used the same cores sets thresholds from that load, not from the code.  The
gate's calibration (:mod:`gilbench.gate_calibration`) wraps each pair in
:class:`Load` and refuses a pair measured beside too much of either.

* **Others' CPU**: the busy time of all CPUs from ``/proc/stat`` (user,
  nice, system, irq, softirq) minus the CPU time of this process and of the
  children it waited for (:func:`resource.getrusage`: asv and every
  benchmark process it started), in CPUs on average over the wall time.
* **Steal**: the fraction of all CPU time the hypervisor gave to someone
  else (``/proc/stat``'s steal column).

Where ``/proc/stat`` cannot be read (not Linux), both are None: nothing is
refused that cannot be seen.
"""

from __future__ import annotations

import resource
import time
from dataclasses import dataclass

from gilbench.harness.runtime import proc_stat

__all__ = ["Load", "OTHERS_LIMIT", "STEAL_LIMIT"]

#: A pair is busy when others used more than this many CPUs on average...
OTHERS_LIMIT = 0.25
#: ... or the hypervisor stole more than this fraction of the CPU time.
STEAL_LIMIT = 0.10



def _ours() -> float:
    cpu = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        r = resource.getrusage(who)
        cpu += r.ru_utime + r.ru_stime
    return cpu


@dataclass
class Load:
    """A context manager: on exit, ``wall`` (s), ``ours`` (CPU seconds of
    this process and the children it waited for), ``others`` (CPUs used by
    everything else, on average) and ``steal`` (fraction) hold what the
    machine did meanwhile; ``busy`` says whether either passed its limit.
    Wait for every child started inside before the block ends, or its time
    counts as others'."""

    others_limit: float = OTHERS_LIMIT
    steal_limit: float = STEAL_LIMIT
    wall: float | None = None
    ours: float | None = None
    others: float | None = None
    steal: float | None = None

    def __enter__(self) -> Load:
        self._t0, self._s0, self._o0 = time.monotonic(), proc_stat(), _ours()
        return self

    def __exit__(self, *exc) -> None:
        self.wall = time.monotonic() - self._t0
        s1 = proc_stat()
        self.ours = ours = _ours() - self._o0
        if self._s0 is None or s1 is None or self.wall <= 0:
            return
        busy, steal, total = (b - a for a, b in zip(self._s0, s1, strict=True))
        self.others = max(0.0, busy - ours) / self.wall
        self.steal = steal / total if total > 0 else 0.0

    @property
    def busy(self) -> bool:
        return bool((self.others or 0) > self.others_limit or
                    (self.steal or 0) > self.steal_limit)

    def as_dict(self) -> dict:
        def r(x):
            return None if x is None else round(x, 3)
        return {"wall_s": r(self.wall), "others_cpus": r(self.others), "steal": r(self.steal),
                "busy": self.busy}
