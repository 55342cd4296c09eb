"""What ``gilbench advise`` measures, in the fresh process it measures in.

:mod:`gilbench.advise` starts this module in new interpreters with the
controlled runtime (no caller's ``OMP_*`` or BLAS variables): once with the
structure interposer preloaded for the exact counts (``counts``), once
without it for the times (``times``), since interposing CPython's and
OpenMP's entry points costs time per call, and, for a function that runs
OpenMP regions, once more for BLAS pinned against free in a process started
with ``OMP_WAIT_POLICY=PASSIVE`` (``blas``).  Each reads one JSON
request from ``argv[1]`` and prints one JSON answer as its last
line of output; what goes wrong in the user's code comes back as
``{"error": one line}``, never as a traceback the caller must parse.

The interpreter need not be the caller's: ``gilbench advise --python``
starts these processes with another one (a free-threaded build) that has
gilbench installed.  ``probe`` says what that interpreter is and which
:data:`PROTOCOL` its gilbench speaks; ``times`` says whether the GIL was on
before and after the function's module was imported (a free-threaded
CPython turns it back on, with a ``RuntimeWarning`` naming the module, when
an extension module does not declare itself free-threading compatible).

The times use the suite's harness: :class:`gilbench.harness.pinning.pinned`
sets OpenMP's and BLAS's threads around each timed batch (threadpoolctl),
:func:`gilbench.harness.measurement.per_call` times a batch after one
untimed call, and :func:`gilbench.harness.measurement.estimate` gives the
median and its spread.  The thread counts compared at one size are timed in
alternation, round after round, so that a machine slowing down moves both.
"""

from __future__ import annotations

import importlib
import json
import re
import sys
import sysconfig
import threading
import time
import warnings

__all__ = ["PROTOCOL", "load_function", "make_call", "probe", "gil_state", "counts", "times",
           "blas", "main"]

#: The version of the request and answer this module speaks: the caller and
#: the interpreter it starts (``--python``) must speak the same.
PROTOCOL = 4
#: How a line on stderr reports a step done (the caller's progress bar).
STEP = "gilbench-advise-step: "
#: What a free-threaded CPython's warning says when an import turns the GIL
#: back on (its text since 3.13: "... enabled to load module 'NAME', ...").
GIL_WARNING = re.compile(r"to load module '([^']+)'")


class SpecError(ValueError):
    """The user's function or spec cannot be called as asked."""


def step(label: str) -> None:
    """Report one step done to the caller (its progress bar)."""
    print(STEP + label, file=sys.stderr, flush=True)


def _import(target: str, what: str):
    module, _, name = target.partition(":")
    if not module or not name:
        raise SpecError(f"{what} must be MODULE:NAME, got {target!r}")
    try:
        mod = importlib.import_module(module)
    except Exception as exc:  # the user's import: any failure is theirs
        raise SpecError(f"{what} {target}: cannot import {module}: "
                        f"{type(exc).__name__}: {exc}") from None
    obj = mod
    for part in name.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise SpecError(f"{what} {target}: {module} has no {name}") from None
    if not callable(obj):
        raise SpecError(f"{what} {target} is not callable ({type(obj).__name__})")
    return obj


def load_function(request: dict):
    """(the function, its argument factory or None) the request names."""
    f = _import(request["function"], "the function")
    make = _import(request["args"], "the argument spec") if request.get("args") else None
    return f, make


def _gil_on() -> bool:
    is_enabled = getattr(sys, "_is_gil_enabled", None)   # CPython 3.13+; a GIL build: on
    return True if is_enabled is None else bool(is_enabled())


def probe(_request: dict | None = None) -> dict:
    """What this interpreter is: its version, whether it was built without
    the GIL, and :data:`PROTOCOL`."""
    free = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
    return {"protocol": PROTOCOL, "executable": sys.executable,
            "version": ".".join(map(str, sys.version_info[:3])),
            "build": "{}.{}".format(*sys.version_info[:2]) + ("t" if free else ""),
            "free_threaded": free}


