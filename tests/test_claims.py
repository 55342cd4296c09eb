"""Every claim's rule on synthetic asv results: a holds, a fails, an
inconclusive and a not-measured case each, on a 2-CPU machine and, where the
physics differs, on a 1-CPU one.  The result files are written with asv's own
``Results``/``BenchmarkResult`` API and read back through gilbench.results,
exactly as real ones are.
"""

from __future__ import annotations

import itertools
import json
import math

import pytest
from asv import util
from asv.benchmarks import Benchmarks
from asv.machine import Machine
from asv.results import Results
from asv.runner import BenchmarkResult

from benchmarks.harness.threads import corner_counts, thread_counts
from gilbench import claims, report, results
from gilbench.claims import FAILS, HOLDS, INCONCLUSIVE, NOT_MEASURED

SIZES = [10**3, 10**4, 10**5, 10**6, 10**7]


def grids(cpus):
    """The parameter grids of the suite's track benchmarks on a machine of
    ``cpus`` CPUs (as benchmarks/common.py builds them)."""
    threads = thread_counts(cpus=cpus)
    over = thread_counts(cpus=cpus, oversubscribe=True)
    cross = [t for t in over if t > 1]
    corners = corner_counts(cpus=cpus, oversubscribe=True)
    return {
        "bench_machine.TrackMachine.track_usable_cpus": {},
        "bench_machine.TrackMachine.track_smoke_run": {},
        "bench_machine.TrackMachine.track_cython_release": {},
        "bench_machine.TrackMachine.track_free_threaded_build": {},
        "bench_machine.TrackMachine.track_gil_enabled": {},
        "bench_c1_gil_held.TrackC1RatioToGILHeld.track_c1_ratio":
            {"kernel": ["sumsq", "poly"], "variant": ["nogil", "noexcept", "except",
                                                      "except_value"], "n": SIZES},
        "bench_c2_numpy_with_gil.TrackC2RatioToPythonNumpy.track_c2_ratio":
            {"way": ["cython_numpy_with_gil", "cython_loop_nogil"], "n": SIZES},
        "bench_c3_release_for_threads.TrackC3ThreadScaling.track_c3_scaling":
            {"gil": ["gil", "nogil"], "python_threads": over},
        "bench_c3_release_for_threads.TrackC3HeartbeatGap.track_c3_worst_gap":
            {"gil": ["gil", "nogil"], "kernel_ms": [5, 50, 200]},
        "bench_c4_brief_release.TrackC4FlagSeen.track_c4_flag_seen":
            {"release_every": [0, 1, 1000, 100_000, 10_000_000]},
        "bench_c4_brief_release.TrackC4CostPerRelease.track_c4_ns_per_release": {},
        "bench_c5_with_gil_in_prange.TrackC5CostPerAcquisition.track_c5_ns_per_acquisition":
            {"threads": over},
        "bench_c5_with_gil_in_prange.TrackC5Efficiency.track_c5_efficiency":
            {"block": ["plain", "never", "empty", "python"], "every": [1, 100, 10_000],
             "threads": over},
        "bench_c5_prange_keeps_gil.TrackC5KeptGilGain.track_c5_kept_gain": {"threads": corners},
        "bench_c5_prange_keeps_gil.TrackC5PythonPerIteration.track_c5_ns_per_iteration":
            {"way": ["kept", "with_gil"], "threads": corners},
        "bench_c5_prange_keeps_gil.TrackC5PythonEfficiency.track_c5_python_efficiency":
            {"way": ["kept", "with_gil", "section_once"], "threads": [c for c in corners if c > 1]},
        "bench_c5_prange_keeps_gil.TrackC5SectionAcquisition.track_c5_section_acquisition_ns":
            {"threads": corners},
        "bench_c6_scan.TrackC6NaiveError.track_c6_naive_error":
            {"algorithm": ["cumsum", "recurrence"], "threads": over},
        "bench_c7_prange_overhead.TrackC7PrangeOverSequential.track_c7_prange_ratio":
            {"kernel": ["sumsq", "poly"], "n": [10**e for e in range(1, 9)], "threads": cross},
        "bench_c7_prange_overhead.TrackC7RegionOverhead.track_c7_region_us":
            {"region": ["empty", "reduction"], "threads": over},
        "bench_c7_prange_overhead.TimeC7Schedule.time_c7_schedule":
            {"schedule": ["static"], "chunk": [1], "work": ["balanced"], "threads": threads},
        "bench_c8_parallel_section.TrackC8NormalizeGain.track_c8_normalize_gain":
            {"n": [10**3, 10**4, 10**5, 10**6], "threads": over},
        "bench_c8_parallel_section.TrackC8PipelineGain.track_c8_pipeline_gain":
            {"way": ["one_section", "fused"], "stages": [2, 4, 8], "n": [10**4, 10**5],
             "threads": over},
        "bench_c9_blas_contention.TrackC9Slowdown.track_c9_slowdown":
            {"pattern": ["nested", "alternating", "concurrent"],
             "policy": ["default", "PASSIVE", "SPINCOUNT0"],
             "omp_threads": sorted({1, cpus, 2 * cpus}), "blas_threads": sorted({1, cpus})},
    }


