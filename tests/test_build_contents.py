"""The suite against a build that lacks some of today's kernels
(benchmarks/harness/build_contents.py): discovery never fails, a benchmark
whose kernel is missing is skipped with a reason that names it, and every
other benchmark still runs.

The old build is made here by hiding names from today's real build in a
fresh interpreter: a kernel module that does not import, and a function
deleted from a module that does.  tests/test_history.py measures a real old
commit with asv.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from helpers import require

ROOT = Path(__file__).resolve().parents[1]

#: Run in a fresh interpreter, before the suite is imported: c6_scan and
#: c3_release_for_threads do not import, and c5_with_gil_in_prange has no
#: section_gil_once.
HIDE = """
import importlib.abc, sys
class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name in ("gilbench.kernels.c6_scan", "gilbench.kernels.c3_release_for_threads"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, Refuse())
import gilbench.kernels.c5_with_gil_in_prange as c5
del c5.section_gil_once
"""


def run_hidden(body: str) -> dict:
    code = HIDE + textwrap.dedent(body)
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_the_suite_keeps_the_kernel_modules_lists():
    """The parameter lists the suite owns (so that it imports without the
    kernel modules) are the ones today's kernel modules define."""
    from benchmarks import (
        bench_c1_gil_held,
        bench_c5_prange_keeps_gil,
        bench_c5_with_gil_in_prange,
        bench_c7_bandwidth,
        bench_c7_prange_overhead,
    )
    from gilbench.kernels import (
        c1_gil_held,
        c5_with_gil_in_prange,
        c7_bandwidth,
        c7_prange_overhead,
    )

    assert bench_c1_gil_held.VARIANTS == c1_gil_held.VARIANTS
    assert set(bench_c1_gil_held.KERNELS) == set(c1_gil_held.KERNELS)
    for kernel, variants in c1_gil_held.KERNELS.items():
        assert {v: f.__name__ for v, f in variants.items()} == \
            {v: f"{kernel}_{v}" for v in bench_c1_gil_held.VARIANTS}
    assert bench_c5_with_gil_in_prange.BLOCKS == c5_with_gil_in_prange.BLOCKS
    assert {k: v for k, v in bench_c7_bandwidth.BYTES.items() if k != "numpy_copyto"} == \
        c7_bandwidth.BYTES_PER_ELEMENT
    assert bench_c7_prange_overhead.SCHEDULES == c7_prange_overhead.SCHEDULES
    for way, name in bench_c5_prange_keeps_gil.WAY_KERNELS.items():
        assert hasattr(c5_with_gil_in_prange, name), way


def test_no_benchmark_module_imports_a_kernel_at_its_top_level():
    """The rule that keeps discovery alive, read from the source: kernels
    are reached through build_contents, never ``from gilbench.kernels...``
    at a module's top level (the build info and the OpenMP helpers' module,
    there since the first commit, are the exceptions)."""
    import ast

    allowed = {"gilbench._build_info", "gilbench"}
    for path in sorted((ROOT / "benchmarks").glob("bench_*.py")) + [ROOT / "benchmarks/common.py"]:
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ImportFrom) and node.module and \
                    node.module.startswith("gilbench"):
                assert node.module in allowed, f"{path.name}:{node.lineno} imports {node.module}"
            if isinstance(node, ast.Import):
                for alias in node.names:
                    assert not alias.name.startswith("gilbench."), f"{path.name}:{node.lineno}"


