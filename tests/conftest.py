"""The tests' fixtures (the asv environment, builds and calibrations that
several tests share) and the hook that keeps the tests sharing one in one
pytest-xdist worker.  What they share that is not a fixture is in helpers.py."""

import glob
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from helpers import (
    CALIBRATED_BENCHES,
    FT_BENCHES,
    FT_MACHINE,
    GATE_BENCHES,
    GATE_SUITE,
    ROOT,
    SMOKE_ENV,
    UNBUILDABLE_CYTHON,
    gate_env,
    git,
    require_valgrind,
    share_asv_env,
)


@pytest.fixture(scope="session")
def rng():
    return np.random.default_rng(12345)


@pytest.fixture
def valgrind():
    require_valgrind()


# --- what is slow, and which tests share one worker ------------------------------

#: The fixtures that run real asv on real virtualenvs, builds or whole-suite
#: runs (a minute or more each), and the group of each.  A test that uses one
#: is marked ``slow``, so ``pytest -m "not slow"`` is the quick run.  The
#: README's test command runs pytest-xdist (``-n auto --dist loadgroup``):
#: tests that share one of these fixtures run in one worker, so that each is
#: made once a session -- the asv environment, builds and calibration that the
#: gate's and the nightly's tests share; the noise table's calibration (its
#: own environment); the whole-suite smoke run; the minimal build; the
#: free-threaded build's asv run; the free-threaded virtualenv that
#: ``gilbench advise --python`` measures through; the commit from before the harness move (its
#: own environment: a build of other sources in the shared one would make the
#: next build there start from scratch).  The first match names the group.
SHARED_FIXTURES = {"asv_env_dir": "asv-env", "gate_calibrated": "asv-env",
                   "calibrated": "calibration", "smoke_run": "smoke",
                   "serial_build": "minimal-build", "ft_run": "free-threaded",
                   "ft_advise_env": "free-threaded-advise",
                   "old_commit_measured": "old-commit",
                   "first_commit_measured": "first-commit"}


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


# --- one calibration for the noise table's and the gate's tests ------------------

@pytest.fixture(scope="session")
def calibrated(tmp_path_factory):
    """``gilbench calibrate --runs 2`` on a clone of this repository, and a
    third run, on a third identical commit, in which TimeC4ReleaseEvery fails
    on purpose (for the gate's tests)."""
    require_valgrind()   # the table's exact counts
    tmp = tmp_path_factory.mktemp("calibrate")
    repo = tmp / "repo"
    git("clone", "-q", "--no-local", str(ROOT), str(repo), cwd=tmp)
    git("checkout", "-q", "-B", "main", git("rev-parse", "HEAD", cwd=ROOT), cwd=repo)
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
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m",
        "A/A run 3", cwd=work)
    third = git("rev-parse", "HEAD", cwd=work)
    r3 = subprocess.run([sys.executable, "-m", "asv", "run", "-E", f"existing:{sys.executable}",
                         "--set-commit-hash", third, "--record-samples", "--machine",
                         "cal-test", "--quick", "-b", CALIBRATED_BENCHES], cwd=work,
                        env=dict(env, GILBENCH_FAIL_BENCHMARK="TimeC4ReleaseEvery"),
                        capture_output=True, text=True, timeout=900)
    assert r3.returncode in (0, 2), r3.stdout[-3000:] + r3.stderr[-3000:]
    return {"repo": repo, "work": work, "stdout": r.stdout, "commits": commits,
            "failing": third, "results": work / ".asv" / "results"}




# --- one calibration of the gate on its own protocol, and the builds it shares --

