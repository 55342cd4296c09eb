"""A fleet of two machines, for real: two nights on two machine names at
once, each from its own checkout made as actions/checkout makes one, against
one results remote served over git's smart HTTP on 127.0.0.1 that demands
the token; the remote holds their first pushes until both have come, so that
they race.  Both machines' results end up on the branch, nothing of either
lost or overwritten; then the fleet's publish job, from a third checkout,
builds the pages from the branch alone, shows both machines and names the
one of the fleet that stored nothing."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest

from git_http import checkout_like_actions, git, serve
from helpers import FIXED_DATES, ROOT, SMOKE_ENV, share_asv_env

pytestmark = pytest.mark.slow

TOKEN = "ghs_fleet-token"
MACHINES = ("fleet-a", "fleet-b")
BENCH = "TrackMachine"


def _night(proj, env, machine):
    return subprocess.Popen([sys.executable, "-m", "gilbench", "nightly", "--repo", str(proj),
                             "--remote", "origin", "--machine", machine, "--no-publish", "--",
                             "--quick", "-b", BENCH], cwd=proj, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory, asv_env_dir):
    tmp = tmp_path_factory.mktemp("fleet")
    srv = tmp / "srv"
    git("init", "-q", "--bare", str(srv / "proj.git"), cwd=tmp)
    git("push", "-q", str(srv / "proj.git"), "HEAD:refs/heads/main", cwd=ROOT)
    env = dict(os.environ, HOME=str(tmp / "home"), **SMOKE_ENV, **FIXED_DATES,
               GILBENCH_PUSH_BACKOFF="0,0")
    for var in ("GITHUB_STEP_SUMMARY", "GILBENCH_MACHINE", "RUNNER_ENVIRONMENT",
                "GILBENCH_CYTHON", "GILBENCH_FAIL_BENCHMARK"):
        env.pop(var, None)
    faults = {"race": threading.Barrier(2)}
    with serve(srv, TOKEN, faults) as (url, log):
        runs = {}
        for k, machine in enumerate(MACHINES):
            proj = tmp / machine
            checkout_like_actions(f"{url}/proj.git", TOKEN, proj)
            if k == 0:   # the other builds in an environment of its own: no shared venv
                share_asv_env(proj, asv_env_dir)
            runs[machine] = (proj, _night(proj, env, machine))
        outs = {m: p.communicate(timeout=1800)[0] for m, (_, p) in runs.items()}
        codes = {m: p.returncode for m, (_, p) in runs.items()}
        raced = "race" not in faults   # the barrier was crossed: both pushes came
        publisher = tmp / "publisher"
        checkout_like_actions(f"{url}/proj.git", TOKEN, publisher)
        pub = subprocess.run([sys.executable, "-m", "gilbench", "nightly", "--repo",
                              str(publisher), "--remote", "origin", "--publish-only", "--expect",
                              ",".join([*MACHINES, "fleet-c"])], cwd=publisher, env=env,
                             capture_output=True, text=True, timeout=900)
        tip = git("rev-parse", "HEAD", cwd=publisher).stdout.strip()
        files = git("ls-tree", "-r", "--name-only", "benchmark-results",
                    cwd=srv / "proj.git").stdout.split()
        yield {"outs": outs, "codes": codes, "raced": raced, "publish": pub, "tip": tip,
               "files": files, "publisher": publisher, "log": log}


def test_both_nights_store_their_results_though_their_pushes_raced(fleet):
    for machine in MACHINES:
        assert fleet["codes"][machine] == 0, fleet["outs"][machine][-3000:]
    assert fleet["raced"]
    lost = [m for m in MACHINES if "another night pushed first" in fleet["outs"][m]]
    assert len(lost) == 1, {m: fleet["outs"][m][-1500:] for m in MACHINES}
    tip = fleet["tip"]
    for machine in MACHINES:
        assert any(f.startswith(f"results/{machine}/{tip[:8]}-") for f in fleet["files"]), \
            fleet["files"]
        assert f"results/{machine}/machine.json" in fleet["files"]
    # Every request carried the token (none was refused).
    assert all(status != 401 for _, _, status in fleet["log"])


def test_the_fleets_publish_shows_both_machines_from_the_branch_alone(fleet):
    pub = fleet["publish"]
    assert pub.returncode == 0, pub.stdout[-3000:] + pub.stderr[-3000:]
    assert "benchmarking commit" not in pub.stdout       # it measured nothing
    page = (fleet["publisher"] / ".asv" / "html" / "claims" / "index.html").read_text()
    for machine in MACHINES:
        assert f"<td>{machine}</td>" in page, machine
    assert "fleet-c: no results stored" in page
    summary = (fleet["publisher"] / ".asv" / "html" / "nightly-summary.md").read_text()
    assert "`fleet-a`, `fleet-b`" in summary and "fleet-c: no results stored" in summary