def test_discovery_survives_a_build_without_some_kernels():
    """Every benchmark module imports; exactly the classes that reach a
    hidden kernel are skipped, each with a reason naming what it lacks."""
    got = run_hidden("""
        import importlib, inspect, json, pathlib
        from benchmarks.harness.build_contents import missing_reason
        out = {}
        for path in sorted(pathlib.Path("benchmarks").glob("bench_*.py")):
            module = importlib.import_module(f"benchmarks.{path.stem}")
            for name, obj in vars(module).items():
                if inspect.isclass(obj) and obj.__module__ == module.__name__ and \\
                        any(n.startswith(("time_", "track_", "timeraw_", "peakmem_"))
                            for n in dir(obj)):
                    out[f"{path.stem}.{name}"] = missing_reason(obj)
        # The instruction counts' shared universe is listed from every count
        # class, those of hidden kernels included, without failing.
        from benchmarks.common import every_instruction_point
        out["universe"] = sorted(f"{p[0]}.{p[1]}" for p in every_instruction_point())
        print(json.dumps(out))
    """)
    universe = got.pop("universe")
    kernels = "gilbench.kernels."
    assert f"{kernels}c1_gil_held.sumsq_gil" in universe
    assert f"{kernels}c6_scan.cumsum_seq" in universe    # named by a string: listed
    # named by f.__name__ in a class that is skipped whole: not listed
    assert not [p for p in universe if ".c3_release_for_threads." in p], universe
    skipped = {k: v for k, v in got.items() if v}
    c6 = {k for k in got if k.startswith("bench_c6_scan.")}
    # Every timed class of C6 reaches c6_scan; its count classes name their
    # kernels as strings and are judged point by point (the next test).
    timed_c6 = {k for k in c6 if "Instructions" not in k and "Structure" not in k}
    assert timed_c6 and timed_c6 <= skipped.keys()
    for k in timed_c6:
        assert "c6_scan.cumsum" in skipped[k] or "c6_scan.recurrence" in skipped[k], skipped[k]
        assert "c6_scan does not import" in skipped[k], skipped[k]
    # section_gil_once is looked up by C5's ways in setup (the next test):
    # no class reaches it statically, so none is skipped whole for it.
    assert not any("section_gil_once" in v for v in skipped.values()), skipped
    # C3's classes reach its kernels' objects (the counts name them by
    # ``f.__name__``), so each is skipped whole, naming them.
    c3 = {k for k in got if k.startswith("bench_c3_release_for_threads.")}
    for k in ("TrackC3Instructions", "TrackC3Structure"):
        reason = skipped[f"bench_c3_release_for_threads.{k}"]
        assert reason.startswith("c3_release_for_threads.spin_gil, c3_release_for_threads"
                                 ".spin_nogil not in this build (gilbench.kernels."
                                 "c3_release_for_threads does not import"), reason
    # Nothing else is skipped: C1, C2, C4, C5, C7-C9 reach none of the hidden names.
    assert set(skipped) - c3 == timed_c6, sorted(set(skipped) - c3 - timed_c6)


@pytest.mark.parametrize("cls", ["TrackC5SectionAcquisition", "TimeC5PythonInParallel"])
def test_a_way_whose_kernel_is_missing_skips_in_setup(cls):
    """C5's ways look their kernel up by the parameter: the section way
    skips, naming the kernel; the others still set up."""
    got = run_hidden(f"""
        import json
        from benchmarks import bench_c5_prange_keeps_gil as m
        b = m.{cls}()
        out = {{}}
        for params in __import__("itertools").product(*b.params):
            try:
                b.setup(*params)
                out[repr(params)] = None
                b.teardown(*params)
            except NotImplementedError as exc:
                out[repr(params)] = str(exc)
        print(json.dumps(out))
    """)
    for params, reason in got.items():
        if "section_once" in params or cls == "TrackC5SectionAcquisition":
            assert reason and "section_gil_once" in reason, (params, reason)
        elif "'kept'" not in params and reason:
            # Threads this machine lacks are skipped for their own reason.
            assert "section_gil_once" not in reason, (params, reason)


def test_a_count_table_skips_only_the_points_of_missing_kernels():
    """A structure count table over a hidden kernel and present ones: the
    present points are counted, the hidden one is asv's skip for the
    parameters that read it, with the reason."""
    got = run_hidden("""
        import json
        from benchmarks.common import structure_table, skip_uncounted
        from benchmarks.bench_c5_with_gil_in_prange import TrackC5Structure
        table = structure_table({
            "1": ("gilbench.kernels.c5_with_gil_in_prange", "section_gil_once",
                  "x_gil_every_element_threads", 1),
            "2": ("gilbench.kernels.c5_with_gil_in_prange", "prange_with_gil",
                  "x_gil_every_element_threads", 1)})
        b = TrackC5Structure()
        out = {}
        for nt in ("1", "2"):
            try:
                skip_uncounted(b, table, ("regions", int(nt)))
                out[nt] = b.track_c5_structure(table, "regions", int(nt))
            except NotImplementedError as exc:
                out[nt] = str(exc)
        print(json.dumps(out))
    """)
    from benchmarks.harness import structure

    require("the structure counts' interposer", structure.unavailable_reason(),
            "it is compiled with the C compiler the build needs anyway")
    assert got["1"] == ("c5_with_gil_in_prange.section_gil_once not in this build "
                        "(a build from before it was added)")
    assert got["2"] == 1


def test_a_kernel_with_other_arguments_is_skipped_by_its_count(tmp_path, monkeypatch):
    """A kernel that refuses today's arguments (an older build's signature)
    is recorded as a skip by both counting processes, naming the error;
    the other points are counted."""
    mod = tmp_path / "oldkernels.py"
    mod.write_text("import numpy as np\n"
                   "def old(x):\n    return float(np.dot(x, x))\n"
                   "def new(x, out):\n    out[:] = x\n")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    from benchmarks.harness import structure

    require("the structure counts' interposer", structure.unavailable_reason(),
            "it is compiled with the C compiler the build needs anyway")
    got = structure.per_call({"old": ("oldkernels", "old", "x_out", 1),
                              "new": ("oldkernels", "new", "x_out", 1)})
    assert got["old"] == {"skip": "oldkernels.old of this build takes other arguments "
                                  "(TypeError: old() takes 1 positional argument but 2 were "
                                  "given)"}
    assert got["new"]["per_call"]["regions"] == 0
