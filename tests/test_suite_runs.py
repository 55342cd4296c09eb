"""The asv suite itself runs: real asv, on the installed gilbench.

``asv check`` finds no problem; ``GILBENCH_SMOKE=1 asv run --quick`` runs every
benchmark once on its smallest parameters with no failure; ``asv publish``
writes the HTML report, and the report lists the benchmarks of every claim.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CLAIMS_IN_SUITE = ["C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "C9"]


def asv(args, tmp_path, *, env_extra=None, check=True, timeout=900):
    """Run real asv from the repository root with a config whose outputs go to tmp_path."""
    conf = json.loads(re.sub(r"^\s*//.*$", "", (ROOT / "asv.conf.json").read_text(), flags=re.M))
    conf.update({
        "repo": str(ROOT),
        "benchmark_dir": str(ROOT / "benchmarks"),
        "env_dir": str(tmp_path / "env"),
        "results_dir": str(tmp_path / "results"),
        "html_dir": str(tmp_path / "html"),
    })
    conf_path = tmp_path / "asv.conf.json"
    conf_path.write_text(json.dumps(conf))
    env = dict(os.environ, HOME=str(tmp_path))  # asv's machine file goes to $HOME
    env.update(env_extra or {})
    r = subprocess.run([sys.executable, "-m", "asv", *args, "--config", str(conf_path)],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise AssertionError(f"asv {' '.join(args)} exited {r.returncode}\n{r.stdout}\n{r.stderr}")
    return r


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
               "--set-commit-hash", commit], tmp, env_extra={"GILBENCH_SMOKE": "1"}, check=False)
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
    for name, value in data["results"].items():
        values = value[0] if isinstance(value[0], list) else [value[0]]
        assert values and all(v is not None for v in values), f"{name} produced no result"


def test_publish_writes_a_report_listing_every_claim(smoke_run):
    tmp, _, publish = smoke_run
    assert publish.returncode == 0, publish.stdout + publish.stderr
    html = tmp / "html"
    assert (html / "index.html").is_file()
    index = json.loads((html / "index.json").read_text())
    for claim in CLAIMS_IN_SUITE:
        assert any(claim in name for name in index["benchmarks"]), claim


def test_report_renders_in_a_real_browser(smoke_run):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    tmp, _, _ = smoke_run
    html = tmp / "html"
    server = subprocess.Popen([sys.executable, "-m", "http.server", "--bind", "127.0.0.1", "0",
                               "--directory", str(html)], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        line = server.stdout.readline()
        port = int(re.search(r"port (\d+)", line).group(1))
        dom = subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", f"--user-data-dir={tmp / 'chrome'}", "--virtual-time-budget=10000",
             "--dump-dom", f"http://127.0.0.1:{port}/"],
            capture_output=True, text=True, timeout=120).stdout
    finally:
        server.terminate()
        server.wait()
    assert "airspeed velocity" in dom, "the browser did not render asv's page"
    if "dependencies of airspeed velocity failed to load" in dom:
        # asv's page takes jQuery and flot from public CDNs; offline, it shows
        # its own error page instead of the benchmarks.
        pytest.skip("asv's report loads jQuery/flot from public CDNs, which this machine "
                    "cannot reach; the page rendered asv's own 'failed to load' notice")
    # asv's page builds its benchmark list in JavaScript from index.json.
    for claim in CLAIMS_IN_SUITE:
        assert claim in dom, f"{claim} not on the rendered page"
