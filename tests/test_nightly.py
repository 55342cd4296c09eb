"""The nightly, for real: a scratch clone of this repository, a local bare git
repository as the results remote, real asv runs (smoke settings, a few
benchmarks), real pushes.

* A night killed mid-run leaves the results branch as it was.
* Two nights on two new commits leave both commits' results on the branch,
  and the published index.json lists both.
* A benchmark that fails (on purpose: GILBENCH_FAIL_BENCHMARK) is recorded as
  failed and the other results are stored.
* The store logic alone: two nights racing both get stored; a corrupt stored
  file is named and left out; a night with nothing new exits cleanly.
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

from gilbench import nightly

ROOT = Path(__file__).resolve().parents[1]
BENCHES = "TrackC6NaiveError|TrackC4CostPerRelease"


def git(*args, cwd):
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout.strip()


def branch_head(remote, branch="benchmark-results"):
    out = git("ls-remote", "--heads", str(remote), branch, cwd=remote)
    return out.split()[0] if out else None


def stored_files(remote, branch="benchmark-results"):
    if branch_head(remote, branch) is None:
        return []
    return git("ls-tree", "-r", "--name-only", branch, cwd=remote).splitlines()


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A scratch clone of this repository (its current commit on ``main``),
    a bare remote for the results, and an environment for the nights."""
    tmp = tmp_path_factory.mktemp("nightly")
    head = git("rev-parse", "HEAD", cwd=ROOT)
    proj = tmp / "proj"
    git("clone", "-q", "--no-local", str(ROOT), str(proj), cwd=tmp)
    git("checkout", "-q", "-B", "main", head, cwd=proj)
    git("config", "user.name", "test", cwd=proj)
    git("config", "user.email", "test@localhost", cwd=proj)
    remote = tmp / "store.git"
    git("init", "-q", "--bare", str(remote), cwd=tmp)
    env = dict(os.environ, HOME=str(tmp / "home"), GILBENCH_SMOKE="1",
               XDG_CACHE_HOME=os.environ.get("XDG_CACHE_HOME",
                                             str(Path.home() / ".cache")))
    env.pop("GITHUB_STEP_SUMMARY", None)
    return proj, remote, env


def night_cmd(proj, remote):
    return [sys.executable, "-m", "gilbench", "nightly", "--repo", str(proj), "--remote",
            str(remote), "--machine", "nightly-test", "--", "--quick", "-b", BENCHES]


@pytest.fixture(scope="module")
def nights(project):
    """Night 0 killed mid-run; night 1 on commit A (one benchmark failing on
    purpose); a new commit B; night 2; night 3 with nothing new."""
    proj, remote, env = project
    out = {}
    # Night 0: killed once asv has started benchmarking.
    p = subprocess.Popen(night_cmd(proj, remote), cwd=proj, env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, start_new_session=True)
    seen = []
    deadline = time.monotonic() + 600
    for line in p.stdout:
        seen.append(line)
        if "Running " in line and "benchmarks" in line or time.monotonic() > deadline:
            break
    os.killpg(p.pid, signal.SIGKILL)
    p.wait()
    out["killed_output"] = "".join(seen)
    out["after_kill"] = branch_head(remote)
    # Night 1: commit A.
    env1 = dict(env, GILBENCH_FAIL_BENCHMARK="TrackC4CostPerRelease")
    out["night1"] = subprocess.run(night_cmd(proj, remote), cwd=proj, env=env1,
                                   capture_output=True, text=True, timeout=900)
    out["commit_a"] = git("rev-parse", "main", cwd=proj)
    out["after_night1"] = stored_files(remote)
    # A new commit B, then night 2.
    (proj / "NIGHTLY-TEST.txt").write_text("a new commit\n")
    git("add", "NIGHTLY-TEST.txt", cwd=proj)
    git("commit", "-q", "-m", "a new commit", cwd=proj)
    out["commit_b"] = git("rev-parse", "main", cwd=proj)
    out["night2"] = subprocess.run(night_cmd(proj, remote), cwd=proj, env=env,
                                   capture_output=True, text=True, timeout=900)
    out["after_night2"] = stored_files(remote)
    out["head_after_night2"] = branch_head(remote)
    # Night 3: nothing new.
    out["night3"] = subprocess.run(night_cmd(proj, remote), cwd=proj, env=env,
                                   capture_output=True, text=True, timeout=900)
    out["head_after_night3"] = branch_head(remote)
    return out


def _ok(r):
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]


def test_killed_night_leaves_the_store_as_it_was(nights):
    assert "benchmarking 1 new commit" in nights["killed_output"], nights["killed_output"]
    assert nights["after_kill"] is None  # the branch was never created


