"""The regression gate.

* For real, end to end: a HEAD that makes C1's ``sumsq_nogil`` do half as
  much work again (an extra dependent add over half the elements), loosens
  its own gate table and deletes a benchmark module; asv builds it (only C1's
  kernel is recompiled); the gate, run from BASE's checkout as the workflow
  runs it, exits 1, names the instruction count that rose (failing as
  measured: an exact count is not measured again), judges by BASE's table
  and fails on the removed module.  Instruction counts are exact, so this
  cannot flake.
* A fresh A/A gate run on the gate calibration's pair of identical commits
  passes.
* A benchmark that fails at HEAD only (on purpose, GILBENCH_FAIL_BENCHMARK,
  in a real asv run) is a failure of the gate; a gated point that vanishes
  fails; exact counts that turn into NaN fail.
* A claim whose verdict differs between BASE and HEAD (asv result files
  written with asv's own API) is a failure of a calibrated gate.
* The summary parses as markdown, with its table; a bad ref exits 2.
"""

from __future__ import annotations

import collections
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
from test_claims import changed, write_results

from benchmarks.bench_c1_gil_held import TrackC1PrangeStructure
from benchmarks.bench_c4_brief_release import TrackC4PythonThreadsStructure
from benchmarks.harness.threads import usable_cpus
from docs.experiments.gate_reach import inject
from gilbench import claims, gate, gate_protocol, noise_table, results

from helpers import gate_env, share_asv_env

ROOT = Path(__file__).resolve().parents[1]
KERNEL = Path("src/gilbench/kernels/c1_gil_held.pyx")
HARNESS = Path("benchmarks/harness/instructions.py")
SLOWED = "bench_c1_gil_held.TrackC1Instructions.track_c1_instructions('sumsq', 'nogil')"


def git(*args, cwd):
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout.strip()


def markdown_tables(text: str) -> list[list[list[str]]]:
    """The tables of ``text`` as a real markdown parser (markdown-it, GFM
    tables) reads them: [table][row][cell]."""
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    tables, row, cell = [], None, None
    for t in tokens:
        if t.type == "table_open":
            tables.append([])
        elif t.type == "tr_open":
            row = []
        elif t.type == "tr_close":
            tables[-1].append(row)
        elif t.type in ("th_open", "td_open"):
            cell = []
        elif t.type in ("th_close", "td_close"):
            row.append("".join(cell))
        elif t.type == "inline" and cell is not None:
            cell.append("".join(c.content for c in t.children or []))
    return tables


@pytest.fixture(scope="module")
def slowed(tmp_path_factory, asv_env_dir, gate_calibrated):
    """BASE: the second commit of the gate calibration's A/A pair (an empty
    commit over this repository's HEAD, already built), with no gate table
    for the test machine (uncalibrated: the exact counts are gated).  HEAD,
    made in a worktree of the calibration's clone (so that asv's checkout in
    the shared environment, a clone of that one, finds it), makes C1's
    ``sumsq_nogil`` do half as much work again, commits a gate table of its
    own that would let that through (threshold 10x), halves every count its
    own harness takes (which would turn the slowdown into a gain), and
    deletes the C6 benchmark module.  The gate runs from HEAD's checkout, as
    a contributor runs it: it still measures both commits with BASE's suite
    and harness, and judges by BASE's table."""
    tmp = tmp_path_factory.mktemp("gate")
    work = gate_calibrated["work"]
    env = gate_env(tmp / "home")
    base = gate_calibrated["pair"][1]
    repo = tmp / "head"
    git("worktree", "add", "-q", "--detach", str(repo), base, cwd=work)
    (repo / KERNEL).write_text(inject((repo / KERNEL).read_text(), "sumsq_nogil", 50))
    loose = {
        f"bench_c1_gil_held.TrackC1Instructions.track_c1_instructions('{k}', '{v}')": {
            "kind": "exact", "class": "bench_c1_gil_held.TrackC1Instructions",
            "ratios": [1.0], "flags": {}, "range": 1.0, "threshold": 10.0,
            "status": "stable", "reason": "loosened by HEAD"}
        for k in ("sumsq", "poly")
        for v in ("gil", "nogil", "noexcept", "except", "except_value")}
    (repo / "noise" / "gate").mkdir(parents=True, exist_ok=True)
    (repo / "noise" / "gate" / "gate-test.json").write_text(json.dumps(
        {"protocol": "gate", "machine": "gate-test", "pairs": 1, "created": "test",
         "points": loose}))
    (repo / "benchmarks" / "bench_c6_scan.py").unlink()
    # "Be polite": HEAD's package makes idle OpenMP threads sleep when it is
    # imported -- in the benchmark processes of HEAD only, since the gate
    # process never imports the package under test.
    init = repo / "src" / "gilbench" / "__init__.py"
    init.write_text("import os\nos.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')\n"
                    + init.read_text())
    harness = repo / HARNESS
    text = harness.read_text()
    assert "out[label] = (b - a) / (n2 - n1)" in text
    harness.write_text(text.replace("out[label] = (b - a) / (n2 - n1)",
                                    "out[label] = 0.5 * (b - a) / (n2 - n1)"))
    git("add", "-A", cwd=repo)
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m",
        "sumsq_nogil: 50% more dependent adds; a looser table; counts halved by the "
        "harness; no C6 benchmarks; idle OpenMP threads sleep", cwd=repo)
    head = git("rev-parse", "HEAD", cwd=repo)
    share_asv_env(repo, asv_env_dir)
    summary = tmp / "summary.md"
    # The caller's shell spins idle threads less: cleared for both sides.
    env["GOMP_SPINCOUNT"] = "1000"
    r = subprocess.run([sys.executable, "-m", "gilbench", "gate", base, head, "--repo",
                        str(repo), "--machine", "gate-test",
                        "--only", "TrackC1Instructions", "--summary", str(summary),
                        "--", "--quick"],
                       cwd=repo, env=env, capture_output=True, text=True, timeout=1500)
    return r, summary


