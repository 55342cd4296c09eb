"""One harness for every commit: asv builds only the kernels per commit and
takes the suite, harness included, from the checkout it runs in.  So today's
suite measures a real commit from before the harness left the wheel, with
today's instruments: its kernels are timed, counted and recorded, none fails.
Real asv, a real virtualenv and a real build of that commit."""

import os
import subprocess
import sys

import pytest

from gilbench import results

from helpers import ROOT, SMOKE_ENV, git, require_valgrind

#: The last commit whose wheel shipped the harness (timing, counting,
#: pinning and thread counts inside gilbench), measured here by today's suite.
BEFORE_THE_MOVE = "20240010a6fd8141d50978d6bcd19f97973784b3"
#: A count, a time and the machine record: each needs the harness.
BENCHES = "TrackC1Instructions|TimeC4ReleaseEvery|TrackMachine"


def _have(commit) -> bool:
    return subprocess.run(["git", "cat-file", "-e", f"{commit}^{{commit}}"], cwd=ROOT,
                          capture_output=True).returncode == 0


@pytest.fixture(scope="module")
def old_commit_measured(tmp_path_factory):
    """Today's suite on the old commit, in an asv environment of its own
    (its sources differ from every other build's)."""
    if not _have(BEFORE_THE_MOVE):
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{BEFORE_THE_MOVE[:8]} is not in this clone's history (a shallow "
                        "clone?): the test measures that real commit")
        pytest.skip(f"{BEFORE_THE_MOVE[:8]} is not in this clone's history (shallow clone)")
    tmp = tmp_path_factory.mktemp("old-commit")
    work = tmp / "work"
    git("clone", "-q", "--no-local", str(ROOT), str(work), cwd=tmp)
    git("checkout", "-q", "-B", "main", git("rev-parse", "HEAD", cwd=ROOT), cwd=work)
    env = dict(os.environ, HOME=str(tmp / "home"), **SMOKE_ENV)
    for var in ("GILBENCH_CYTHON", "GILBENCH_FAIL_BENCHMARK"):
        env.pop(var, None)
    subprocess.run([sys.executable, "-m", "asv", "machine", "--yes", "--machine", "old-test"],
                   cwd=work, env=env, check=True, capture_output=True, timeout=120)
    r = subprocess.run([sys.executable, "-m", "asv", "run", f"{BEFORE_THE_MOVE}^!", "--quick",
                        "--show-stderr", "--machine", "old-test", "-b", BENCHES],
                       cwd=work, env=env, capture_output=True, text=True, timeout=1500)
    return work, r


def test_todays_suite_measures_a_commit_from_before_the_harness_move(old_commit_measured):
    work, r = old_commit_measured
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-5000:]
    (run,) = results.load(work / ".asv" / "results", machine="old-test")
    assert run.commit == BEFORE_THE_MOVE
    assert not run.failed(), [p.name for p in run.failed()]
    assert run.cython and run.cython_source != ""
    times = run.of("bench_c4_brief_release.TimeC4ReleaseEvery.time_c4_release_every")
    assert times and all(p.ok and p.value > 0 for p in times)
    counts = run.of("bench_c1_gil_held.TrackC1Instructions.track_c1_instructions")
    assert counts
    if all(p.status == "skipped" for p in counts):
        require_valgrind()   # skips outside CI, fails in it
    assert all(p.ok and p.value > 0 for p in counts), counts