def healthy(name, p, cpus):
    """Values under which every claim holds (what a 2-CPU machine measures)."""
    cls = name.split(".")[1]
    if cls == "TrackMachine":
        if name.endswith("track_cython_release"):
            return 30301.0
        if name.endswith("track_gil_enabled"):
            return 1.0
        return float(cpus) if name.endswith("track_usable_cpus") else 0.0
    if cls == "TrackC1RatioToGILHeld":
        return 40.0 if p["variant"] == "except" else 1.02
    if cls == "TrackC2RatioToPythonNumpy":
        return 1.04 if p["way"] == "cython_numpy_with_gil" else 1.7
    if cls == "TrackC3ThreadScaling":
        return 1.0 if p["gil"] == "gil" else min(p["python_threads"], cpus) * 0.85 + 0.15
    if cls == "TrackC3HeartbeatGap":
        return p["kernel_ms"] * 1.02 if p["gil"] == "gil" else 1.2
    if cls == "TrackC4FlagSeen":
        return 0.0 if p["release_every"] == 0 else 1.0
    if cls == "TrackC4CostPerRelease":
        return 38.0
    if cls == "TrackC5CostPerAcquisition":
        return 45.0
    if cls == "TrackC5Efficiency":
        if p["threads"] == 1:
            return 1.0
        return 0.95 if p["block"] in ("plain", "never") else 0.2
    if cls == "TrackC5KeptGilGain":
        return 3.5 * p["threads"]
    if cls == "TrackC5PythonPerIteration":
        return 25.0 if p["way"] == "kept" else 90.0 * p["threads"]
    if cls == "TrackC5PythonEfficiency":
        return {"kept": 0.45, "with_gil": 0.2, "section_once": 0.85}[p["way"]]
    if cls == "TrackC5SectionAcquisition":
        return 160.0
    if cls == "TrackC6NaiveError":
        return 0.0 if p["threads"] == 1 else 900.0
    if cls == "TrackC7PrangeOverSequential":
        return 10.0 if p["n"] < 10**4 else 0.5 if cpus >= 2 else 1.05
    if cls == "TrackC7RegionOverhead":
        return 0.7
    if cls == "TimeC7Schedule":
        return 1e-3
    if cls == "TrackC8NormalizeGain":
        return 1.2
    if cls == "TrackC8PipelineGain":
        return 1.4 if p["threads"] > 1 else 1.0
    if cls == "TrackC9Slowdown":
        if p["blas_threads"] > 1 and p["omp_threads"] > 1 and p["policy"] == "default":
            return 15.0
        return 1.1
    raise KeyError(name)