def test_gate_fails_naming_the_slower_kernel(slowed):
    r, summary = slowed
    assert r.returncode == 1, r.stdout[-3000:] + r.stderr[-3000:]
    assert "gilbench gate: FAILED" in r.stdout
    assert SLOWED in r.stdout
    assert "uncalibrated mode" in r.stdout
    # Only the kernel that changed moved: the other nine counts are exact.
    # An exact count fails as measured: no confirmation was run for it.
    assert r.stdout.count("| regression |") == 1, r.stdout
    assert "Exact counts that moved: 1. They fail as measured" in r.stdout
    assert "Confirmation" not in r.stdout
    # Only the gated benchmark ran (asv's own report of what it measured).
    assert "TrackC1Instructions" in r.stdout and "TrackC9Instructions" not in r.stdout


def test_a_head_whose_import_sets_the_wait_policy_fails_by_its_record(slowed):
    r, summary = slowed
    text = summary.read_text()
    assert "HEAD's package changes the runtime when it is imported (fails" in text
    rows = {row[0]: row[1:] for t in markdown_tables(text) for row in t[1:]
            if t[0][0] == "runtime item"}
    assert rows["env OMP_WAIT_POLICY"] == ["unset", "passive"]
    assert rows["openmp spin count"] == ["300000", "0"]     # libgomp's own display
    assert rows["env set at import"] == ["0", "1"]
    # The caller's GOMP_SPINCOUNT reached neither side.
    assert "env GOMP_SPINCOUNT" not in rows
    assert "gilbench: cleared GOMP_SPINCOUNT=1000" in r.stderr
    raw = summary.parent / "head" / gate_protocol.RAW_DIR / "first"
    runs = [results.load_commit(raw, "gate-test", sha) for sha in _shas(r.stdout)]
    assert [run.runtime["env GOMP_SPINCOUNT"] for run in runs] == [-1.0, -1.0]


def test_asv_recompiled_only_the_kernel_that_changed(slowed, asv_env_dir):
    """The gate's three builds in the shared environment (the calibration's
    two of identical code, then HEAD) used one meson build directory
    (asv.conf.json): the second compiled nothing, HEAD only C1's kernel --
    and Cython's shared utility module, because HEAD was built from another
    checkout's path to the shared environment, and the command that
    generates that module names cython by that path (one checkout has one
    path).  ninja's log has a line per output each time it is built."""
    (log,) = asv_env_dir.glob("*/meson-build/.ninja_log")
    built = collections.Counter(
        line.split("\t")[3] for line in log.read_text().splitlines()
        if not line.startswith("#") and line.split("\t")[3].endswith(".o"))
    twice = sorted(o.split("/")[-1] for o, n in built.items() if n == 2)
    assert twice == ["meson-generated_..__cyutility.c.o",
                     "meson-generated_c1_gil_held.pyx.c.o"], twice
    assert len(built) > 10 and set(built.values()) == {1, 2}, built


