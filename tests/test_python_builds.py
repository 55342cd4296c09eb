"""The Python-build axis, without running asv: ``GILBENCH_PYTHON`` parsed and
resolved to interpreters asv can find (refused when an entry names nothing,
or names another build than the interpreter is); results of several builds
read apart and labelled; a run whose GIL came back named and judged as a GIL
run; the claims whose premise is the GIL set apart on a run without it;
C5b's efficiency half judged only there; the two builds side by side."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from test_claims import healthy, write_results

from gilbench import claims, python_builds, report, results
from gilbench.claims import FAILS, HOLDS, NO_GIL


def test_parse_keeps_order_drops_repeats_and_names_a_bad_entry():
    assert python_builds.parse(" 3.11, 3.13t,,3.11") == ["3.11", "3.13t"]
    assert python_builds.parse(None) == [] and python_builds.parse("") == []
    assert python_builds.parse("/opt/py/bin/python3.13t") == ["/opt/py/bin/python3.13t"]
    for bad in ("3", "py3.13", "3.13tt", "latest"):
        with pytest.raises(ValueError, match=f"{bad!r} is neither"):
            python_builds.parse(f"3.11,{bad}")


def test_the_running_interpreter_resolves_by_path_and_by_version(tmp_path):
    me = f"{sys.version_info.major}.{sys.version_info.minor}"
    build = python_builds.build_of(sys.executable)
    assert build in (me, me + "t")
    ((name, path, linked),) = python_builds.resolve([sys.executable])
    assert (name, linked) == (build, True) and os.path.samefile(path, sys.executable)
    env = python_builds.path_env(tmp_path, [(name, path, linked)], env={"PATH": "/usr/bin"})
    link = tmp_path / ".asv" / "pythons" / f"python{name}"
    assert env["PATH"].split(os.pathsep)[0] == str(link.parent)
    out = subprocess.run([str(link), "-c", "import sys; print(sys.prefix)"],
                         capture_output=True, text=True, check=True).stdout.strip()
    # The link runs the interpreter itself (a virtualenv's python resolved to
    # its base: asv makes its own virtualenv from it).
    assert out == sys.base_prefix


def test_an_entry_that_names_no_interpreter_or_another_build_is_refused(tmp_path):
    with pytest.raises(ValueError, match="no Python 3.99 found"):
        python_builds.resolve(["3.99"])
    with pytest.raises(ValueError, match="free-threaded-python"):
        python_builds.resolve(["3.99t"])
    with pytest.raises(ValueError, match="not a Python interpreter that runs"):
        python_builds.resolve([str(tmp_path / "nothing")])
    with pytest.raises(ValueError, match="named twice"):
        python_builds.resolve([sys.executable, sys.executable])
    if python_builds.build_of(sys.executable).endswith("t"):
        return
    # A GIL interpreter linked under a free-threaded name is not taken for one.
    fake = tmp_path / "bin" / "python3.9t"
    fake.parent.mkdir()
    fake.symlink_to(sys.executable)
    old = os.environ["PATH"]
    try:
        os.environ["PATH"] = os.pathsep.join([str(fake.parent), old])
        with pytest.raises(ValueError, match="no Python 3.9t found"):
            python_builds.resolve(["3.9t"])
    finally:
        os.environ["PATH"] = old


def test_the_config_lists_the_builds_on_top_of_a_cython_matrix(tmp_path):
    from gilbench import cython_releases

    from helpers import ROOT

    base = cython_releases.matrix_config(ROOT, ["3.1.8", "3.3.1"], path=tmp_path / "m.json")
    path = python_builds.config(ROOT, ["3.11", "3.13t"], base=base, path=tmp_path / "p.json")
    conf = json.loads(path.read_text())
    assert conf["pythons"] == ["3.11", "3.13t"]
    assert conf["matrix"]["req"]["Cython"] == ["3.1.8", "3.3.1"]   # the axes combine
    assert conf["results_dir"] == str((ROOT / ".asv" / "results").resolve())
    with pytest.raises(ValueError):
        python_builds.config(ROOT, [], path=tmp_path / "q.json")


def without_gil(gil_enabled=0.0, kept_efficiency=0.9):
    """``healthy`` as a free-threaded build records it: GIL state
    ``gil_enabled`` and the kept-GIL prange at ``kept_efficiency``."""
    def value(name, p, cpus):
        if name.endswith("track_free_threaded_build"):
            return 1.0
        if name.endswith("track_gil_enabled"):
            return gil_enabled
        if name.endswith("track_c5_python_efficiency") and p["way"] == "kept":
            return kept_efficiency
        return healthy(name, p, cpus)
    return value


def kept_at(efficiency, value=healthy):
    """``value`` with the kept-GIL prange at ``efficiency``."""
    def out(name, p, cpus):
        if name.endswith("track_c5_python_efficiency") and p["way"] == "kept":
            return efficiency
        return value(name, p, cpus)
    return out


def _commits(tmp_path, gil_side, ft_side):
    """One commit per pair of kept-GIL efficiencies (GIL build, without the
    GIL), the last the newest; the runs of the newest with the others as
    their earlier runs."""
    for i, (on, off) in enumerate(zip(gil_side, ft_side, strict=True)):
        commit, date = f"{i + 1:x}" * 40, 1_700_000_000_000 + i * 86_400_000
        write_results(tmp_path, "m", 2, python="3.11", value=kept_at(on), commit=commit,
                      date=date)
        write_results(tmp_path, "m", 2, python="3.13t", value=kept_at(off, without_gil()),
                      commit=commit, date=date)
    return results.load(tmp_path, earlier=report.EARLIER)


def _kept(runs):
    (m,) = report.gil_changes(runs)
    c5b = next(c for c in m["claims"] if c["claim"] == "C5b")
    return next(v for v in c5b["values"] if v["value"] == "kept: parallel efficiency at 2 threads")


def test_a_value_moved_when_the_builds_runs_do_not_overlap(tmp_path):
    gil, ft = runs = _commits(tmp_path, [0.44, 0.40, 0.46], [0.88, 0.93, 0.90])
    assert [r.commit[0] for r in gil.earlier] == ["2", "1"]       # newest first
    assert [r.python for r in ft.earlier] == ["3.13t", "3.13t"]
    kept = _kept(runs)
    assert kept["per_release"] == [0.46, 0.90]                     # the newest run's
    assert kept["spread"] == [[0.40, 0.46, 3], [0.88, 0.93, 3]]
    assert kept["moved"] == report.MOVED
    md = report.to_markdown(runs)
    assert "0.46 (0.4-0.46 over 3 runs)" in md and "moved" in md
    page = report.write_html(runs, tmp_path / "html").read_text()
    assert "over 3 runs" in page and "<i>moved</i>" in page


def test_a_value_within_the_runs_spread_has_not_moved(tmp_path):
    kept = _kept(_commits(tmp_path, [0.92, 0.45], [0.88, 0.90]))
    assert kept["spread"] == [[0.45, 0.92, 2], [0.88, 0.90, 2]]
    assert kept["moved"] == report.WITHIN


def test_earlier_must_be_a_count(tmp_path):
    write_results(tmp_path, "m", 2)
    for bad in (-1, True, 1.5):
        with pytest.raises(ValueError, match="earlier must be an integer"):
            results.load(tmp_path, earlier=bad)
    (run,) = results.load(tmp_path, earlier=3)
    assert run.earlier == []


def _runs(tmp_path, **kw):
    write_results(tmp_path, "m", 2, python="3.11")
    write_results(tmp_path, "m", 2, python="3.13t", value=without_gil(**kw))
    return results.load(tmp_path)


def test_two_builds_are_two_runs_labelled_by_build(tmp_path):
    gil, ft = _runs(tmp_path)
    assert (gil.python, ft.python) == ("3.11", "3.13t")
    assert (gil.label, ft.label) == ("m, Python 3.11, Cython 3.3.1",
                                     "m, Python 3.13t, Cython 3.3.1")
    assert (gil.free_threaded, ft.free_threaded) == (False, True)
    assert (gil.without_gil, ft.without_gil) == (False, True)
    assert results.measured_pythons(tmp_path, "m") == {"a" * 40: {"3.11", "3.13t"}}


def test_one_build_keeps_the_label_it_had(tmp_path):
    write_results(tmp_path, "m", 2)
    (run,) = results.load(tmp_path)
    assert run.label == "m, Cython 3.3.1" and run.python == "3.11" and not run.free_threaded


def test_claims_whose_premise_is_the_gil_are_set_apart_without_it(tmp_path):
    gil, ft = _runs(tmp_path)
    on, off = ({v.claim: v for v in claims.verdicts(r)} for r in (gil, ft))
    for claim in ("C3", "C4"):
        assert on[claim].status == HOLDS
        assert off[claim].status == NO_GIL
        assert off[claim].evidence == on[claim].evidence     # measured values still shown
        assert any("would be holds" in n for n in off[claim].notes)
    for claim in ("C1", "C2", "C5", "C6", "C7", "C8", "C9"):
        assert off[claim].status == on[claim].status == HOLDS


def test_c5b_judges_the_kept_gil_efficiency_only_without_the_gil(tmp_path):
    gil, ft = _runs(tmp_path, kept_efficiency=0.5)
    on = {v.claim: v for v in claims.verdicts(gil)}["C5b"]
    off = {v.claim: v for v in claims.verdicts(ft)}["C5b"]
    assert on.status == HOLDS and any("shown, not judged" in n for n in on.notes)
    assert off.status == FAILS      # serial (1/2 at 2 threads) without a GIL: fails
    assert off.evidence["kept: parallel efficiency at 2 threads, judged"] == 0.5
    (tmp := tmp_path / "parallel").mkdir()
    _, ft = _runs(tmp, kept_efficiency=0.9)
    assert {v.claim: v for v in claims.verdicts(ft)}["C5b"].status == HOLDS


def test_a_run_whose_gil_came_back_is_named_and_judged_as_a_gil_run(tmp_path):
    gil, ft = _runs(tmp_path, gil_enabled=1.0)
    assert ft.free_threaded and not ft.without_gil
    assert "does not declare itself free-threading compatible" in ft.gil_came_back
    v = {v.claim: v for v in claims.verdicts(ft)}
    assert v["C3"].status == HOLDS and v["C4"].status == HOLDS
    assert any("judged as a GIL build" in n for n in v["C3"].notes)
    text, md = report.to_text([gil, ft]), report.to_markdown([gil, ft])
    assert "not judged as a run without the GIL" in text
    assert "not judged as a run without the GIL" in md
    assert report.gil_changes([gil, ft]) == []      # no run without the GIL to set beside


def test_the_builds_side_by_side_name_what_changed(tmp_path):
    gil, ft = _runs(tmp_path)
    (m,) = report.gil_changes([gil, ft])
    assert m["columns"] == ["Python 3.11 (GIL)", "Python 3.13t (no GIL)"]
    by = {c["claim"]: c for c in m["claims"]}
    assert by["C3"]["changed"] and by["C3"]["verdicts"] == [HOLDS, NO_GIL]
    assert not by["C1"]["changed"]
    kept = next(v for v in by["C5b"]["values"]
                if v["value"] == "kept: parallel efficiency at 2 threads")
    assert kept["per_release"] == [0.45, 0.9]
    assert kept["moved"] == report.ONE_RUN      # one run a side: no spread to judge by
    md = report.to_markdown([gil, ft])
    assert "**Without the GIL on m, Cython 3.3.1**" in md and NO_GIL in md
    data = json.loads(report.to_json([gil, ft]))
    assert [m["python"] for m in data["machines"]] == ["3.11", "3.13t"]
    assert data["machines"][1]["without_gil"] is True
    page = report.write_html([gil, ft], tmp_path / "html").read_text()
    assert "Without the GIL on m, Cython 3.3.1" in page and "no-GIL-on-this-build" in page


def test_the_cli_refuses_a_build_it_cannot_find_with_one_line(tmp_path):
    from helpers import ROOT

    r = subprocess.run([sys.executable, "-m", "gilbench", "bench", "--python", "3.11,3.99",
                        "--repo", str(ROOT)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, r.stdout + r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "no Python 3.99 found" in r.stderr
    r = subprocess.run([sys.executable, "-m", "gilbench", "bench", "--python", "latest"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "neither a CPython version" in r.stderr


def test_free_threaded_python_without_one_and_without_building_exits_2(tmp_path):
    # No pyenv versions and no python3.1xt on PATH: nothing to find.
    (tmp_path / "versions").mkdir()
    env = dict(os.environ, PYENV_ROOT=str(tmp_path),
               PATH=os.pathsep.join([os.path.dirname(sys.executable), "/usr/bin", "/bin"]))
    r = subprocess.run([sys.executable, "-m", "gilbench", "free-threaded-python", "--no-build"],
                       capture_output=True, text=True, timeout=120, env=env)
    assert r.returncode == 2, r.stdout + r.stderr
    assert r.stdout == "" and len(r.stderr.strip().splitlines()) == 1
    assert "no free-threaded Python found" in r.stderr


def test_the_claims_page_sets_the_builds_side_by_side_in_a_real_browser(tmp_path):
    from chromium import ARTIFACTS, dump_dom, screenshot

    gil, ft = _runs(tmp_path / "results")
    page = report.write_html([gil, ft], tmp_path / "html")
    dom = dump_dom(page.as_uri(), tmp_path / "chrome")
    assert "Without the GIL on m, Cython 3.3.1" in dom
    assert "<th>Python 3.11 (GIL)</th><th>Python 3.13t (no GIL)</th>" in dom
    assert dom.count("class=\"no-GIL-on-this-build\"") >= 2   # C3 and C4, verdicts table
    assert "3.13t (GIL off)" in dom                            # the machines' table
    screenshot(page.as_uri(), ARTIFACTS / "claims_page_builds.png", tmp_path / "chrome",
               size=(1280, 2400))


def test_pyenvs_interpreters_come_newest_release_first(tmp_path, monkeypatch):
    from gilbench import free_threaded_python

    for version, name in (("3.13.9t", "python3.13t"), ("3.13.10t", "python3.13t"),
                          ("3.13.2t", "python3.13t"), ("3.13.12", "python3.13")):
        exe = tmp_path / "versions" / version / "bin" / name
        exe.parent.mkdir(parents=True)
        exe.touch()
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path))
    got = [p.split("/")[-3] for p in free_threaded_python.pyenv_pythons("*t", "python3.*t")]
    assert got == ["3.13.10t", "3.13.9t", "3.13.2t"]     # by release, not by text