def write_results(results_dir, machine, cpus, value=healthy, omit=(), commit="a" * 40,
                  num_cpu=None, cython=None, recorded=True, python="3.11",
                  date=1_700_000_000_000):
    """One result file for ``machine`` at ``commit`` written with asv's own
    API; ``value(name, params, cpus)`` gives each point (None: failed, NaN:
    skipped).  ``num_cpu``: what asv's machine.json says (default ``cpus``;
    more under an affinity mask).  ``cython``: the release, in asv's
    environment (the matrix's ``Cython``) and, with ``recorded``, in the
    run's own record.  ``python``: asv's name of the Python build.
    ``date``: the commit's (JS timestamp)."""
    from gilbench.harness.release_numbers import release_number

    params = {"machine": machine, "python": python}
    if cython:
        params["Cython"] = cython
    res = Results(params, {}, commit, date, python,
                  f"existing-py{python}" + (f"-Cython{cython}" if cython else ""), {})
    described = {}
    for name, grid in grids(cpus).items():
        if any(o in name for o in omit):
            continue
        names = list(grid)
        combos = list(itertools.product(*(grid[n] for n in names)))
        vals = [value(name, dict(zip(names, c, strict=True)), cpus) for c in combos]
        if name.endswith("track_cython_release"):
            if not recorded:
                continue
            if cython:
                vals = [release_number(cython)]
        params = [[repr(v) for v in grid[n]] for n in names]
        res.add_result({"name": name, "version": "1", "params": params},
                       BenchmarkResult(result=vals, samples=[None] * len(vals),
                                       number=[None] * len(vals), errcode=0, stderr="",
                                       profile=None))
        described[name] = {"name": name, "param_names": names, "params": params,
                           "version": "1"}
    res.save(str(results_dir))
    util.write_json(str(results_dir / machine / "machine.json"),
                    {"machine": machine, "num_cpu": str(num_cpu or cpus)},
                    api_version=Machine.api_version)
    bench_json = results_dir / "benchmarks.json"
    old = util.load_json(str(bench_json), api_version=Benchmarks.api_version) \
        if bench_json.is_file() else {}
    old.update(described)
    util.write_json(str(bench_json), old, api_version=Benchmarks.api_version)


def verdict_of(tmp_path, claim, cpus=2, **kw):
    write_results(tmp_path, "m", cpus, **kw)
    (run,) = results.load(tmp_path)
    return {v.claim: v for v in claims.verdicts(run)}[claim]


def changed(cls, fn):
    """``healthy`` with the points of benchmark class ``cls`` replaced by ``fn``."""
    def value(name, p, cpus):
        if name.split(".")[1] == cls:
            got = fn(p, cpus)
            if got is not ...:
                return got
        return healthy(name, p, cpus)
    return value


# (claim, benchmark class to change, fails-case values, inconclusive-case values)
CASES = [
    ("C1", "TrackC1RatioToGILHeld",
     lambda p, c: 2.0 if p["variant"] in ("nogil", "noexcept") else ...,
     lambda p, c: 1.3 if p["variant"] in ("nogil", "noexcept") else ...),
    ("C2", "TrackC2RatioToPythonNumpy",
     lambda p, c: 2.0 if p["way"] == "cython_numpy_with_gil" else ...,
     lambda p, c: 1.35 if p["way"] == "cython_numpy_with_gil" else ...),
    ("C3", "TrackC3ThreadScaling",
     lambda p, c: 1.0, lambda p, c: 1.2 if p["gil"] == "nogil" else ...),
    ("C4", "TrackC4FlagSeen",
     lambda p, c: 0.4, lambda p, c: 0.0 if p["release_every"] == 0 else 0.4),
    ("C5", "TrackC5Efficiency",
     lambda p, c: 0.93 if p["threads"] > 1 else ...,
     lambda p, c: 0.7 if p["threads"] > 1 and p["block"] in ("empty", "python") else ...),
    ("C5b", "TrackC5KeptGilGain", lambda p, c: 1.05,
     lambda p, c: 1.3 if p["threads"] == 1 else ...),
    ("C6", "TrackC6NaiveError", lambda p, c: 0.0, lambda p, c: ...),
    ("C7", "TrackC7PrangeOverSequential",
     lambda p, c: 1.2 if p["n"] >= 10**4 else ...,
     lambda p, c: 1.3 if p["n"] < 10**4 else ...),
    ("C8", "TrackC8NormalizeGain", lambda p, c: 0.9, lambda p, c: 1.03),
    ("C9", "TrackC9Slowdown", lambda p, c: 1.0,
     lambda p, c: 1.5 if p["blas_threads"] > 1 and p["omp_threads"] > 1 else 1.0),
]