def test_head_is_judged_by_bases_rules(slowed):
    """HEAD's own table (threshold 10x) and its own harness (counts halved)
    did not let its slowdown through -- run from HEAD's checkout, the gate
    measured both commits with BASE's suite and harness -- and the summary
    names what HEAD changed on the measuring side; the removed module fails."""
    r, _ = slowed
    assert "HEAD changes noise/gate/gate-test.json; the gate judged by BASE's" in r.stdout
    assert "HEAD changes the measuring side (" in r.stdout
    measuring = r.stdout.split("HEAD changes the measuring side (")[1].split(")")[0]
    assert str(HARNESS) in measuring and "benchmarks/bench_c6_scan.py" in measuring
    assert "Benchmark modules removed at HEAD (fails): `bench_c6_scan.py`" in r.stdout


def test_the_summary_parses_as_markdown_with_its_table(slowed):
    _, summary = slowed
    (runtime_table, table) = markdown_tables(summary.read_text())
    assert runtime_table[0] == ["runtime item", "base", "head"]
    header, *rows = table
    assert header == ["benchmark", "base", "head", "ratio", "noise floor", "threshold",
                      "result"]
    (row,) = rows
    assert row[0] == SLOWED and row[-1] == "regression"
    assert float(row[3]) > 1.3          # 4 -> ~6 instructions per element
    assert row[4] == "exact"


def test_the_first_measurement_is_kept_and_no_exact_count_is_measured_again(slowed):
    """The gate keeps the raw results it judged, which give back the values
    of its summary; with only an exact count failing, there is no second
    measurement (and no raw confirmation)."""
    r, summary = slowed
    raw = summary.parent / "head" / gate_protocol.RAW_DIR
    ((header, row),) = [t for t in markdown_tables(summary.read_text())
                        if t[0][0] == "benchmark"]
    base, head = (results.load_commit(raw / "first", "gate-test", sha)
                  for sha in _shas(r.stdout))
    assert float(row[1]) == pytest.approx(base.points[SLOWED].value, rel=1e-3)
    assert float(row[2]) == pytest.approx(head.points[SLOWED].value, rel=1e-3)
    assert not (raw / "confirmation").exists()


def test_a_moved_exact_count_fails_as_measured_and_a_timed_point_must_move_again():
    """The confirmation measures again only the timed points that failed: a
    timed point that does not move again passes, an exact count that moved
    fails without a second measurement; without a confirmation
    (``--no-confirm``) every first failure fails."""
    exact = "bench_c1_gil_held.TrackC1Instructions.track_c1_instructions('sumsq', 'nogil')"
    timed = "bench_c4_brief_release.TimeC4ReleaseEvery.time_c4_release_every(1)"
    first = [gate.Moved(exact, 4.0, 6.0, 1.5, 1.02, None, gate.REGRESSION),
             gate.Moved(timed, 1e-4, 2e-4, 2.0, 1.25, 1.1, gate.REGRESSION)]
    g = gate.Gate(base="b" * 40, head="c" * 40, machine="m", table_note="t", moved=first)
    assert [m.name for m in g.to_confirm] == [timed]
    assert [m.name for m in g.failures] == [exact, timed]        # not confirmed yet
    g.confirmation = []                                           # the timed one held
    assert [m.name for m in g.failures] == [exact] and not g.passed
    text = gate.to_markdown(g)
    assert "Exact counts that moved: 1. They fail as measured" in text
    assert "none moved again; not a failure" in text
    g.confirmation = [gate.Moved(timed, 1e-4, 2.1e-4, 2.1, 1.25, 1.1, gate.REGRESSION)]
    assert [m.name for m in g.failures] == [exact, timed]
    only_timed = gate.Gate(base="b" * 40, head="c" * 40, machine="m", table_note="t",
                           moved=first[1:], confirmation=[])
    assert only_timed.passed


def _shas(stdout: str) -> list[str]:
    """BASE's and HEAD's short hashes, from the summary's first line (the
    reader takes a prefix)."""
    line = next(ln for ln in stdout.splitlines() if "(base) against" in ln)
    return [part.split("`")[1] for part in line.split(" against ")]


