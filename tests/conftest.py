import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from benchmarks.harness.threads import thread_counts
from gilbench import _openmp_helpers

#: How the tests run the suite: a smoke run (GILBENCH_SMOKE=1, as the README
#: documents it), with OpenBLAS started on one thread -- a smoke run pins BLAS
#: to one thread at every point, and the idle pool OpenBLAS starts otherwise
#: spins for about 0.2 s of CPU in every process asv spawns.
SMOKE_ENV = {"GILBENCH_SMOKE": "1", "OPENBLAS_NUM_THREADS": "1"}

#: Sizes every kernel is checked at: empty, one element, odd, large.
SIZES = [0, 1, 7, 1001, 1_000_003]


@pytest.fixture(scope="session")
def rng():
    return np.random.default_rng(12345)


requires_openmp = pytest.mark.skipif(
    not _openmp_helpers.openmp_enabled(), reason="gilbench was built without OpenMP")

#: 1 .. usable CPUs and 2 x CPUs: every kernel must be right oversubscribed too.
THREADS = thread_counts(oversubscribe=True)


# --- test oracles: what the kernels must return, computed in plain Python -------

def recurrence_reference(steps):
    """``steps`` steps of ``s = 0.999999 s + 1`` from 0 (C3's and C4's loop),
    in closed form."""
    n = int(steps)
    return (1.0 - 0.999999 ** n) / (1.0 - 0.999999)


