"""The one place that decides how gilbench measures: the repeat policy (real
and smoke), interleaving, the estimator, and the spread that goes with each
value.  Every benchmark measures through it.

* **Repeats.**  :func:`repeats` turns a benchmark's real repeat count into the
  one to use now: the count itself, or :data:`SMOKE_REPEATS` in a smoke run
  (``GILBENCH_SMOKE=1``, for checking that the suite runs, never for numbers).
* **Estimator.**  The median of the samples (robust to the one slow sample a
  shared machine throws in); :func:`best` for the few measurements that, like
  STREAM, report the best pass.
* **Spread.**  Half the inter-quartile range over the median, as a fraction,
  returned with every value (:class:`Estimate`).
* **Interleaving.**  :func:`interleaved_ratios` times the functions compared
  one after another within each round and takes each round's ratio before
  the median, so that a machine that speeds up or slows down during the
  measurement moves numerator and denominator together.

``timer`` arguments exist so that the tests can drive the functions with a
clock of their own; benchmarks leave them alone.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["SMOKE", "SMOKE_REPEATS", "Estimate", "estimate", "best", "repeats", "sample",
           "per_call", "interleaved_ratios"]

#: GILBENCH_SMOKE=1: every repeat count shrinks to SMOKE_REPEATS and every
#: batch to a tenth of a millisecond.
SMOKE = os.environ.get("GILBENCH_SMOKE", "") == "1"
SMOKE_REPEATS = 3
#: Interleaved ratios: rounds, seconds per timed batch, and the time after
#: which a measurement stops early (keeping at least MIN_ROUNDS rounds).
ROUNDS, BATCH_TIME, MIN_ROUNDS = 9, 2e-3, 3
SMOKE_BATCH_TIME = 1e-4


@dataclass(frozen=True)
class Estimate:
    """A measured value: the median of its samples and their spread (half
    the inter-quartile range over the median; 0 for fewer than 2 samples)."""

    value: float
    spread: float
    samples: tuple

    def __float__(self) -> float:
        return self.value


def estimate(samples) -> Estimate:
    """The median of ``samples`` with its relative spread."""
    xs = tuple(float(s) for s in samples)
    if not xs:
        raise ValueError("no samples to estimate from")
    med = statistics.median(xs)
    if len(xs) < 2 or med == 0:
        return Estimate(med, 0.0, xs)
    q1, _, q3 = statistics.quantiles(xs, n=4, method="inclusive")
    return Estimate(med, (q3 - q1) / 2 / abs(med), xs)


def best(samples) -> Estimate:
    """The smallest of ``samples`` (STREAM's convention for bandwidth), with
    the same spread as :func:`estimate`."""
    e = estimate(samples)
    return Estimate(min(e.samples), e.spread, e.samples)


def repeats(real: int) -> int:
    """How many times to repeat a measurement whose real count is ``real``."""
    if isinstance(real, bool) or not isinstance(real, int) or real < 1:
        raise ValueError(f"repeat count must be an integer >= 1, got {real!r}")
    return min(real, SMOKE_REPEATS) if SMOKE else real


def sample(measure: Callable[[], float], real_repeats: int, *, warm: bool = True) -> Estimate:
    """Call ``measure()`` (which returns one sample: a time, a ratio, a
    rate) ``repeats(real_repeats)`` times, after one untimed call when
    ``warm``; the median and spread of what it returned."""
    if warm:
        measure()
    return estimate(measure() for _ in range(repeats(real_repeats)))


def per_call(func: Callable[[], object], number: int = 1, *,
             timer: Callable[[], float] = time.perf_counter) -> float:
    """Seconds per call of ``func`` over a batch of ``number`` calls, after
    one untimed call: an OpenMP team left idle by the previous batch wakes
    slowly (milliseconds), which is a cost of its own (C7), not of ``func``."""
    func()
    t0 = timer()
    for _ in range(number):
        func()
    return (timer() - t0) / number


def interleaved_ratios(funcs: dict, baseline, *, rounds: int = ROUNDS,
                       batch_time: float = BATCH_TIME, max_time: float = 10.0,
                       timer: Callable[[], float] = time.perf_counter) -> dict:
    """{name: Estimate of time(funcs[name]) / time(funcs[baseline])}.

    Each round times every function once, in an order rotated from round to
    round; the round's ratios are taken before the median.  Calls are batched
    so that each timing lasts at least ``batch_time`` seconds.  The
    measurement stops early (after at least MIN_ROUNDS rounds) once
    ``max_time`` seconds have passed.
    """
    if baseline not in funcs:
        raise ValueError(f"baseline {baseline!r} is not one of {sorted(map(str, funcs))}")
    if SMOKE:
        rounds, batch_time = min(rounds, SMOKE_REPEATS), SMOKE_BATCH_TIME
    numbers = {name: max(1, int(batch_time / max(per_call(f, 1, timer=timer), 1e-9)))
               for name, f in funcs.items()}
    names = list(funcs)
    ratios = {name: [] for name in names}
    start = timer()
    for r in range(rounds):
        order = names[r % len(names):] + names[:r % len(names)]
        times = {name: per_call(funcs[name], numbers[name], timer=timer) for name in order}
        for name in names:
            ratios[name].append(times[name] / times[baseline])
        if r + 1 >= MIN_ROUNDS and timer() - start > max_time:
            break
    return {name: estimate(v) for name, v in ratios.items()}
