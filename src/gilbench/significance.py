"""When two measured points differ: asv compare's rule, on public parts.

``asv compare --factor F`` calls B worse than A when B > F x A and, where both
points carry asv's stats from more than one repeat, the difference is
significant: with raw samples, a two-sided Mann-Whitney U test at p < 0.002
(only when the sample sizes let the test reach that p at all); without them,
non-overlapping 99% confidence intervals.  This module applies the same rule
with :func:`scipy.stats.mannwhitneyu`, on :class:`gilbench.results.Point`
values, so that the noise table and the gate judge as asv's own tools do
without importing asv's private helpers.
"""

from __future__ import annotations

import math

from scipy.stats import mannwhitneyu

from gilbench.results import Point

__all__ = ["P_THRESHOLD", "is_different", "better", "differs"]

#: asv's p-value threshold for "significantly different".
P_THRESHOLD = 0.002
#: asv's switch from the exact test to the normal approximation.
EXACT_UP_TO = 20


def _clean(samples) -> list[float]:
    return [float(x) for x in samples or () if x is not None and not math.isnan(x)]


def is_different(a: Point, b: Point, p_threshold: float = P_THRESHOLD) -> bool:
    """True when ``a`` and ``b`` differ significantly (see the module);
    False means "not shown", not "equal"."""
    xa, xb = _clean(a.samples), _clean(b.samples)
    if xa and xb:
        m, n = len(xa), len(xb)
        # The smallest p a test of these sizes can give; below the threshold
        # only if the test can decide at all (asv's condition).
        if 1 / math.comb(m + n, min(m, n)) < p_threshold:
            exact = max(m, n) <= EXACT_UP_TO and len(set(xa) | set(xb)) == m + n
            p = mannwhitneyu(xa, xb, alternative="two-sided",
                             method="exact" if exact else "asymptotic").pvalue
            return bool(p < p_threshold)
    sa, sb = a.stats or {}, b.stats or {}
    try:
        lo_a, hi_a, lo_b, hi_b = sa["ci_99_a"], sa["ci_99_b"], sb["ci_99_a"], sb["ci_99_b"]
    except KeyError:
        return True
    if None in (lo_a, hi_a, lo_b, hi_b):
        return True
    return not (hi_a >= lo_b and lo_a <= hi_b)


def _has_stats(p: Point) -> bool:
    return bool(p.stats) and p.stats.get("repeat", 0) != 1


def better(a: Point, b: Point, factor: float) -> bool:
    """asv compare's rule: ``a`` is better (smaller) than ``b`` by more than
    ``factor``, and significantly so where both carry stats."""
    if not (a.ok and b.ok):
        return False
    if _has_stats(a) and _has_stats(b) and not is_different(a, b):
        return False
    return a.value < b.value / factor


def differs(a: Point, b: Point, factor: float) -> bool:
    """Either way: does asv compare's rule call ``a`` and ``b`` different?"""
    return better(a, b, factor) or better(b, a, factor)
