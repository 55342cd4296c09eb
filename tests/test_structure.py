"""The harness's exact structure counts (benchmarks/harness/structure.py):
real OpenMP threads and the real interpreter, counted by interposing their
entry points in a fresh process.  Each count is taken three times and must
agree; here the values are also what the kernels are written to do."""

import pytest

from benchmarks.harness import structure
from benchmarks.harness.threads import usable_cpus

from helpers import requires_openmp

C1 = "gilbench.kernels.c1_gil_held"
C5 = "gilbench.kernels.c5_with_gil_in_prange"
C7 = "gilbench.kernels.c7_prange_overhead"
C8 = "gilbench.kernels.c8_parallel_section"
C9 = "gilbench.kernels.c9_blas_contention"


@pytest.fixture(scope="module")
def counted():
    why = structure.unavailable_reason()
    if why:
        pytest.fail(f"structure counts unavailable: {why}")
    cpus = usable_cpus()
    points = {}
    for nt in sorted({1, 2, cpus, 2 * cpus}):
        points[f"c7-{nt}"] = (C7, "sumsq_prange", "x_threads", nt)
        points[f"c5-{nt}"] = (C5, "prange_with_gil", "x_gil_every_element_threads", nt)
        points[f"c8-separate-{nt}"] = (C8, "normalize_separate", "x_out_threads", nt)
        points[f"c8-one-{nt}"] = (C8, "normalize_one_section", "x_out_threads", nt)
        points[f"c9-{nt}"] = (C9, "nested_matmul", "chunks_threads", nt)
        for v in ("noexcept", "except"):
            points[f"c1-{v}-{nt}"] = (C1, f"poly_{v}_prange", "x_out_threads", nt)
    return structure.per_call(points)


@requires_openmp
def test_a_prange_enters_one_region_run_by_the_threads_asked_for(counted):
    for label, row in counted.items():
        nt = int(label.rsplit("-", 1)[1])
        if label.startswith(("c7-", "c5-", "c9-", "c8-one-")):
            assert row["per_call"]["regions"] == 1, (label, row)
            assert row["per_call"]["team_members"] == nt, (label, row)


@requires_openmp
def test_separate_loops_start_a_region_each_and_one_section_one(counted):
    for label, row in counted.items():
        if label.startswith("c8-separate-"):
            nt = int(label.rsplit("-", 1)[1])
            assert row["per_call"]["regions"] == 2
            assert row["per_call"]["team_members"] == 2 * nt


def test_with_gil_every_element_takes_the_gil_once_per_element(counted):
    for label, row in counted.items():
        if label.startswith("c5-"):
            assert row["per_element"]["gil_ensures"] == 1.0, (label, row)
        if label.startswith("c7-"):
            # The plain prange releases the GIL once per call and never takes
            # it back inside.
            assert row["per_call"]["gil_ensures"] == 0
            assert row["per_call"]["gil_saves"] == 1
            assert row["per_element"]["gil_saves"] == 0


@requires_openmp
def test_an_except_call_in_a_prange_takes_the_gil_back_once_per_element_on_a_full_team(
        counted):
    """C1 at more threads: the ``except *`` call takes the GIL once per
    element whatever the team, the ``noexcept`` call never; both run on
    every thread asked for (the GIL makes the team queue, not shrink)."""
    for label, row in counted.items():
        if label.startswith("c1-"):
            _, variant, nt = label.split("-")
            assert row["per_call"]["regions"] == 1, (label, row)
            assert row["per_call"]["team_members"] == int(nt), (label, row)
            want = 1.0 if variant == "except" else 0.0
            assert row["per_element"]["gil_ensures"] == want, (label, row)


def test_a_kernel_missing_from_the_build_is_skipped_saying_so():
    """A count of a kernel that a commit's gilbench does not have (a commit
    from before it was added) is asv's skip of the points that read it,
    with the reason, not a failure; the table's other points are counted."""
    from benchmarks.common import Uncounted, structure_table

    got = structure_table({"p": (C1, "no_such_kernel", "x", 1), "q": (C1, "sumsq_gil", "x", 1)})
    with pytest.raises(Uncounted, match=r"^c1_gil_held\.no_such_kernel not in this build "
                                        r"\(a build from before it was added\)$"):
        got["p"]
    assert got["q"]["per_call"]["gil_saves"] == 0
    module = "gilbench.kernels.no_such_module"
    got = structure_table({"p": (module, "f", "x", 1)})
    with pytest.raises(Uncounted, match=r"^no_such_module\.f not in this build "
                                        rf"\({module} does not import: No module named"):
        got["p"]


def test_a_thread_pool_made_once_is_not_made_again(counted):
    assert all(row["per_call"]["threads_made"] == 0 for row in counted.values())


@pytest.mark.parametrize("point, match", [
    (("m", "f", "no-such-recipe", 1), "recipe"),
    (("m", "f", "x_threads", 0), "threads >= 1"),
    (("m", "f", "x_threads", True), "threads >= 1"),
    (("m", "f"), "must be"),
])
def test_bad_points_are_refused(point, match):
    with pytest.raises(ValueError, match=match):
        structure.per_call({"p": point})


