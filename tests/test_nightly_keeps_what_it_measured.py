"""A persistent nightly machine (a self-hosted runner, a lab box under cron)
keeps its checkout from night to night: what it measured and could not store
is stored the next night, first; a store file that went bad is repaired from
the good local copy; a commit that records nothing is given up after
RETRIES nights, with the reason.  For real: real asv nights (one small
benchmark, smoke settings) against a results remote served over git's smart
HTTP on 127.0.0.1 that demands the checkout's token and can be made to answer
every push with HTTP 500; each test reads the end state on the remote's
results branch."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gilbench import nightly

from git_http import checkout_like_actions, git, serve
from helpers import FIXED_DATES, ROOT, SMOKE_ENV, share_asv_env

TOKEN = "ghs_store-token"
MACHINE = "store-test"
BENCH = "TrackMachine"


def night(proj, env, *extra, bench=BENCH, asv_args=()):
    return subprocess.run([sys.executable, "-m", "gilbench", "nightly", "--repo", str(proj),
                           "--remote", "origin", "--machine", MACHINE, *extra, "--", "--quick",
                           "-b", bench, *asv_args],
                          cwd=proj, env=env, capture_output=True, text=True, timeout=900)


def stored(bare) -> dict:
    """{path: text} of the remote's results branch (empty without one)."""
    r = git("ls-tree", "-r", "--name-only", "benchmark-results", cwd=bare, check=False)
    if r.returncode != 0:
        return {}
    return {p: git("show", f"benchmark-results:{p}", cwd=bare).stdout
            for p in r.stdout.splitlines()}


def result_of(files: dict, commit: str):
    """The parsed result file of ``commit`` on the branch, or None."""
    for path, text in files.items():
        if path.startswith(f"results/{MACHINE}/{commit[:8]}-"):
            return json.loads(text)
    return None


@pytest.fixture(scope="module")
def remote(tmp_path_factory, asv_env_dir):
    tmp = tmp_path_factory.mktemp("store")
    srv = tmp / "srv"
    git("init", "-q", "--bare", str(srv / "proj.git"), cwd=tmp)
    git("push", "-q", str(srv / "proj.git"), "HEAD:refs/heads/main", cwd=ROOT)
    env = dict(os.environ, HOME=str(tmp / "home"), **SMOKE_ENV, **FIXED_DATES,
               GILBENCH_PUSH_BACKOFF="0,0")
    for var in ("GITHUB_STEP_SUMMARY", "GILBENCH_MACHINE", "RUNNER_ENVIRONMENT",
                "GILBENCH_CYTHON", "GILBENCH_FAIL_BENCHMARK"):
        env.pop(var, None)
    faults: dict = {}
    with serve(srv, TOKEN, faults) as (url, log):
        proj = tmp / "proj"
        checkout_like_actions(f"{url}/proj.git", TOKEN, proj)
        share_asv_env(proj, asv_env_dir)
        yield {"proj": proj, "env": env, "bare": srv / "proj.git", "faults": faults,
               "log": log, "tip": git("rev-parse", "HEAD", cwd=proj).stdout.strip()}


@pytest.fixture(scope="module")
def refused_then_healthy(remote):
    """Night 1: the remote answers every push with 500 (three tries). Night
    2: the remote is healthy again."""
    remote["faults"]["push"] = 500
    first = night(remote["proj"], remote["env"])
    after_first = stored(remote["bare"])
    remote["faults"].clear()
    second = night(remote["proj"], remote["env"])
    return first, after_first, second, stored(remote["bare"])


def test_a_refused_push_is_retried_named_and_stored_by_the_next_night(remote,
                                                                       refused_then_healthy):
    first, after_first, second, after_second = refused_then_healthy
    tip = remote["tip"]
    assert first.returncode == 2, first.stdout[-2000:] + first.stderr[-2000:]
    assert "trying again" in first.stdout            # retried within the night
    assert f"not stored (the next night stores them first): {tip[:8]}" in first.stderr
    assert "500" in first.stderr
    assert after_first == {}                         # the remote has nothing yet
    assert second.returncode == 0, second.stdout[-2000:] + second.stderr[-2000:]
    assert f"{tip[:8]}: measured here, but the store lacks it" in second.stdout
    assert "benchmarking commit" not in second.stdout   # stored, not measured again
    result = result_of(after_second, tip)
    assert result is not None and result["commit_hash"] == tip