def test_the_gate_passes_a_fresh_a_a_run(gate_calibrated):
    """The calibration's pair of identical commits, gated again for real (a
    new measurement, no new build) on the exact counts of what threads do:
    C1's prange teams and GIL acquisitions at 1 thread and the usable CPUs,
    C4's GIL releases from 1 and 2 Python threads, each counted anew on both
    sides.  It passes, and says its mode.  (The instruction counts' A/A is
    the calibration's own pair: test_gate_calibration.py.)"""
    base, head = gate_calibrated["pair"]
    work = gate_calibrated["work"]
    only = "TrackC1PrangeStructure|TrackC4PythonThreadsStructure"
    # Every point of the two classes (asv's params: a grid), each at 1
    # thread and at this machine's usable CPUs (one count on a 1-CPU machine).
    classes = (TrackC1PrangeStructure, TrackC4PythonThreadsStructure)
    assert all(cls.params[-1] == sorted({1, usable_cpus()}) for cls in classes)
    wanted = sum(math.prod(len(p) for p in cls.params) for cls in classes)
    r = subprocess.run([sys.executable, "-m", "gilbench", "gate", base, head, "--repo",
                        str(work), "--machine", "gate-test", "--only", only, "--", "--quick"],
                       cwd=work, env=gate_calibrated["env"], capture_output=True, text=True,
                       timeout=1200)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "gilbench gate: passed" in r.stdout, r.stdout
    assert f"uncalibrated mode, {wanted} gated points" in r.stdout, r.stdout
    assert "No gated point moved beyond its threshold." in r.stdout


def test_a_newly_failing_benchmark_fails_the_gate(calibrated):
    base, _ = calibrated["commits"]
    g = gate.judge(calibrated["results"], "cal-test", base, calibrated["failing"], None,
                   verdicts=False)
    assert not g.passed
    failed = [m.name for m in g.failures if m.kind == "new failure"]
    assert failed and all("TimeC4ReleaseEvery" in n for n in failed), g.moved
    assert "new failure" in gate.to_markdown(g)


#: A noise table that gates nothing: calibrated mode, verdicts judged.
EMPTY = {"points": {}, "pairs": 6, "created": "test"}
EMPTY_TABLE = noise_table.Table.from_dict(EMPTY)


def test_a_changed_verdict_fails_a_calibrated_gate_and_is_reported_by_an_uncalibrated_one(
        tmp_path):
    write_results(tmp_path, "m", 2, commit="b" * 40)
    # HEAD: the GIL-held loop and the nogil one no longer run alike: C1 fails.
    write_results(tmp_path, "m", 2, commit="c" * 40, value=changed(
        "TrackC1RatioToGILHeld", lambda p, cpus: 3.0 if p["variant"] == "nogil" else ...))
    loose = gate.judge(tmp_path, "m", "b" * 40, "c" * 40, None)
    assert loose.mode == gate.UNCALIBRATED and loose.verdict_changes and loose.passed
    assert "not validated on an uncalibrated runner" in gate.to_markdown(loose)
    g = gate.judge(tmp_path, "m", "b" * 40, "c" * 40, EMPTY_TABLE)
    assert g.mode == gate.CALIBRATED
    assert not g.moved
    assert [c for c, _, _ in g.verdict_changes] == ["C1"]
    assert not g.passed
    text = gate.to_markdown(g)
    assert "FAILED" in text and "(changed)" in text
    rows = markdown_tables(text)[-1]
    assert rows[0] == ["claim", "base", "head"] and len(rows) == 1 + len(claims.CLAIMS)


def test_a_verdict_moving_into_inconclusive_is_reported_not_failed(tmp_path):
    write_results(tmp_path, "m", 2, commit="b" * 40)
    # HEAD: C1's nogil and noexcept loops in the rule's band between holds
    # (within 15%) and fails (beyond 50%).
    write_results(tmp_path, "m", 2, commit="c" * 40, value=changed(
        "TrackC1RatioToGILHeld",
        lambda p, cpus: 1.3 if p["variant"] in ("nogil", "noexcept") else ...))
    g = gate.judge(tmp_path, "m", "b" * 40, "c" * 40, EMPTY_TABLE)
    assert [(c, a, b) for c, a, b in g.verdict_changes] == [("C1", "holds", "inconclusive")]
    assert not g.verdict_failures and g.passed
    assert "within the rule's noise band" in gate.to_markdown(g)


