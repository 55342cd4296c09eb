"""The one reader of asv's results (gilbench.results) and asv compare's rule
on public parts (gilbench.significance), on result files written with asv's
own API."""

from __future__ import annotations

import math

import pytest
from asv.results import Results
from asv.runner import BenchmarkResult
from test_claims import write_results

from gilbench import results, significance
from gilbench.results import Point


def test_points_are_named_as_asv_compare_names_them(tmp_path):
    write_results(tmp_path, "m", 2)
    run = results.load_commit(tmp_path, "m", "a" * 40)
    name = "bench_c1_gil_held.TrackC1RatioToGILHeld.track_c1_ratio('sumsq', 'nogil', 1000)"
    p = run.points[name]
    assert p.ok and p.value == pytest.approx(1.02)
    assert p.params == {"kernel": "sumsq", "variant": "nogil", "n": 1000}
    assert p.cls == "bench_c1_gil_held.TrackC1RatioToGILHeld"
    assert p.method == "track_c1_ratio"
    assert run.point("TrackC1RatioToGILHeld.track_c1_ratio", kernel="sumsq", variant="nogil",
                     n=1000) == p
    assert results.parse_name(name) == ("bench_c1_gil_held", "TrackC1RatioToGILHeld",
                                        "track_c1_ratio", "'sumsq', 'nogil', 1000")
    # A parameter value the run did not have, and a benchmark it did not run.
    assert run.point("TrackC1RatioToGILHeld.track_c1_ratio", kernel="sumsq", variant="nogil",
                     n=7).status == "absent"
    assert run.point("TrackNothing.track_x").reason.startswith("not in the results")
    with pytest.raises(KeyError, match="'n' not given"):
        run.point("TrackC1RatioToGILHeld.track_c1_ratio", kernel="sumsq", variant="nogil")


def test_failed_and_skipped_points_say_which(tmp_path):
    def value(name, p, cpus):
        if "TrackC4FlagSeen" in name:
            return None if p["release_every"] == 0 else math.nan
        from test_claims import healthy

        return healthy(name, p, cpus)

    write_results(tmp_path, "m", 2, value=value)
    run = results.load_commit(tmp_path, "m", "a" * 40)
    seen = run.of("TrackC4FlagSeen.track_c4_flag_seen")
    assert [p.status for p in seen] == ["failed", "skipped", "skipped", "skipped", "skipped"]
    assert {p.benchmark for p in run.failed()} == {
        "bench_c4_brief_release.TrackC4FlagSeen.track_c4_flag_seen"}


def test_the_cpu_count_is_the_recorded_one_not_asvs_num_cpu(tmp_path):
    """Under an affinity mask asv's machine.json counts every CPU (8); the run
    recorded the 2 it could use, and the rules judge at 2."""
    write_results(tmp_path, "masked", 2, num_cpu=8)
    (run,) = results.load(tmp_path)
    assert run.cpus == 2 and run.cpus_source == "recorded by the run"
    write_results(tmp_path / "old", "old", 2, num_cpu=8, omit=("TrackMachine",))
    (old,) = results.load(tmp_path / "old")
    assert old.cpus == 8 and "num_cpu" in old.cpus_source


def test_commits_and_unreadable_files(tmp_path):
    write_results(tmp_path, "m", 2, commit="b" * 40)
    assert results.commits(tmp_path, "m") == {"b" * 40}
    assert results.commits(tmp_path, "other") == set()
    (good,) = [p for p in (tmp_path / "m").glob("*.json") if p.name != "machine.json"]
    assert results.unreadable(good) is None
    assert results.unreadable(tmp_path / "m" / "machine.json") is None
    good.write_text("{not json")
    assert results.unreadable(good)


def test_a_truncated_result_file_is_named_on_every_format(tmp_path, capfd):
    """A result file asv cannot read is left out, and the report names it in
    its own words -- text, markdown, JSON and the claims page -- instead of
    asv's parser message on stderr."""
    import json

    from gilbench import report

    write_results(tmp_path, "m", 2, commit="b" * 40)
    write_results(tmp_path, "other", 2, commit="c" * 40)
    (bad,) = [p for p in (tmp_path / "other").glob("*.json") if p.name != "machine.json"]
    bad.write_text(bad.read_text()[:300])
    judged = report.judge(results.load(tmp_path))
    assert [r.machine for r in judged.runs] == ["m"]
    assert "Error parsing JSON" not in capfd.readouterr().err
    why = f"other/{bad.name}: left out, asv cannot read it: not valid JSON"
    assert why in report.to_text(judged)
    assert why in report.to_markdown(judged)
    assert any(why in n for n in json.loads(report.to_json(judged))["machines"][0]["left_out"])
    assert why in report.write_html(judged, tmp_path / "page").read_text()