@pytest.mark.parametrize("cpus", [2, 16, 64])
@pytest.mark.parametrize("claim", [c.id for c in claims.CLAIMS])
def test_holds_on_healthy_results(tmp_path, claim, cpus):
    v = verdict_of(tmp_path, claim, cpus=cpus)
    assert v.status == HOLDS, v
    assert "points" in v.basis and f"{cpus} usable CPUs" in v.basis
    assert v.evidence and all(isinstance(x, float | int) for x in v.evidence.values())
    assert v.thresholds


@pytest.mark.parametrize("cpus", [2, 16, 64])
@pytest.mark.parametrize("claim, cls, fails, _", CASES, ids=[c[0] for c in CASES])
def test_fails(tmp_path, claim, cls, fails, _, cpus):
    v = verdict_of(tmp_path, claim, value=changed(cls, fails), cpus=cpus)
    assert v.status == FAILS, v


@pytest.mark.parametrize("claim, cls, _, inconclusive",
                         [c for c in CASES if c[0] != "C6"], ids=[c[0] for c in CASES if
                                                                  c[0] != "C6"])
def test_inconclusive_between_the_bands(tmp_path, claim, cls, _, inconclusive):
    v = verdict_of(tmp_path, claim, value=changed(cls, inconclusive))
    assert v.status == INCONCLUSIVE, v


def test_c8_pipeline_does_not_decide(tmp_path):
    """The pipeline's gain is shown but does not decide (too noisy at 1e4)."""
    v = verdict_of(tmp_path, "C8", value=changed("TrackC8PipelineGain", lambda p, c: 0.9))
    assert v.status == HOLDS, v
    assert any("pipeline" in k for k in v.evidence)


def test_c6_inconclusive_when_one_cpu_shows_no_race(tmp_path):
    v = verdict_of(tmp_path, "C6", cpus=1, value=changed("TrackC6NaiveError", lambda p, c: 0.0))
    assert v.status == INCONCLUSIVE, v


@pytest.mark.parametrize("claim", [c.id for c in claims.CLAIMS])
def test_not_measured_when_skipped(tmp_path, claim):
    cls = {c.id: c.reads for c in claims.CLAIMS}[claim]
    skipped = [r.split(".")[0] for r in cls]

    def value(name, p, cpus):
        return math.nan if name.split(".")[1] in skipped else healthy(name, p, cpus)

    v = verdict_of(tmp_path, claim, value=value)
    assert v.status == NOT_MEASURED, v
    assert v.notes, "a not-measured verdict says why"


@pytest.mark.parametrize("claim", [c.id for c in claims.CLAIMS])
def test_not_measured_when_absent_or_failed(tmp_path, claim):
    reads = [r.split(".")[0] for r in {c.id: c.reads for c in claims.CLAIMS}[claim]]
    v = verdict_of(tmp_path, claim, omit=reads)
    assert v.status == NOT_MEASURED, v

    def failed(name, p, cpus):
        return None if name.split(".")[1] in reads else healthy(name, p, cpus)

    v = verdict_of(tmp_path / "failed", claim, value=failed)
    assert v.status == NOT_MEASURED, v
    assert any("failed" in n for n in v.notes), v.notes


@pytest.mark.parametrize("claim, status", [
    ("C1", HOLDS), ("C2", HOLDS), ("C3", HOLDS), ("C4", HOLDS), ("C5", HOLDS), ("C5b", HOLDS),
    ("C6", HOLDS), ("C7", HOLDS), ("C8", HOLDS), ("C9", NOT_MEASURED)])
