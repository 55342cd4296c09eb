"""``gilbench advise``: a user's own compiled function, measured the way the
suite measures the article's claims, and what the claims then mean for it
on this machine.

A **spec** says how to call the function: ``args``, ``MODULE:FACTORY``
naming ``make(n)`` that returns the positional arguments for a problem of
``n`` elements (a tuple, or one value; default: one float64 array of ``n``
normal numbers), and ``threads_arg``, the keyword that takes the function's
thread count, if it has one (else its threads are OpenMP's limit for the
calling thread, which a ``prange`` without ``num_threads`` obeys, set with
threadpoolctl).  For example, for ``def sumsq(double[::1] x)`` nothing is
needed; for ``def smooth(double[::1] x, double[::1] out, int num_threads)``::

    # myspec.py
    import numpy as np
    def args(n):
        return np.random.default_rng(0).random(n), np.empty(n)

    gilbench advise mypkg.kernels:smooth --args myspec:args --threads-arg num_threads

It measures, each in a fresh process with the controlled runtime
(:mod:`gilbench.advise_measure`):

* **exact counts** (the structure interposer, as the suite's ``Structure``
  benchmarks): GIL releases, re-acquisitions and ``with gil`` entries per
  call and per element, parallel regions and team size per call, at 1
  thread and at the usable CPUs (C1, C5, C7, C8), at the two smallest
  sizes (per call: at the smaller; per element: the difference over the
  difference of sizes), each count the same in three repeats;
* **times** over problem sizes at 1 thread and at the usable CPUs, in
  alternation, in several sweeps: the ratio, the parallel efficiency, and
  the crossover size from which threads pay in every sweep, given as a
  ``use_threads_if`` threshold only when the sweeps agree (C7);
* **a heartbeat**: the worst gap of a Python thread ticking every
  millisecond while the function runs (C3);
* **BLAS**: where a BLAS library is loaded, the time at the usable CPUs
  with BLAS pinned to one thread against BLAS at the usable CPUs (C9),
  named oversubscription where the function runs OpenMP regions; for such
  a function, the same again in a process started with
  ``OMP_WAIT_POLICY=PASSIVE`` (C9's other remedy, with its price);
* **a rewrite's saving**: where the counts show a GIL round trip per
  element, its price here (C1's ``except *`` kernel less its ``noexcept``
  twin) timed in alternation with the function, as a share of its call.

With ``python`` (``--python``), every process runs on that interpreter
instead, which must have gilbench installed: on a free-threaded build the
advice says whether the GIL stayed off once the function's module was
imported (if the import turned it back on, everything measured ran with
it), and reads the GIL counts as what they are there (a thread state
attached and detached, not a lock taken).

Each finding names its claim and the numbers it rests on, and reads
*inconclusive* where the noise does not decide.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field

from gilbench.harness import measurement, runtime, structure
from gilbench.harness.threads import usable_cpus

__all__ = ["Spec", "Finding", "Advice", "advise", "count", "to_text", "to_markdown", "to_json",
           "header", "sweep_rows",
           "DEFAULT_SIZES", "QUICK_SIZES"]

#: Problem sizes of a full run and of ``--quick``.
DEFAULT_SIZES = (100, 1_000, 10_000, 100_000, 1_000_000)
QUICK_SIZES = (1_000, 100_000)
#: (sweeps, rounds per size and sweep, seconds per timed batch, seconds a
#: size may take per sweep) of a full run and of ``--quick``.
FULL, QUICK = (3, 9, 5e-3, 5.0), (2, 5, 2e-3, 2.0)
#: Per element, GIL transitions from which a function "takes the GIL back
#: per element" (an ``except *`` call or a ``with gil`` in the loop).
PER_ELEMENT_GIL = 0.5
#: A call longer than this that holds the GIL for its whole length is one
#: other Python threads notice (C3's calls of 5 ms and more).
HEARTBEAT_MIN_CALL = 5e-3
#: The heartbeat's verdict: held when the worst gap is at least HELD of the
#: longer of a call and CPython's switch interval, running when it is at
#: most RUNS of the switch interval; between the two, inconclusive.
HELD, RUNS = 0.8, 0.5
#: A ratio's spread beyond which its parallel efficiency reads inconclusive:
#: at +/- 50% the efficiency lies anywhere within a factor of 3.
EFFICIENCY_SPREAD = 0.5
#: The smallest effect a finding reports as one, beyond its spread: the
#: suite's tightest timed threshold (1.05, docs/gate.md).
MIN_EFFECT = 0.05


@dataclass(frozen=True)
class Spec:
    """How to call the advised function (see the module)."""

    function: str
    args: str | None = None
    threads_arg: str | None = None

    def __post_init__(self):
        for name in ("function", "args"):
            value = getattr(self, name)
            if value is None and name == "args":
                continue
            if not isinstance(value, str) or value.count(":") != 1 or \
                    not all(value.split(":")):
                raise ValueError(f"{name} must be MODULE:NAME, got {value!r}")
        if self.threads_arg is not None and (not isinstance(self.threads_arg, str)
                                             or not self.threads_arg.isidentifier()):
            raise ValueError(f"threads_arg must be a keyword name, got {self.threads_arg!r}")


@dataclass
class Finding:
    """One thing the measurements say, under the claim it comes from."""

    claim: str
    topic: str
    status: str          # "advice", "fine", "inconclusive", "not measured"
    text: str
    numbers: dict = field(default_factory=dict)


@dataclass
class Advice:
    spec: Spec
    cpus: int
    threads: list
    sizes: list
    quick: bool
    seconds: float
    counts: dict           # {threads: structure.exact(...)}, or {"unavailable": why}
    sweep: dict            # per size: times, ratio, efficiency
    crossover: dict
    heartbeat: dict
    blas: dict
    runtime: dict
    findings: list
    #: The interpreter measured on (:func:`gilbench.advise_measure.probe`)
    #: and ``gil``: whether the GIL was on before and after the function's
    #: module was imported, and which module the interpreter said turned it on.
    python: dict = field(default_factory=dict)
    #: Where it takes the GIL back per element: the seconds one round trip
    #: per element costs here (C1's except * kernel less its noexcept twin,
    #: per element), its spread and the size priced at; else empty.
    gil_price: dict = field(default_factory=dict)

    @property
    def without_gil(self) -> bool:
        """Measured on a free-threaded build whose GIL stayed off."""
        return bool(self.python.get("free_threaded")) and \
            self.python.get("gil", {}).get("after") is False


# --------------------------------------------------------------------------
# Running the measuring processes


def _run(what: str, request: dict, env: dict, deadline: float, python: str,
         step=None) -> dict:
    """The answer of ``advise_measure``'s ``what`` for ``request``, run by
    ``python``; ``step(label)`` for each step the process reports as it
    goes (its stderr lines that start with ``advise_measure.STEP``)."""
    from gilbench import advise_measure

    left = deadline - time.monotonic()
    if left <= 0:
        raise ValueError(f"{request['function']} did not finish within the time limit")
    proc = subprocess.Popen([python, "-m", "gilbench.advise_measure", what,
                             json.dumps(request)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=os.getcwd())
    others, out = [], []

    def read_stderr():
        try:
            for line in proc.stderr:
                if line.startswith(advise_measure.STEP):
                    if step:
                        step(line[len(advise_measure.STEP):].strip())
                else:
                    others.append(line)
        except (OSError, ValueError):   # closed under it: a stopped process's stragglers
            pass

    def read_stdout():
        try:
            out.append(proc.stdout.read())
        except (OSError, ValueError):
            pass

    readers = [threading.Thread(target=read_stderr, daemon=True),
               threading.Thread(target=read_stdout, daemon=True)]
    for r in readers:
        r.start()
    try:
        proc.wait(timeout=left)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise ValueError(f"{request['function']} did not return within the time limit "
                         f"({request['timeout']:g} s): measuring {what} was stopped") from None
    finally:
        for r in readers:
            r.join(timeout=10)
        proc.stdout.close()
        proc.stderr.close()
    lines = "".join(out).strip().splitlines()
    try:
        answer = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        tail = ("".join(others).strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"the measuring process ({what}) exited {proc.returncode}: "
                           f"{tail}") from None
    if "error" in answer:
        raise ValueError(answer["error"])
    return answer


def interpreter(python) -> dict:
    """What ``python`` is (:func:`gilbench.advise_measure.probe`, run
    there); ValueError, in one line, for a path that is not an interpreter,
    one without gilbench, or one whose gilbench speaks another protocol."""
    from gilbench import advise_measure

    if not isinstance(python, (str, os.PathLike)) or not str(python):
        raise TypeError(f"python must be a path, got {type(python).__name__}")
    exe = str(python)
    if not os.path.isfile(exe) or not os.access(exe, os.X_OK):
        raise ValueError(f"--python {exe}: no such executable")
    try:
        r = subprocess.run([exe, "-c", "import gilbench.advise_measure as m, json; "
                            "print(json.dumps(m.probe()))"], capture_output=True, text=True,
                           timeout=120, env=_environ())
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ValueError(f"--python {exe} does not run: {exc}") from None
    if r.returncode != 0:
        tail = (r.stderr.strip().splitlines() or ["no output"])[-1]
        if "No module named 'gilbench" in r.stderr:
            raise ValueError(f"--python {exe} has no gilbench: install it there, with your "
                             f"module ({exe} -m pip install --prefer-binary "
                             "--only-binary=numpy,scipy /path/to/gilbench: docs/advise.md)")
        raise ValueError(f"--python {exe} cannot run gilbench: {tail}")
    try:
        info = json.loads(r.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        raise ValueError(f"--python {exe}: its gilbench gave no answer") from None
    if info.get("protocol") != advise_measure.PROTOCOL:
        raise ValueError(f"--python {exe}: its gilbench speaks advise protocol "
                         f"{info.get('protocol')}, this one {advise_measure.PROTOCOL}: install "
                         "the same gilbench in both")
    return info


def _counts(request: dict, env: dict, deadline: float, python: str, step=None) -> dict:
    """{threads: structure.exact(...)} of the request's function, from a
    process with the structure interposer preloaded."""
    raw = _run("counts", {**request, "interposer": str(structure.interposer())},
               dict(env, LD_PRELOAD=str(structure.interposer())), deadline, python, step)
    return {nt: structure.exact(f"{request['function']} at {nt} threads", seen,
                                request["count_sizes"]) for nt, seen in raw.items()}


def count(spec: Spec, threads, sizes=structure.SIZES, timeout: float = 600) -> dict:
    """The exact counts alone (:func:`advise`'s first part): {threads (str):
    {"per_call": {...}, "per_element": {...}}} at ``sizes`` (two, the
    smaller first), each thread count in ``threads``.  What
    :mod:`gilbench.asv_track` records in a user's own asv suite.
    :class:`gilbench.harness.structure.Unavailable` where the counts cannot
    be taken; ValueError for a spec that cannot be called."""
    if not isinstance(spec, Spec):
        raise TypeError(f"spec must be a gilbench.advise.Spec, got {type(spec).__name__}")
    structure.interposer()   # Unavailable, with its reason, before any process starts
    request = {**asdict(spec), "threads": list(threads), "count_sizes": list(sizes),
               "repeats": structure.REPEATS, "timeout": timeout}
    return _counts(request, _environ(), time.monotonic() + timeout, sys.executable)


def _environ() -> dict:
    env, _, _ = runtime.controlled_environ()
    env["PYTHONPATH"] = os.pathsep.join([os.getcwd(), *filter(None, [env.get("PYTHONPATH")])])
    return env


# --------------------------------------------------------------------------
# Reading them


def _sweep_table(times: dict, threads: list, sizes: list) -> tuple[dict, dict]:
    """(per size: each thread count's time, the ratio at the most threads
    to 1 thread with its spread, the efficiency; per sweep: the ratio's
    median per size)."""
    one, top = str(threads[0]), str(threads[-1])
    table, per_sweep = {}, []
    for sweep in times["sweeps"]:
        per_sweep.append({n: statistics.median(
            b / a for a, b in zip(sweep[str(n)][one], sweep[str(n)][top], strict=True))
            for n in sizes})
    for n in sizes:
        rounds = [(a, b) for sweep in times["sweeps"]
                  for a, b in zip(sweep[str(n)][one], sweep[str(n)][top], strict=True)]
        t1 = measurement.estimate(a for a, _ in rounds)
        tn = measurement.estimate(b for _, b in rounds)
        ratio = measurement.estimate(b / a for a, b in rounds)
        table[n] = {"seconds": {one: t1.value, top: tn.value},
                    "spread": {one: t1.spread, top: tn.spread},
                    "ratio": ratio.value, "ratio_spread": ratio.spread,
                    "efficiency": (1 / ratio.value) / int(top) if ratio.value > 0 else None}
    return table, {"per_sweep": per_sweep}


def _crossover(per_sweep: list, sizes: list, top: int, quick: bool,
               serial: str | None = None) -> dict:
    """The smallest size from which the most threads beat 1 thread at every
    larger size, per sweep; a threshold only when every sweep found one
    within one step of the others (the largest of them, so that it holds in
    every sweep)."""
    if top == 1:
        return {"status": "inconclusive", "sweeps": [],
                "why": serial or "one usable CPU: no thread count to compare"}
    found = []
    for ratios in per_sweep:
        start = None
        for n in reversed(sizes):
            if ratios[n] < 1:
                start = n
            else:
                break
        found.append(start)
    out = {"sweeps": found}
    if all(f is None for f in found):
        out.update(status="never", why=f"threads did not pay at any size up to {sizes[-1]:g} "
                   "in any sweep")
    elif any(f is None for f in found):
        out.update(status="inconclusive",
                   why="some sweeps found a size from which threads pay, some none")
    else:
        steps = sorted(sizes.index(f) for f in found)
        if steps[-1] - steps[0] > 1:
            out.update(status="inconclusive",
                       why="the sweeps' crossovers are more than one size step apart")
        else:
            at = sizes[steps[-1]]
            bound = at == sizes[0]
            out.update(status="bound" if bound else "threshold", at=at,
                       below=sizes[steps[-1] - 1] if not bound else None,
                       why=(f"threads paid at every size measured, the smallest {at:g}: "
                            "the crossover is at or below it" if bound else
                            f"threads paid from {at:g} on in every sweep, not at "
                            f"{sizes[steps[-1] - 1]:g}"))
    if quick:
        out["quick"] = True
    return out


def _gil_finding(python: dict, spec: Spec) -> Finding | None:
    """On a free-threaded build: whether the GIL stayed off once the
    function's module was imported (None on a GIL build)."""
    if not python.get("free_threaded"):
        return None
    gil, build = python["gil"], python["build"]
    module = spec.function.partition(":")[0]
    nums = {"GIL on before the import": gil["before"], "GIL on after it": gil["after"]}
    if gil["before"]:
        return Finding("C3", "GIL on import", "not measured",
                       f"the GIL was on in Python {build} before {module} was imported (NumPy "
                       "or threadpoolctl turned it on): nothing here ran without it", nums)
    if gil["after"]:
        by = gil.get("turned_on_by")
        named = f" (the interpreter names {by})" if by and by != module else ""
        return Finding("C3", "GIL on import", "advice",
                       f"importing {module}{named} turned the GIL back on in Python {build}: "
                       "everything here ran with it, as on a GIL build. Once the module is "
                       "safe without the GIL, declare it so (Cython 3.1+: "
                       "`# cython: freethreading_compatible = True`)", nums)
    return Finding("C3", "GIL on import", "fine",
                   f"the GIL stayed off in Python {build} after importing {module}: these "
                   "measurements ran without it", nums)


