"""The nightly, for real, as it runs on GitHub: a checkout made the way
actions/checkout v4 makes one (the token only in its own .git/config), a
results remote served over git's smart HTTP on 127.0.0.1 that refuses every
request without that token, real asv runs (smoke settings, two benchmarks),
real pushes.

* Night 1 measures the tip with one benchmark failing on purpose: it is
  stored with the failure recorded, through the checkout's credentials.
* Night 2 (the failed tip again, then a new commit B) is killed with SIGTERM
  midway through its second commit, night 3 with SIGKILL: what each
  measured before is stored, the retried tip is repaired, and night 4
  measures the rest.
* A wrong token fails the night at once with git's message.
* The store alone: racing nights both stored; a push refused for another
  reason fails at once with git's message; corrupt stored files named, left
  out and replaced by a good measurement; the backlog drains oldest first;
  a failed commit is retried RETRIES times, then kept.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gilbench import gate_calibration, nightly

from git_http import checkout_like_actions, git, serve
from helpers import FIXED_DATES, SMOKE_ENV, share_asv_env

ROOT = Path(__file__).resolve().parents[1]
BENCHES = "TrackC6NaiveError|TrackC4CostPerRelease"
TOKEN = "ghs_test-token"
MACHINE = "nightly-test"


def out(*args, cwd):
    return git(*args, cwd=cwd).stdout.strip()


def stored_files(bare, branch="benchmark-results"):
    r = git("ls-tree", "-r", "--name-only", branch, cwd=bare, check=False)
    return r.stdout.splitlines() if r.returncode == 0 else []


def night_cmd(proj, *extra):
    return [sys.executable, "-m", "gilbench", "nightly", "--repo", str(proj), "--remote",
            "origin", "--machine", MACHINE, *extra, "--", "--quick", "-b", BENCHES]


def commit_file(proj, name):
    (proj / name).write_text(f"{name}\n")
    git("add", name, cwd=proj)
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", name, cwd=proj)
    return out("rev-parse", "HEAD", cwd=proj)


def killed_night(proj, env, sig, at="benchmarking commit 2/2"):
    """A night started, then killed with ``sig`` once asv runs the benchmarks
    of its second commit (the message ``at``, then asv's own)."""
    p = subprocess.Popen(night_cmd(proj, "--max-commits", "2"), cwd=proj, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         start_new_session=True)
    seen, reached = [], False
    deadline = time.monotonic() + 600
    for line in p.stdout:
        seen.append(line)
        reached = reached or at in line
        if reached and "Running " in line and "benchmarks" in line:
            break
        if time.monotonic() > deadline:
            break
    os.killpg(p.pid, sig)
    p.wait(timeout=120)
    return "".join(seen)


@pytest.fixture(scope="module")
def github(tmp_path_factory, asv_env_dir):
    """The served remote (this repository's HEAD as main), and a checkout of it
    as actions/checkout makes one."""
    tmp = tmp_path_factory.mktemp("nightly")
    srv = tmp / "srv"
    git("init", "-q", "--bare", str(srv / "proj.git"), cwd=tmp)
    git("push", "-q", str(srv / "proj.git"), "HEAD:refs/heads/main", cwd=ROOT)
    env = dict(os.environ, HOME=str(tmp / "home"), **SMOKE_ENV, **FIXED_DATES,
               XDG_CACHE_HOME=os.environ.get("XDG_CACHE_HOME", str(Path.home() / ".cache")))
    for var in ("GITHUB_STEP_SUMMARY", "GILBENCH_MACHINE", "RUNNER_ENVIRONMENT", "GILBENCH_CYTHON"):
        env.pop(var, None)
    with serve(srv, TOKEN) as (url, log):
        proj = tmp / "proj"
        checkout_like_actions(f"{url}/proj.git", TOKEN, proj)
        share_asv_env(proj, asv_env_dir)
        yield {"tmp": tmp, "url": url, "log": log, "bare": srv / "proj.git", "proj": proj,
               "env": env}


@pytest.fixture(scope="module")
def nights(github):
    """Nights 1 and 2 with one benchmark failing on purpose (the tip A stays
    failed, so each later night retries it first); a new commit B; night 2
    killed with SIGTERM while it measures B, night 3 with SIGKILL; night 4
    measures what is left; night 5 finds nothing new."""
    proj, env, bare = github["proj"], github["env"], github["bare"]
    failing = dict(env, GILBENCH_FAIL_BENCHMARK="TrackC4CostPerRelease")
    o = {"a": out("rev-parse", "HEAD", cwd=proj)}
    o["night1"] = subprocess.run(night_cmd(proj), cwd=proj, timeout=900, capture_output=True,
                                 text=True, env=failing)
    o["after1"] = stored_files(bare)
    o["results_a_after1"] = _result_of(bare, o["a"])
    # B: an empty commit over A with fixed dates (the same commit in every
    # clone of A, and the newest).
    o["b"] = gate_calibration.identical_commit(proj, env=env)
    o["killed2"] = killed_night(proj, failing, signal.SIGTERM)
    o["after2"] = stored_files(bare)
    o["retries_after2"] = json.loads(out("show", f"benchmark-results:retries/{MACHINE}.json",
                                         cwd=bare))
    o["killed3"] = killed_night(proj, env, signal.SIGKILL)
    o["after3"] = stored_files(bare)
    o["results_a_after3"] = _result_of(bare, o["a"])
    o["night4"] = subprocess.run(night_cmd(proj, "--max-commits", "2"), cwd=proj, env=env,
                                 timeout=900, capture_output=True, text=True)
    o["after4"] = stored_files(bare)
    o["night5"] = subprocess.run(night_cmd(proj), cwd=proj, env=env, timeout=900,
                                 capture_output=True, text=True)
    return o


def _result_of(bare, commit):
    names = [f for f in stored_files(bare) if f.startswith(f"results/{MACHINE}/{commit[:8]}")]
    if not names:
        return None
    return json.loads(out("show", f"benchmark-results:{names[0]}", cwd=bare))["results"]


def _has(files, commit):
    return any(f.startswith(f"results/{MACHINE}/{commit[:8]}") for f in files)


def _ok(r):
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]