def gil_state(request: dict) -> tuple:
    """(the function, its factory, {"before", "after", "turned_on_by"}):
    whether the GIL was on once what measuring needs (NumPy,
    threadpoolctl, the harness) was imported, and after the function's and
    the spec's modules were; ``turned_on_by`` is the module the
    interpreter's warning names, where it gave one."""
    import numpy  # noqa: F401  (what every spec and the harness import)

    from gilbench.harness import measurement, pinning  # noqa: F401

    before = _gil_on()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        f, make = load_function(request)
    named = [m.group(1) for w in caught if (m := GIL_WARNING.search(str(w.message)))]
    return f, make, {"before": before, "after": _gil_on(),
                     "turned_on_by": named[0] if named else None}


def _sized(value, n: int) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value == n
    size = getattr(value, "size", None)
    if isinstance(size, int):
        return size == n or (getattr(value, "shape", None) or (None,))[0] == n
    try:
        return len(value) == n
    except TypeError:
        return False


def make_args(make, n: int) -> tuple:
    """The positional arguments for size ``n``: ``make(n)`` (a tuple, or
    one value), else one float64 array of ``n`` normal numbers.  SpecError
    when none of them is of ``n`` elements (an array of that length or
    size, or the int ``n`` itself): a spec that ignores ``n`` would time one
    size under many names."""
    if make is None:
        from gilbench.advise_specs import x

        return x(n)
    try:
        args = make(n)
    except Exception as exc:
        raise SpecError(f"the argument spec raised for n={n}: {type(exc).__name__}: {exc}") \
            from None
    args = args if isinstance(args, tuple) else (args,)
    if not any(_sized(a, n) for a in args):
        shapes = ", ".join(str(getattr(a, "shape", type(a).__name__)) for a in args)
        raise SpecError(f"the argument spec's arguments for n={n} hold nothing of {n} "
                        f"elements ({shapes}): it must make them of the size it is given")
    return args


def make_call(f, args: tuple, threads_arg: str | None, nt: int):
    """A call of ``f`` on ``args`` at ``nt`` threads: as the keyword
    ``threads_arg`` where the function takes its thread count, else through
    OpenMP's limit for the calling thread (set around it by the caller)."""
    kwargs = {threads_arg: nt} if threads_arg else {}
    return lambda: f(*args, **kwargs)


def _checked_first_call(call, request: dict, n: int, nt: int) -> None:
    try:
        call()
    except TypeError as exc:
        arg = request.get("threads_arg")
        hint = f" (does it take {arg}=?)" if arg else ""
        raise SpecError(f"{request['function']} refused its arguments at n={n}, "
                        f"{nt} threads{hint}: {exc}") from None
    except Exception as exc:
        raise SpecError(f"{request['function']} raised at n={n}, {nt} threads: "
                        f"{type(exc).__name__}: {exc}") from None


def counts(request: dict) -> dict:
    """{threads: [[counts at n1, counts at n2], ...repeats]} from the
    structure interposer (this process must run with it preloaded)."""
    from gilbench.harness import pinning, structure

    f, make = load_function(request)
    counter = structure.Counter(request["interposer"])
    out = {}
    for nt in request["threads"]:
        calls = [make_call(f, make_args(make, n), request.get("threads_arg"), nt)
                 for n in request["count_sizes"]]
        with pinning.pinned(blas=1, openmp=nt):
            for n, call in zip(request["count_sizes"], calls, strict=True):
                _checked_first_call(call, request, n, nt)
            out[str(nt)] = [[counter.count(call) for call in calls]
                            for _ in range(request["repeats"])]
        step(f"counted at {nt} thread{'s' if nt > 1 else ''}")
    return out