def _saving(back: float, price: dict, table: dict, sizes: list, threads: list,
            nums: dict) -> str:
    """What a rewrite without the per-element round trips would save at the
    largest size, one thread: ``back`` round trips per element at the price
    C1's kernels give here, as a share of the call timed in the same rounds
    (an estimate: the price in another loop differs)."""
    n = sizes[-1]
    cost = back * price["seconds"] * n
    share, spread = price["share"], price["share_spread"]
    nums["GIL round trip here (ns)"] = price["seconds"] * 1e9
    nums["its spread"] = price["spread"]
    nums[f"share of a call at n = {n:g} (estimate)"] = share
    nums["share spread"] = spread
    said = f"{share:.0%} +/- {spread:.0%} of a call" if share * (1 - spread) <= 1 else \
        f"{share:.0%} of a call, more than the call itself: the price measured here does not " \
        "hold in its loop"
    less = f"{cost * 1e3:.3g} ms" if cost >= 1e-3 else f"{cost * 1e6:.3g} us"
    return (f" Without them a call at n = {n:g} would take about {less} less, "
            f"{said} (an estimate: {back:.2f} per element x {price['seconds'] * 1e9:.2f} ns "
            f"+/- {price['spread']:.0%}, the price of one here: C1's `except *` sum of squares "
            "less its `noexcept` twin, per element, timed in alternation with the call)")


