"""The noise calibration, for real: ``gilbench calibrate`` runs asv on commits of
identical code in a scratch clone (smoke settings, a few benchmarks), and the
table it writes holds what the runs showed: exact instruction counts are
stable, the erratic-by-nature points are marked, every point has its flags at
each factor, and asv's regressions_thresholds derived from it load in asv.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from gilbench import noise, noise_table

from helpers import CALIBRATED_BENCHES as BENCHES  # noqa: F401
from helpers import SMOKE_ENV

ROOT = Path(__file__).resolve().parents[1]


def git(*args, cwd):
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout.strip()


def test_calibrate_writes_the_table_of_every_point(calibrated):
    table = noise_table.Table.load(calibrated["repo"] / "noise" / "cal-test.json")
    assert table.pairs == 1 and len(table.commits) == 2
    assert table.commits == calibrated["commits"]
    names = set(table.rows)
    # 10 instruction-count points, 8 release intervals, 5 flag intervals.
    assert len(names) == 23, sorted(names)
    for row in table.rows.values():
        assert row.status in ("stable", "gated", "noisy", "erratic")
        assert set(row.flags) <= {"1.05", "1.10", "1.20"}
        assert len(row.values) == 2
    md = (calibrated["repo"] / "noise" / "cal-test.md").read_text()
    assert "TrackC1Instructions" in md and "| factor |" in md
    assert "noise table:" in calibrated["stdout"]


def test_instruction_counts_are_exact_and_stable(calibrated):
    table = noise_table.Table.load(calibrated["repo"] / "noise" / "cal-test.json")
    counts = {n: r for n, r in table.rows.items() if "TrackC1Instructions" in n}
    assert len(counts) == 10
    for name, row in counts.items():
        assert row.values[0] == row.values[1], name
        assert row.range == 1.0 and row.status == "stable", (name, row)
        assert row.threshold == noise_table.LADDER[0]
        assert all(k == 0 for k in row.flags.values())


def test_the_starved_window_is_erratic_by_nature(calibrated):
    table = noise_table.Table.load(calibrated["repo"] / "noise" / "cal-test.json")
    row = table.rows["bench_c4_brief_release.TrackC4FlagSeen.track_c4_flag_seen(100000)"]
    assert row.status == "erratic" and "race" in row.reason
    assert row.threshold is None


def test_a_killed_calibration_resumes_without_rerunning(calibrated, tmp_path):
    """Run again on the same scratch clone: both runs are already measured,
    nothing is rerun, and the table comes out the same."""
    before = json.loads((calibrated["repo"] / "noise" / "cal-test.json").read_text())
    env = dict(os.environ, HOME=str(calibrated["work"].parent / "home"), **SMOKE_ENV)
    r = subprocess.run([sys.executable, "-m", "gilbench", "calibrate", "--repo",
                        str(calibrated["repo"]), "--runs", "2", "--workdir",
                        str(calibrated["work"]), "--machine", "cal-test", "--out",
                        str(tmp_path), "--", "--quick", "-b", BENCHES],
                       env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("already measured, kept") == 2
    after = json.loads((tmp_path / "cal-test.json").read_text())
    assert after["points"] == before["points"]


def test_asv_thresholds_follow_each_points_noise(calibrated):
    """One entry per benchmark and level, matched as asv matches them
    (``name(params)@branch``); what asv's Regressions output then reports is
    tested in test_publish."""
    table = noise_table.Table.load(calibrated["repo"] / "noise" / "cal-test.json")
    rules = table.asv_thresholds()
    for name, row in table.rows.items():
        got = max((t for rx, t in rules.items() if re.match(rx, name + "@main")), default=0.05)
        if row.status == "erratic":
            assert got == 1.0, name
        elif row.threshold is not None:
            assert got == max(0.05, round(row.threshold - 1, 2)), name
        else:
            assert got >= min(1.0, 2 * (row.range - 1)), name


@pytest.mark.parametrize("params, cpus, erratic", [
    ({"threads": 4}, 2, True),
    ({"threads": 2}, 2, False),
    ({"python_threads": 2}, 1, True),
    ({"pattern": "nested", "omp_threads": 2, "blas_threads": 2}, 2, True),
    ({"pattern": "nested", "omp_threads": 2, "blas_threads": 1}, 2, False),
    ({"pattern": "concurrent", "omp_threads": 1, "blas_threads": 2}, 2, True),
    ({"pattern": "concurrent", "omp_threads": 1, "blas_threads": 1}, 2, False),
    ({"pattern": "alternating", "omp_threads": 2, "blas_threads": 2}, 2, False),
    ({"n": 10**6}, 2, False),
])
def test_oversubscribed_points_are_erratic(params, cpus, erratic):
    assert (noise_table.erratic_reason("bench_x.TimeX.time_x(...)", params, cpus) is not None) \
        == erratic


def test_bad_calibration_arguments_are_refused(tmp_path):
    with pytest.raises(ValueError, match="runs must be"):
        noise.calibrate(ROOT, runs=1)
    with pytest.raises(ValueError, match="not a git checkout"):
        noise.calibrate(tmp_path, runs=2)
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    with pytest.raises(ValueError, match="not a gilbench noise table"):
        noise_table.Table.load(bad)


def test_reanalyze_reads_the_measured_runs_without_running(calibrated, tmp_path):
    before = json.loads((calibrated["repo"] / "noise" / "cal-test.json").read_text())
    r = subprocess.run([sys.executable, "-m", "gilbench", "calibrate", "--reanalyze",
                        "--machine", "cal-test", "--workdir", str(calibrated["work"]),
                        "--repo", str(calibrated["repo"]), "--out", str(tmp_path)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    after = json.loads((tmp_path / "cal-test.json").read_text())
    # The third, failing run (made after the calibration) counts as a third run.
    assert after["commits"][:2] == before["commits"] and len(after["commits"]) == 3
    assert "Running" not in r.stdout


def _without(table, *keys) -> dict:
    """A table as its JSON reads (a written file's, or a Table's), less ``keys``."""
    data = table.as_dict() if isinstance(table, noise_table.Table) else table
    return {k: v for k, v in json.loads(json.dumps(data)).items() if k not in keys}


def test_calibrate_keeps_the_raw_runs_its_table_comes_from(calibrated):
    """The table is written with the raw asv results of its runs beside it
    (``noise/<machine>/results/``), and those alone give it again."""
    repo = calibrated["repo"]
    table = json.loads((repo / "noise" / "cal-test.json").read_text())
    raw = repo / "noise" / "cal-test" / "results"
    kept = sorted(p.name.split("-")[0] for p in (raw / "cal-test").glob("*-*.json"))
    assert kept == sorted(c[:8] for c in table["commits"])   # the failing third run is not
    again = noise.analyze(raw, "cal-test", table["commits"])
    assert _without(again, "created") == _without(table, "created")


@pytest.mark.parametrize("machine", [p.stem for p in sorted((ROOT / "noise").glob("*.json"))])
def test_each_committed_noise_table_comes_from_its_committed_raw_runs(machine):
    """noise/<machine>.json (what asv's graph thresholds and the noise
    figures are made of) derives again from noise/<machine>/results/."""
    path = ROOT / "noise" / f"{machine}.json"
    table = noise_table.Table.load(path)
    raw = ROOT / "noise" / machine / "results"
    assert raw.is_dir(), f"noise/{machine}.json has no raw runs in {raw.relative_to(ROOT)}"
    again = noise.analyze(raw, machine, table.commits)
    # Against the file as committed, not as the Table reads it back.
    assert _without(again, "created") == _without(json.loads(path.read_text()), "created")


@pytest.mark.parametrize("machine",
                         [p.stem for p in sorted((ROOT / "noise" / "gate").glob("*.json"))])
def test_each_committed_gate_table_comes_from_its_committed_raw_runs(machine):
    """noise/gate/<machine>.json's points (what the gate gates) derive again
    from noise/gate/<machine>/results/, each point's kind as the table
    records it.  (The settings are the protocol's of the day it ran; they
    are not derived from the results.)"""
    from gilbench import gate_calibration

    path = ROOT / "noise" / "gate" / f"{machine}.json"
    table = noise_table.Table.load(path)
    raw = ROOT / "noise" / "gate" / machine / "results"
    kinds = {name: row.kind for name, row in table.rows.items()}
    again = gate_calibration.analyze(raw, machine, [tuple(p) for p in table.commits], kinds,
                                     table.loads, table.measured_commit)
    written, again = json.loads(path.read_text()), _without(again)
    for key in ("points", "cpus", "pairs", "commits", "loads", "measured_commit"):
        assert again[key] == written[key], key