@pytest.fixture(scope="session")
def gate_calibrated(tmp_path_factory, asv_env_dir):
    """``gilbench calibrate --gate --pairs 1`` for real (two builds of
    identical code, interleaved rounds) on a clone of this repository,
    restricted to :data:`GATE_BENCHES`, in place (the clone is its own
    scratch clone, so that it shares the session's asv environment).  No
    pair is refused for load (the other test workers share the CPUs, and a
    shared VM's hypervisor steals): exactly one pair is measured, its load
    recorded."""
    require_valgrind()   # the gate counts instructions
    tmp = tmp_path_factory.mktemp("gate-calibration")
    work = tmp / "work"
    env = gate_env(tmp / "home")
    git("clone", "-q", "--no-local", str(ROOT), str(work), cwd=tmp)
    git("checkout", "-q", "-B", "main", git("rev-parse", "HEAD", cwd=ROOT), cwd=work)
    # A smaller suite, committed: the benchmark modules of GATE_SUITE only.
    # The suite's count tables are counted in one valgrind process per build
    # (benchmarks/common.py, every_instruction_point), so every count run of
    # these tests starts valgrind for those modules' points only (14 of 26).
    for path in (work / "benchmarks").glob("bench_*.py"):
        if path.name not in GATE_SUITE:
            path.unlink()
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-a",
                    "-m", "the gate tests' suite"], cwd=work, env=env, check=True)
    from gilbench.gate_calibration import BASE_TAG

    git("tag", BASE_TAG, "HEAD", cwd=work)
    # A checkout of that commit, to calibrate from as a user calibrates
    # their checkout (the busy-machine test).
    checkout = tmp / "checkout"
    git("worktree", "add", "-q", "--detach", str(checkout), BASE_TAG, cwd=work)
    share_asv_env(work, asv_env_dir)
    r = subprocess.run([sys.executable, "-m", "gilbench", "calibrate", "--gate", "--pairs", "1",
                        "--repo", str(work), "--workdir", str(work), "--machine", "gate-test",
                        "--only", GATE_BENCHES, "--max-others", "inf", "--max-steal", "inf",
                        "--", "--quick"],
                       cwd=work, env=env, capture_output=True, text=True, timeout=1200)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    pair = [git("rev-parse", BASE_TAG, cwd=work),
            git("rev-parse", "main", cwd=work)]
    return {"work": work, "env": env, "stdout": r.stdout, "pair": pair,
            "results": work / ".asv" / "results", "checkout": checkout}


# --- one real run on a free-threaded CPython, with two Cython releases ------------

@pytest.fixture(scope="session")
def ft_python():
    from gilbench import free_threaded_python

    python = free_threaded_python.find()
    if python is None:
        why = ("no free-threaded CPython here (python3.13t / python3.14t on PATH or among "
               "pyenv's versions); `nox -s free-threaded-python` builds one")
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(why + " (.ci/run makes it before the tests)")
        pytest.skip(why + "; in CI this test fails instead")
    return python


@pytest.fixture(scope="session")
def ft_run(ft_python, tmp_path_factory):
    """``gilbench bench --python <ft_python> --cython 3.0.12,<the release
    that built this gilbench>`` on a clone (real asv and pip, smoke
    settings): both axes in one run.  3.0.12 cannot build (tests of the
    Cython matrix, test_cython_releases.py); the other release is built and
    measured on the free-threaded interpreter (test_free_threaded.py).  The
    clone, the run's output, and the interpreter of the environment that
    built."""
    from gilbench import free_threaded_python
    from gilbench.kernels import CYTHON_VERSION

    tmp = tmp_path_factory.mktemp("free-threaded")
    repo = tmp / "repo"
    git("clone", "-q", "--no-local", str(ROOT), str(repo), cwd=tmp)
    git("checkout", "-q", "-B", "main", git("rev-parse", "HEAD", cwd=ROOT), cwd=repo)
    env = gate_env(tmp / "home")
    env.pop("GILBENCH_PYTHON", None)
    r = subprocess.run([sys.executable, "-m", "gilbench", "bench", "--python", str(ft_python),
                        "--cython", f"{UNBUILDABLE_CYTHON},{CYTHON_VERSION}",
                        "--machine", FT_MACHINE, "--repo", str(repo), "--", "HEAD^!",
                        "-b", FT_BENCHES, "--quick", "--show-stderr"],
                       cwd=repo, env=env, capture_output=True, text=True, timeout=1500)
    built = []   # the interpreters of the environments asv made with that release
    for info in glob.glob(str(repo / ".asv" / "env" / "*" / "asv-env-info.json")):
        if json.loads(Path(info).read_text()).get("requirements", {}).get("Cython") == \
                CYTHON_VERSION:
            built.append(str(Path(info).parent / "bin" / "python"))
    return {"repo": repo, "run": r, "env": env,
            "python": next((p for p in built if free_threaded_python.is_free_threaded(p)),
                           None)}
