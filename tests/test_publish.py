"""The publish pipeline's regression thresholds, read back from asv's own
output: over eight commits, one point steps up by 7% and another by 20%. On
a machine whose noise table gates both at 1.10, asv's Regressions output
(regressions.json of a real ``asv publish``) reports the 20% step and not the
7% one; on a machine without a table, asv's default 5% reports both."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from asv import util
from asv.benchmarks import Benchmarks
from asv.machine import Machine
from asv.results import Results
from asv.runner import BenchmarkResult

from gilbench import noise, noise_table, publish

ROOT = Path(__file__).resolve().parents[1]
NAME = "bench_x.TrackX.track_x"


def git(*args, cwd):
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=cwd,
                          check=True, capture_output=True, text=True).stdout.strip()


def _results(results_dir, machine, commit, date, values):
    res = Results({"machine": machine, "python": "3.11"}, {}, commit, date, "3.11", "env", {})
    res.add_result({"name": NAME, "version": "1", "params": [["'small'", "'big'"]]},
                   BenchmarkResult(result=values, samples=[None, None], number=[None, None],
                                   errcode=0, stderr="", profile=None))
    res.save(str(results_dir))
    util.write_json(str(results_dir / machine / "machine.json"), {"machine": machine},
                    api_version=Machine.api_version)


@pytest.fixture
def project(tmp_path):
    proj = tmp_path / "proj"
    proj.mkdir()
    shutil.copy(ROOT / "asv.conf.json", proj / "asv.conf.json")
    (proj / "benchmarks").mkdir()
    git("init", "-q", "-b", "main", cwd=proj)
    results_dir = proj / ".asv" / "results"
    for i in range(8):
        (proj / "f.txt").write_text(f"{i}\n")
        git("add", ".", cwd=proj)
        git("commit", "-q", "-m", f"commit {i}", cwd=proj)
        commit = git("rev-parse", "HEAD", cwd=proj)
        date = int(git("log", "-1", "--format=%ct", cwd=proj)) * 1000
        small, big = (1.0, 1.0) if i < 4 else (1.07, 1.20)
        for machine in ("cal", "hosted"):
            _results(results_dir, machine, commit, date, [small, big])
    util.write_json(str(results_dir / "benchmarks.json"),
                    {NAME: {"name": NAME, "type": "track", "unit": "unit",
                            "param_names": ["p"], "params": [["'small'", "'big'"]],
                            "version": "1"}},
                    api_version=Benchmarks.api_version)
    row = {"class": "bench_x.TrackX", "values": [1.0, 1.0], "flags": {}, "range": 1.02,
           "threshold": 1.10, "status": "gated", "reason": "test"}
    nt = noise_table
    table = nt.Table.from_dict({"machine": "cal", "cpus": 2, "commits": ["a", "b"], "pairs": 1,
                                "factors": list(nt.FACTORS), "ladder": list(nt.LADDER),
                                "headroom": nt.HEADROOM, "created": "test",
                                "points": {f"{NAME}('small')": row, f"{NAME}('big')": row}})
    noise.write_table(table, proj / "noise")
    return proj


def _reported(html):
    data = json.loads((html / "regressions.json").read_text())
    return {(e[1].split("/machine-")[1].split("/")[0], e[0]) for e in data["regressions"]}


def test_a_machines_thresholds_reach_asvs_regressions_for_its_graphs_only(project,
                                                                          monkeypatch):
    monkeypatch.setenv("HOME", str(project.parent / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", os.environ.get("XDG_CACHE_HOME",
                                                        str(Path.home() / ".cache")))
    out = publish.publish(project)
    assert set(out.thresholds) == {"cal"}
    reported = _reported(out.html.parent)
    assert ("cal", f"{NAME}('big')") in reported        # 20% > its 10% threshold
    assert ("cal", f"{NAME}('small')") not in reported  # 7% < its 10% threshold
    # The machine without a table keeps asv's default 5%: both steps.
    assert {("hosted", f"{NAME}('big')"), ("hosted", f"{NAME}('small')")} <= reported


def test_thresholds_match_what_asv_matches():
    """``name(params)@branch``, with re.match, as asv's regressions plugin does."""
    row = {"values": [1.0, 1.0], "flags": {}, "range": 1.01, "threshold": 1.10,
           "status": "gated"}
    table = noise_table.Table.from_dict({"points": {f"{NAME}('small')": row,
                                                    "b.T.track_y": row}})
    rules = table.asv_thresholds()
    import re

    def got(entry):
        return max((t for rx, t in rules.items() if re.match(rx, entry)), default=0.05)

    assert got(f"{NAME}('small')@main") == 0.10
    assert got("b.T.track_y@main") == 0.10
    assert got(f"{NAME}('big')@main") == 0.05
    assert got(f"{NAME}('small', 2)@main") == 0.05
