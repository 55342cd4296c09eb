"""The asv suite itself runs: real asv, on the installed gilbench.

``asv check`` finds no problem; ``GILBENCH_SMOKE=1 asv run --quick`` runs every
benchmark once on its smallest parameters with no failure; ``asv publish``
writes the HTML report, and the report lists the benchmarks of every claim.
"""

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.harness import runtime
from benchmarks.harness.threads import usable_cpus
from gilbench import results
from gilbench.results import RUNTIME_BENCHMARK
from gilbench.vendor_html import vendor_html

from chromium import ARTIFACTS, chromium, dump_dom, screenshot, serve
from helpers import SMOKE_ENV, asv

ROOT = Path(__file__).resolve().parents[1]
#: The article's claims: each names the benchmarks that measure it (C5b's are
#: C5's, selected with -b C5).
CLAIMS_IN_SUITE = ["C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "C9"]
#: Every verdict the report gives, in its order.
VERDICTS = ["C1", "C2", "C3", "C4", "C5", "C5b", "C6", "C7", "C8", "C9"]


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    """One real asv run of the whole suite (smallest parameters), then publish."""
    tmp = tmp_path_factory.mktemp("asv")
    asv(["machine", "--yes", "--machine", "gilbench-test"], tmp)
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    if not commit:
        pytest.skip("not a git checkout: asv needs a commit to record results against")
    run = asv(["run", "-E", "existing", "--quick", "--show-stderr", "--machine", "gilbench-test",
               "--set-commit-hash", commit], tmp, env_extra=SMOKE_ENV, check=False)
    publish = asv(["publish"], tmp, check=False)
    return tmp, run, publish


def test_asv_check_finds_no_problem(tmp_path):
    r = asv(["check", "-E", "existing"], tmp_path)
    assert "No problems found" in r.stdout


def test_every_benchmark_runs_once_without_failure(smoke_run):
    tmp, run, _ = smoke_run
    out = run.stdout + run.stderr
    assert run.returncode == 0, out
    assert "failed" not in out, out
    results = [p for p in (tmp / "results" / "gilbench-test").glob("*.json")
               if p.name != "machine.json"]
    assert len(results) == 1
    data = json.loads(results[0].read_text())
    names = list(data["results"])
    for claim in CLAIMS_IN_SUITE:
        assert any(claim in n for n in names), f"no {claim} benchmark in {names}"
    # Every benchmark produced a value at every parameter combination it ran
    # (a failure or a skip leaves a null).
    # The runtime record may skip an item this machine cannot show (a VM has
    # no cpufreq): only where reading it here says why not.
    unreadable = set()
    for item in runtime.ITEMS:
        try:
            runtime.value(item)
        except NotImplementedError:
            unreadable.add(item)
    for name, value in data["results"].items():
        values = value[0] if isinstance(value[0], list) else [value[0]]
        if name == RUNTIME_BENCHMARK:
            items = [ast.literal_eval(p) for p in value[1][0]]
            missing = {i for i, v in zip(items, values, strict=True) if v is None}
            assert missing <= unreadable, f"record items with no value: {missing - unreadable}"
            continue
        assert values and all(v is not None for v in values), f"{name} produced no result"


def test_a_plain_asv_run_records_the_callers_variables(smoke_run):
    """asv run by hand hands the caller's environment to the benchmarks: the
    record says so (the smoke settings start OpenBLAS on one thread), and
    the report labels every verdict of the run with it."""
    tmp, _, _ = smoke_run
    (run,) = results.load(tmp / "results")
    assert run.runtime["env OPENBLAS_NUM_THREADS"] == 1.0
    assert run.runtime["cpus usable"] == usable_cpus()
    assert "OPENBLAS_NUM_THREADS=1" in run.label


def test_publish_writes_a_report_listing_every_claim(smoke_run):
    tmp, _, publish = smoke_run
    assert publish.returncode == 0, publish.stdout + publish.stderr
    html = tmp / "html"
    assert (html / "index.html").is_file()
    index = json.loads((html / "index.json").read_text())
    for claim in CLAIMS_IN_SUITE:
        assert any(claim in name for name in index["benchmarks"]), claim


def test_published_page_renders_offline_in_a_real_browser(smoke_run):
    """asv's page, vendored, in headless Chromium with every outside host
    unreachable: the benchmark list with every claim, only local scripts and
    stylesheets, and a benchmark's graph drawn by flot."""
    chromium()  # fails in CI, skips elsewhere, when there is none
    tmp, _, _ = smoke_run
    html = tmp / "html"
    vendor_html(html)
    with serve(html) as (base, log):
        dom = dump_dom(base, tmp / "chrome")
        graph_dom = dump_dom(base + "#bench_c1_gil_held.TimeC1HoldingGIL.time_c1_loop",
                             tmp / "chrome")
        screenshot(base, ARTIFACTS / "asv_index.png", tmp / "chrome")
        screenshot(base + "#bench_c1_gil_held.TimeC1HoldingGIL.time_c1_loop",
                   ARTIFACTS / "asv_graph_c1.png", tmp / "chrome")
    assert "airspeed velocity" in dom, "the browser did not render asv's page"
    assert "failed to load" not in dom, "an external dependency of asv's page failed to load"
    # Every script and stylesheet the rendered page refers to is local.
    urls = re.findall(r'<(?:script|link)\b[^>]*?\b(?:src|href)="([^"]+)"', dom)
    assert urls, "no scripts in the rendered page"
    outside = [u for u in urls if re.match(r"[a-z]+://", u) and not u.startswith(base)]
    assert not outside, f"the page still loads from outside: {outside}"
    # ... and the local server served each vendored file.
    served = "\n".join(log)
    for url in urls:
        if url.startswith("vendor/"):
            assert f"GET /{url} HTTP/1.1\" 200" in served, f"{url} was not served"
    # asv builds its benchmark list in JavaScript from index.json.
    for claim in CLAIMS_IN_SUITE:
        assert claim in dom, f"{claim} not on the rendered page"
    # A graph page: flot draws on a canvas and writes its tick labels.
    assert 'class="flot-base"' in graph_dom, "no flot canvas on the graph page"
    assert "flot-tick-label" in graph_dom or "tickLabel" in graph_dom, "flot drew no axis"


def _gilbench(*args):
    return subprocess.run([sys.executable, "-m", "gilbench", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_report_reads_the_real_results_in_every_format(smoke_run):
    """`gilbench report` on a real (smoke) run: asv's loader finds the machine,
    every claim gets a verdict, and each format is what it says."""
    tmp, _, _ = smoke_run
    res = str(tmp / "results")
    text = _gilbench("report", "--results", res)
    assert text.returncode == 0, text.stderr
    # A smoke run is never judged: every claim reads so, and says why.
    for claim in VERDICTS:
        assert re.search(rf"^{claim}\s+not measured: smoke run\s", text.stdout, re.M), \
            text.stdout
    data = json.loads(_gilbench("report", "--results", res, "--format", "json").stdout)
    (machine,) = data["machines"]
    assert machine["machine"] == "gilbench-test"
    assert [v["claim"] for v in machine["verdicts"]] == VERDICTS
    assert machine["smoke_run"] == "GILBENCH_SMOKE=1"
    assert all(v["status"] == "not measured" and "smoke run" in v["summary"]
               for v in machine["verdicts"])
    md = _gilbench("report", "--results", res, "--format", "markdown").stdout
    rows = [line for line in md.splitlines() if line.startswith("| **C")]
    assert md.startswith("| claim | gilbench-test") and len(rows) == len(VERDICTS)
    bad = _gilbench("report", "--results", str(tmp / "nowhere"))
    assert bad.returncode == 2 and "no asv results directory" in bad.stderr


def test_claims_page_renders_offline_in_a_real_browser(smoke_run):
    """The self-contained claims page opened from file:// with no network:
    one section per claim, every plot drawn with a non-zero size."""
    chromium()
    tmp, _, _ = smoke_run
    out = tmp / "claims"
    r = _gilbench("report", "--results", str(tmp / "results"), "--html", str(out))
    assert r.returncode == 0, r.stderr
    page = (out / "index.html").read_text()
    assert not re.search(r'(src|href)="https?://', page), "the page loads something remotely"
    # Instrument a copy: a script writes each image's rendered size into the DOM.
    probe = out / "probe.html"
    probe.write_text(page.replace("</body>", """<script>
      window.addEventListener('load', () => {
        const sizes = [...document.images].map(i => i.naturalWidth + 'x' + i.naturalHeight);
        document.body.setAttribute('data-images', sizes.join(','));
        document.body.setAttribute('data-sections',
          document.querySelectorAll('section.claim').length);
      });</script></body>"""))
    dom = dump_dom(probe.as_uri(), tmp / "chrome-claims")
    sections = re.search(r'data-sections="(\d+)"', dom)
    images = re.search(r'data-images="([^"]*)"', dom)
    assert sections and int(sections.group(1)) == len(VERDICTS), "a claim section is missing"
    sizes = images.group(1).split(",")
    assert len(sizes) == len(VERDICTS), sizes
    assert all(not s.startswith("0x") and not s.endswith("x0") for s in sizes), sizes
    screenshot((out / "index.html").as_uri(), ARTIFACTS / "claims_page.png",
               tmp / "chrome-claims", size=(1200, 2400))


def test_the_plan_counts_the_points_asv_discovers(smoke_run):
    """``gilbench plan`` at this machine's CPU count (smoke settings, as the
    run) counts exactly the points asv discovered; at 64 CPUs it plans a
    bigger suite from the same grids without running anything."""
    from benchmarks.harness.threads import usable_cpus

    tmp, _, _ = smoke_run
    bench = json.loads((tmp / "results" / "benchmarks.json").read_text())
    discovered = 0
    for name, b in bench.items():
        if name == "version":
            continue
        points = 1
        for axis in b.get("params", []):
            points *= len(axis)
        discovered += points
    env = dict(os.environ, **SMOKE_ENV)
    r = subprocess.run([sys.executable, "-m", "gilbench", "plan", "--json", "--repo", str(ROOT),
                        "--results", str(tmp / "nowhere")], capture_output=True, text=True,
                       env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    p = json.loads(r.stdout)
    assert p["cpus"] == usable_cpus() and p["points"] == discovered == p["points_here"]
    assert p["estimated_seconds"] > 0
    full = json.loads(subprocess.run(
        [sys.executable, "-m", "gilbench", "plan", "--json", "--cpus", "64", "--repo",
         str(ROOT)], capture_output=True, text=True, timeout=300, check=True).stdout)
    assert full["cpus"] == 64 and full["points"] > full["points_here"]
    c7 = next(c for c in full["classes"] if c["class"] == "TrackC7RegionOverhead")
    assert c7["threads"]["threads"] == [1, 2, 3, 4, 8, 16, 32, 64, 128]
    bad = subprocess.run([sys.executable, "-m", "gilbench", "plan", "--cpus", "0"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "must be >= 1" in bad.stderr
