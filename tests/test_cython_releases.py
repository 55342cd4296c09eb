"""Several Cython releases: the list a user gives, the asv config that
measures each, the names of releases that do not exist, and the report that
sets the releases of one machine side by side.

The report tests write asv result files with asv's own API, one per release
(as asv's matrix writes them), and read them back through gilbench.results.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_claims import changed, healthy, write_results

from gilbench import _asv, claims, cython_releases, report, results
from gilbench.claims import FAILS, HOLDS, NOT_MEASURED
from gilbench.harness import release_numbers

from helpers import FT_MACHINE, UNBUILDABLE_CYTHON

ROOT = Path(__file__).resolve().parents[1]


# --- the list ----------------------------------------------------------------------

def test_parse_keeps_order_and_drops_repeats_and_blanks():
    assert cython_releases.parse("3.1.8, 3.3.1,,3.1.8 ") == ["3.1.8", "3.3.1"]
    assert cython_releases.parse("") == [] and cython_releases.parse(None) == []
    assert cython_releases.parse("3.3.0rc1") == ["3.3.0rc1"]


@pytest.mark.parametrize("bad", ["latest", "3.1.8;rm -rf /", "3.x", ">=3.1", "3.1.8 3.3.1"])
def test_parse_names_an_entry_that_is_not_a_release(bad):
    with pytest.raises(ValueError, match="GILBENCH_CYTHON: .* is not a Cython release number"):
        cython_releases.parse(f"3.3.1,{bad}")


@given(st.integers(0, 99), st.integers(0, 99), st.integers(0, 99))
def test_release_numbers_round_trip(major, minor, patch):
    text = f"{major}.{minor}.{patch}"
    number = release_numbers.release_number(text)
    if number == 0:
        assert release_numbers.release_text(number) is None
    else:
        assert release_numbers.release_text(number) == text
    assert release_numbers.release_text(math.nan) is None
    assert release_numbers.release_text("x") is None


def test_releases_sort_in_release_order():
    got = sorted(["3.10.0", "3.3.1", None, "3.1.8"], key=release_numbers.sort_key)
    assert got == ["3.1.8", "3.3.1", "3.10.0", None]


# --- the config --------------------------------------------------------------------

def test_matrix_config_puts_each_release_in_asvs_environment(tmp_path):
    path = cython_releases.matrix_config(ROOT, ["3.1.8", "3.3.1"], tmp_path / "conf.json")
    conf = json.loads(path.read_text())
    assert conf["matrix"]["req"]["Cython"] == ["3.1.8", "3.3.1"]
    # the project's own matrix entries are kept
    assert set(conf["matrix"]["req"]) >= {"build", "virtualenv"}
    install, *build = conf["build_command"]
    # every build requirement of pyproject but Cython, then a build without
    # isolation that uses the environment's Cython
    assert "meson-python>=0.16" in install and "numpy>=2.0" in install
    assert not [w for w in install.split() if "cython" in w.lower()]
    assert "build_commit.py" in build[-1] and "{build_cache_dir}" in build[-1]
    # the project's own build, its script named in this checkout
    assert build == [c.replace("{conf_dir}", str(ROOT))
                     for c in _asv.config(ROOT)["build_command"][1:]]
    for key in ("repo", "benchmark_dir", "env_dir", "results_dir", "html_dir"):
        assert Path(conf[key]).is_absolute(), key
    assert Path(conf["results_dir"]) == ROOT / ".asv" / "results"
    with pytest.raises(ValueError, match="no Cython release"):
        cython_releases.matrix_config(ROOT, [], tmp_path / "none.json")


def test_pip_names_a_release_that_does_not_exist():
    """Asked of the real pip and index: 3.1.8 exists, 9.9.9 does not."""
    got = cython_releases.unknown(["3.1.8", "9.9.9"])
    assert list(got) == ["9.9.9"]
    assert "9.9.9" in got["9.9.9"]


def _gilbench(*args, env=None):
    return subprocess.run([sys.executable, "-m", "gilbench", *args], capture_output=True,
                          text=True, env=env, timeout=600)


def test_bench_refuses_a_bad_list_in_one_line(tmp_path):
    r = _gilbench("bench", "--cython", "3.3.1,latest", "--repo", str(tmp_path))
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "'latest' is not a Cython release number" in r.stderr


def test_bench_with_no_known_release_names_them_and_runs_nothing(tmp_path):
    repo = tmp_path / "repo"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(repo)], check=True)
    r = _gilbench("bench", "--cython", "9.9.8,9.9.9", "--machine", "t", "--repo", str(repo))
    assert r.returncode == 2
    assert "Cython 9.9.8: pip cannot install it" in r.stderr
    assert "no Cython release left to measure" in r.stderr and "9.9.9" in r.stderr
    assert not list((repo / ".asv" / "results").glob("t/*-*.json"))


# --- the report, per release -------------------------------------------------------

def _two_releases(tmp_path):
    """vm measured with Cython 3.1.8 (the kept-GIL kernels skipped, as that
    build skips them) and with 3.3.1 (C1 fails there)."""
    def old(name, p, cpus):
        if name.startswith("bench_c5_prange_keeps_gil.") and (
                "KeptGilGain" in name or p.get("way") == "kept"):
            return math.nan
        return healthy(name, p, cpus)

    write_results(tmp_path, "vm", 2, value=old, cython="3.1.8")
    write_results(tmp_path, "vm", 2, cython="3.3.1", value=changed(
        "TrackC1RatioToGILHeld",
        lambda p, c: 2.0 if p["variant"] in ("nogil", "noexcept") else ...))
    return results.load(tmp_path)


def test_each_release_is_its_own_run(tmp_path):
    runs = _two_releases(tmp_path)
    assert [(r.machine, r.cython) for r in runs] == [("vm", "3.1.8"), ("vm", "3.3.1")]
    assert [r.label for r in runs] == ["vm, Cython 3.1.8", "vm, Cython 3.3.1"]
    assert all(r.cython_source == "recorded by the run" for r in runs)
    assert results.load_commit(tmp_path, "vm", "a" * 40, cython="3.1.8").cython == "3.1.8"
    with pytest.raises(ValueError, match="built with Cython 3.2.0"):
        results.load_commit(tmp_path, "vm", "a" * 40, cython="3.2.0")


def test_release_comes_from_asvs_environment_when_the_run_did_not_record_it(tmp_path):
    write_results(tmp_path, "vm", 2, cython="3.2.9", recorded=False)
    (run,) = results.load(tmp_path)
    assert run.cython == "3.2.9" and run.cython_source == "asv's environment (matrix)"


def test_c5b_is_not_measured_before_cython_33_and_judged_after(tmp_path):
    old, new = _two_releases(tmp_path)
    v_old = {v.claim: v for v in claims.verdicts(old)}["C5b"]
    v_new = {v.claim: v for v in claims.verdicts(new)}["C5b"]
    assert v_old.status == NOT_MEASURED and "built with Cython 3.1.8" in v_old.summary
    # the acquisition at a section's top is built on every release: still shown
    assert any("section" in k for k in v_old.evidence)
    assert v_new.status == HOLDS, v_new
    assert v_new.evidence["with-gil prange / kept-GIL prange, 2 thread(s)"] == 7.0


def test_the_report_sets_releases_side_by_side(tmp_path):
    runs = _two_releases(tmp_path)
    (m,) = report.release_changes(runs)
    assert m["machine"] == "vm" and m["releases"] == ["3.1.8", "3.3.1"]
    by = {c["claim"]: c for c in m["claims"]}
    assert by["C1"]["changed"] and by["C1"]["verdicts"] == [HOLDS, FAILS]
    assert by["C5b"]["changed"] and by["C5b"]["verdicts"] == [NOT_MEASURED, HOLDS]
    assert not by["C2"]["changed"]
    moved = {v["value"]: v for v in by["C1"]["values"]}
    assert any(v["newest_over_oldest"] != pytest.approx(1.0) for v in moved.values())
    unmoved = [v for v in by["C2"]["values"]]
    assert unmoved and all(v["newest_over_oldest"] == pytest.approx(1.0) for v in unmoved)
    # one run of each release: no run-to-run spread to call a move by
    assert all(v["moved"] == report.ONE_RUN for c in by.values() for v in c["values"]
               if v["newest_over_oldest"] is not None)

    text = report.to_text(runs)
    assert "Between Cython releases on vm: 3.1.8 -> 3.3.1" in text
    assert "verdicts changed: C1, C5b" in text
    md = report.to_markdown(runs)
    assert md.splitlines()[0].startswith("| claim | vm, Cython 3.1.8 (2 CPUs) | vm, Cython 3.3.1")
    assert "| C1 | holds | FAILS | **yes** |" in md
    data = json.loads(report.to_json(runs))
    assert [(m["machine"], m["cython"]) for m in data["machines"]] == [
        ("vm", "3.1.8"), ("vm", "3.3.1")]
    for entry in data["machines"]:
        assert all(v["machine"] == "vm" and v["cython"] == entry["cython"]
                   for v in entry["verdicts"])
    assert data["between_releases"][0]["releases"] == ["3.1.8", "3.3.1"]
    page = report.write_html(runs, tmp_path / "page").read_text()
    assert "Between Cython releases on vm" in page
    assert "<th>Cython 3.1.8</th><th>Cython 3.3.1</th>" in page


def test_one_release_per_machine_has_no_side_by_side(tmp_path):
    write_results(tmp_path, "a", 2, cython="3.3.1")
    write_results(tmp_path, "b", 2, cython="3.1.8")
    runs = results.load(tmp_path)
    assert report.release_changes(runs) == []
    assert "Between Cython releases" not in report.to_text(runs)


# --- for real: asv's matrix, two releases, one that cannot build ----------------------

def test_a_matrix_run_measures_each_release_and_names_the_one_that_cannot_build(ft_run):
    """The free-threaded run (tests/conftest.py, ``ft_run``) asks for two
    Cython releases, with the real asv and pip: 3.0.12 is older than the
    build requires, so its build fails and is named (exit 2); the other
    release is still built (without isolation, in its own asv environment)
    and measured, and its results are filed under it and read back as its
    run."""
    from gilbench.kernels import CYTHON_VERSION

    r = ft_run["run"]
    assert r.returncode == 2, r.stdout[-3000:] + r.stderr[-3000:]
    assert f"Cython {UNBUILDABLE_CYTHON}: nothing was measured with it" in r.stderr, r.stderr
    assert f"Cython {CYTHON_VERSION}:" not in r.stderr
    # asv's own words for the failed build, in its output
    assert "Cython>=3.1" in r.stdout and UNBUILDABLE_CYTHON in r.stdout
    res = ft_run["repo"] / ".asv" / "results"
    files = sorted(p.name for p in (res / FT_MACHINE).glob("*-*.json"))
    assert any(f"Cython{CYTHON_VERSION}" in f for f in files), files
    runs = results.load(res)
    measured = [run for run in runs if run.cython == CYTHON_VERSION]
    assert measured and measured[0].label.startswith(f"{FT_MACHINE}, Python ")
    assert measured[0].label.endswith(f", Cython {CYTHON_VERSION}")
    assert measured[0].cython_source == "recorded by the run"
    point = measured[0].point(results.CYTHON_BENCHMARK)
    assert point.ok and point.value == release_numbers.release_number(CYTHON_VERSION)


def test_a_release_is_named_unmeasured_only_when_it_measured_nothing_in_the_run(tmp_path):
    """asv's own options (--steps, --skip-existing) may leave commits of a
    range unmeasured: a release measured at one of them built fine."""
    write_results(tmp_path, "vm", 2, cython="3.3.1", commit="a" * 40)
    write_results(tmp_path, "vm", 2, cython="3.1.8", commit="b" * 40, recorded=False,
                  value=lambda name, p, cpus: None)   # its build failed: every point failed
    got = cython_releases.unmeasured(tmp_path, "vm", ["a" * 40, "b" * 40], ["3.1.8", "3.3.1"])
    assert list(got) == ["3.1.8"] and "2 commit(s)" in got["3.1.8"]
    assert list(cython_releases.unmeasured(tmp_path, "nowhere", ["a" * 40], ["3.3.1"])) == [
        "3.3.1"]
