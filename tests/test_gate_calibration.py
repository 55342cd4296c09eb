"""The gate's calibration on its own protocol (``gilbench calibrate --gate``),
for real: two builds of identical code, interleaved rounds, the gate's asv
settings (the ``gate_calibrated`` fixture, smoke sizes), and the rule that
says what the gate can watch on a machine of any size."""

from __future__ import annotations

import ast
import itertools
import json
import re
import subprocess
import sys

import pytest

from benchmarks.bench_c1_gil_held import TrackC1Instructions
from benchmarks.bench_c4_brief_release import TimeC4ReleaseEvery
from benchmarks.harness.threads import usable_cpus
from gilbench import gate_calibration, gate_protocol, noise_table, plan

from helpers import GATE_BENCHES, ROOT, asv


def _table(cal):
    return json.loads((cal["work"] / "noise" / "gate" / "gate-test.json").read_text())


def test_the_table_covers_what_was_asked_on_the_gates_protocol(gate_calibrated):
    table = _table(gate_calibrated)
    assert table["protocol"] == "gate" and table["pairs"] == 1
    assert table["commits"] == [gate_calibrated["pair"]]
    assert table["settings"] == gate_protocol.asv_settings()
    assert table["exact_settings"] == gate_protocol.suite_settings()
    assert "--interleave-rounds" in table["settings"]
    # The code it measured, and what else the machine did beside each pair.
    assert table["measured_commit"] == gate_calibrated["pair"][0]
    (load,) = table["loads"]
    assert (load["base"], load["head"]) == tuple(gate_calibrated["pair"])
    assert load["wall_s"] > 0 and load["others_cpus"] >= 0 and 0 <= load["steal"] <= 1
    # Expected from the two classes' own params (not from gate_protocol.candidates,
    # which the calibration itself uses): every instruction count, and the
    # C4 time at every release interval (it has no size or thread axis).
    assert GATE_BENCHES == "TrackC1Instructions|TimeC4ReleaseEvery"
    wanted = {f"bench_c1_gil_held.TrackC1Instructions.track_c1_instructions({k!r}, {v!r})"
              for k, v in itertools.product(*TrackC1Instructions.params)}
    wanted |= {f"bench_c4_brief_release.TimeC4ReleaseEvery.time_c4_release_every({k!r})"
               for k in TimeC4ReleaseEvery.params[0]}
    assert set(table["points"]) == wanted
    kinds = {row["kind"] for row in table["points"].values()}
    assert kinds == {"exact", "time"}


def test_exact_counts_do_not_move_between_two_builds(gate_calibrated):
    rows = [r for r in _table(gate_calibrated)["points"].values() if r["kind"] == "exact"]
    assert len(rows) == 10
    for row in rows:
        assert row["ratios"] == [1.0] and row["range"] == 1.0
        assert row["status"] == "stable" and row["threshold"] == noise_table.LADDER[0]


def test_every_point_has_a_status_and_a_reason(gate_calibrated):
    for name, row in _table(gate_calibrated)["points"].items():
        assert row["status"] in ("stable", "gated", "noisy"), name
        assert row["reason"]
        if row["status"] != "noisy":
            assert row["range"] <= 1 + noise_table.HEADROOM * (row["threshold"] - 1)
            # and no pair was flagged at its threshold (a lower rung may be)
            assert not row["flags"][f"{row['threshold']:.2f}"]


def test_the_raw_results_are_kept_beside_the_table(gate_calibrated):
    raw = gate_calibrated["work"] / "noise" / "gate" / "gate-test" / "results"
    files = sorted(p.name[:8] for p in (raw / "gate-test").glob("*-*.json"))
    assert files == sorted(c[:8] for c in gate_calibrated["pair"])
    assert (raw / "benchmarks.json").is_file()
    md = (gate_calibrated["work"] / "noise" / "gate" / "gate-test.md").read_text()
    assert "in-sample" in md and "1 A/A pairs" in md
    assert "gate noise table:" in gate_calibrated["stdout"]