def test_a_night_pushes_with_the_checkouts_credentials(nights, github):
    _ok(nights["night1"])
    assert _has(nights["after1"], nights["a"]), nights["after1"]
    assert f"results/{MACHINE}/machine.json" in nights["after1"]
    # Every request of the store went to the served remote with the token:
    # none was refused, and results were pushed (git-receive-pack).
    pushes = [s for m, p, s in github["log"] if p.endswith("git-receive-pack")]
    assert pushes and set(pushes) == {200}, github["log"][-20:]


def test_the_failure_is_recorded_and_the_rest_stored(nights):
    text = nights["night1"].stdout + nights["night1"].stderr
    assert "TrackC4CostPerRelease" in text and "failed" in text, text[-3000:]
    results = nights["results_a_after1"]
    failed = [k for k in results if "TrackC4CostPerRelease" in k]
    kept = [k for k in results if "TrackC6NaiveError" in k]
    assert failed and all(results[k][0] in (None, [None]) for k in failed), results
    assert kept and all(v is not None for k in kept for v in results[k][0])
    assert "retries/nightly-test.json" in nights["after1"]


def test_a_killed_night_loses_at_most_the_commit_it_was_measuring(nights):
    # Night 2 (SIGTERM) measured the failed tip again, stored that, and was
    # killed while it measured B: B is not stored, the tip's retry counted.
    assert "benchmarking commit 2/2" in nights["killed2"], nights["killed2"][-2000:]
    assert "benchmarking commit 1/2 of main on nightly-test: " + nights["a"][:8] in \
        nights["killed2"]
    # Counted per environment (the one environment of this asv config).
    ((env, count),) = nights["retries_after2"][nights["a"]].items()
    assert env.startswith("virtualenv-py") and count == 2, nights["retries_after2"]
    assert list(nights["retries_after2"]) == [nights["a"]]
    assert not _has(nights["after2"], nights["b"])
    # Night 3 (SIGKILL): the tip measured a third time, without the failure:
    # repaired; killed during B, which is still not stored.
    assert "benchmarking commit 2/2" in nights["killed3"], nights["killed3"][-2000:]
    a = nights["results_a_after3"]
    failing = [k for k in a if "TrackC4CostPerRelease" in k]
    assert failing and all(v is not None for k in failing for v in a[k][0]), a
    assert not _has(nights["after3"], nights["b"])
    # The next night measures the rest: B, and nothing else.
    _ok(nights["night4"])
    assert "benchmarking commit 1/1 of main on nightly-test: " + nights["b"][:8] in \
        nights["night4"].stdout
    assert _has(nights["after4"], nights["b"])
    assert set(nights["after3"]) <= set(nights["after4"])