def _batch(call, seconds: float) -> int:
    from gilbench.harness import measurement

    return max(1, int(seconds / max(measurement.per_call(call, 1), 1e-9)))


def _alternate(calls: dict, settings: dict, rounds: int, batch_time: float,
               max_time: float) -> dict:
    """{name: [seconds per call, one per round]} of ``calls`` timed in
    alternation (the order rotated each round), each inside
    ``pinned(**settings[name])``; at least 3 rounds, stopping after
    ``max_time`` seconds."""
    from gilbench.harness import measurement, pinning

    names = list(calls)
    numbers = {}
    for name in names:
        with pinning.pinned(**settings[name]):
            numbers[name] = _batch(calls[name], batch_time)
    out = {name: [] for name in names}
    start = time.perf_counter()
    for r in range(rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            with pinning.pinned(**settings[name]):
                out[name].append(measurement.per_call(calls[name], numbers[name]))
        if r + 1 >= 3 and time.perf_counter() - start > max_time:
            break
    return out


def _heartbeat(call, min_time: float = 0.2) -> dict:
    """The worst gap between the ticks of a Python thread that sleeps 1 ms
    at a time, while ``call`` runs back to back in this one for
    ``min_time`` seconds (C3).  A function that holds the GIL keeps the
    ticker waiting for a whole call, or for CPython's switch interval
    between short calls; one that releases it lets the ticker in within
    about its 1 ms sleep."""
    ticks, stop = [], threading.Event()

    def ticker():
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.001)

    t = threading.Thread(target=ticker, daemon=True)
    t.start()
    time.sleep(0.01)
    start = time.perf_counter()
    calls, durations = 0, []
    while calls < 3 or time.perf_counter() - start < min_time:
        t0 = time.perf_counter()
        call()
        durations.append(time.perf_counter() - t0)
        calls += 1
    end = time.perf_counter()
    stop.set()
    t.join()
    inside = [x for x in ticks if start <= x <= end]
    marks = [start, *inside, end]
    gap = max(b - a for a, b in zip(marks, marks[1:], strict=False))
    return {"worst_gap_s": gap, "call_s": max(durations), "calls": calls,
            "switch_interval_s": sys.getswitchinterval()}


def _record() -> dict:
    """The suite's runtime record as read in this process, its numbers
    described (``harness.runtime.describe``)."""
    from gilbench.harness import runtime

    return {name: runtime.describe(name, v) if isinstance(v, (int, float)) else v
            for name, v in runtime.record().items()}


def times(request: dict) -> dict:
    """Per size: each thread count's seconds per call over the rounds, per
    sweep; at the largest size, the heartbeat gap and (where a BLAS is
    loaded) BLAS pinned to 1 against BLAS at the usable CPUs."""
    f, make, gil = gil_state(request)
    from gilbench.harness import pinning

    threads, arg = request["threads"], request.get("threads_arg")
    omp = bool(pinning.openmp_info())
    settings = {str(nt): {"blas": 1, "openmp": None if arg or not omp else nt}
                for nt in threads}
    sweeps = []
    for k in range(request["sweeps"]):
        sweep = {}
        for n in request["sizes"]:
            args = make_args(make, n)
            calls = {str(nt): make_call(f, args, arg, nt) for nt in threads}
            for nt in threads:
                with pinning.pinned(**settings[str(nt)]):
                    _checked_first_call(calls[str(nt)], request, n, nt)
            sweep[str(n)] = _alternate(calls, settings, request["rounds"],
                                       request["batch_time"], request["max_time"])
            step(f"timed n = {n:g}, sweep {k + 1} of {request['sweeps']}")
        sweeps.append(sweep)
    largest, top = request["sizes"][-1], threads[-1]
    args = make_args(make, largest)
    with pinning.pinned(**settings[str(threads[0])]):
        beat = _heartbeat(make_call(f, args, arg, threads[0]))
    step("heartbeat")

    # The suite's runtime record, read here, where the times were taken.
    record = _record()
    out = {"sweeps": sweeps, "heartbeat": beat, "record": record, "gil": gil,
           "python": probe(),
           "openmp": pinning.openmp_info(),
           "blas": pinning.blas_info(), "threads_by": "argument" if arg else
           ("openmp" if omp else None)}
    if request.get("price_gil"):
        out["gil_price"] = _gil_price(request, make_call(f, args, arg, threads[0]),
                                      settings[str(threads[0])])
        step("the price of a GIL round trip here")
    if pinning.blas_info() and request["cpus"] > 1:
        out["blas_compare"] = _blas_compare(f, args, request, settings[str(top)]["openmp"])
    step("BLAS pinned against free")
    return out


