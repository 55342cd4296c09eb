"""gilbench.harness.measurement on a fake clock that speeds up and slows down:
interleaving cancels a drift that a measurement taken one function after the
other does not; the estimator and the spread are what they say.  And the
instruction counter (real valgrind): the same count twice, more for more work.
"""


import json

import numpy as np
import pytest

from benchmarks.harness import instructions, measurement


class DriftingMachine:
    """A fake clock.  A call of cost c takes c x speed seconds, and the
    machine runs three times slower from ``slow_from`` seconds on -- the
    drift a shared machine shows."""

    def __init__(self, slow_from=0.012):
        self.now = 0.0
        self.slow_from = slow_from

    def timer(self):
        return self.now

    def work(self, cost):
        def call():
            self.now += cost * (3.0 if self.now >= self.slow_from else 1.0)
        return call


def test_interleaving_cancels_a_drift():
    m = DriftingMachine()  # slows down a few rounds in
    fast, slow = m.work(1e-4), m.work(2e-4)
    r = measurement.interleaved_ratios({"fast": fast, "slow": slow}, "fast", rounds=9,
                                       batch_time=1e-3, max_time=100, timer=m.timer)
    assert m.now > m.slow_from, "the drift happened during the measurement"
    assert r["fast"].value == 1.0
    assert r["slow"].value == pytest.approx(2.0, rel=1e-9)


def test_one_after_the_other_does_not_cancel_it():
    """The same two functions timed in sequence (all of one, then all of the
    other) straddle the slow-down: their ratio is off by far more than the
    interleaved one."""
    m = DriftingMachine()
    fast, slow = m.work(1e-4), m.work(2e-4)
    t_fast = measurement.sample(lambda: measurement.per_call(fast, 10, timer=m.timer), 9).value
    t_slow = measurement.sample(lambda: measurement.per_call(slow, 10, timer=m.timer), 9).value
    assert abs(t_slow / t_fast - 2.0) > 0.5


def test_interleaved_ratios_validate_and_stop_early():
    m = DriftingMachine(slow_from=1e9)
    with pytest.raises(ValueError, match="baseline"):
        measurement.interleaved_ratios({"a": m.work(1e-3)}, "b", timer=m.timer)
    r = measurement.interleaved_ratios({"a": m.work(1e-3), "b": m.work(1e-3)}, "a", rounds=50,
                                       batch_time=1e-3, max_time=0.0, timer=m.timer)
    assert len(r["b"].samples) == measurement.MIN_ROUNDS


def test_estimate_median_and_spread():
    e = measurement.estimate([1.0, 2.0, 3.0, 4.0, 100.0])
    assert e.value == 3.0
    assert e.spread == pytest.approx((4.0 - 2.0) / 2 / 3.0)
    assert measurement.estimate([5.0]).spread == 0.0
    assert measurement.best([3.0, 1.0, 2.0]).value == 1.0
    with pytest.raises(ValueError, match="no samples"):
        measurement.estimate([])


def test_sample_warms_then_repeats():
    calls = []
    e = measurement.sample(lambda: calls.append(1) or len(calls), 4)
    n = measurement.repeats(4)
    assert len(calls) == n + 1  # one untimed warm-up
    assert e.samples == tuple(float(i) for i in range(2, n + 2))
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="repeat count"):
            measurement.repeats(bad)


# --- instruction counts (real valgrind) ---------------------------------------------

POINTS = {
    "sumsq_nogil": ("gilbench.kernels.c1_gil_held", "sumsq_nogil", "x"),
    "sumsq_except": ("gilbench.kernels.c1_gil_held", "sumsq_except", "x"),
    "poly_nogil": ("gilbench.kernels.c1_gil_held", "poly_nogil", "x_out"),
}


def test_instruction_counts_are_exact_and_grow_with_work(valgrind):
    first = instructions.per_element(POINTS, sizes=(100, 1100))
    second = instructions.per_element(POINTS, sizes=(100, 1100))
    assert first == second, "two runs of the same code counted different instructions"
    assert all(v > 0 for v in first.values()), first
    # A degree-8 polynomial per element does more than a square; taking the
    # GIL back after every element does far more.
    assert first["poly_nogil"] > first["sumsq_nogil"]
    assert first["sumsq_except"] > 5 * first["sumsq_nogil"]
    assert np.isfinite(list(first.values())).all()


def test_shared_counts_are_counted_once_per_build_and_exact(valgrind, tmp_path):
    """The suite's count tables share one valgrind process per build: the
    first counts the whole universe and keeps it; the next reads the kept
    file instead of counting (a value written into the file comes back).
    That a second count gives the same numbers is the test above."""
    universe = list(POINTS.values())
    one = {"a": POINTS["sumsq_nogil"]}
    first = instructions.per_element_shared(one, universe, sizes=(100, 1100), cache_dir=tmp_path)
    (kept,) = tmp_path.glob("gilbench-instructions-*.json")
    table = json.loads(kept.read_text())
    assert len(table) == len(POINTS)
    assert first == {"a": table["gilbench.kernels.c1_gil_held:sumsq_nogil:x"]}
    # The next table reads the file: a value put there comes back as it is.
    table["gilbench.kernels.c1_gil_held:poly_nogil:x_out"] = 12345.5
    kept.write_text(json.dumps(table))
    other = {"b": POINTS["poly_nogil"]}
    again = instructions.per_element_shared(other, universe, sizes=(100, 1100),
                                            cache_dir=tmp_path)
    assert again == {"b": 12345.5}
    # Another universe (or other sizes) is another file: nothing is read
    # from the first.
    assert instructions._build_key(universe[:1], (100, 1100)) != kept.stem.split("-")[-1]
    assert instructions._build_key(universe, (100, 1200)) != kept.stem.split("-")[-1]
    assert instructions._build_key(universe, (100, 1100)) == kept.stem.split("-")[-1]


def test_under_asv_each_commit_and_run_counts_for_itself(monkeypatch):
    """Two builds of identical code (an A/A pair, or BASE and HEAD sharing a
    kernel) and two asv runs of one commit get separate count tables: only
    the tables of one run of one commit share a count."""
    universe = list(POINTS.values())
    monkeypatch.delenv("ASV", raising=False)
    plain = instructions._build_key(universe, (100, 1100))
    monkeypatch.setenv("ASV", "true")
    monkeypatch.setenv("ASV_COMMIT", "a" * 40)
    a = instructions._build_key(universe, (100, 1100))
    assert a == instructions._build_key(universe, (100, 1100))   # one run, one commit
    monkeypatch.setenv("ASV_COMMIT", "b" * 40)
    b = instructions._build_key(universe, (100, 1100))
    monkeypatch.setattr(instructions.os, "getppid", lambda: -1)   # another asv run
    c = instructions._build_key(universe, (100, 1100))
    assert len({plain, a, b, c}) == 4


def test_instruction_counts_reject_bad_points(valgrind):
    with pytest.raises((ValueError, instructions.Unavailable), match="recipe|callgrind"):
        instructions.per_element({"x": ("gilbench.kernels.c1_gil_held", "sumsq_nogil", "nope")})
    with pytest.raises((ValueError, instructions.Unavailable), match="sizes|callgrind"):
        instructions.per_element(POINTS, sizes=(10, 5))