def test_a_night_with_nothing_new_exits_cleanly_and_publishes(nights, github):
    _ok(nights["night5"])
    assert "nothing new" in nights["night5"].stdout
    index = json.loads((github["proj"] / ".asv" / "html" / "index.json").read_text())
    assert {nights["a"], nights["b"]} <= set(index["revision_to_hash"].values())
    assert (github["proj"] / ".asv" / "html" / "claims" / "index.html").is_file()


def test_a_wrong_token_fails_at_once_with_gits_message(github, tmp_path):
    proj = tmp_path / "wrong"
    checkout_like_actions(f"{github['url']}/proj.git", TOKEN, proj)
    prefix = github["url"]
    git("config", "--local", f"http.{prefix}/.extraheader", "AUTHORIZATION: basic bm9wZQ==",
        cwd=proj)
    t0 = time.monotonic()
    r = subprocess.run(night_cmd(proj), cwd=proj, env=github["env"], capture_output=True,
                       text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert r.returncode == 2, r.stdout[-2000:] + r.stderr[-2000:]
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gilbench nightly:"), r.stderr
    assert "could not read Username" in lines[0] or "Authentication failed" in lines[0]
    assert time.monotonic() - t0 < 120   # refused before any benchmarking
    assert "benchmarking" not in r.stdout


# --- the store alone ---------------------------------------------------------------

def _fake_results(results_dir, machine, commit, value=1.0, cython=None, python="3.11"):
    """A real asv result file (asv's own API) for ``commit``; ``value`` None
    records a failure; ``cython`` files it under that release of asv's matrix,
    ``python`` under that Python build."""
    from asv import util
    from asv.benchmarks import Benchmarks
    from asv.machine import Machine
    from asv.results import Results
    from asv.runner import BenchmarkResult

    params = {"machine": machine, "python": python, **({"Cython": cython} if cython else {})}
    res = Results(params, {}, commit, 1_700_000_000_000, python,
                  "env" + ("" if python == "3.11" else f"-py{python}")
                  + (f"-Cython{cython}" if cython else ""), {})
    res.add_result({"name": "bench_x.TrackX.track_x", "version": "1", "params": []},
                   BenchmarkResult(result=[value], samples=[None], number=[None],
                                   errcode=0 if value is not None else 1, stderr="",
                                   profile=None))
    res.save(str(results_dir))
    util.write_json(str(results_dir / machine / "machine.json"), {"machine": machine},
                    api_version=Machine.api_version)
    util.write_json(str(results_dir / "benchmarks.json"),
                    {"bench_x.TrackX.track_x": {"name": "bench_x.TrackX.track_x",
                                                "param_names": [], "params": []}},
                    api_version=Benchmarks.api_version)


@pytest.fixture
def small(tmp_path):
    """A five-commit main on a remote served as GitHub serves one (smart
    HTTP on 127.0.0.1, 401 without the token), and a checkout of it made as
    actions/checkout makes one.  Yields (bare repo, checkout, history oldest
    first, the remote's URL)."""
    bare = tmp_path / "srv" / "remote.git"
    git("init", "-q", "--bare", "-b", "main", str(bare), cwd=tmp_path)
    seed = tmp_path / "seed"
    git("init", "-q", "-b", "main", str(seed), cwd=tmp_path)
    for i in range(5):
        commit_file(seed, f"f{i}")
    git("push", "-q", str(bare), "main", cwd=seed)
    with serve(tmp_path / "srv", TOKEN) as (url, _):
        clone = tmp_path / "clone"
        checkout_like_actions(f"{url}/remote.git", TOKEN, clone)
        history = list(reversed(out("rev-list", "main", cwd=clone).split()))  # oldest first
        yield bare, clone, history, f"{url}/remote.git"


def test_two_racing_nights_are_both_stored(small, tmp_path):
    bare, clone, history, url = small
    other = tmp_path / "other"
    checkout_like_actions(url, TOKEN, other)
    pairs = []
    for repo, commit in ((clone, history[0]), (other, history[1])):
        store = nightly.Store(repo, "origin", "m")
        store.open()
        _fake_results(repo / "r", "m", commit)
        pairs.append((repo, store, commit))
    for repo, store, commit in pairs:   # both opened the empty store before either pushed
        assert store.save(repo / "r", commit).stored
    files = stored_files(bare)
    assert _has_m(files, history[0]) and _has_m(files, history[1])
    assert "results/m/machine.json" in files


def _has_m(files, commit):
    return any(f.startswith(f"results/m/{commit[:8]}") for f in files)


def test_a_push_refused_for_another_reason_is_tried_again_then_refused(small, capsys):
    bare, clone, history, _ = small
    hook = bare / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'protected branch: pushes need a review' >&2\nexit 1\n")
    hook.chmod(0o755)
    store = nightly.Store(clone, "origin", "m", backoff=(0.0, 0.0))
    store.open()
    _fake_results(clone / "r", "m", history[0])
    with pytest.raises(nightly.PushRefused, match="protected branch: pushes need a review"):
        store.save(clone / "r", history[0])
    assert capsys.readouterr().out.count("trying again in 0 s") == 2
    assert stored_files(bare) == []


def test_corrupt_stored_files_are_named_left_out_and_replaced(small):
    bare, clone, history, _ = small
    store = clone / ".asv" / "store"
    nightly.Store(clone, "origin", "m").open()
    _fake_results(clone / "r", "m", history[0])
    nightly.Store(clone, "origin", "m").save(clone / "r", history[0])
    # Someone stores a corrupt result of commit 1 and a corrupt machine.json.
    (store / "results" / "m" / f"{history[1][:8]}-env.json").write_text("{not json")
    (store / "results" / "m" / "machine.json").write_text("{not json")
    git("add", ".", cwd=store)
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "corrupt", cwd=store)
    git("push", "-q", "origin", "HEAD:refs/heads/benchmark-results", cwd=store)
    loaded = clone / "loaded"
    nightly.Store(clone, "origin", "m").open()
    night = nightly.Store(clone, "origin", "m").load(loaded)
    assert len(night.corrupt) == 2 and any(f"{history[1][:8]}-env.json" in c
                                           for c in night.corrupt)
    assert not (loaded / "m" / f"{history[1][:8]}-env.json").exists()
    assert (loaded / "benchmarks.json").is_file()
    # Commit 1 counts as not measured, and a good measurement replaces it.
    assert nightly.pending(clone, "main", loaded, "m", night.retries, 1) == [history[1]]
    _fake_results(loaded, "m", history[1])
    saved = nightly.Store(clone, "origin", "m").save(loaded, history[1], night.retries)
    assert {f"results/m/{history[1][:8]}-env.json", "results/m/machine.json"} <= set(
        saved.repaired)
    for name in (f"results/m/{history[1][:8]}-env.json", "results/m/machine.json"):
        json.loads(out("show", f"benchmark-results:{name}", cwd=bare))