def test_one_cpu_says_what_it_cannot_show(tmp_path, claim, status):
    """On one CPU the parallel halves (C3 throughput, C5 serialisation, C7
    'pays when large') are left out with a note, C8 is judged on one thread,
    and C9 is not measured, with the reason: none of them is failed."""
    v = verdict_of(tmp_path, claim, cpus=1)
    assert v.status == status, v
    if claim in ("C3", "C5", "C7", "C9"):
        assert v.notes or "CPU" in v.summary, v


def test_two_machines_side_by_side(tmp_path):
    write_results(tmp_path, "big", 2)
    write_results(tmp_path, "small", 1)
    runs = results.load(tmp_path)
    assert [r.machine for r in runs] == ["big", "small"]
    assert [r.cpus for r in runs] == [2, 1]
    # a run is labelled with its machine and the Cython release it recorded
    assert [r.label for r in runs] == ["big, Cython 3.3.1", "small, Cython 3.3.1"]
    t = report.table(runs)
    big, small = (r.label for r in runs)
    assert t["C9"][big].status == HOLDS and t["C9"][small].status == NOT_MEASURED
    assert t["C1"][big].status == t["C1"][small].status == HOLDS
    text = report.to_text(runs)
    assert "big" in text and "small" in text
    md = report.to_markdown(runs)
    assert md.splitlines()[0].startswith(
        "| claim | big, Cython 3.3.1 (2 CPUs) | small, Cython 3.3.1 (1 CPU) |")
    assert len([line for line in md.splitlines() if line.startswith("| **C")]) == len(claims.CLAIMS)
    data = json.loads(report.to_json(runs))
    assert [m["machine"] for m in data["machines"]] == ["big", "small"]
    assert all(len(m["verdicts"]) == len(claims.CLAIMS) for m in data["machines"])


def test_loader_options(tmp_path):
    write_results(tmp_path, "big", 2)
    assert [r.machine for r in results.load(tmp_path, machine="big")] == ["big"]
    assert results.load(tmp_path, commit="aaaa")[0].commit == "a" * 40
    with pytest.raises(ValueError, match="no results for machine 'nope'"):
        results.load(tmp_path, machine="nope")
    with pytest.raises(ValueError, match="at commit"):
        results.load(tmp_path, commit="bbbb")
    with pytest.raises(ValueError, match="no asv results directory"):
        results.load(tmp_path / "missing")


def test_a_smoke_run_is_never_judged(tmp_path):
    """GILBENCH_SMOKE=1, recorded by the run: every claim "not measured",
    and the report's cells say "smoke run"."""
    def smoke(name, p, cpus):
        return 1.0 if name.endswith("track_smoke_run") else healthy(name, p, cpus)

    write_results(tmp_path, "m", 2, value=smoke)
    (run,) = results.load(tmp_path)
    assert run.smoke == "GILBENCH_SMOKE=1"
    vs = claims.verdicts(run)
    assert all(v.status == NOT_MEASURED and "smoke run" in v.summary for v in vs)
    md = report.to_markdown([run])
    assert md.count("| not measured: smoke run") == len(claims.CLAIMS)


@pytest.mark.parametrize("cpus, judged", [(16, 16), (64, 64)])
def test_rules_judge_at_the_recorded_cpu_count_on_a_big_machine(tmp_path, cpus, judged):
    """C9 at OpenMP = BLAS = CPUs, C8 at the CPU count, C5's efficiency at
    the CPU count: a value that fails only at that count decides."""
    def c9_only_at_top(name, p, c):
        if name.split(".")[1] == "TrackC9Slowdown":
            top = p["omp_threads"] == p["blas_threads"] == judged
            return 1.0 if top else 15.0
        return healthy(name, p, c)

    v = verdict_of(tmp_path / "c9", "C9", cpus=cpus, value=c9_only_at_top)
    assert v.status == FAILS, v

    def c8_only_at_top(name, p, c):
        if name.split(".")[1] == "TrackC8NormalizeGain":
            return 0.9 if p["threads"] == judged else 1.3
        return healthy(name, p, c)

    v = verdict_of(tmp_path / "c8", "C8", cpus=cpus, value=c8_only_at_top)
    assert v.status == FAILS, v


