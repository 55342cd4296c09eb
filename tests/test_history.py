"""Today's suite measures main's first commit, the oldest with kernels (C1's,
and C2's under a module name since renamed): asv discovers the whole suite
against its build, every exact count of a kernel that commit has under
today's name gives a value, and every other count is skipped, with a reason
that names the kernel it lacks.
Real asv, a real virtualenv and a real build of that commit.

What the commit has is read from its own source (``git show``), not from
the suite: the expectation does not come from the code under test.
docs/experiments/history.py runs the same over a sample of the history.
"""

import os
import re
import subprocess
import sys

import pytest

from gilbench import results

from helpers import ROOT, git, require, require_valgrind

#: main's first commit.
FIRST = "daf19426"
#: The exact counts: every instruction and structure count benchmark.
BENCHES = "Instructions|Structure"


def _first_commit() -> str | None:
    r = subprocess.run(["git", "rev-list", "--max-parents=0", "HEAD"], cwd=ROOT,
                       capture_output=True, text=True)
    roots = r.stdout.split()
    return roots[-1] if r.returncode == 0 and roots and roots[-1].startswith(FIRST) else None


def _kernels_at(commit: str) -> dict[str, set[str]]:
    """{kernel module: its public def names} in ``commit``'s source."""
    listed = git("ls-tree", "-r", "--name-only", commit, cwd=ROOT).split()
    out = {}
    for path in listed:
        m = re.fullmatch(r"src/gilbench/kernels/(\w+)\.pyx", path)
        if m:
            text = git("show", f"{commit}:{path}", cwd=ROOT)
            out[m.group(1)] = set(re.findall(r"^(?:cp)?def\s+([a-z]\w*)\s*\(", text, re.M))
    return out


@pytest.fixture(scope="module")
def first_commit_measured(tmp_path_factory):
    first = _first_commit()
    if first is None:
        # A shallow clone has another root: under CI=true that fails.
        require("main's first commit", f"{FIRST} is not this clone's first commit (a shallow "
                "clone?)", "fetch the whole history (actions/checkout fetch-depth: 0)")
    tmp = tmp_path_factory.mktemp("first-commit")
    work = tmp / "work"
    git("clone", "-q", "--no-local", str(ROOT), str(work), cwd=tmp)
    git("checkout", "-q", "-B", "main", git("rev-parse", "HEAD", cwd=ROOT), cwd=work)
    env = dict(os.environ, HOME=str(tmp / "home"))
    for var in ("GILBENCH_SMOKE", "GILBENCH_CYTHON", "GILBENCH_FAIL_BENCHMARK"):
        env.pop(var, None)
    subprocess.run([sys.executable, "-m", "asv", "machine", "--yes", "--machine", "first"],
                   cwd=work, env=env, check=True, capture_output=True, timeout=120)
    r = subprocess.run([sys.executable, "-m", "asv", "run", f"{first}^!", "--show-stderr",
                        "--machine", "first", "-b", BENCHES],
                       cwd=work, env=env, capture_output=True, text=True, timeout=1800)
    return first, work, r


def test_todays_counts_on_the_first_commit(first_commit_measured):
    first, work, r = first_commit_measured
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-5000:]
    assert "setup_cache failed" not in out and "Traceback" not in out, out[-8000:]
    (run,) = results.load(work / ".asv" / "results", machine="first")
    assert run.commit == first
    has = _kernels_at(first)
    today = set(_kernels_at("HEAD"))
    # What this test is about: the oldest build, with one of today's modules.
    assert set(has) & today == {"c1_gil_held"}, (sorted(has), sorted(today))
    counts = [p for p in run.points.values() if "Instructions" in p.benchmark
              or "Structure" in p.benchmark]
    assert not [p.name for p in counts if p.status == "failed"]
    by_class = {}
    for p in counts:
        by_class.setdefault(p.benchmark.split(".")[1], []).append(p)
    # Every count class of the suite is there, measured or skipped.
    assert {"TrackC1Instructions", "TrackC1Structure", "TrackC1PrangeStructure",
            "TrackC5Structure", "TrackC9Instructions"} <= set(by_class), sorted(by_class)
    c1 = has["c1_gil_held"]
    assert {"sumsq_gil", "sumsq_except", "poly_noexcept"} <= c1
    if all(p.status == "skipped" for p in by_class["TrackC1Instructions"]):
        require_valgrind()   # skips outside CI, fails in it
    # The kernels the commit has: a value at every point.
    for cls in ("TrackC1Instructions", "TrackC1Structure"):
        assert all(p.ok and p.value >= 0 for p in by_class[cls]), by_class[cls]
    instructions = {p.name: p.value for p in by_class["TrackC1Instructions"]}
    assert len(instructions) == 10 and all(v > 0 for v in instructions.values())
    # The kernels it lacks: skipped, each with the reason naming it.
    assert "poly_noexcept_prange" not in c1
    lacking = [p for cls, ps in by_class.items() if not cls.startswith("TrackC1")
               or cls == "TrackC1PrangeStructure" for p in ps]
    assert lacking and all(p.status == "skipped" for p in lacking), \
        [p.name for p in lacking if p.status != "skipped"]
    reasons = set(re.findall(r"asv: skipped: NotImplementedError\(['\"](.+?) not in this build",
                             out))
    assert "c1_gil_held.poly_noexcept_prange" in reasons, reasons
    for module in ("c2_numpy_with_gil", "c5_with_gil_in_prange", "c6_scan",
                   "c7_prange_overhead", "c9_blas_contention"):
        assert module not in has
        assert any(module in r for r in reasons), (module, reasons)
