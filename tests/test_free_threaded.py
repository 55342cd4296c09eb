"""gilbench on a free-threaded CPython, for real: ``gilbench bench --python
<3.13t>`` on a clone (tests/conftest.py, ``ft_run``; with two Cython
releases, one of which cannot build: the two axes in one run) builds gilbench
with the real asv in a virtualenv of the free-threaded interpreter, measures
a few benchmarks and files them apart;
the run is read back as a run without the GIL (every kernel module imported,
the GIL still off).  In that environment the kernels that touch Python
objects from parallel threads give right answers at 1, 2 and 8 threads,
again and again; and a module built without ``freethreading_compatible``
turns the GIL back on and is seen doing so.

The interpreter comes from :func:`gilbench.free_threaded_python.find`
(``nox -s free-threaded-python`` makes one; ``.ci/run`` does when there is
none).  Without one these tests skip, and under ``CI=true`` they fail.
"""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

from gilbench import free_threaded_python, results
from gilbench.kernels import CYTHON_VERSION

from helpers import FT_MACHINE, ROOT, SMOKE_ENV

MACHINE = FT_MACHINE


def test_a_run_on_a_free_threaded_build_is_filed_apart_and_read_as_one_without_the_gil(ft_run):
    r = ft_run["run"]
    # exit 2: the run's other Cython release cannot build (tests/test_cython_releases.py)
    assert r.returncode == 2, r.stdout[-4000:] + r.stderr[-3000:]
    build = free_threaded_python.is_free_threaded(ft_run["python"])
    res = ft_run["repo"] / ".asv" / "results"
    files = sorted(p.name for p in (res / MACHINE).glob("*-*.json"))
    assert files and all(f"py{build}" in f for f in files), files
    (run,) = [r for r in results.load(res) if r.cython == CYTHON_VERSION]
    assert run.python == build and run.free_threaded
    assert run.without_gil, run.gil_came_back  # every kernel module imported, GIL still off
    assert run.label.startswith(f"{MACHINE}, Python {build}, Cython ")
    assert run.point("TimeC5GilRoundtrip.time_c5_gil_roundtrip").ok


def _in_env(ft_run, code: str, **kw) -> subprocess.CompletedProcess:
    python = ft_run["python"]
    assert python, "the asv run made no free-threaded environment"
    return subprocess.run([python, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=600, env=dict(ft_run["env"], **SMOKE_ENV), **kw)


def test_kernels_that_touch_python_objects_in_parallel_are_right_without_the_gil(ft_run):
    r = _in_env(ft_run, """
        import sys
        import numpy as np
        from gilbench import _openmp_helpers
        from gilbench.kernels import PRANGE_KEEPS_GIL, c5_with_gil_in_prange as c5
        assert not sys._is_gil_enabled(), "the GIL came back on import"
        x = np.arange(1, 100_001, dtype=float)
        want = float((x * x).sum())
        for _ in range(30):
            for nt in (1, 2, 8):
                for block in c5.BLOCKS:
                    s, entered = c5.prange_with_gil(x, every=7, num_threads=nt, block=block)
                    assert abs(s - want) <= 1e-9 * want, (block, nt, s)
                    assert entered == (0 if block == "never" else -(-len(x) // 7))
                s, inits = c5.section_gil_once(x, every=7, num_threads=nt)
                assert abs(s - want) <= 1e-9 * want and 1 <= inits <= nt
                got = _openmp_helpers.call_in_prange(lambda: 1, nt)
                assert [v for _, v in got] == [1] * nt
                if PRANGE_KEEPS_GIL:
                    from gilbench.kernels import c5_prange_keeps_gil as kept
                    s, ran = kept.prange_keeps_gil(x, every=7, num_threads=nt)
                    assert abs(s - want) <= 1e-9 * want and ran == -(-len(x) // 7)
        assert not sys._is_gil_enabled()
        print("ok")
    """)
    assert r.returncode == 0 and r.stdout.strip().endswith("ok"), r.stdout + r.stderr[-3000:]


def test_a_module_without_the_directive_turns_the_gil_on_and_is_seen(ft_run, tmp_path):
    (tmp_path / "legacy.pyx").write_text("def one():\n    return 1\n")
    build = _in_env(ft_run, f"""
        from Cython.Build import cythonize
        from setuptools import Extension, setup
        setup(script_args=["build_ext", "--inplace"],
              ext_modules=cythonize([Extension("legacy", [{str(tmp_path / 'legacy.pyx')!r}])],
                                    language_level=3, quiet=True))
    """, cwd=tmp_path)
    if build.returncode != 0 and "No module named 'setuptools'" in build.stderr:
        subprocess.run([ft_run["python"], "-m", "pip", "install", "-q", "setuptools"], check=True)
        build = _in_env(ft_run, build.args[-1], cwd=tmp_path)
    assert build.returncode == 0, build.stderr[-3000:]
    sys_path = str(Path(ROOT) / "benchmarks")
    r = _in_env(ft_run, f"""
        import sys
        sys.path[:0] = [{str(tmp_path)!r}, {str(Path(sys_path).parent)!r}]
        from benchmarks.harness import gil
        assert gil.free_threaded_build()
        before = gil.gil_enabled()          # every kernel module imported: still off
        import legacy                        # no freethreading_compatible
        after = gil.gil_enabled(after_imports=False)
        print(before, after)
    """, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.split() == ["False", "True"], r.stdout + r.stderr
    assert "GIL" in r.stderr          # the interpreter's own warning names it