@pytest.fixture(scope="module")
def killed_before_its_push(remote, refused_then_healthy):
    """A new commit; a night killed (SIGKILL) after asv saved its result and
    while its push waits to be tried again; then a healthy night."""
    proj, env = remote["proj"], remote["env"]
    (proj / "killed.txt").write_text("killed\n")
    git("add", "killed.txt", cwd=proj)
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "killed", cwd=proj)
    new = git("rev-parse", "HEAD", cwd=proj).stdout.strip()
    remote["faults"]["push"] = 503
    p = subprocess.Popen([sys.executable, "-m", "gilbench", "nightly", "--repo", str(proj),
                          "--remote", "origin", "--machine", MACHINE, "--", "--quick", "-b",
                          BENCH], cwd=proj, env=dict(env, GILBENCH_PUSH_BACKOFF="600"),
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         start_new_session=True)
    seen = []
    deadline = time.monotonic() + 600
    for line in p.stdout:
        seen.append(line)
        if "trying again in 600 s" in line or time.monotonic() > deadline:
            break
    os.killpg(p.pid, signal.SIGKILL)
    p.wait(timeout=60)
    after_kill = stored(remote["bare"])
    remote["faults"].clear()
    healthy = night(proj, env)
    return new, "".join(seen), after_kill, healthy, stored(remote["bare"])


def test_a_night_killed_between_its_save_and_its_push_loses_nothing(killed_before_its_push):
    new, killed, after_kill, healthy, after = killed_before_its_push
    assert "trying again in 600 s" in killed, killed[-2000:]
    assert result_of(after_kill, new) is None
    assert healthy.returncode == 0, healthy.stdout[-2000:] + healthy.stderr[-2000:]
    assert f"{new[:8]}: measured here, but the store lacks it" in healthy.stdout
    assert result_of(after, new)["commit_hash"] == new


def test_a_bad_store_file_is_repaired_from_the_good_local_copy(remote, killed_before_its_push):
    """Someone stores a truncated copy of a result this machine still holds
    good: the next night pushes the good copy over it."""
    new = killed_before_its_push[0]
    bare, proj, env = remote["bare"], remote["proj"], remote["env"]
    scratch = proj.parent / "corrupt"
    git("clone", "-q", "--branch", "benchmark-results", str(bare), str(scratch), cwd=proj.parent)
    (path,) = [p for p in (scratch / "results" / MACHINE).glob(f"{new[:8]}-*.json")]
    path.write_text(path.read_text()[:200])
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "truncated", cwd=scratch)
    git("push", "-q", "origin", "benchmark-results", cwd=scratch)
    assert result_of_text(stored(bare), new) is not None
    repaired = night(proj, env)
    assert repaired.returncode == 0, repaired.stdout[-2000:] + repaired.stderr[-2000:]
    assert f"{new[:8]}: measured here, but the store lacks it or holds it unreadable" in \
        repaired.stdout
    assert result_of(stored(bare), new)["commit_hash"] == new   # valid JSON again


def result_of_text(files: dict, commit: str):
    return next((t for p, t in files.items()
                 if p.startswith(f"results/{MACHINE}/{commit[:8]}-")), None)


def test_a_commit_that_records_nothing_is_given_up_after_retries_with_the_reason(
        remote, killed_before_its_push):
    """A new commit whose every night records nothing (asv measures and saves
    nothing: ``--dry-run``; a subset run always carries the runtime record,
    so selecting no benchmark no longer does it): measured RETRIES nights,
    then given up and named, not retried forever."""
    proj, env = remote["proj"], remote["env"]
    (proj / "nothing.txt").write_text("nothing\n")
    git("add", "nothing.txt", cwd=proj)
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "nothing", cwd=proj)
    commit = git("rev-parse", "HEAD", cwd=proj).stdout.strip()
    outs = [night(proj, env, bench="NoSuchBenchmarkAnywhere", asv_args=["--dry-run"])
            for _ in range(nightly.RETRIES + 1)]
    for r in outs[:nightly.RETRIES]:
        assert f"benchmarking commit 1/1 of main on {MACHINE}: {commit[:8]}" in r.stdout, \
            r.stdout[-2000:] + r.stderr[-2000:]
    last = outs[-1]
    assert "benchmarking commit" not in last.stdout
    assert f"{commit[:8]}: not measurable, given up: measured {nightly.RETRIES} nights" in \
        last.stdout
    retries = json.loads(stored(remote["bare"])[f"retries/{MACHINE}.json"])
    assert retries[commit] == {nightly.NO_RESULT: nightly.RETRIES}
    summary = (proj / ".asv" / "html" / "nightly-summary.md")
    assert summary.is_file() and "Not measurable, given up" in summary.read_text(), \
        last.stdout[-3000:] + last.stderr[-3000:]
    page = (proj / ".asv" / "html" / "claims" / "index.html").read_text()
    assert f"{commit[:8]}: not measurable on {MACHINE}, given up: measured" in page


def test_push_backoff_is_read_and_checked(monkeypatch):
    monkeypatch.setenv("GILBENCH_PUSH_BACKOFF", "1,2.5")
    assert nightly.Store(Path("."), "origin", "m").backoff == (1.0, 2.5)
    monkeypatch.setenv("GILBENCH_PUSH_BACKOFF", "soon")
    with pytest.raises(ValueError, match="comma-separated seconds"):
        nightly.Store(Path("."), "origin", "m")