def _findings(counts: dict, table: dict, cross: dict, beat: dict, blas: dict,
              threads: list, sizes: list, threads_by: str | None, python: dict | None = None,
              spec: Spec | None = None, price: dict | None = None) -> list[Finding]:
    python = python or {}
    out = [f for f in [_gil_finding(python, spec)] if f]
    no_gil = bool(python.get("free_threaded")) and python.get("gil", {}).get("after") is False
    top = threads[-1]
    if "unavailable" in counts:
        out.append(Finding("C1", "GIL per element", "not measured",
                           f"exact counts not taken: {counts['unavailable']}"))
    else:
        one = counts[str(threads[0])]
        back = one["per_element"]["gil_ensures"] + one["per_element"]["gil_restores"]
        nums = {"gil_ensures per element": one["per_element"]["gil_ensures"],
                "gil_restores per element": one["per_element"]["gil_restores"]}
        saving = _saving(back, price, table, sizes, threads, nums) \
            if back >= PER_ELEMENT_GIL and price else ""
        if back >= PER_ELEMENT_GIL and no_gil:
            out.append(Finding("C1", "GIL per element", "advice",
                               f"attaches its thread state again {back:.2f} times per element "
                               "(exact): with the GIL off that takes no lock, yet on a GIL "
                               "build the same code takes the GIL back as often. An `except *` "
                               "call or a `with gil` block in the loop: declare the inner "
                               "function `noexcept` and keep Python objects out of the loop "
                               f"(C1, C5).{saving}", nums))
        elif back >= PER_ELEMENT_GIL:
            out.append(Finding("C1", "GIL per element", "advice",
                               f"takes the GIL back {back:.2f} times per element (exact): an "
                               "`except *` call or a `with gil` block in the loop. Declare the "
                               "inner function `noexcept` (or `except -1` on a value it never "
                               "returns) and keep Python objects out of the loop (C1, C5)."
                               f"{saving}", nums))
        else:
            out.append(Finding("C1", "GIL per element", "fine",
                               f"no GIL round trip per element (exact: {back:.3g} per element)",
                               nums))
        n1, n2 = sizes[0], sizes[1]
        saves = one["per_call"]["gil_saves"]
        saves2 = round(saves + one["per_element"]["gil_saves"] * (n2 - n1))
        nums = {f"gil_saves per call at n = {n1:g}": saves,
                f"gil_saves per call at n = {n2:g}": saves2}
        # Without the GIL a release is a thread state detached (PyEval_SaveThread).
        release = "detaches its thread state (on a GIL build: releases the GIL)" if no_gil \
            else "releases the GIL"
        if saves:
            out.append(Finding("C3", "GIL released", "fine",
                               f"{release}: {saves} release{'s' if saves != 1 else ''} a call at "
                               f"n = {n1:g}, "
                               "exact; other Python threads can run while it runs", nums))
        elif saves2:
            out.append(Finding("C3", "GIL released", "fine",
                               f"{release} at n = {n2:g}, not at n = {n1:g} "
                               "(exact): it decides by size, as NumPy's loops do", nums))
        elif no_gil:
            out.append(Finding("C3", "GIL released", "fine",
                               f"never detaches its thread state (exact: no release at "
                               f"n = {n1:g} or {n2:g}); with the GIL off, other Python "
                               "threads run meanwhile all the same, but on a GIL build it "
                               "would hold the GIL for the whole call (C3)", nums))
        else:
            out.append(Finding("C3", "GIL released",
                               "advice" if beat["call_s"] >= HEARTBEAT_MIN_CALL else "fine",
                               "holds the GIL for the whole call (exact: no release at "
                               f"n = {n1:g} or {n2:g}). That costs nothing single-threaded "
                               "(C2); release it (`with nogil`) only if other Python threads "
                               "must run meanwhile (C3)", nums))
        if top > 1:
            many = counts[str(top)]["per_call"]
            regions, members = many["regions"], many["team_members"]
            team = members / regions if regions else 0
            nums = {"regions per call": regions, "team per region": team,
                    "regions per element": counts[str(top)]["per_element"]["regions"]}
            if not regions:
                out.append(Finding("C7", "OpenMP", "fine",
                                   f"enters no OpenMP region at {top} threads (exact): not a "
                                   "prange", nums))
            else:
                if team < top:
                    out.append(Finding("C7", "OpenMP", "advice",
                                       f"its regions ran {team:g} threads when {top} were asked "
                                       f"(by {threads_by or 'nothing'}): its thread count is "
                                       "set elsewhere; say which argument takes it "
                                       "(--threads-arg)", nums))
                if regions >= 2:
                    out.append(Finding("C8", "OpenMP", "advice",
                                       f"{regions} parallel regions per call (exact): each pays "
                                       "a region's start; one `with parallel():` section "
                                       "around the loops may save them (C8)", nums))
                elif team >= top:
                    out.append(Finding("C7", "OpenMP", "fine",
                                       f"one region per call, {team:g} threads (exact)", nums))
    if top > 1 and cross["status"] == "threshold":
        out.append(Finding("C7", "crossover", "advice",
                           f"threads pay from n = {cross['at']:g} (every sweep; not at "
                           f"{cross['below']:g}): `prange(..., use_threads_if=n >= "
                           f"{cross['at']:g})` (Cython 3.1+) keeps smaller calls on one "
                           "thread; the threshold lies between the two sizes",
                           {"sweeps' crossovers": cross["sweeps"]}))
    elif top > 1:
        out.append(Finding("C7", "crossover", "inconclusive" if cross["status"] != "never"
                           else "advice",
                           cross["why"] + ("" if cross["status"] != "never" else
                                           ": run it on one thread at these sizes"),
                           {"sweeps' crossovers": cross["sweeps"]}))
    else:
        out.append(Finding("C7", "crossover", "inconclusive", cross["why"]))
    largest = table[sizes[-1]]
    if top > 1:
        eff, spread = largest["efficiency"], largest["ratio_spread"]
        wide = spread > EFFICIENCY_SPREAD
        out.append(Finding("C7", "efficiency", "inconclusive" if wide else "fine",
                           f"parallel efficiency at n = {sizes[-1]:g}, {top} threads: "
                           f"{eff:.2f} (ratio {largest['ratio']:.3f} +/- {spread:.1%})"
                           + (f": the ratio's spread is over {EFFICIENCY_SPREAD:.0%}, the "
                              "efficiency not known within a factor of 3 (a busy machine?)"
                              if wide else ""),
                           {"efficiency": eff, "ratio spread": spread}))
    gap, call, switch = beat["worst_gap_s"], beat["call_s"], beat["switch_interval_s"]
    nums = {"worst gap (ms)": round(gap * 1e3, 3), "longest call (ms)": round(call * 1e3, 3),
            "switch interval (ms)": round(switch * 1e3, 3)}
    released = None
    if "unavailable" not in counts:
        one = counts[str(threads[0])]
        released = one["per_call"]["gil_saves"] + one["per_element"]["gil_saves"] * (
            sizes[-1] - sizes[0]) > 0
    if gap >= HELD * max(call, switch) and released:
        out.append(Finding("C4", "heartbeat", "fine",
                           f"it releases the GIL in every call (exact), yet another Python "
                           f"thread waited {gap * 1e3:.1f} ms while it ran back to back "
                           f"({call * 1e3:.2f} ms a call at n = {sizes[-1]:g}): the caller "
                           "takes the GIL back before a waiting thread wakes, the starved "
                           "window C4 measures; release for longer stretches if others must "
                           "run meanwhile", nums))
    elif gap >= HELD * max(call, switch):
        out.append(Finding("C3", "heartbeat", "advice" if call >= HEARTBEAT_MIN_CALL else "fine",
                           f"another Python thread waited {gap * 1e3:.1f} ms while it ran "
                           f"back to back ({call * 1e3:.2f} ms a call at n = {sizes[-1]:g}): "
                           + ("it holds the GIL" if released is False else "it holds the GIL, "
                              "or releases it too briefly for a waiting thread (C4)") + (
                               "; `with nogil` around its loop lets other threads run (C3)"
                               if call >= HEARTBEAT_MIN_CALL else
                               ", for calls too short for other threads to notice (C2, C3)"),
                           nums))
    elif gap <= RUNS * switch:
        out.append(Finding("C3", "heartbeat", "fine",
                           f"other Python threads ran while it ran (worst gap "
                           f"{gap * 1e3:.1f} ms, calls of {call * 1e3:.2f} ms)", nums))
    else:
        out.append(Finding("C3", "heartbeat", "inconclusive",
                           f"worst gap {gap * 1e3:.1f} ms: between a released GIL's and a "
                           "held one's on this machine", nums))
    if blas.get("ratio") is not None:
        r, s = blas["ratio"], blas["spread"]
        free, cpus = blas["blas"], blas["blas"]
        nums = {"free / pinned": r, "spread": s}
        # Left free inside a prange, each of its threads may start a BLAS team:
        # what "free" measured is then oversubscription (C9's nested pattern).
        most = top * free if blas.get("in_openmp") else free
        where = (f" (inside {top} OpenMP threads, each free to start a team of {free}: up to "
                 f"{most} threads on {cpus} CPUs, oversubscribed)" if most > cpus else "")
        if most > cpus:
            nums["threads at most, free"] = most
        if r * (1 - s) > 1 and r > 1 + MIN_EFFECT:
            out.append(Finding("C9", "BLAS", "advice",
                               f"BLAS threads left free ({free}){where} cost {r:.2f}x against "
                               f"BLAS pinned to 1 at {top} OpenMP threads: pin BLAS to 1 "
                               "(threadpoolctl.threadpool_limits(1, 'blas')) around it (C9)",
                               nums))
        elif r * (1 + s) < 1 and r < 1 - MIN_EFFECT:
            out.append(Finding("C9", "BLAS", "fine",
                               f"BLAS threads left free{where} are {1 / r:.2f}x faster here "
                               f"(free / pinned {r:.3f} +/- {s:.1%}): its BLAS work gains "
                               "from them", nums))
        else:
            out.append(Finding("C9", "BLAS", "inconclusive",
                               f"BLAS free{where} against pinned: {r:.3f} +/- {s:.1%}, no "
                               f"effect beyond the noise or {MIN_EFFECT:.0%} (a function that "
                               "calls no BLAS shows none)", nums))
    else:
        out.append(Finding("C9", "BLAS", "not measured", blas.get("why", "")))
    if "passive" in blas:
        out.append(_wait_policy_finding(blas, top))
    elif "passive_why" in blas:
        out.append(Finding("C9", "wait policy", "not measured", blas["passive_why"]))
    return out