def test_reanalyze_reads_the_pairs_without_running(gate_calibrated, tmp_path):
    before = _table(gate_calibrated)
    r = subprocess.run([sys.executable, "-m", "gilbench", "calibrate", "--gate", "--reanalyze",
                        "--machine", "gate-test", "--workdir", str(gate_calibrated["work"]),
                        "--repo", str(gate_calibrated["work"]), "--only", GATE_BENCHES,
                        "--out", str(tmp_path)], env=gate_calibrated["env"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "Running" not in r.stdout      # asv did not run
    after = json.loads((tmp_path / "gate" / "gate-test.json").read_text())
    assert after["points"] == before["points"]


@pytest.mark.parametrize("cpus", [1, 2, 64])
def test_what_the_gate_can_watch_at_any_size(cpus):
    """Every exact count (instructions, and the structure counts of parallel
    code at 1 thread and at all CPUs); the time_ points and ratios at their
    largest size, at 1 thread and at all CPUs, never an erratic point; on a
    64-CPU machine about as many points as on 2."""
    got = gate_protocol.candidates(ROOT, cpus=cpus)
    assert set(got.values()) == {"exact", "time", "ratio"}
    benches = {b["benchmark"]: b for b in plan.discover(ROOT, cpus)}
    structure = {n for n, k in got.items() if "Structure." in n}
    # The parallel claims at the usable CPUs; the single-thread ones (C1, C4)
    # at their one thread.
    for claim in ("C5", "C6", "C7", "C8", "C9"):
        assert any(f"Track{claim}Structure." in n and (f", {cpus})" in n or f"({cpus})" in n)
                   for n in structure), (claim, sorted(structure))
    for claim in ("C1", "C4"):
        assert any(f"Track{claim}Structure." in n for n in structure), claim
    for name, kind in got.items():
        b = benches[name.split("(")[0]]
        if kind == "exact" or not b["param_names"]:
            continue
        values = dict(zip(b["param_names"], ast.literal_eval(f"({name.partition('(')[2][:-1]},)"),
                          strict=True))
        assert noise_table.erratic_reason(name, values, cpus) is None, name
        for pname, v in values.items():
            axis = [ast.literal_eval(x) for x in b["param_reprs"][b["param_names"].index(pname)]]
            if pname == "n":
                assert v == max(axis), name
            elif pname in noise_table.THREAD_PARAMS:
                assert v in (1, cpus), name
    if cpus == 64:
        assert len(got) <= len(gate_protocol.candidates(ROOT, cpus=2)) + 10


def test_the_gate_watches_every_exact_count_asv_discovers(tmp_path):
    """Every exact count point of the suite as asv itself discovers it on
    this machine (``asv run --bench just-discover``, asv's benchmarks.json:
    not gilbench's planner, which gate_protocol.candidates reads), and no other."""
    asv(["machine", "--yes", "--machine", "discover"], tmp_path)
    asv(["run", "-E", "existing", "--bench", "just-discover", "--machine", "discover"],
        tmp_path)
    found = json.loads((tmp_path / "results" / "benchmarks.json").read_text())
    exact = set()
    for name, b in found.items():
        if isinstance(b, dict) and re.search(r"\.Track\w*(Instructions|Structure)\.", name):
            exact |= {f"{name}({', '.join(combo)})" if combo else name
                      for combo in itertools.product(*b["params"])}
    assert exact, sorted(found)
    got = gate_protocol.candidates(ROOT, cpus=usable_cpus())
    assert {n for n, k in got.items() if k == "exact"} == exact


def test_point_regex_selects_exactly_its_points():
    import re

    names = ["a.B.time_x(1, 'q')", "a.B.time_x(10, 'q')", "a.C.time_y"]
    rx = re.compile(gate_protocol.point_regex(names[:1] + names[2:]))
    assert [n for n in names if rx.search(n)] == [names[0], names[2]]


@pytest.mark.parametrize("args, message", [
    (["--gate", "--pairs", "0"], "must be"),
    (["--only", "C1"], "--only needs --gate"),
    (["--gate", "--only", "("], "not a regular expression"),
    (["--gate", "--only", "NoSuchBenchmark", "--workdir", "{tmp}/w"], "matches none"),
    (["--gate", "--max-steal", "-0.1"], "a fraction of the CPU time >= 0"),
    (["--gate", "--max-others", "many"], "expected a number of CPUs"),
])
def test_bad_arguments_exit_2_saying_why(args, message, tmp_path):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    r = subprocess.run([sys.executable, "-m", "gilbench", "calibrate", *args, "--repo",
                        str(ROOT)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 2, r.stdout + r.stderr
    # One line says why (argparse's own errors put its usage above it).
    assert message in r.stderr.strip().splitlines()[-1], r.stderr


def test_analyze_needs_a_pair(tmp_path):
    with pytest.raises(ValueError, match="at least one"):
        gate_calibration.analyze(tmp_path, "m", [], {})


def test_the_gate_sets_rounds_for_times_and_leaves_the_counts_to_the_suite():
    """Times and in-process values run in the gate's rounds (its test's
    unit); the exact counts run with the suite's settings, once."""
    from benchmarks.common import InstructionCounts, StructureCounts

    assert f"rounds={gate_protocol.GATE_ROUNDS}" in gate_protocol.asv_settings()
    assert f"repeat={gate_protocol.GATE_REPEAT}" in gate_protocol.asv_settings()
    assert not any(a.startswith(("rounds=", "repeat=")) for a in gate_protocol.suite_settings())
    assert InstructionCounts.rounds == 1 and StructureCounts.rounds == 1


def test_a_pair_measured_on_a_busy_machine_is_refused(gate_calibrated):
    """A second pair measured while another process spins on a core is
    refused, its load recorded, and with no refusal left the calibration
    stops with one line (exit 2), keeping the quiet pair it had.  (The
    fixture's clone is its own scratch clone; it calibrates a checkout of
    the clone's base commit, on C4's structure counts: two builds and two
    short counting processes, the spinner busy throughout.)"""
    work = gate_calibrated["work"]
    spin = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        r = subprocess.run([sys.executable, "-m", "gilbench", "calibrate", "--gate", "--pairs",
                            "2", "--repo", str(gate_calibrated["checkout"]), "--workdir",
                            str(work), "--machine",
                            "gate-test", "--only", "TrackC4Structure", "--max-others", "0.3",
                            "--max-steal", "inf", "--refusals", "1", "--out",
                            str(work / "busy-out"), "--", "--quick"],
                           cwd=work, env=gate_calibrated["env"], capture_output=True, text=True,
                           timeout=1200)
    finally:
        spin.kill()
        spin.wait()
    assert r.returncode == 2, r.stdout[-3000:] + r.stderr[-3000:]
    assert "the machine was busy during 1 calibration pairs" in r.stderr.strip().splitlines()[-1]
    loads = json.loads((work / gate_calibration.LOADS).read_text())
    assert [x["busy"] for x in loads] == [False, True]
    assert loads[1]["others_cpus"] > 0.3
    assert (loads[0]["base"], loads[0]["head"]) == tuple(gate_calibrated["pair"])
    assert not (work / "busy-out").exists()


def test_the_time_budget_keeps_each_benchmark_at_one_thread_and_at_more():
    """Over budget, the gate keeps the tightest point of each benchmark at 1
    thread and at more threads before any second point of one, then the
    tightest of the rest; exact counts are not timed points, and a value
    asv keeps one round of (a ratio timed in one process) is not gated."""
    def row(threshold, status="gated"):
        return {"status": status, "threshold": threshold, "range": 1.0, "kind": "time"}

    a, b, e = "m.TimeA.time_a", "m.TimeB.time_b", "m.TrackXInstructions.track_x"
    r = "m.TrackRatio.track_r"
    table = noise_table.Table.from_dict({"points": {
        f"{a}(1)": row(1.25), f"{a}(2)": row(3.0), f"{a}(4)": row(1.5),
        f"{b}(1)": row(5.0), f"{b}(8)": row(2.0, "noisy"), f"{e}('k')": row(1.02, "stable"),
        f"{r}(1)": dict(row(1.02, "stable"), kind="ratio")}})
    threads = {f"{a}(1)": 1, f"{a}(2)": 2, f"{a}(4)": 4, f"{b}(1)": 1, f"{b}(8)": 8}
    watched = gate_protocol.watched_timed
    assert watched(table, threads, budget=3) == {f"{a}(1)", f"{a}(4)", f"{b}(1)"}
    assert watched(table, threads, budget=2) == {f"{a}(1)", f"{a}(4)"}
    assert watched(table, threads) == {f"{a}(1)", f"{a}(2)", f"{a}(4)", f"{b}(1)"}
    assert gate_protocol.watched_timed(None, threads) == set()