def test_the_backlog_drains_oldest_first_and_failures_are_retried(small):
    bare, clone, history, _ = small
    results_dir = clone / "r"
    _fake_results(results_dir, "m", history[0])
    # A machine with no results starts at the tip.
    assert nightly.pending(clone, "main", clone / "none", "m", {}, 2) == [history[-1]]
    assert nightly.pending(clone, "main", results_dir, "m", {}, 2) == history[1:3]
    for c in history[1:3]:
        _fake_results(results_dir, "m", c)
    assert nightly.pending(clone, "main", results_dir, "m", {}, 2) == history[3:5]
    # A commit whose benchmark failed is measured again, RETRIES nights in all.
    for c in history[3:5]:
        _fake_results(results_dir, "m", c)
    _fake_results(results_dir, "m", history[2], value=None)
    for n in range(1, nightly.RETRIES):
        assert nightly.pending(clone, "main", results_dir, "m", {history[2]: n}, 5) == [
            history[2]]
    assert nightly.pending(clone, "main", results_dir, "m",
                           {history[2]: nightly.RETRIES}, 5) == []


def test_with_several_cython_releases_a_commit_is_done_when_each_has_a_result(small):
    bare, clone, history, _ = small
    results_dir = clone / "r"
    releases = ["3.1.8", "3.3.1"]
    _fake_results(results_dir, "m", history[-1])               # the default build only
    _fake_results(results_dir, "m", history[-2], cython="3.1.8")
    # No commit has every release yet: a machine new to the list starts at the tip.
    assert nightly.pending(clone, "main", results_dir, "m", {}, 5, releases) == [history[-1]]
    _fake_results(results_dir, "m", history[-1], cython="3.1.8")
    assert nightly.pending(clone, "main", results_dir, "m", {}, 5, releases) == [history[-1]]
    _fake_results(results_dir, "m", history[-1], cython="3.3.1")
    assert nightly.pending(clone, "main", results_dir, "m", {}, 5, releases) == []
    # Without the list, every result counts, as before.
    assert nightly.pending(clone, "main", results_dir, "m", {}, 5) == []