#: The size at which C1's two kernels price a GIL round trip.
PRICE_SIZE = 100_000


def _gil_price(request: dict, call, setting: dict) -> dict:
    """{"seconds": [...], "call": [...]}: per round, what one GIL round trip
    per element costs here, per element -- C1's ``except *`` sum of squares
    (one round trip per element, exact: the suite's TrackC1Structure) less
    its ``noexcept`` twin (none), over the elements -- and the advised
    ``call`` (the largest size, one thread), the three in alternation, so
    that a round's price and its call saw the same machine."""
    from gilbench.advise_specs import x
    from gilbench.kernels import c1_gil_held as c1

    (arr,) = x(PRICE_SIZE)
    calls = {"except": lambda: c1.sumsq_except(arr), "noexcept": lambda: c1.sumsq_noexcept(arr),
             "call": call}
    one = {"blas": 1, "openmp": None}
    got = _alternate(calls, {"except": one, "noexcept": one, "call": setting},
                     request["rounds"], request["batch_time"], request["max_time"])
    return {"seconds": [(e - q) / PRICE_SIZE
                        for e, q in zip(got["except"], got["noexcept"], strict=True)],
            "call": got["call"], "size": PRICE_SIZE}


def _blas_compare(f, args, request: dict, openmp) -> dict:
    """{"pinned": [...], "free": [...]}: seconds per call at the most
    threads and the largest size, BLAS pinned to 1 and left at the usable
    CPUs, in alternation."""
    from gilbench.harness import pinning

    call = make_call(f, args, request.get("threads_arg"), request["threads"][-1])
    cpus = request["cpus"]
    with pinning.pinned(blas=1, openmp=openmp):
        _checked_first_call(call, request, request["sizes"][-1], request["threads"][-1])
    return _alternate(
        {"pinned": call, "free": call},
        {"pinned": {"blas": 1, "openmp": openmp}, "free": {"blas": cpus, "openmp": openmp}},
        request["rounds"], request["batch_time"], request["max_time"])


def blas(request: dict) -> dict:
    """BLAS pinned against free alone (:func:`times`' last part), for a
    process started under another OpenMP wait policy; with the runtime
    record read there, which says which policy it ran under."""
    from gilbench.harness import pinning

    f, make, _gil = gil_state(request)
    arg = request.get("threads_arg")
    openmp = None if arg or not pinning.openmp_info() else request["threads"][-1]
    out = {"blas_compare": _blas_compare(f, make_args(make, request["sizes"][-1]), request,
                                         openmp),
           "record": _record()}
    step("BLAS pinned against free, another wait policy")
    return out


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    what, request = argv[0], json.loads(argv[1]) if len(argv) > 1 else {}
    try:
        answer = {"counts": counts, "times": times, "blas": blas,
                  "probe": probe}[what](request)
    except SpecError as exc:
        answer = {"error": str(exc)}
    except Exception as exc:  # the user's function failed in a later call
        answer = {"error": f"{request['function']} failed while measured: "
                           f"{type(exc).__name__}: {exc}"}
    print("\n" + json.dumps(answer))
    return 0


if __name__ == "__main__":
    sys.exit(main())