def _wait_policy_finding(blas: dict, top: int) -> Finding:
    """C9's other remedy: ``OMP_WAIT_POLICY=PASSIVE`` against the default,
    each policy's BLAS free / pinned measured in its own process."""
    r, s = blas["ratio"], blas["spread"]
    p = blas["passive"]
    rp, sp, price = p["ratio"], p["spread"], p["pinned_price"]
    nums = {"free / pinned, default policy": r, "spread": s,
            "free / pinned, OMP_WAIT_POLICY=PASSIVE": rp, "spread (passive)": sp,
            "pinned, passive / default (across processes)": price,
            "OpenMP spin count, default / passive (runtime record)":
                f"{p.get('default_spin_count')} / {p.get('spin_count')}"}
    said = (f"BLAS free / pinned {rp:.3f} +/- {sp:.1%} with OMP_WAIT_POLICY=PASSIVE, "
            f"{r:.3f} +/- {s:.1%} without; the pinned call {price:.2f}x as long under "
            "it (two processes, one after the other: not interleaved)")
    contended = r * (1 - s) > 1 and r > 1 + MIN_EFFECT
    if not contended:
        return Finding("C9", "wait policy", "fine",
                       f"no contention for it to remedy here: {said}", nums)
    if rp * (1 + sp) < r * (1 - s) and r - rp > MIN_EFFECT:
        return Finding("C9", "wait policy", "advice",
                       f"the passive wait policy takes back part of BLAS's contention: {said}. "
                       "Pinning BLAS to 1 removes it; OMP_WAIT_POLICY=PASSIVE (set before "
                       "the process starts) keeps BLAS's threads at that price (C9)", nums)
    return Finding("C9", "wait policy", "inconclusive" if rp * (1 - sp) < r * (1 + s) else
                   "advice", f"the passive wait policy does not remedy it here: {said}; "
                   "pin BLAS to 1 instead (C9)", nums)


