"""When two measured points differ: asv compare's rule, on public parts.

``asv compare --factor F`` calls B worse than A when B > F x A and, where both
points carry asv's stats from more than one repeat, the difference is
significant: with raw samples, a two-sided Mann-Whitney U test at p < 0.002
(only when the sample sizes let the test reach that p at all); without them,
non-overlapping 99% confidence intervals.  This module applies the same rule
with :func:`scipy.stats.mannwhitneyu`, on :class:`gilbench.results.Point`
values, so that the noise table and the gate judge as asv's own tools do
without importing asv's private helpers.

The gate's samples are not independent: asv takes a time's samples in
rounds, each round one fresh process, and most of their variance lies
between rounds (the share, per benchmark, is the generated gate-rounds
figure in docs/gate.md), so eight samples from two rounds behave like about
two.  With ``rounds``,
:func:`better` therefore takes the round as the unit: each round's median,
and Welch's t-test on their logarithms (:func:`scipy.stats.ttest_ind`) at
p < :data:`ROUNDS_P`, once each side has at least :data:`MIN_ROUNDS`
rounds.  Values that carry no samples per round (a ``track_`` value keeps
its last round only) are judged by the factor alone.
"""

from __future__ import annotations

import math

import numpy as np

from gilbench.results import Point

__all__ = ["P_THRESHOLD", "ROUNDS_P", "MIN_ROUNDS", "is_different", "round_values",
           "rounds_differ", "better", "differs"]

#: asv's p-value threshold for "significantly different".
P_THRESHOLD = 0.002
#: The p-value threshold of the test on rounds (two-sided).
ROUNDS_P = 0.01
#: Rounds a side the test on rounds needs (with two, one round's accident
#: decides).
MIN_ROUNDS = 3
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
            from scipy.stats import mannwhitneyu  # here, not at the top: a slow import

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


def round_values(p: Point, rounds: int) -> list[float] | None:
    """The median of each round's samples of ``p`` (asv appends each round's
    samples to the last), or None when its samples do not split into
    ``rounds`` rounds of equal size."""
    xs = _clean(p.samples)
    if rounds < 1 or not xs or len(xs) % rounds:
        return None
    size = len(xs) // rounds
    return [float(np.median(xs[k * size:(k + 1) * size])) for k in range(rounds)]


def rounds_differ(a: Point, b: Point, rounds: int, p_threshold: float = ROUNDS_P) -> bool | None:
    """Do ``a`` and ``b`` differ, with the round as the unit: Welch's t-test
    on the logarithms of the round medians, two-sided, at ``p_threshold``.
    None when either side lacks :data:`MIN_ROUNDS` rounds of samples (the
    test cannot be made)."""
    ra, rb = round_values(a, rounds), round_values(b, rounds)
    if ra is None or rb is None or rounds < MIN_ROUNDS or min(ra + rb) <= 0:
        return None
    la, lb = np.log(ra), np.log(rb)
    if np.ptp(la) == 0 and np.ptp(lb) == 0:
        return bool(la[0] != lb[0])      # no spread within either side
    from scipy.stats import ttest_ind  # here, not at the top: a slow import

    return bool(ttest_ind(la, lb, equal_var=False).pvalue < p_threshold)


def _has_stats(p: Point) -> bool:
    return bool(p.stats) and p.stats.get("repeat", 0) != 1


def better(a: Point, b: Point, factor: float, rounds: int | None = None) -> bool:
    """``a`` is better (smaller) than ``b`` by more than ``factor``, and
    significantly so: without ``rounds``, asv compare's rule (where both
    carry stats); with ``rounds`` (the gate's protocol), the test on rounds
    where the samples split into them (:func:`rounds_differ`), else asv's
    rule.  A value without samples or stats (a ``track_`` value) is judged
    by the factor alone."""
    if not (a.ok and b.ok):
        return False
    if a.value >= b.value / factor:
        return False
    shown = rounds_differ(a, b, rounds) if rounds is not None else None
    if shown is not None:
        return shown
    return not (_has_stats(a) and _has_stats(b) and not is_different(a, b))


def differs(a: Point, b: Point, factor: float, rounds: int | None = None) -> bool:
    """Either way: is ``a`` or ``b`` better than the other (:func:`better`)?"""
    return better(a, b, factor, rounds) or better(b, a, factor, rounds)