def test_a_night_names_a_release_pip_does_not_know_before_measuring(small):
    bare, clone, history, url = small
    with pytest.raises(ValueError, match="no Cython release left to measure: Cython 9.9.9"):
        nightly.run_night(clone, remote="origin", cython=("9.9.9",), publish_pages=False)


def test_a_good_result_is_never_replaced(small):
    bare, clone, history, _ = small
    nightly.Store(clone, "origin", "m").open()
    _fake_results(clone / "r", "m", history[0], value=1.0)
    nightly.Store(clone, "origin", "m").save(clone / "r", history[0])
    first = out("show", f"benchmark-results:results/m/{history[0][:8]}-env.json", cwd=bare)
    _fake_results(clone / "r", "m", history[0], value=None)   # a later, failing measurement
    nightly.Store(clone, "origin", "m").open()
    saved = nightly.Store(clone, "origin", "m").save(clone / "r", history[0])
    assert out("show", f"benchmark-results:results/m/{history[0][:8]}-env.json",
               cwd=bare) == first
    assert not saved.repaired


def test_retries_and_replacement_are_per_environment(small):
    """Under the Cython matrix a commit has one result file per release: a
    release's failure is retried RETRIES nights of its own, and a retry
    replaces only the release that failed, never another's good result."""
    bare, clone, history, _ = small
    results_dir = clone / "r"
    c = history[-1]   # the tip: nothing older is pending on a machine new to it
    _fake_results(results_dir, "m", c, cython="3.1.8", value=None)   # failed
    _fake_results(results_dir, "m", c, cython="3.3.1")               # good
    env_old, env_new = "env-Cython3.1.8", "env-Cython3.3.1"
    assert nightly.pending(clone, "main", results_dir, "m", {}, 5) == [c]
    # The good release's nights do not count for the failed one.
    assert nightly.pending(clone, "main", results_dir, "m",
                           {c: {env_new: nightly.RETRIES}}, 5) == [c]
    assert nightly.pending(clone, "main", results_dir, "m",
                           {c: {env_old: nightly.RETRIES}}, 5) == []
    store = nightly.Store(clone, "origin", "m")
    store.open()
    store.save(results_dir, c)
    good = out("show", f"benchmark-results:results/m/{c[:8]}-{env_new}.json", cwd=bare)
    # A retry: the failed release now measures, the good one now fails.
    _fake_results(results_dir, "m", c, cython="3.1.8", value=1.0)
    _fake_results(results_dir, "m", c, cython="3.3.1", value=None)
    store.open()
    assert store.save(results_dir, c).repaired == [f"results/m/{c[:8]}-{env_old}.json"]
    assert out("show", f"benchmark-results:results/m/{c[:8]}-{env_new}.json",
               cwd=bare) == good


def test_with_several_python_builds_a_commit_is_done_when_each_build_has_each_release(small):
    bare, clone, history, _ = small
    results_dir = clone / "r"
    builds, releases = ["3.11", "3.13t"], ["3.1.8", "3.3.1"]
    for release in releases:
        _fake_results(results_dir, "m", history[-1], cython=release)   # 3.11 only
    assert nightly.pending(clone, "main", results_dir, "m", {}, 5, builds=builds) == [
        history[-1]]
    _fake_results(results_dir, "m", history[-1], cython="3.1.8", python="3.13t")
    assert nightly.pending(clone, "main", results_dir, "m", {}, 5, releases,
                           builds=builds) == [history[-1]]
    # Without the list of releases, any release of each build counts.
    assert nightly.pending(clone, "main", results_dir, "m", {}, 5, builds=builds) == []
    _fake_results(results_dir, "m", history[-1], cython="3.3.1", python="3.13t")
    assert nightly.pending(clone, "main", results_dir, "m", {}, 5, releases,
                           builds=builds) == []