def test_an_affinity_mask_is_judged_at_the_cpus_the_run_could_use(tmp_path):
    """asv's num_cpu says 64; the run recorded 2 usable CPUs: the C8 rule reads
    its 2-thread point, not one that does not exist."""
    write_results(tmp_path, "masked", 2, num_cpu=64)
    (run,) = results.load(tmp_path)
    assert run.cpus == 2
    v = {v.claim: v for v in claims.verdicts(run)}["C8"]
    assert v.status == HOLDS, v


@pytest.mark.parametrize("claim, cls, point", [
    ("C1", "TrackC1RatioToGILHeld", {"kernel": "sumsq", "variant": "nogil", "n": 1000}),
    ("C2", "TrackC2RatioToPythonNumpy", {"way": "cython_numpy_with_gil", "n": 10**4}),
    ("C5", "TrackC5Efficiency", {"block": "empty", "every": 1, "threads": 2}),
    ("C7", "TrackC7PrangeOverSequential", {"kernel": "poly", "n": 10, "threads": 2}),
])
def test_a_rule_that_needs_a_point_the_run_lacks_is_inconclusive(tmp_path, claim, cls, point):
    """One point the rule reads failed in an otherwise healthy run: the rule
    could have gone either way on it, so it is inconclusive, names the point,
    and says what it would have been on the rest."""
    def value(name, p, cpus):
        if name.split(".")[1] == cls and all(p[k] == v for k, v in point.items()):
            return None
        return healthy(name, p, cpus)

    v = verdict_of(tmp_path, claim, value=value)
    assert v.status == INCONCLUSIVE, v
    assert "does not have" in v.summary and cls in v.summary, v.summary
    assert "would be holds on what was measured" in v.notes
    assert any("failed" in n for n in v.notes), v.notes


def test_a_value_that_is_only_shown_does_not_make_a_verdict_inconclusive(tmp_path):
    """C8's pipeline gain is shown, not judged: its absence leaves C8 as it was."""
    v = verdict_of(tmp_path, "C8", omit=["TrackC8PipelineGain"])
    assert v.status == HOLDS, v


@pytest.mark.parametrize("cpus", [16, 64])
def test_c9_does_not_ask_for_nested_teams_over_the_thread_limit(tmp_path, cpus):
    """At 16 CPUs, 16 x 16 nested threads are over the limit and skipped by the
    suite: the rule judges the other patterns and says why, not inconclusive."""
    def value(name, p, c):
        if name.split(".")[1] == "TrackC9Slowdown" and p["pattern"] == "nested" and \
                p["omp_threads"] * p["blas_threads"] > 4 * c:
            return math.nan
        return healthy(name, p, c)

    v = verdict_of(tmp_path, "C9", cpus=cpus, value=value)
    assert v.status != INCONCLUSIVE or "does not have" not in v.summary, v
    assert any("over the limit" in n for n in v.notes), v.notes


def test_a_cost_below_zero_reads_as_noise_and_an_unmeasured_claim_is_not_plotted(tmp_path):
    """A cost is the difference of two timings: measured below zero, it is
    noise, shown as such and never divided by; a claim whose benchmarks did
    not run gets a line, not a plot of empty panels."""
    def value(name, p, cpus):
        if "TrackC5SectionAcquisition" in name:
            return -133.0
        return healthy(name, p, cpus)

    write_results(tmp_path, "m", 2, value=value, omit=("C9",))
    (run,) = results.load(tmp_path)
    key = "one acquisition at a section's top, 1 thread(s) (ns)"
    assert report.within_noise(key, -133.0) and not report.within_noise(key, 96.0)
    assert not report.within_noise("parallel efficiency at 2 threads, plain", -0.1)
    page = report.write_html([run], tmp_path / "page").read_text()
    assert "within noise (measured -133" in page
    assert "-133 ns" not in page
    c9 = page.split("<section id='C9'")[1].split("</section>")[0]
    assert "<img" not in c9 and "no plot" in c9
    c1 = page.split("<section id='C1'")[1].split("</section>")[0]
    assert "<img" in c1
    assert "within noise (measured -133" in report.to_markdown([run])