def test_a_benchmarks_json_that_describes_nothing_is_refused(tmp_path):
    """``{"version": 2}`` beside results with parameters: the parameters
    cannot be named, so nothing can be judged -- a ValueError (the CLI's exit
    2 and one line), never a KeyError from a rule."""
    import subprocess
    import sys

    write_results(tmp_path, "m", 2)
    (tmp_path / "benchmarks.json").write_text('{"version": 2}')
    with pytest.raises(ValueError, match="does not describe the results of m"):
        results.load(tmp_path)
    r = subprocess.run([sys.executable, "-m", "gilbench", "report", "--results", str(tmp_path)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "benchmarks.json does not describe" in r.stderr


def test_a_benchmark_benchmarks_json_does_not_describe_is_left_out_and_named(tmp_path):
    from asv import util
    from asv.benchmarks import Benchmarks

    write_results(tmp_path, "m", 2)
    path = tmp_path / "benchmarks.json"
    described = util.load_json(str(path), api_version=Benchmarks.api_version)
    gone = "bench_c8_parallel_section.TrackC8NormalizeGain.track_c8_normalize_gain"
    del described[gone]
    util.write_json(str(path), described, api_version=Benchmarks.api_version)
    (run,) = results.load(tmp_path)
    assert not run.of(gone)
    assert run.left_out == [f"{gone}: left out, benchmarks.json does not describe its "
                            "parameters"]


def test_an_unknown_cpu_count_is_said_and_a_claim_not_run_is_not_run(tmp_path):
    """A subset run (no TrackMachine) on a machine.json without num_cpu: the
    CPU count is unknown, not 1; C9, not in the subset, is not run."""
    from asv import util
    from asv.machine import Machine

    from gilbench import claims, report

    write_results(tmp_path, "m", 2, omit=("TrackMachine", "C9"))
    util.write_json(str(tmp_path / "m" / "machine.json"), {"machine": "m"},
                    api_version=Machine.api_version)
    (run,) = results.load(tmp_path)
    assert run.cpus is None and run.cpus_source == "unknown"
    c9 = {v.claim: v for v in claims.verdicts(run)}["C9"]
    assert c9.status == claims.NOT_MEASURED and c9.summary == "not run"
    assert "CPU count unknown" in report.to_text([run])
    write_results(tmp_path / "two", "m", 2, omit=("TrackMachine",))
    util.write_json(str(tmp_path / "two" / "m" / "machine.json"), {"machine": "m"},
                    api_version=Machine.api_version)
    (run,) = results.load(tmp_path / "two")
    c9 = {v.claim: v for v in claims.verdicts(run)}["C9"]
    assert c9.summary == claims.UNKNOWN_CPUS


def _point(value, samples=None, repeat=None):
    stats = None
    if samples is not None or repeat is not None:
        lo, hi = (min(samples), max(samples)) if samples else (value, value)
        stats = {"ci_99_a": lo, "ci_99_b": hi, "repeat": repeat or len(samples or [])}
    return Point("b.T.time_x", "b.T.time_x", {}, value, stats=stats, samples=samples)


def test_significance_needs_samples_that_can_decide():
    slow = [1.5 + 0.001 * i for i in range(8)]
    fast = [1.0 + 0.001 * i for i in range(8)]
    # 8 a side, fully separated: p = 2 / C(16, 8) < 0.002.
    assert significance.better(_point(1.0, fast), _point(1.5, slow), 1.05)
    assert not significance.better(_point(1.5, slow), _point(1.0, fast), 1.05)
    # 6 a side, fully separated: the exact two-sided p is 2 / 924 = 0.0022,
    # not below asv's 0.002, so asv compare's rule does not call it.
    assert not significance.is_different(_point(1.0, fast[:6]), _point(1.5, slow[:6]))
    # Overlapping samples: no difference, whatever the medians.
    mixed = [1.0, 1.6, 1.01, 1.59, 1.02, 1.58, 1.03, 1.57]
    assert not significance.better(_point(1.0, fast), _point(1.3, mixed), 1.05)
    # Without stats (track_ values, instruction counts): the factor alone.
    assert significance.better(_point(1.0), _point(1.03), 1.02)
    assert not significance.better(_point(1.0), _point(1.01), 1.02)
    assert significance.differs(_point(1.03), _point(1.0), 1.02)


def _rounds(medians, within=0.001, per_round=2):
    """Samples as asv records them: each round's appended to the last."""
    return [m * (1 + within * k) for m in medians for k in range(per_round)]


def test_the_gates_test_takes_the_round_as_its_unit():
    """Eight samples from four rounds: the rounds decide, not the samples."""
    base = _rounds([1.00, 1.02, 0.99, 1.01])
    assert significance.round_values(_point(1.0, base), 4) == pytest.approx(
        [1.0005, 1.02051, 0.990495, 1.010505])
    assert significance.round_values(_point(1.0, base), 3) is None   # 8 samples, not 3 rounds
    # Every round of HEAD slower, rounds consistent: a regression.
    head = _rounds([1.30, 1.31, 1.29, 1.32])
    assert significance.better(_point(1.0, base), _point(1.3, head), 1.10, rounds=4)
    # Two rounds of HEAD slow, two barely slower than BASE: every HEAD sample
    # is above every BASE sample, so Mann-Whitney on the 8 samples calls it
    # (p = 2/12870), but between rounds it is not shown.
    steady = _rounds([1.00, 1.01, 1.02, 1.03])
    split = _rounds([1.04, 1.05, 1.30, 1.31])
    assert significance.is_different(_point(1.0, sorted(steady)), _point(1.2, sorted(split)))
    assert significance.rounds_differ(_point(1.0, steady), _point(1.2, split), 4) is False
    assert not significance.better(_point(1.0, steady), _point(1.2, split), 1.10, rounds=4)
    # Too few rounds for the test: asv's rule decides.
    two = _rounds([1.30, 1.31], per_round=4)
    assert significance.rounds_differ(_point(1.0, base), _point(1.3, two), 2) is None
    assert significance.better(_point(1.0, sorted(base)), _point(1.3, two), 1.10, rounds=2)
    # No samples at all (a track_ value): the factor alone.
    assert significance.better(_point(1.0), _point(1.2), 1.10, rounds=4)
    assert not significance.better(_point(1.0), _point(1.05), 1.10, rounds=4)


def test_the_test_on_rounds_is_right_about_one_in_a_hundred_on_identical_draws():
    """Under the null -- round medians drawn from one log-normal -- Welch's
    test at p < 0.01 flags about 1% of pairs, with 4 rounds a side (2000
    draws, seeded: 20 expected, 0 to 45 accepted, a 5-sigma band)."""
    import numpy as np

    rng = np.random.default_rng(20261203)
    flags = 0
    for _ in range(2000):
        a = np.exp(rng.normal(0, 0.1, 4))
        b = np.exp(rng.normal(0, 0.1, 4))
        pa, pb = _point(1.0, _rounds(a, 0)), _point(1.0, _rounds(b, 0))
        flags += bool(significance.rounds_differ(pa, pb, 4))
    assert 0 < flags <= 45


def test_significance_falls_back_to_confidence_intervals(tmp_path):
    """Stats from asv's own runner and no samples: non-overlapping 99%
    intervals decide, as in asv compare."""
    res = Results({"machine": "m", "python": "3.11"}, {}, "c" * 40, 1, "3.11", "e", {})
    res.add_result({"name": "b.T.time_x", "version": "1", "params": []},
                   BenchmarkResult(result=[1.0], samples=[[1.0, 1.01, 0.99, 1.0, 1.02]],
                                   number=[1], errcode=0, stderr="", profile=None))
    stats = res.get_result_stats("b.T.time_x", [])[0]
    assert {"ci_99_a", "ci_99_b"} <= set(stats)
    a = Point("x", "x", {}, 1.0, stats=stats)
    b = Point("x", "x", {}, 2.0, stats=dict(stats, ci_99_a=1.9, ci_99_b=2.1))
    assert significance.better(a, b, 1.05)
    c = Point("x", "x", {}, 1.1, stats=dict(stats, ci_99_a=stats["ci_99_a"],
                                            ci_99_b=stats["ci_99_b"] + 1))
    assert not significance.better(a, c, 1.05)
