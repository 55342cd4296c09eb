"""Every public kernel at its Python boundary, property-based (hypothesis).

For each kernel, hypothesis draws its arguments from good and bad ones: lengths
0 .. large, values with NaN and inf, read-only inputs, strided views, float32
and int64 arrays, 2-D arrays, lists, None, ``out`` aliasing the input,
mismatched lengths, and thread counts that are bools, NumPy integers, 0,
negative or above the limit.  The property: the call returns NumPy's answer
(within the stated tolerance) when every argument is valid, and otherwise
raises TypeError or ValueError whose message names an argument that is bad.
A second test calls every kernel from 8 Python threads at once and checks each
result against the kernel's own single-thread answer.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gilbench import _openmp_helpers
from gilbench.kernels import NO_PRANGE_KEEPS_GIL
from gilbench.kernels import c1_gil_held as c1
from gilbench.kernels import c2_numpy_with_gil as c2
from gilbench.kernels import c5_with_gil_in_prange as c5
from gilbench.kernels import c6_scan as c6
from gilbench.kernels import c7_bandwidth as bw
from gilbench.kernels import c7_prange_overhead as c7
from gilbench.kernels import c8_parallel_section as c8
from gilbench.kernels import c9_blas_contention as c9

# NumPy's own references warn on inf - inf and inf * 0; the kernels give NaN too.
pytestmark = [pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning"),
              pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")]

MAX_THREADS = 1024  # the kernels' limit (gilbench/_checks.pxd)
POLY = [1 / math.factorial(k) for k in range(9)]
A = 0.9

PROPERTY = settings(max_examples=30, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# --- references: what each kernel must return, from NumPy ------------------------

def _normalize(x):
    norm = math.sqrt(float(np.dot(x, x))) if len(x) else 0.0
    return np.zeros_like(x) if norm == 0 else x / norm


def _pipeline(x, k):
    y = x.copy()
    for _ in range(k):
        y = 0.5 * y + 1.0
    return y


def _poly(x):
    """The degree-8 Taylor polynomial of exp, Horner form (NumPy's polyval
    gives NaN at inf, where the polynomial is inf)."""
    y = np.full_like(x, POLY[-1])
    for c in reversed(POLY[:-1]):
        y = c + x * y
    return y


def _recurrence(a, b):
    out, y = np.empty_like(b), 0.0
    for i, v in enumerate(b):
        y = a * y + v
        out[i] = y
    return out


def _scale(*arrays):
    """Magnitude against which round-off of a reordered sum is judged."""
    total = sum(float(np.sum(np.abs(a[np.isfinite(a)]))) for a in arrays)
    return max(total, 1.0)


@dataclass
class Kernel:
    """A kernel, the names of its 1-D float64 inputs and outputs (one length n),
    how to call it, and its NumPy reference.

    ``call(f, arrays, nt)`` calls the kernel; ``reference(arrays)`` is what it
    must return (computed before the call, from copies); ``result(ret,
    arrays)`` picks what to compare; ``tol(arrays)`` gives (rtol, atol)."""

    func: object
    inputs: tuple
    outputs: tuple = ()
    call: object = None
    reference: object = None
    tol: object = lambda arrays: (1e-12, 0.0)
    threaded: bool = True
    alias_ok: bool = True
    max_n: int = 200_000
    extra: dict = field(default_factory=dict)


def _sum_tol(arrays):
    return 1e-12, 1e-12 * _scale(*(arrays[k] ** 2 for k in arrays))


def _lin_tol(arrays):
    return 1e-12, 1e-12 * _scale(*arrays.values())


KERNELS = {}
for variant, f in c1.KERNELS["sumsq"].items():
    KERNELS[f"c1.sumsq_{variant}"] = Kernel(
        f, ("x",), call=lambda f, a, nt: f(a["x"]), reference=lambda a: np.dot(a["x"], a["x"]),
        tol=_sum_tol, threaded=False)
for variant, f in c1.KERNELS["poly"].items():
    KERNELS[f"c1.poly_{variant}"] = Kernel(
        f, ("x",), ("out",), call=lambda f, a, nt: f(a["x"], a["out"]),
        reference=lambda a: _poly(a["x"]),
        tol=lambda a: (1e-12, 0.0), threaded=False)
for variant, f in c1.PRANGE_KERNELS.items():
    KERNELS[f"c1.poly_{variant}_prange"] = Kernel(
        f, ("x",), ("out",), call=lambda f, a, nt: f(a["x"], a["out"], nt),
        reference=lambda a: _poly(a["x"]), tol=lambda a: (1e-12, 0.0))
for f in (c2.dot_numpy_with_gil, c2.dot_loop_nogil):
    KERNELS[f"c2.{f.__name__}"] = Kernel(
        f, ("x", "y"), call=lambda f, a, nt: f(a["x"], a["y"]),
        reference=lambda a: np.dot(a["x"], a["y"]),
        tol=lambda a: (1e-12, 1e-12 * _scale(a["x"] * a["y"])), threaded=False)
KERNELS["c5.prange_plain"] = Kernel(
    c5.prange_plain, ("x",), call=lambda f, a, nt: f(a["x"], 7, nt),
    reference=lambda a: np.dot(a["x"], a["x"]), tol=_sum_tol)
for block in c5.BLOCKS:
    KERNELS[f"c5.prange_with_gil[{block}]"] = Kernel(
        c5.prange_with_gil, ("x",), call=lambda f, a, nt, b=block: f(a["x"], 7, nt, b)[0],
        reference=lambda a: np.dot(a["x"], a["x"]), tol=_sum_tol)
for take in (True, False):
    KERNELS[f"c5.section_gil_once[{take}]"] = Kernel(
        c5.section_gil_once, ("x",), call=lambda f, a, nt, t=take: f(a["x"], 7, nt, t)[0],
        reference=lambda a: np.dot(a["x"], a["x"]), tol=_sum_tol)
if NO_PRANGE_KEEPS_GIL is None:  # built with Cython >= 3.3
    from gilbench.kernels import c5_prange_keeps_gil as c5k

    KERNELS["c5.prange_keeps_gil"] = Kernel(
        c5k.prange_keeps_gil, ("x",), call=lambda f, a, nt: f(a["x"], 7, nt)[0],
        reference=lambda a: np.dot(a["x"], a["x"]), tol=_sum_tol)
KERNELS["c6.cumsum_seq"] = Kernel(
    c6.cumsum_seq, ("x",), ("out",), call=lambda f, a, nt: f(a["x"], a["out"]),
    reference=lambda a: np.cumsum(a["x"]), tol=_lin_tol, threaded=False)
KERNELS["c6.cumsum_scan"] = Kernel(
    c6.cumsum_scan, ("x",), ("out",), call=lambda f, a, nt: f(a["x"], a["out"], nt),
    reference=lambda a: np.cumsum(a["x"]), tol=_lin_tol)
# The naive kernels are wrong on purpose from 2 threads on: checked on one.
KERNELS["c6.cumsum_naive"] = Kernel(
    c6.cumsum_naive, ("x",), ("out",), call=lambda f, a, nt: f(a["x"], a["out"], 1),
    reference=lambda a: np.cumsum(a["x"]), tol=_lin_tol, threaded=False, alias_ok=False)
KERNELS["c6.recurrence_seq"] = Kernel(
    c6.recurrence_seq, ("b",), ("out",), call=lambda f, a, nt: f(A, a["b"], a["out"]),
    reference=lambda a: _recurrence(A, a["b"]), tol=_lin_tol, threaded=False, max_n=20_000)
KERNELS["c6.recurrence_scan"] = Kernel(
    c6.recurrence_scan, ("b",), ("out",), call=lambda f, a, nt: f(A, a["b"], a["out"], nt),
    reference=lambda a: _recurrence(A, a["b"]), tol=_lin_tol, max_n=20_000)
KERNELS["c6.recurrence_naive"] = Kernel(
    c6.recurrence_naive, ("b",), ("out",), call=lambda f, a, nt: f(A, a["b"], a["out"], 1),
    reference=lambda a: _recurrence(A, a["b"]), tol=_lin_tol, threaded=False, alias_ok=False,
    max_n=20_000)
KERNELS["c7.sumsq_seq"] = Kernel(
    c7.sumsq_seq, ("x",), call=lambda f, a, nt: f(a["x"]),
    reference=lambda a: np.dot(a["x"], a["x"]), tol=_sum_tol, threaded=False)
for name in ("sumsq_prange", "sumsq_threads_if"):
    KERNELS[f"c7.{name}"] = Kernel(
        getattr(c7, name), ("x",), call=lambda f, a, nt: f(a["x"], nt),
        reference=lambda a: np.dot(a["x"], a["x"]), tol=_sum_tol)
KERNELS["c7.poly_seq"] = Kernel(
    c7.poly_seq, ("x",), call=lambda f, a, nt: f(a["x"]),
    reference=lambda a: np.sum(_poly(a["x"])),
    tol=lambda a: (1e-11, 1e-12 * _scale(_poly(a["x"]))),
    threaded=False)
for name in ("poly_prange", "poly_threads_if"):
    KERNELS[f"c7.{name}"] = Kernel(
        getattr(c7, name), ("x",), call=lambda f, a, nt: f(a["x"], nt),
        reference=lambda a: np.sum(_poly(a["x"])),
        tol=lambda a: (1e-11, 1e-12 * _scale(_poly(a["x"]))))
KERNELS["c7.copy"] = Kernel(
    bw.copy, ("a",), ("b",), call=lambda f, a, nt: f(a["a"], a["b"], nt),
    reference=lambda a: a["a"].copy(), tol=lambda a: (0.0, 0.0))
KERNELS["c7.triad"] = Kernel(
    bw.triad, ("b", "c"), ("a",), call=lambda f, a, nt: f(a["a"], a["b"], a["c"], 3.0, nt),
    reference=lambda a: a["b"] + 3.0 * a["c"], tol=lambda a: (1e-15, 0.0))
for name in ("sum_naive", "sum_unrolled"):
    KERNELS[f"c7.{name}"] = Kernel(
        getattr(bw, name), ("a",), call=lambda f, a, nt: f(a["a"], nt),
        reference=lambda a: np.sum(a["a"]), tol=_lin_tol)
for name in ("normalize_separate", "normalize_one_section"):
    KERNELS[f"c8.{name}"] = Kernel(
        getattr(c8, name), ("x",), ("out",), call=lambda f, a, nt: f(a["x"], a["out"], nt),
        reference=lambda a: _normalize(a["x"]), tol=lambda a: (1e-12, 1e-300))
for name in ("pipeline_separate", "pipeline_one_section", "pipeline_fused"):
    KERNELS[f"c8.{name}"] = Kernel(
        getattr(c8, name), ("x",), ("out",), call=lambda f, a, nt: f(a["x"], a["out"], 3, nt),
        reference=lambda a: _pipeline(a["x"], 3), tol=lambda a: (1e-15, 0.0))


# --- strategies --------------------------------------------------------------------

#: Values: mostly ordinary, with NaN and +-inf now and then.
VALUES = st.one_of(st.floats(-1e3, 1e3), st.sampled_from([0.0, -0.0, math.nan, math.inf,
                                                            -math.inf]))
LENGTHS = st.one_of(st.integers(0, 40), st.sampled_from([1000, 4099, 100_003]))
#: What can stand where a 1-D float64 array belongs.  "readonly" is valid as
#: an input, invalid as an output.
FORMS = st.sampled_from(["ok"] * 6 + ["readonly", "strided", "float32", "int64", "2d", "list",
                                      "none"])
#: Thread counts: valid ones (small, plain or NumPy ints) and invalid ones.
GOOD_THREADS = st.one_of(st.integers(1, 4), st.integers(1, 4).map(np.int64),
                         st.integers(1, 4).map(np.uint8))
BAD_THREADS = st.sampled_from([0, -1, -(2**40), MAX_THREADS + 1, 10**9, 10**30, True, False, 1.5,
                               "2", None, np.float64(2.0)])
THREADS = st.one_of(GOOD_THREADS, GOOD_THREADS, BAD_THREADS)


def _values(data, n):
    """n values: a random fill with a few drawn values (NaN, inf, ...) in it."""
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    x = rng.uniform(-10, 10, n)
    if n:
        for _ in range(data.draw(st.integers(0, 3), label="specials")):
            x[data.draw(st.integers(0, n - 1))] = data.draw(VALUES)
    return x


def _form(values, form):
    """``values`` dressed as ``form``; returns the object to pass."""
    if form == "readonly":
        a = values.copy()
        a.flags.writeable = False
        return a
    if form == "strided":
        a = np.empty(2 * len(values))
        a[::2] = values
        return a[::2]
    if form == "float32":
        return values.astype(np.float32)
    if form == "int64":
        return np.clip(np.nan_to_num(values), -1e6, 1e6).astype(np.int64)
    if form == "2d":
        return values.reshape(1, -1)
    if form == "list":
        return values.tolist()
    if form == "none":
        return None
    return values.copy()


def _bad_array(obj, writable):
    """Why ``obj`` is not a valid 1-D float64 C-contiguous (writable) array, or None."""
    if not isinstance(obj, np.ndarray):
        return "not an array"
    if obj.dtype != np.float64:
        return "dtype"
    if obj.ndim != 1:
        return "ndim"
    if not obj.flags.c_contiguous:
        return "strided"
    if writable and not obj.flags.writeable:
        return "read-only"
    return None


def _bad_threads(nt):
    if isinstance(nt, (bool, np.bool_)) or not isinstance(nt, (int, np.integer)):
        return "type"
    return None if 1 <= int(nt) <= MAX_THREADS else "range"


def _assert_close(got, want, rtol, atol):
    np.testing.assert_allclose(np.asarray(got, dtype=float), np.asarray(want, dtype=float),
                               rtol=rtol, atol=atol, equal_nan=True)


# --- the property --------------------------------------------------------------------

@pytest.mark.parametrize("name", list(KERNELS))
@PROPERTY
@given(data=st.data())
def test_kernel_gives_numpy_answer_or_names_the_bad_argument(name, data):
    k = KERNELS[name]
    n = data.draw(LENGTHS.filter(lambda m: m <= k.max_n), label="n")
    args, bad = {}, set()
    for arg in k.inputs + k.outputs:
        form = data.draw(FORMS, label=f"{arg} form")
        length = n
        if data.draw(st.integers(0, 9), label=f"{arg} length off") == 0:
            length = n + data.draw(st.sampled_from([-1, 1, 5]))
            length = max(length, 0)
        args[arg] = _form(_values(data, length), form)
        if _bad_array(args[arg], writable=arg in k.outputs):
            bad.add(arg)
    nt = data.draw(THREADS, label="num_threads") if k.threaded else 1
    if k.threaded and _bad_threads(nt):
        bad.add("num_threads")
    alias = (len(k.inputs) == 1 and len(k.outputs) == 1 and not bad
             and data.draw(st.booleans(), label="out is the input"))
    if alias:
        args[k.outputs[0]] = args[k.inputs[0]] = np.array(args[k.inputs[0]])  # writable
    lengths = {len(v) for v in args.values() if isinstance(v, np.ndarray) and v.ndim == 1}
    if not bad and len(lengths) > 1:
        bad.add("same length")
    if alias and not k.alias_ok:
        bad.add("share memory")

    if bad:
        with pytest.raises((TypeError, ValueError)) as err:
            k.call(k.func, args, nt)
        message = str(err.value)
        named = [arg for arg in bad if arg != "same length" and f"{arg} " in message]
        assert named or ("same length" in bad and "same length" in message) \
            or ("share memory" in bad and "share memory" in message), \
            f"{name}: bad {sorted(bad)}, but the error does not name them: {message!r}"
        return

    before = {key: np.array(v) for key, v in args.items()}
    want = k.reference(before)
    ret = k.call(k.func, args, nt)
    if k.outputs:
        assert ret is args[k.outputs[0]], f"{name} must return its output array"
    for arg in k.inputs:
        if not (alias and arg == k.inputs[0]):
            np.testing.assert_array_equal(args[arg], before[arg], err_msg=f"{arg} was changed")
    rtol, atol = k.tol(before)
    _assert_close(ret, want, rtol, atol)


# --- kernels with other arguments --------------------------------------------------

def _expect_named_error(func, *args, names):
    """The call raises TypeError/ValueError naming one of the bad ``names``."""
    pattern = "|".join(rf"\b{name}\b" for name in sorted(names))
    with pytest.raises((TypeError, ValueError), match=pattern):
        func(*args)


@PROPERTY
@given(nt=THREADS, reps=st.one_of(st.integers(-3, 50), st.sampled_from([True, 2.0, None])))
def test_region_kernels_count_or_name_the_bad_argument(nt, reps):
    bad = {"reps"} if isinstance(reps, bool) or not isinstance(reps, int) or reps < 1 else set()
    if _bad_threads(nt):
        bad.add("num_threads")
    for func, per_region in ((c7.empty_regions, lambda t: 1), (c7.reduction_regions, int)):
        if bad:
            _expect_named_error(func, reps, nt, names=bad)
        else:
            assert func(reps, nt) == reps * per_region(nt)


@PROPERTY
@given(nt=THREADS, schedule=st.sampled_from(["static", "dynamic", "guided", "auto", 0]),
       chunk=st.one_of(st.integers(-2, 70), st.just(2**31)), n=st.integers(1, 300),
       balanced=st.booleans())
def test_schedule_work_or_names_the_bad_argument(nt, schedule, chunk, n, balanced):
    from helpers import schedule_work_reference

    args = (n, 7, balanced, schedule, chunk, nt)
    bad = {"chunksize"} if not 1 <= chunk <= 2**30 else set()
    if _bad_threads(nt):
        bad.add("num_threads")
    if schedule not in c7.SCHEDULES:
        bad.add("schedule")
    if bad:
        _expect_named_error(c7.schedule_work, *args, names=bad)
    else:
        assert c7.schedule_work(*args) == pytest.approx(schedule_work_reference(n, 7, balanced),
                                                        rel=1e-12)


@PROPERTY
@given(nt=THREADS, every=st.one_of(st.integers(-2, 50), st.sampled_from([1.0, "3", None])),
       block=st.sampled_from([*c5.BLOCKS, "sleep", None]))
def test_prange_with_gil_or_names_the_bad_argument(nt, every, block):
    x = np.random.default_rng(5).standard_normal(101)
    args = (x, every, nt, block)
    bad = {"every"} if isinstance(every, bool) or not isinstance(every, int) or every < 1 else set()
    if _bad_threads(nt):
        bad.add("num_threads")
    if block not in c5.BLOCKS:
        bad.add("block")
    if bad:
        _expect_named_error(c5.prange_with_gil, *args, names=bad)
    else:
        s, entered = c5.prange_with_gil(*args)
        assert s == pytest.approx(float(np.dot(x, x)), rel=1e-12)
        assert entered == (0 if block == "never" else -(-101 // every))


@PROPERTY
@given(nt=THREADS, a=st.one_of(st.floats(-1.5, 1.5), st.just(math.nan), st.sampled_from(
    ["0.5", None, 1j])), n=st.integers(0, 300))
def test_recurrence_coefficient_or_names_it(nt, a, n):
    b = np.random.default_rng(n).standard_normal(n)
    bad = set() if isinstance(a, float) else {"a"}
    if _bad_threads(nt):
        bad.add("num_threads")
    if bad:
        _expect_named_error(c6.recurrence_scan, a, b, np.empty(n), nt, names=bad)
    else:
        _assert_close(c6.recurrence_scan(a, b, np.empty(n), nt), _recurrence(a, b), 1e-10,
                      1e-10 * _scale(b))


@PROPERTY
@given(nt=THREADS, shape=st.tuples(*[st.integers(0, 9)] * 4),
       form=st.sampled_from(["ok"] * 5 + ["readonly_out", "float32", "transposed", "2d_a",
                                          "alias", "k_mismatch", "out_shape"]))
def test_nested_matmul_or_names_the_bad_argument(nt, shape, form):
    c, m, k, n = shape
    rng = np.random.default_rng(sum(shape))
    a, b = rng.standard_normal((c, m, k)), rng.standard_normal((k, n))
    out = np.full((c, m, n), np.nan)
    expect = {"readonly_out": "out", "float32": "a", "transposed": "a", "2d_a": "a",
              "k_mismatch": "k", "out_shape": "out", "alias": "out"}.get(form)
    if form == "readonly_out":
        out.flags.writeable = False
    elif form == "float32":
        a = a.astype(np.float32)
    elif form == "transposed":
        a = np.ascontiguousarray(a.transpose(0, 2, 1)).transpose(0, 2, 1)
        if a.flags.c_contiguous:  # a dimension of 0 or 1 leaves it contiguous
            expect = None
    elif form == "2d_a":
        a = a.reshape(c * m, k)
    elif form == "k_mismatch":
        b = rng.standard_normal((k + 1, n))
    elif form == "out_shape":
        out = np.empty((c, m, n + 1))
    elif form == "alias":
        b = np.eye(k)
        out = a
        if a.size == 0:
            expect = None
    bad = {expect} if expect else set()
    if _bad_threads(nt):
        bad.add("num_threads")
    if bad:
        _expect_named_error(c9.nested_matmul, a, b, out, nt, names=bad)
        return
    want = a @ b
    assert c9.nested_matmul(a, b, out, nt) is out
    np.testing.assert_allclose(out, want, rtol=1e-12, atol=1e-12)


@PROPERTY
@given(nt=THREADS)
def test_team_size_or_names_num_threads(nt):
    if nt is None:  # the runtime's default for this thread
        assert _openmp_helpers.team_size(nt) == _openmp_helpers.openmp_max_threads()
    elif _bad_threads(nt):
        _expect_named_error(_openmp_helpers.team_size, nt, names={"num_threads"})
    elif _openmp_helpers.openmp_enabled():
        assert _openmp_helpers.team_size(nt) == int(nt)
    else:
        assert _openmp_helpers.team_size(nt) == 1


# --- 8 Python threads at once ----------------------------------------------------------

@pytest.mark.parametrize("name", list(KERNELS))
def test_eight_python_threads_get_the_single_thread_answer(name):
    """Every kernel called from 8 Python threads at once (each with its own
    output, all sharing the input) gives what it gives called alone."""
    k = KERNELS[name]
    n = min(k.max_n, 50_003)
    rng = np.random.default_rng(8)
    inputs = {arg: rng.uniform(-2, 2, n) for arg in k.inputs}
    nt = 2 if k.threaded else 1

    def run():
        arrays = dict(inputs, **{arg: np.full(n, np.nan) for arg in k.outputs})
        return np.array(k.call(k.func, arrays, nt), dtype=float)

    alone = run()
    results, errors = [None] * 8, []
    barrier = threading.Barrier(8)

    def worker(i):
        try:
            barrier.wait()
            results[i] = run()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    rtol, atol = k.tol(inputs)
    for got in results:
        # A prange reduction may add its partial sums in another order.
        _assert_close(got, alone, max(rtol, 1e-12), atol)