def test_a_gated_point_that_vanishes_at_head_fails(calibrated):
    """Gated at BASE, failed at HEAD (TimeC4ReleaseEvery fails on purpose
    there): vanished, whatever its threshold."""
    base, _ = calibrated["commits"]
    run = results.load_commit(calibrated["results"], "cal-test", base)
    row = {"status": "stable", "threshold": 1.05, "range": 1.0}
    table = noise_table.Table.from_dict(dict(EMPTY, points={p.name: row for p in run.of(
        "TimeC4ReleaseEvery.time_c4_release_every")}))
    assert table.rows
    g = gate.judge(calibrated["results"], "cal-test", base, calibrated["failing"], table,
                   verdicts=False)
    assert not g.passed
    assert {m.name for m in g.vanished} == set(table.rows)
    assert "vanished: failed" in gate.to_markdown(g)


def test_exact_counts_that_turn_into_nan_fail(tmp_path):
    """A HEAD that breaks callgrind: every count skipped (NaN) at HEAD."""
    import math

    write_results(tmp_path, "m", 2, commit="b" * 40)
    write_results(tmp_path, "m", 2, commit="c" * 40)
    for commit, value in (("b", 4.0), ("c", math.nan)):
        _counts(tmp_path, "m", commit * 40, value)
    g = gate.judge(tmp_path, "m", "b" * 40, "c" * 40, None, verdicts=False)
    assert not g.passed and len(g.vanished) == 2


def _counts(results_dir, machine, commit, value):
    """Add two instruction-count points to ``commit``'s result file, and
    describe them in benchmarks.json, as asv does."""
    from asv import util
    from asv.benchmarks import Benchmarks
    from asv.results import Results, iter_results_for_machine_and_hash
    from asv.runner import BenchmarkResult

    (res,) = list(iter_results_for_machine_and_hash(str(results_dir), machine, commit))
    assert isinstance(res, Results)
    name = "bench_c6_scan.TrackC6Instructions.track_c6_instructions"
    res.add_result({"name": name, "version": "1", "params": [["'cumsum'", "'recurrence'"]]},
                   BenchmarkResult(result=[value, value], samples=[None, None],
                                   number=[None, None], errcode=0, stderr="", profile=None))
    res.save(str(results_dir))
    bench_json = results_dir / "benchmarks.json"
    described = util.load_json(str(bench_json), api_version=Benchmarks.api_version)
    described[name] = {"name": name, "param_names": ["kernel"],
                       "params": [["'cumsum'", "'recurrence'"]], "version": "1"}
    util.write_json(str(bench_json), described, api_version=Benchmarks.api_version)


