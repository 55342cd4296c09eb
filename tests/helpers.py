"""What the tests share that is not a fixture: the suite's smoke settings,
the sizes and thread counts kernels are checked at, the oracles kernels are
checked against, the valgrind requirement, and the scratch clones and
environments the asv-running tests set up, and real asv on the checkout
with its outputs in a scratch directory.  The fixtures themselves, and the
hook that groups the tests sharing one, are in conftest.py."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

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

def require(what: str, why: str | None, fix: str) -> None:
    """The one rule for a missing tool: nothing when ``why`` is None; else a
    skip outside CI, and under ``CI=true`` a failure (CI installs every tool
    the tests need: ``fix`` says how)."""
    if why is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{what} unavailable in CI: {why} ({fix})")
    pytest.skip(f"{what} unavailable: {why}; in CI this test fails instead")


def require_valgrind() -> None:
    """Instruction counts (callgrind): :func:`require`."""
    from benchmarks.harness import instructions

    require("instruction counts", instructions.unavailable_reason(),
            ".ci/run installs valgrind as root: apt-get install valgrind")


def share_asv_env(clone, env_dir) -> None:
    """Point ``clone``'s asv environments (``.asv/env``, asv.conf.json's
    env_dir) at the session's shared directory."""
    (clone / ".asv").mkdir(exist_ok=True)
    (clone / ".asv" / "env").symlink_to(env_dir, target_is_directory=True)


ROOT = Path(__file__).resolve().parents[1]
#: The machine name of the free-threaded run (conftest.py, ``ft_run``), and
#: what it measures: the machine's read-outs and C5's kernels.
FT_MACHINE = "ft-test"
FT_BENCHES = r"TrackMachine|TimeC5GilRoundtrip"
#: The Cython release the free-threaded run asks for beside the one that
#: built this gilbench: older than the build requires, so it cannot build.
UNBUILDABLE_CYTHON = "3.0.12"
#: The benchmarks the test calibration runs (smoke settings).
CALIBRATED_BENCHES = "TrackC1Instructions|TimeC4ReleaseEvery|TrackC4FlagSeen"


def git(*args, cwd):
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout.strip()


#: Fixed commit dates: an empty commit over the same parent is then the same
#: commit in every clone, so asv builds it once per session (the gate's
#: calibration and the gate's tests share their builds that way; a date after
#: every real commit keeps them the newest, as a new commit is).
FIXED_DATES = {"GIT_AUTHOR_DATE": "2099-01-01T00:00:00+0000",
               "GIT_COMMITTER_DATE": "2099-01-01T00:00:00+0000"}
#: What the gate tests calibrate and gate: an exact count and a time.
GATE_BENCHES = r"TrackC1Instructions|TimeC4ReleaseEvery"
#: The benchmark modules of the gate tests' clone: those of GATE_BENCHES,
#: C6's (which a HEAD of theirs deletes) and the machine's.
GATE_SUITE = ("bench_c1_gil_held.py", "bench_c4_brief_release.py", "bench_c6_scan.py",
              "bench_machine.py", "bench_runtime.py")


def gate_env(home) -> dict:
    env = dict(os.environ, HOME=str(home), **SMOKE_ENV, **FIXED_DATES)
    for var in ("GITHUB_STEP_SUMMARY", "GILBENCH_MACHINE", "RUNNER_ENVIRONMENT", "GILBENCH_CYTHON"):
        env.pop(var, None)
    return env


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