def test_bad_sizes_are_refused():
    with pytest.raises(ValueError, match="sizes"):
        structure.per_call({}, sizes=(10, 10))


def test_a_kernel_that_does_not_exist_fails_with_the_childs_error():
    with pytest.raises(RuntimeError, match="no_such_kernel"):
        structure.per_call({"p": (C7, "no_such_kernel", "x_threads", 1)})


def test_the_harness_c_helpers_say_why_they_cannot_be_built(tmp_path, monkeypatch):
    from benchmarks.harness import compiled

    bad = tmp_path / "broken.c"
    bad.write_text("this is not C\n")
    with pytest.raises(compiled.CompileError, match="broken.c does not compile with cc"):
        compiled.shared_library(bad)
    monkeypatch.setenv("CC", str(tmp_path / "no-such-compiler"))
    with pytest.raises(compiled.CompileError, match="no C compiler"):
        compiled.shared_library(structure.SOURCE, "-ldl")
    assert "no C compiler" in structure.unavailable_reason()


def test_single_thread_kernels_count_the_gil_transitions_the_claims_name():
    """C1: holding the GIL makes no transition, a released loop one per call,
    an ``except *`` function one acquisition per element; C4: a brief release
    every step is one release per step, and Cython makes none by itself."""
    c1 = "gilbench.kernels.c1_gil_held"
    c4 = "gilbench.kernels.c4_brief_release"
    got = structure.per_call({
        "gil": (c1, "sumsq_gil", "x", 1), "nogil": (c1, "sumsq_nogil", "x", 1),
        "except": (c1, "sumsq_except", "x", 1),
        "every": (c4, "spin_release_every", "iterations_release_every_step", 1),
        "never": (c4, "spin_release_every", "iterations_never_release", 1)})
    assert got["gil"]["per_call"]["gil_saves"] == 0 == got["gil"]["per_call"]["gil_ensures"]
    assert got["nogil"]["per_call"]["gil_saves"] == 1
    assert got["nogil"]["per_element"]["gil_ensures"] == 0
    assert got["except"]["per_element"]["gil_ensures"] == 1.0
    assert got["every"]["per_element"]["gil_saves"] == 1.0
    assert got["never"]["per_call"]["gil_saves"] == 0


def test_c2_and_c3_kernels_release_the_gil_once_per_call_or_never():
    """C2: the hand-written loop releases the GIL once per call, and so
    does the ``numpy.dot`` it is compared with (NumPy releases it itself);
    C3: the kernel that releases it for its loop, once per call, and the
    one that holds it, never -- at every size, so none per element."""
    c2 = "gilbench.kernels.c2_numpy_with_gil"
    c3 = "gilbench.kernels.c3_release_for_threads"
    got = structure.per_call({
        "loop": (c2, "dot_loop_nogil", "x_y", 1), "numpy": (c2, "dot_numpy_with_gil", "x_y", 1),
        "gil": (c3, "spin_gil", "iterations", 1), "nogil": (c3, "spin_nogil", "iterations", 1)})
    for label, saves in (("loop", 1), ("numpy", 1), ("gil", 0), ("nogil", 1)):
        assert got[label]["per_call"]["gil_saves"] == saves, label
        assert got[label]["per_call"]["gil_restores"] == saves, label
        assert got[label]["per_element"]["gil_saves"] == 0, label
        assert got[label]["per_call"]["regions"] == 0, label


def test_python_threads_each_make_the_gil_transitions_of_one_call():
    """C2 and C4 from several Python threads at once: every thread's call
    makes its own transitions, whatever the others do -- NumPy releases the
    GIL once per ``dot`` called with it held, the brief release once per
    step, the loop that never releases none -- and the threads the recipe
    starts are the only ones made."""
    c2 = "gilbench.kernels.c2_numpy_with_gil"
    c4 = "gilbench.kernels.c4_brief_release"
    got = structure.per_call({
        "numpy-1": (c2, "dot_numpy_with_gil", "x_y_python_threads", 1),
        "numpy-3": (c2, "dot_numpy_with_gil", "x_y_python_threads", 3),
        "loop-3": (c2, "dot_loop_nogil", "x_y_python_threads", 3),
        "every-3": (c4, "spin_release_every", "iterations_release_every_step_python_threads", 3),
        "never-3": (c4, "spin_release_every", "iterations_never_release_python_threads", 3)})
    assert got["numpy-1"]["per_call"]["gil_saves"] == 1
    for label in ("numpy-3", "loop-3"):
        assert got[label]["per_call"]["gil_saves"] == 3, got[label]
        assert got[label]["per_element"]["gil_saves"] == 0, got[label]
    assert got["every-3"]["per_element"]["gil_saves"] == 3.0
    assert got["never-3"]["per_call"]["gil_saves"] == 0
    for label, row in got.items():
        assert row["per_call"]["threads_made"] == int(label.rsplit("-", 1)[1]), (label, row)
        assert row["per_call"]["regions"] == 0, (label, row)


def test_an_error_in_a_python_thread_reaches_the_caller():
    recipe = structure.RECIPES["x_y_python_threads"]

    def bad(x, y):
        raise ValueError("x is bad")

    with pytest.raises(ValueError, match="x is bad"):
        recipe(bad, 10, 2)()