def test_a_bad_ref_exits_2_with_one_line():
    r = subprocess.run([sys.executable, "-m", "gilbench", "gate", "no-such-ref", "--repo",
                        str(ROOT)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    assert r.stderr.strip() == f"gilbench gate: 'no-such-ref' is not a commit of {ROOT}"


def test_gate_refuses_bad_commits(tmp_path):
    with pytest.raises(ValueError, match="not a commit"):
        gate.gate(ROOT, "no-such-ref", "HEAD")
    with pytest.raises(ValueError, match="same commit"):
        gate.gate(ROOT, "HEAD", "HEAD")
    with pytest.raises(ValueError, match="not a git checkout"):
        gate.gate(tmp_path, "HEAD", "HEAD")


def _structure(results_dir, machine, commit, team_at_2):
    """Add C7's structure counts to ``commit``'s result file (described in
    benchmarks.json, as asv does): 1 region, and ``team_at_2`` threads at 2."""
    from asv import util
    from asv.benchmarks import Benchmarks
    from asv.results import iter_results_for_machine_and_hash
    from asv.runner import BenchmarkResult

    (res,) = list(iter_results_for_machine_and_hash(str(results_dir), machine, commit))
    name = "bench_c7_prange_overhead.TrackC7Structure.track_c7_structure"
    params = [["'regions'", "'team_members'"], ["1", "2"]]
    res.add_result({"name": name, "version": "1", "params": params},
                   BenchmarkResult(result=[1, 1, 1, team_at_2], samples=[None] * 4,
                                   number=[None] * 4, errcode=0, stderr="", profile=None))
    res.save(str(results_dir))
    path = results_dir / "benchmarks.json"
    described = util.load_json(str(path), api_version=Benchmarks.api_version)
    described[name] = {"name": name, "param_names": ["count", "threads"], "params": params,
                       "version": "1"}
    util.write_json(str(path), described, api_version=Benchmarks.api_version)


def test_a_head_that_loses_its_threads_fails_on_the_exact_structure_counts(tmp_path):
    """BASE's prange ran on 2 threads, HEAD's on 1 (built without OpenMP, a
    serial loop): a structure count that falls is no improvement, it fails,
    with no calibration; the same team passes."""
    write_results(tmp_path, "m", 2, commit="b" * 40)
    write_results(tmp_path, "m", 2, commit="c" * 40)
    write_results(tmp_path, "m", 2, commit="d" * 40)
    _structure(tmp_path, "m", "b" * 40, 2)
    _structure(tmp_path, "m", "c" * 40, 1)
    _structure(tmp_path, "m", "d" * 40, 2)
    lost = gate.judge(tmp_path, "m", "b" * 40, "c" * 40, None, verdicts=False)
    (moved,) = lost.moved
    assert moved.kind == gate.CHANGED and "'team_members', 2" in moved.name
    assert not lost.passed
    same = gate.judge(tmp_path, "m", "b" * 40, "d" * 40, None, verdicts=False)
    assert same.passed and not same.moved and same.gated == 4


def test_a_base_that_measured_nothing_cannot_judge_and_a_head_that_did_not_build_fails(
        tmp_path):
    """Exit 2 (ValueError) when BASE measured nothing (it did not build) or
    the gate watched nothing; a HEAD that measured nothing fails: every gated
    point vanished, and the summary says it did not build."""
    write_results(tmp_path, "m", 2, commit="b" * 40, value=lambda *a: None)
    write_results(tmp_path, "m", 2, commit="c" * 40)
    _counts(tmp_path, "m", "b" * 40, None)
    _counts(tmp_path, "m", "c" * 40, 4.0)
    shas = ["b" * 40, "c" * 40]
    with pytest.raises(ValueError, match=r"BASE bbbbbbbb measured nothing"):
        gate._can_judge(*gate.sides(tmp_path, "m", *shas), *shas)
    # BASE measured, HEAD did not build.
    shas = ["c" * 40, "b" * 40]
    base_run, head_run = gate.sides(tmp_path, "m", *shas)
    gate._can_judge(base_run, head_run, *shas)
    g = gate.judge(tmp_path, "m", *shas, None, verdicts=False)
    gate._judged_something(g, head_run, shas[1])
    assert not g.passed and len(g.vanished) == 2
    assert any("did not build" in n for n in g.notes)
    assert "did not build" in gate.to_markdown(g)
    # Nothing gated at all.
    empty = gate.Gate(base="c" * 40, head="b" * 40, machine="m", table_note=None)
    with pytest.raises(ValueError, match="watched nothing"):
        gate._judged_something(empty, head_run, shas[1])
    # HEAD recorded nothing at all (no result file): every gated point vanished.
    lost = gate.judge_runs(base_run, None, None, base=shas[0], head="d" * 40, machine="m",
                           verdicts=False)
    gate._judged_something(lost, None, "d" * 40)
    assert not lost.passed and len(lost.vanished) == len(g.vanished)


@pytest.mark.slow
def test_nox_gate_from_heads_checkout_judges_with_bases_tool(tmp_path):
    """``python3 -m nox -s gate -- BASE HEAD`` from a pull request's own
    checkout installs the tool from BASE: HEAD's package, which marks every
    gilbench CLI process that imports it (and sets the wait policy, as a
    "polite" pull request would), is never imported by the gate process.
    A bad ``--only`` makes the gate exit 2 right after the tool starts, so
    this costs one install, not a gate."""
    clone = tmp_path / "pr"
    git("clone", "-q", "--no-local", str(ROOT), str(clone), cwd=tmp_path)
    base = git("rev-parse", "HEAD", cwd=ROOT)
    git("checkout", "-q", "-B", "pr", base, cwd=clone)
    init = clone / "src" / "gilbench" / "__init__.py"
    init.write_text("import os, sys\n"
                    "if os.path.basename(sys.argv[0]) == 'gilbench':\n"
                    "    open(os.environ['GILBENCH_TEST_MARK'], 'w').write('HEAD was imported')\n"
                    "os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')\n" + init.read_text())
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-am", "be polite",
        cwd=clone)
    mark = tmp_path / "mark"
    env = dict(gate_env(tmp_path / "home"), GILBENCH_TEST_MARK=str(mark))
    r = subprocess.run([sys.executable, "-m", "nox", "-s", "gate", "--", base, "HEAD",
                        "--only", "("], cwd=clone, env=env, capture_output=True, text=True,
                       timeout=900)
    out = r.stdout + r.stderr
    assert r.returncode == 2, out[-3000:]
    assert f"the tool is BASE's ({base[:8]}" in out
    assert "is not a regular expression" in out
    assert not mark.exists(), "the gate process imported HEAD's package"
