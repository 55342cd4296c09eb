"""The runtime record (benchmarks/harness/runtime.py) and its reading back.

* The record is read in a real process with the real libgomp, OpenBLAS and
  threadpoolctl: what the environment sets is seen by the OpenMP runtime's
  own query functions (checked against the OpenMP specification's values,
  not against the record's parser), under ``taskset`` the topology items
  follow the mask, and a package that sets a variable or pins BLAS when it
  is imported is seen as such.
* The caller's variables are cleared for asv unless ``GILBENCH_KEEP_RUNTIME=1``
  keeps them, and a kept run is filed under a machine name that says them.
* The report names what differs between runs and where a record changed;
  the gate fails a HEAD whose import changes a setting and cannot judge when
  the machine changed between the sides.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.harness import runtime
from benchmarks.harness.threads import usable_cpus
from gilbench import _asv, gate, report, runtime_record
from gilbench.results import RUNTIME_BENCHMARK, Point, Run

from helpers import requires_openmp

ROOT = Path(__file__).resolve().parents[1]

#: A process that imports the suite as asv does (the package ``benchmarks``
#: first, then a module that imports the package under test) and prints its
#: record as JSON.  ``PRELUDE`` runs between the two: what a package could do
#: when it is imported.
READ = """
import json, os, sys
import benchmarks
{prelude}
from benchmarks import common
from benchmarks.harness import runtime
print(json.dumps(runtime.record()))
"""


def record_in_process(env=None, prelude="", taskset=None) -> dict:
    base = {k: v for k, v in os.environ.items() if not runtime.controlled(k)}
    cmd = [sys.executable, "-c", READ.format(prelude=prelude)]
    if taskset is not None:
        cmd = ["taskset", "-c", taskset, *cmd]
    r = subprocess.run(cmd, cwd=ROOT, env={**base, **(env or {})}, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def default_record():
    return record_in_process()


def test_every_item_has_a_value_or_says_why_not(default_record):
    assert set(default_record) == {n for n, i in runtime.ITEMS.items() if i.group != "load"}
    for name, value in default_record.items():
        assert isinstance(value, float | str), name
        if isinstance(value, str):
            assert value, f"{name}: skipped without a reason"
    assert default_record["cpus usable"] == usable_cpus()
    assert default_record["cpus online"] == os.cpu_count()
    for var in runtime.VARIABLES:
        assert default_record[f"env {var}"] == runtime.UNSET
    assert default_record["env set at import"] == 0
    assert runtime.settings_text(default_record) == ""


def test_the_versions_are_those_installed(default_record):
    import numpy
    import scipy

    assert runtime.describe("numpy", default_record["numpy"]) == \
        ".".join(numpy.__version__.split(".")[:3])
    assert runtime.describe("scipy", default_record["scipy"]) == \
        ".".join(scipy.__version__.split(".")[:3])


def test_the_blas_pools_are_threadpoolctls(default_record):
    import scipy.linalg  # noqa: F401  (the suite loads SciPy's OpenBLAS too)
    from threadpoolctl import threadpool_info

    blas = [p for p in threadpool_info() if p["user_api"] == "blas"]
    assert default_record["blas libraries"] == len(blas)
    versions = sorted(runtime.describe(f"blas{i} version", default_record[f"blas{i} version"])
                      for i in range(1, len(blas) + 1))
    assert versions == sorted(".".join(p["version"].split(".")[:3]) for p in blas)


@requires_openmp
@pytest.mark.parametrize("env, item, expected", [
    # The values the OpenMP specification gives the runtime's answers.
    ({"OMP_DYNAMIC": "true"}, "openmp dynamic", 1.0),
    ({"OMP_THREAD_LIMIT": "3"}, "openmp thread limit", 3.0),
    ({"OMP_PROC_BIND": "spread"}, "openmp proc bind", 4.0),   # omp_proc_bind_spread
    ({"OMP_MAX_ACTIVE_LEVELS": "2"}, "openmp max active levels", 2.0),
    ({"OMP_NUM_THREADS": "5"}, "openmp max threads", 5.0),
    ({"OMP_PLACES": "{0},{0}"}, "openmp places", 2.0),
    # libgomp's own display: PASSIVE means no spinning at all.
    ({"OMP_WAIT_POLICY": "PASSIVE"}, "openmp spin count", 0.0),
    ({"GOMP_SPINCOUNT": "12345"}, "openmp spin count", 12345.0),
])
def test_the_openmp_runtime_says_what_the_environment_set(env, item, expected, default_record):
    rec = record_in_process(env)
    assert rec[item] == expected
    assert default_record[item] != expected
    var = next(iter(env))
    assert rec[f"env {var}"] != runtime.UNSET
    assert var in runtime.settings_text(rec)


@pytest.mark.skipif(not shutil.which("taskset"), reason="taskset is not installed")
def test_under_an_affinity_mask_the_topology_follows_it(default_record):
    rec = record_in_process(taskset="0")
    assert rec["cpus usable"] == 1
    assert rec["cores usable"] == 1
    if isinstance(rec["llc shared by"], float):
        assert rec["llc shared by"] == 1
    assert rec["cpus online"] == default_record["cpus online"]


def test_a_package_that_sets_a_variable_at_import_is_seen(default_record):
    rec = record_in_process(prelude="os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')")
    assert rec["env OMP_WAIT_POLICY"] == runtime.VOCABULARIES["OMP_WAIT_POLICY"].index("passive")
    assert rec["env set at import"] == 1
    diffs = runtime.differences(default_record, rec)
    assert {d.item for d in diffs} >= {"env OMP_WAIT_POLICY", "env set at import"}
    assert all(d.group == "import" for d in diffs)


@pytest.mark.skipif(usable_cpus() < 2, reason="one CPU: OpenBLAS starts at one thread anyway")
def test_a_package_that_pins_blas_at_import_is_seen(default_record):
    rec = record_in_process(prelude="import threadpoolctl, scipy.linalg; "
                                    "threadpoolctl.threadpool_limits(1, user_api='blas')")
    assert rec["blas1 threads"] == 1
    assert default_record["blas1 threads"] > 1
    assert "blas1 threads" in {d.item for d in runtime.differences(default_record, rec)}


def test_the_caller_variables_are_cleared_unless_kept():
    caller = {"PATH": "/bin", "OMP_WAIT_POLICY": "PASSIVE", "OPENBLAS_VERBOSE": "2",
              "KMP_DUPLICATE_LIB_OK": "True", "GILBENCH_SMOKE": "1"}
    env, found, kept = runtime.controlled_environ(caller)
    assert not kept
    assert found == {"OMP_WAIT_POLICY": "PASSIVE", "OPENBLAS_VERBOSE": "2"}
    assert env == {"PATH": "/bin", "KMP_DUPLICATE_LIB_OK": "True", "GILBENCH_SMOKE": "1"}
    env, found, kept = runtime.controlled_environ({**caller, runtime.KEEP: "1"})
    assert kept and env["OMP_WAIT_POLICY"] == "PASSIVE"
    with pytest.raises(ValueError, match="GILBENCH_KEEP_RUNTIME"):
        runtime.controlled_environ({runtime.KEEP: "maybe"})
    assert runtime.machine_suffix({"OMP_PLACES": "{0}/1"}) == "+OMP_PLACES=_0__1"


def test_asv_gets_the_cleared_environment_and_a_kept_run_another_machine(tmp_path, capsys):
    env = _asv.benchmark_environ({"PATH": os.environ["PATH"], "OMP_WAIT_POLICY": "PASSIVE"})
    assert "OMP_WAIT_POLICY" not in env
    assert "cleared OMP_WAIT_POLICY=PASSIVE" in capsys.readouterr().err
    # The name asv files a kept run under (asv machine, for real, in a
    # scratch HOME).
    home = dict(os.environ, HOME=str(tmp_path), OMP_WAIT_POLICY="PASSIVE",
                GILBENCH_KEEP_RUNTIME="1")
    repo = tmp_path / "repo"
    shutil.copytree(ROOT, repo, ignore=shutil.ignore_patterns(".asv", ".nox", ".git", "docs",
                                                               "noise"))
    assert _asv.machine(repo, "box", env=home) == "box+OMP_WAIT_POLICY=PASSIVE"
    machine = json.loads((tmp_path / ".asv-machine.json").read_text())
    assert "box+OMP_WAIT_POLICY=PASSIVE" in machine


def _run(machine, commit, values, date=1):
    points = {}
    for item, v in values.items():
        name = f"{RUNTIME_BENCHMARK}({item!r})"
        points[name] = Point(name, RUNTIME_BENCHMARK, {"item": item}, v,
                             "ok" if v is not None else "skipped")
    return Run(machine, commit, date, {"cpu": "test CPU"}, points=points)


def _base_record():
    rec = {n: 0.0 for n, i in runtime.ITEMS.items() if i.group != "load"}
    rec.update({f"env {v}": runtime.UNSET for v in runtime.VARIABLES})
    rec.update({"cpus usable": 2.0, "cores usable": 2.0, "smt siblings": 1.0,
                "openmp spin count": 300000.0, "numpy": 20406.0})
    return rec


def test_the_report_names_what_differs_and_where_a_record_changed(tmp_path):
    rec = _base_record()
    passive = dict(rec, **{"env OMP_WAIT_POLICY": 1.0, "openmp spin count": 0.0})
    smt = dict(rec, **{"cores usable": 1.0, "smt siblings": 2.0})
    a, b = _run("vm", "a" * 40, rec), _run("laptop", "b" * 40, smt)
    upgraded = _run("vm", "c" * 40, dict(rec, numpy=20500.0), date=2)
    upgraded.earlier = [a]
    kept = _run("vm+OMP_WAIT_POLICY=PASSIVE", "d" * 40, passive)
    assert kept.label == "vm+OMP_WAIT_POLICY=PASSIVE"   # the name says it already
    assert _run("vm", "d" * 40, passive).label == "vm (under OMP_WAIT_POLICY=passive)"
    text = report.to_text([upgraded, b, kept])
    assert "cores usable: 2 | 1 | 2" in text
    assert "smt siblings: 1 | 2 | 1" in text
    assert "openmp spin count: 300000 | 300000 | 0" in text
    assert "runtime record changed at cccccccc (since aaaaaaaa): numpy: 2.4.6 -> 2.5.0" in text
    assert [c["differences"] for c in runtime_record.changes(upgraded)] == \
        [["numpy: 2.4.6 -> 2.5.0"]]
    page = report.write_html([upgraded, b, kept], tmp_path).read_text()
    assert "<section id='runtime'>" in page
    assert "Items that differ between these runs: <b>env OMP_WAIT_POLICY, openmp spin count, " \
           "numpy, cores usable, smt siblings</b>" in page
    data = json.loads(report.to_json([kept]))
    assert data["machines"][0]["runtime"]["openmp spin count"]["text"] == "0"


def test_the_gate_fails_a_setting_changed_at_import_and_cannot_judge_a_changed_machine():
    rec = _base_record()
    base = _run("vm", "a" * 40, rec)
    out = gate.Gate(base="a" * 40, head="b" * 40, machine="vm", table_note=None)
    gate.compare_runtime(base, _run("vm", "b" * 40, dict(rec, **{"env OMP_PROC_BIND": 4.0})), out)
    assert [d.item for d in out.runtime_changes] == ["env OMP_PROC_BIND"]
    assert not out.passed
    assert "| env OMP_PROC_BIND | unset | spread |" in gate.to_markdown(out)
    assert gate.as_dict(out)["runtime_changes"] == [
        {"item": "env OMP_PROC_BIND", "base": "unset", "head": "spread"}]
    out = gate.Gate(base="a" * 40, head="b" * 40, machine="vm", table_note=None)
    gate.compare_runtime(base, _run("vm", "b" * 40, dict(rec, numpy=20500.0,
                                                         **{"load steal": 0.5})), out)
    assert out.passed and any("numpy: 2.4.6 -> 2.5.0" in n for n in out.notes)
    # A binding set at import narrows the process's CPUs: HEAD's doing.
    out = gate.Gate(base="a" * 40, head="b" * 40, machine="vm", table_note=None)
    gate.compare_runtime(base, _run("vm", "b" * 40, dict(rec, **{"env OMP_PROC_BIND": 3.0,
                                                                 "cpus usable": 1.0})), out)
    assert [d.item for d in out.runtime_changes] == ["env OMP_PROC_BIND", "cpus usable"]
    with pytest.raises(ValueError, match="the machine changed .*cpus usable: 2 -> 1"):
        gate.compare_runtime(base, _run("vm", "b" * 40, dict(rec, **{"cpus usable": 1.0})),
                             gate.Gate(base="a", head="b", machine="vm", table_note=None))


def test_a_subset_run_still_carries_the_record():
    assert _asv.with_record(["HEAD^!"]) == ["HEAD^!"]          # no -b: asv runs everything
    args = _asv.with_record(["HEAD^!", "-b", "C7"])
    assert args == ["HEAD^!", "-b", "C7", "-b", _asv.RECORD_REGEX]
    import re

    assert re.search(_asv.RECORD_REGEX, f"{RUNTIME_BENCHMARK}('env OMP_WAIT_POLICY')")
    assert re.search(_asv.RECORD_REGEX, "bench_machine.TrackMachine.track_usable_cpus")
    assert not re.search(_asv.RECORD_REGEX, "bench_c7_prange_overhead.TimeC7Sizes.time_x")


def test_the_claims_page_sets_two_topologies_side_by_side_in_a_real_browser(tmp_path):
    from chromium import ARTIFACTS, chromium, dump_dom, screenshot

    chromium()
    rec = _base_record()
    two_cores = _run("vm", "a" * 40, rec)
    one_core = _run("laptop", "b" * 40, dict(rec, **{"cpus usable": 2.0, "cores usable": 1.0,
                                                     "smt siblings": 2.0}))
    page = report.write_html([two_cores, one_core], tmp_path / "page")
    dom = dump_dom(page.as_uri(), tmp_path / "chrome")
    assert "<h2>Runtime record</h2>" in dom
    assert '<tr class="differs"><td>cores usable</td><td>machine</td><td>2</td><td>1</td></tr>' \
        in dom
    assert '<tr class="differs"><td>smt siblings</td>' in dom
    assert '<tr class=""><td>numpy</td><td>build</td><td>2.4.6</td><td>2.4.6</td></tr>' in dom
    screenshot(page.as_uri(), ARTIFACTS / "claims_page_runtime.png", tmp_path / "chrome",
               size=(1280, 6000))
