"""Machines side by side on the claims page and in ``gilbench report``:
each claim's deciding values run by run in one table, the thread sweeps of
C5, C7, C8 and C9 on one scale (threads per core), and a run whose newest
results are older than its peers' marked stale.  On two real machines'
results (docs/data/results: ``vm`` and its 1-CPU restriction) in a real
browser, and on synthetic ones."""

from __future__ import annotations

from test_claims import write_results

from gilbench import plots, report, results
from gilbench.results import RUNTIME_BENCHMARK, Point, Run

from helpers import ROOT

DATA = ROOT / "docs" / "data" / "results"


def test_two_real_machines_side_by_side_in_a_real_browser(tmp_path):
    from chromium import ARTIFACTS, chromium, dump_dom, screenshot

    chromium()
    runs = results.load(DATA)
    assert len({r.machine for r in runs}) >= 2
    page = report.write_html(runs, tmp_path / "page")
    dom = dump_dom(page.as_uri(), tmp_path / "chrome")
    assert "<h2 id=\"side-by-side\">Machines side by side</h2>" in dom
    table = dom[dom.index('id="side-by-side-values"'):]
    table = table[:table.index("</table>")]
    for r in runs:
        assert f"<th>{r.label}</th>" in table
    # C5's deciding value on the 2-CPU machine, and a dash where the 1-CPU
    # machine has none (its rule shows no serialisation half there).
    assert "relative efficiency" in table and "<td>-</td>" in table
    assert 'alt="thread sweeps per core"' in dom
    screenshot(page.as_uri(), ARTIFACTS / "claims_page_side_by_side.png", tmp_path / "chrome",
               size=(1280, 2600))


def test_a_machine_behind_its_peers_is_marked_stale(tmp_path):
    write_results(tmp_path, "fresh", 2, commit="b" * 40, date=1_700_100_000_000)
    write_results(tmp_path, "behind", 2, commit="a" * 40, date=1_700_000_000_000)
    runs = results.load(tmp_path)
    late = report.stale(runs)
    assert list(late) == ["behind, Cython 3.3.1"]
    assert "aaaaaaaa" in late["behind, Cython 3.3.1"] and "bbbbbbbb" in late[
        "behind, Cython 3.3.1"]
    text = report.to_text(runs)
    assert "behind, Cython 3.3.1: stale" in text
    assert "deciding values, run by run (behind, Cython 3.3.1 | fresh, Cython 3.3.1):" in text
    page = report.write_html(runs, tmp_path / "page").read_text()
    assert "<span class='stale'>stale:" in page
    rows = report.side_by_side(runs, report.table(runs))
    c1 = next(c for c in rows if c["claim"] == "C1")
    assert c1["rows"] and all(len(values) == 2 for _, values in c1["rows"])
    # One run alone has nothing to set beside it.
    assert report.side_by_side(runs[:1], report.table(runs[:1])) == []
    assert report.stale(runs[:1]) == {}


def test_threads_are_counted_per_core_where_the_record_has_cores():
    record = Point(name=f"{RUNTIME_BENCHMARK}('cores usable')", benchmark=RUNTIME_BENCHMARK,
                   params={"item": "cores usable"}, value=32.0)
    run = Run(machine="big", commit="c" * 40, date=None, machine_info={},
              points={record.name: record}, cpus=64)
    assert plots.cores(run) == (32.0, "cores")
    bare = Run(machine="small", commit="d" * 40, date=None, machine_info={}, cpus=2)
    assert plots.cores(bare) == (2.0, "CPUs")