# --------------------------------------------------------------------------
# The verb


def _blas_ratio(compare: dict) -> dict:
    """{"ratio", "spread"}: BLAS free over pinned, round by round."""
    est = measurement.estimate(f / p for p, f in zip(compare["pinned"], compare["free"],
                                                     strict=True))
    return {"ratio": est.value, "spread": est.spread}


class _Steps:
    """Steps done out of ``total``, told to ``progress(done, total, label)``
    as each measuring process reports one."""

    def __init__(self, progress):
        self.progress, self.done, self.total = progress, 0, 0

    def start(self, label: str) -> None:
        if self.progress:
            self.progress(self.done, self.total, label)

    def __call__(self, label: str) -> None:
        self.done += 1
        if self.progress:
            self.progress(min(self.done, self.total), self.total, label)


def advise(spec: Spec, *, sizes=None, quick: bool = False, timeout: float = 300,
           python: str | None = None, progress=None) -> Advice:
    """Measure ``spec``'s function (see the module) within ``timeout``
    seconds, on ``python`` (default: this interpreter); ValueError for what
    cannot be measured, in one line.  ``progress(done, total, label)`` is
    called as the steps go (the command's progress bar)."""
    if not isinstance(spec, Spec):
        raise TypeError(f"spec must be a gilbench.advise.Spec, got {type(spec).__name__}")
    sizes = sorted(set(QUICK_SIZES if quick else DEFAULT_SIZES) if sizes is None else sizes)
    if len(sizes) < 2 or any(isinstance(n, bool) or not isinstance(n, int) or n < 1
                             for n in sizes):
        raise ValueError(f"sizes must be at least two integers >= 1, got {sizes!r}")
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise ValueError(f"timeout must be a number of seconds > 0, got {timeout!r}")
    steps = _Steps(progress)
    cpus = usable_cpus()
    threads = sorted({1, cpus})
    sweeps, rounds, batch, per_size = QUICK if quick else FULL
    request = {**asdict(spec), "threads": threads, "sizes": sizes, "sweeps": sweeps,
               "rounds": rounds, "batch_time": batch, "max_time": per_size,
               "count_sizes": sizes[:2], "repeats": structure.REPEATS,
               "timeout": timeout, "cpus": cpus}
    t0 = time.monotonic()
    if python is not None:
        interpreter(python)      # one line on what is wrong with it, before measuring
    python = str(python or sys.executable)
    deadline = t0 + timeout
    env = _environ()
    why = structure.unavailable_reason()
    times_steps = sweeps * len(sizes) + 2       # advise_measure.times: its step() calls
    if why:
        counts = {"unavailable": why}
    else:
        steps.total = len(threads) + times_steps
        steps.start("counting GIL transitions and OpenMP regions (exact)")
        counts = _counts(request, env, deadline, python, steps)
    serial = None
    if threads[-1] > 1 and "unavailable" not in counts and not spec.threads_arg \
            and not counts[str(threads[-1])]["per_call"]["regions"]:
        # Nothing for a thread count to change: no region at the most threads.
        serial = f"enters no OpenMP region at {threads[-1]} threads (exact): not a prange"
        threads = threads[:1]
        request["threads"] = threads
    if "unavailable" not in counts:
        per = counts[str(threads[0])]["per_element"]
        # Where it takes the GIL back per element: what that costs here (C1's kernels).
        request["price_gil"] = per["gil_ensures"] + per["gil_restores"] >= PER_ELEMENT_GIL
        times_steps += request["price_gil"]
    steps.total = steps.done + times_steps + 1     # and, maybe, the passive wait policy
    steps.start(f"timing {len(sizes)} sizes at {', '.join(map(str, threads))} threads, "
                f"{sweeps} sweeps")
    times = _run("times", request, env, deadline, python, steps)
    table, sweeps_seen = _sweep_table(times, threads, sizes)
    cross = _crossover(sweeps_seen["per_sweep"], sizes, threads[-1], quick, serial)
    if "blas_compare" in times:
        blas = {**_blas_ratio(times["blas_compare"]), "openmp": threads[-1], "blas": cpus}
        uses_openmp = bool(spec.threads_arg) if "unavailable" in counts else \
            bool(counts[str(threads[-1])]["per_call"]["regions"])
        blas["in_openmp"] = uses_openmp
        if uses_openmp:
            # The other remedy: OpenMP's idle threads sleeping instead of spinning.
            # The policy is read when OpenMP starts: another process, under it.
            passive = _run("blas", request, dict(env, OMP_WAIT_POLICY="PASSIVE"), deadline,
                           python, steps)
            blas["passive"] = {
                **_blas_ratio(passive["blas_compare"]),
                # libgomp shows an unset policy as PASSIVE; its spin count tells
                # them apart (300000 unset, 0 under PASSIVE).
                "policy": passive["record"].get("env OMP_WAIT_POLICY"),
                "spin_count": passive["record"].get("openmp spin count"),
                "default_spin_count": times["record"].get("openmp spin count"),
                "record": passive["record"],     # what that process ran under, whole
                # Across the two processes, one after the other: not interleaved.
                "pinned_price": statistics.median(passive["blas_compare"]["pinned"])
                / statistics.median(times["blas_compare"]["pinned"])}
        else:
            blas["passive_why"] = ("enters no OpenMP region: the wait policy has no OpenMP "
                                   "threads to act on")
    else:
        blas = {"why": "no BLAS library loaded" if not times["blas"] else
                "one usable CPU: BLAS has no threads to spare"}
    if "passive" not in blas:
        steps.total = steps.done       # the passive wait policy's step was not needed
        steps.start("measured")
    measured_on = {**times["python"], "gil": times["gil"]}
    price = {}
    if "gil_price" in times:
        gp = times["gil_price"]
        back = sum(counts[str(threads[0])]["per_element"][k]
                   for k in ("gil_ensures", "gil_restores"))
        est = measurement.estimate(gp["seconds"])
        # Round by round: the round trips' cost over the call it shared the round with.
        share = measurement.estimate(back * p * sizes[-1] / c
                                     for p, c in zip(gp["seconds"], gp["call"], strict=True))
        price = {"seconds": est.value, "spread": est.spread, "size": gp["size"],
                 "share": share.value, "share_spread": share.spread}
    findings = _findings(counts, table, cross, times["heartbeat"], blas, threads, sizes,
                         times["threads_by"], measured_on, spec, price)
    return Advice(spec=spec, cpus=cpus, threads=threads, sizes=sizes, quick=quick,
                  seconds=time.monotonic() - t0, counts=counts, sweep=table, crossover=cross,
                  heartbeat=times["heartbeat"], blas=blas,
                  runtime={"openmp": times["openmp"], "blas": times["blas"],
                           "threads_by": times["threads_by"],
                           "cleared": sorted(runtime.controlled_environ()[1]),
                           "record": times["record"]},
                  findings=findings, python=measured_on, gil_price=price)