def schedule_work_reference(n, inner, balanced=True):
    """What C7's ``schedule_work`` returns, step by step (the closed form would
    lose digits to cancellation)."""
    values = [0.0]
    y = 0.0
    for _ in range(2 * inner):
        y = y * 0.999999 + 1.0
        values.append(y)
    return sum(values[inner if balanced else (2 * inner * i) // n] for i in range(n))


# --- valgrind: exact instruction counts -----------------------------------------

def require_valgrind() -> None:
    """Skip (outside CI) or fail (CI=true: .ci/run and the workflows install
    valgrind) when exact instruction counts cannot be taken here."""
    from benchmarks.harness import instructions

    why = instructions.unavailable_reason()
    if why is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"instruction counts unavailable in CI: {why} (.ci/run installs valgrind "
                    "as root: apt-get install valgrind)")
    pytest.skip(f"instruction counts unavailable: {why}; in CI this test fails instead")


@pytest.fixture
def valgrind():
    require_valgrind()


# --- what is slow, and which tests share one worker ------------------------------

#: The fixtures that run real asv on real virtualenvs, builds or whole-suite
#: runs (a minute or more each), and the group of each.  A test that uses one
#: is marked ``slow``, so ``pytest -m "not slow"`` is the quick run.  The
#: README's test command runs pytest-xdist (``-n auto --dist loadgroup``):
#: tests that share one of these fixtures run in one worker, so that each is
#: made once a session -- the asv environment, builds and calibrations that the
#: gate's, the nightly's and the noise table's tests share; the whole-suite
#: smoke run; the minimal build.  The first match names the group.
SHARED_FIXTURES = {"asv_env_dir": "asv-env", "calibrated": "asv-env",
                   "gate_calibrated": "asv-env", "smoke_run": "smoke",
                   "serial_build": "minimal-build"}


@pytest.hookimpl(tryfirst=True)   # before pytest-xdist reads the groups
def pytest_collection_modifyitems(items):
    for item in items:
        used = set(item.fixturenames)
        group = next((g for f, g in SHARED_FIXTURES.items() if f in used), None)
        if group:
            item.add_marker(pytest.mark.xdist_group(group))
            item.add_marker(pytest.mark.slow)
    # The slow tests first, so that a worker starts on each long one early
    # (pytest-xdist hands out the largest groups first, then the rest in
    # this order).
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


# --- one asv environment for every test that lets asv build gilbench -----------

@pytest.fixture(scope="session")
def asv_env_dir(tmp_path_factory):
    """One asv ``env_dir`` shared by the tests that run asv on scratch clones
    (nightly, gate): asv creates its virtualenv once and caches each commit's
    wheel there by commit hash, so the same commit is built once per session
    whichever clone asks for it."""
    return tmp_path_factory.mktemp("asv-env")


def share_asv_env(clone, env_dir) -> None:
    """Point ``clone``'s asv environments (``.asv/env``, asv.conf.json's
    env_dir) at the session's shared directory."""
    (clone / ".asv").mkdir(exist_ok=True)
    (clone / ".asv" / "env").symlink_to(env_dir, target_is_directory=True)


# --- one calibration for the noise table's and the gate's tests ------------------

ROOT = Path(__file__).resolve().parents[1]
#: The benchmarks the test calibration runs (smoke settings).
CALIBRATED_BENCHES = "TrackC1Instructions|TimeC4ReleaseEvery|TrackC4FlagSeen"


def _git(*args, cwd):
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout.strip()


@pytest.fixture(scope="session")
def calibrated(tmp_path_factory):
    """``gilbench calibrate --runs 2`` on a clone of this repository, and a
    third run, on a third identical commit, in which TimeC4ReleaseEvery fails
    on purpose (for the gate's tests)."""
    require_valgrind()   # the table's exact counts
    tmp = tmp_path_factory.mktemp("calibrate")
    repo = tmp / "repo"
    _git("clone", "-q", "--no-local", str(ROOT), str(repo), cwd=tmp)
    _git("checkout", "-q", "-B", "main", _git("rev-parse", "HEAD", cwd=ROOT), cwd=repo)
    env = dict(os.environ, HOME=str(tmp / "home"), **SMOKE_ENV)
    env.pop("GITHUB_STEP_SUMMARY", None)
    work = tmp / "work"
    r = subprocess.run([sys.executable, "-m", "gilbench", "calibrate", "--repo", str(repo),
                        "--runs", "2", "--workdir", str(work), "--machine", "cal-test",
                        "--", "--quick", "-b", CALIBRATED_BENCHES],
                       cwd=repo, env=env, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    from gilbench import _asv, noise

    commits = _asv.identical_chain(work, noise.BASE_TAG)[1:]
    _git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m",
        "A/A run 3", cwd=work)
    third = _git("rev-parse", "HEAD", cwd=work)
    r3 = subprocess.run([sys.executable, "-m", "asv", "run", "-E", f"existing:{sys.executable}",
                         "--set-commit-hash", third, "--record-samples", "--machine",
                         "cal-test", "--quick", "-b", CALIBRATED_BENCHES], cwd=work,
                        env=dict(env, GILBENCH_FAIL_BENCHMARK="TimeC4ReleaseEvery"),
                        capture_output=True, text=True, timeout=900)
    assert r3.returncode in (0, 2), r3.stdout[-3000:] + r3.stderr[-3000:]
    return {"repo": repo, "work": work, "stdout": r.stdout, "commits": commits,
            "failing": third, "results": work / ".asv" / "results"}




# --- one calibration of the gate on its own protocol, and the builds it shares --

#: Fixed commit dates: an empty commit over the same parent is then the same
#: commit in every clone, so asv builds it once per session (the gate's
#: calibration and the gate's tests share their builds that way; a date after
#: every real commit keeps them the newest, as a new commit is).
FIXED_DATES = {"GIT_AUTHOR_DATE": "2099-01-01T00:00:00+0000",
               "GIT_COMMITTER_DATE": "2099-01-01T00:00:00+0000"}
#: What the gate tests calibrate and gate: an exact count and a time.
GATE_BENCHES = r"TrackC1Instructions|TimeC4ReleaseEvery"


def gate_env(home) -> dict:
    env = dict(os.environ, HOME=str(home), **SMOKE_ENV, **FIXED_DATES)
    for var in ("GITHUB_STEP_SUMMARY", "GILBENCH_MACHINE", "RUNNER_ENVIRONMENT", "GILBENCH_CYTHON"):
        env.pop(var, None)
    return env


@pytest.fixture(scope="session")
def gate_calibrated(tmp_path_factory, asv_env_dir):
    """``gilbench calibrate --gate --pairs 1`` for real (two builds of
    identical code, interleaved rounds) on a clone of this repository,
    restricted to :data:`GATE_BENCHES`, in place (the clone is its own
    scratch clone, so that it shares the session's asv environment)."""
    require_valgrind()   # the gate counts instructions
    tmp = tmp_path_factory.mktemp("gate-calibration")
    work = tmp / "work"
    _git("clone", "-q", "--no-local", str(ROOT), str(work), cwd=tmp)
    _git("checkout", "-q", "-B", "main", _git("rev-parse", "HEAD", cwd=ROOT), cwd=work)
    from gilbench.gate_calibration import BASE_TAG

    _git("tag", BASE_TAG, "HEAD", cwd=work)
    share_asv_env(work, asv_env_dir)
    env = gate_env(tmp / "home")
    r = subprocess.run([sys.executable, "-m", "gilbench", "calibrate", "--gate", "--pairs", "1",
                        "--repo", str(work), "--workdir", str(work), "--machine", "gate-test",
                        "--only", GATE_BENCHES, "--", "--quick"],
                       cwd=work, env=env, capture_output=True, text=True, timeout=1200)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    pair = [_git("rev-parse", BASE_TAG, cwd=work),
            _git("rev-parse", "main", cwd=work)]
    return {"work": work, "env": env, "stdout": r.stdout, "pair": pair,
            "results": work / ".asv" / "results"}