def test_two_nights_store_both_commits_and_publish_both(nights, project):
    proj, _, _ = project
    _ok(nights["night1"])
    _ok(nights["night2"])
    a, b = nights["commit_a"][:8], nights["commit_b"][:8]
    files1, files2 = nights["after_night1"], nights["after_night2"]
    assert any(f.startswith(f"results/nightly-test/{a}") for f in files1), files1
    assert set(files1) <= set(files2), "a night removed a stored file"
    assert any(f.startswith(f"results/nightly-test/{b}") for f in files2), files2
    assert "results/nightly-test/machine.json" in files2
    index = json.loads((proj / ".asv" / "html" / "index.json").read_text())
    hashes = set(index["revision_to_hash"].values())
    assert {nights["commit_a"], nights["commit_b"]} <= hashes
    assert (proj / ".asv" / "html" / "claims" / "index.html").is_file()
    assert (proj / ".asv" / "html" / "vendor" / "manifest.json").is_file()


def test_failing_benchmark_is_recorded_and_the_rest_stored(nights, project):
    out = nights["night1"].stdout + nights["night1"].stderr
    assert "TrackC4CostPerRelease" in out and "failed" in out, out[-3000:]
    proj, remote, _ = project
    a = nights["commit_a"][:8]
    name = next(f for f in nights["after_night1"] if f.startswith(f"results/nightly-test/{a}"))
    data = json.loads(git("show", f"benchmark-results:{name}", cwd=remote))
    results = data["results"]
    failed = [k for k in results if "TrackC4CostPerRelease" in k]
    stored = [k for k in results if "TrackC6NaiveError" in k]
    assert failed and all(results[k][0] in (None, [None]) for k in failed), results
    assert stored and all(v is not None for k in stored for v in results[k][0])


def test_night_with_nothing_new_exits_cleanly(nights):
    _ok(nights["night3"])
    assert "nothing new" in nights["night3"].stdout
    assert nights["head_after_night3"] == nights["head_after_night2"]


# --- the store alone ---------------------------------------------------------------

def _fake_results(results_dir, machine, commit):
    """A real asv result file (asv's own API) for ``commit``."""
    from asv import util
    from asv.machine import Machine
    from asv.results import Results
    from asv.runner import BenchmarkResult

    res = Results({"machine": machine}, {}, commit, 1_700_000_000_000, "3.11", "env", {})
    res.add_result({"name": "bench_x.TrackX.track_x", "version": "1", "params": []},
                   BenchmarkResult(result=[1.0], samples=[None], number=[None], errcode=0,
                                   stderr="", profile=None))
    res.save(str(results_dir))
    util.write_json(str(results_dir / machine / "machine.json"), {"machine": machine},
                    api_version=Machine.api_version)
    from asv.benchmarks import Benchmarks

    util.write_json(str(results_dir / "benchmarks.json"),
                    {"bench_x.TrackX.track_x": {"name": "bench_x.TrackX.track_x",
                                                "commit": commit}},
                    api_version=Benchmarks.api_version)


def test_two_racing_nights_are_both_stored(tmp_path):
    remote = tmp_path / "store.git"
    git("init", "-q", "--bare", str(remote), cwd=tmp_path)
    stores, dirs = [], []
    for i in range(2):  # both open the (empty) store before either pushes
        store, results_dir = tmp_path / f"store{i}", tmp_path / f"results{i}"
        nightly.open_store(store, str(remote), "benchmark-results")
        _fake_results(results_dir, "m", f"{i + 1}" * 40)
        stores.append(store)
        dirs.append(results_dir)
    for i in range(2):
        night = nightly.Night(machine="m", benchmarked=[f"{i + 1}" * 40])
        nightly.save_store(stores[i], dirs[i], "m", str(remote), "benchmark-results",
                           f"{i + 1}" * 40, night)
        assert night.stored
    files = stored_files(remote)
    assert any(f.startswith("results/m/11111111") for f in files)
    assert any(f.startswith("results/m/22222222") for f in files)
    assert "results/m/machine.json" in files


def test_corrupt_stored_file_is_named_and_left_out(tmp_path):
    remote = tmp_path / "store.git"
    git("init", "-q", "--bare", str(remote), cwd=tmp_path)
    store = tmp_path / "store"
    nightly.open_store(store, str(remote), "benchmark-results")
    _fake_results(tmp_path / "r", "m", "1" * 40)
    nightly.save_store(store, tmp_path / "r", "m", str(remote), "benchmark-results", "1" * 40,
                       nightly.Night(machine="m", benchmarked=["1" * 40]))
    broken = store / "results" / "m" / "ffffffff-env.json"
    broken.write_text("{not json")
    git("add", ".", cwd=store)
    git("commit", "-q", "-m", "a corrupt file", cwd=store)
    git("push", "-q", str(remote), "HEAD:refs/heads/benchmark-results", cwd=store)
    fresh = tmp_path / "store2"
    nightly.open_store(fresh, str(remote), "benchmark-results")
    night = nightly.Night(machine="m")
    nightly.load_store(fresh, tmp_path / "loaded", night)
    assert len(night.corrupt) == 1 and "ffffffff-env.json" in night.corrupt[0]
    assert not (tmp_path / "loaded" / "m" / "ffffffff-env.json").exists()
    assert any((tmp_path / "loaded" / "m").glob("11111111-*.json"))
    # The benchmark list asv publish needs comes back from the store too.
    assert (tmp_path / "loaded" / "benchmarks.json").is_file()