# --------------------------------------------------------------------------
# Output


def to_json(a: Advice) -> str:
    data = asdict(a)
    data["sweep"] = {str(n): row for n, row in a.sweep.items()}
    return json.dumps(data, indent=1, default=str)


def sweep_rows(a: Advice) -> tuple[list, list]:
    """(column heads, rows) of the sweep: a serial function's has one
    thread count."""
    one, top = str(a.threads[0]), str(a.threads[-1])
    heads = ["n", "us, 1 thread (+/-)"]
    if top != one:
        heads += [f"us, {top} threads (+/-)", f"{top} / 1 threads (+/-)", "efficiency"]
    rows = []
    for n, row in a.sweep.items():
        r = [f"{n:g}", f"{row['seconds'][one] * 1e6:.2f} ({row['spread'][one]:.1%})"]
        if top != one:
            r += [f"{row['seconds'][top] * 1e6:.2f} ({row['spread'][top]:.1%})",
                  f"{row['ratio']:.3f} ({row['ratio_spread']:.1%})",
                  f"{row['efficiency']:.2f}" if row["efficiency"] else "-"]
        rows.append(r)
    return heads, rows


def header(a: Advice) -> str:
    mark = " QUICK (fewer sizes and sweeps: a threshold it could not bracket is not given)" \
        if a.quick else ""
    cleared = a.runtime.get("cleared") or []
    said = f"; cleared from the caller: {', '.join(cleared)}" if cleared else ""
    py = a.python
    on = f"Python {py['build']}" if py.get("build") else "Python"
    if py.get("free_threaded") and "gil" in py:
        on += " (GIL off)" if a.without_gil else " (GIL on)"
    return (f"gilbench advise {a.spec.function} on {a.cpus} usable CPUs, {on}, "
            f"{a.seconds:.0f} s{said}; runtime record: "
            f"{len(a.runtime.get('record') or {})} items.{mark}")


def to_text(a: Advice) -> str:
    heads, rows = sweep_rows(a)
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(heads)]
    lines = [header(a), "", "  ".join(h.rjust(w) for h, w in zip(heads, widths, strict=True))]
    lines += ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    lines.append("")
    for f in a.findings:
        lines.append(f"[{f.claim} {f.status}] {f.topic}: {f.text}")
    return "\n".join(lines) + "\n"


def to_markdown(a: Advice) -> str:
    heads, rows = sweep_rows(a)
    lines = [f"## {header(a)}", "", "| " + " | ".join(heads) + " |",
             "|" + "---|" * len(heads)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    lines += ["", "| claim | topic | status | finding |", "|---|---|---|---|"]
    lines += [f"| {f.claim} | {f.topic} | {f.status} | {f.text} |" for f in a.findings]
    return "\n".join(lines) + "\n"
