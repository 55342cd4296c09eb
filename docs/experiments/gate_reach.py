"""What the gate catches: regressions a real pull request makes, at 1 thread
and at the usable CPUs, some that no count can see, judged by the gate.

Each regression (:data:`REGRESSIONS`) is one commit over BASE in a scratch
clone, a change a contributor could well propose:

* ``no-openmp``: the build option that turns OpenMP off (every prange on
  one thread);
* ``passive-wait``: the package sets ``OMP_WAIT_POLICY=PASSIVE`` at import,
  "to be polite" (idle team threads sleep; no count moves);
* ``dynamic-schedule``: C7's prange reduction scheduled dynamically, one
  iteration per chunk;
* ``gil-in-prange``: a check for Ctrl-C, under the GIL, in every iteration
  of C7's prange reduction;
* ``more-work``: C1's GIL-held sum of squares does 50 % more dependent adds;
* ``void-helper``: C1's ``noexcept`` helper made to write through a pointer,
  its ``noexcept`` lost on the way (a ``void`` cdef function then takes the
  GIL back after every call, in the prange kernel on every thread);
* ``drop-brief-release``: C4's spin loop without its brief release (no time
  gets worse; Python threads waiting for the GIL starve).

The heads are measured in a shuffled order (the seed is recorded) together
with BASE, the gate's way (:func:`gilbench.gate_protocol.measure`: the exact counts
once, the times in interleaved rounds), over the points the gate watches
here (the exact counts and the timed points of ``noise/gate/<machine>.json``
within the gate's time budget, :func:`gilbench.gate_protocol.watched_timed`).
Each head is judged against BASE by :func:`gilbench.gate.judge`, and the
timed points that failed are measured again, BASE and that head (the gate's
confirmation; a moved exact count fails as measured, as in the gate).
The raw asv results of the first measurement and of each confirmation are
kept apart under ``noise/gate-reach/<batch>/`` (default: the machine's
name), with ``reach.json``;
``docs/figures.py`` judges them again from the raw files.

    python docs/experiments/gate_reach.py --machine vm

The thresholds were set by the calibration, on other runs: out of sample.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

from gilbench import _asv, gate, gate_protocol

ROOT = Path(__file__).resolve().parents[2]
C1 = "src/gilbench/kernels/c1_gil_held.pyx"
C4 = "src/gilbench/kernels/c4_brief_release.pyx"
C7 = "src/gilbench/kernels/c7_prange_overhead.pyx"
C7_LOOP = '''        for i in prange(n, num_threads=nt, schedule="static"):
            s += xv[i] * xv[i]
    return s'''

#: name: (what it does, where it should show, [(path, old, new), ...]); the
#: more-work head is made by :func:`inject` instead.
REGRESSIONS = {
    "no-openmp": ("the build option turns OpenMP off", "usable CPUs",
                  [("meson.options", "type: 'feature', value: 'auto'",
                    "type: 'feature', value: 'disabled'")]),
    "passive-wait": ("OMP_WAIT_POLICY=PASSIVE set at import", "usable CPUs, time only",
                     [("src/gilbench/__init__.py", '__version__ = "0.1.0"',
                       'import os\n\n# Let idle OpenMP threads sleep: polite to other programs.\n'
                       'os.environ["OMP_WAIT_POLICY"] = "PASSIVE"\n\n__version__ = "0.1.0"')]),
    "dynamic-schedule": ("C7's prange reduction scheduled dynamically, chunks of 1",
                         "1 thread and usable CPUs",
                         [(C7, C7_LOOP, C7_LOOP.replace('schedule="static"',
                                                        'schedule="dynamic"'))]),
    "gil-in-prange": ("a Ctrl-C check under the GIL in every iteration of C7's prange",
                      "1 thread and usable CPUs",
                      [(C7, C7_LOOP, C7_LOOP.replace(
                          "            s += xv[i] * xv[i]\n",
                          "            s += xv[i] * xv[i]\n            with gil:\n"
                          "                PyErr_CheckSignals()\n")),
                       (C7, "cimport numpy as cnp\n",
                        "cimport numpy as cnp\nfrom cpython.exc cimport PyErr_CheckSignals\n")]),
    "more-work": ("C1's GIL-held sum of squares does 50% more dependent adds", "1 thread",
                  []),
    "void-helper": ("C1's noexcept helper refactored to write through a pointer, its "
                    "noexcept lost (a void cdef function then checks for an exception, under "
                    "the GIL, after every call)", "1 thread and usable CPUs",
                    [(C1, "cdef double _poly_noexcept(double v) noexcept nogil:\n"
                          "    return poly8(v)",
                      "cdef void _poly_noexcept(double v, double* dst) nogil:\n"
                      "    dst[0] = poly8(v)"),
                     (C1, "ov[i] = _poly_noexcept(xv[i])", "_poly_noexcept(xv[i], &ov[i])"),
                     (C1, "ov[i] = _poly_noexcept(xv[i])", "_poly_noexcept(xv[i], &ov[i])")]),
    "drop-brief-release": ("C4's spin loop no longer releases the GIL (the release looked "
                           "useless)", "1 thread and usable CPUs, counts only",
                           [(C4, "            with nogil:\n                pass\n"
                                 "            next_release += every",
                             "            next_release += every")]),
}


def inject(source: str, function: str, percent: int, acc: str | None = "s",
           sink: tuple = ()) -> str:
    """``source`` with ``function``'s loop over its n elements followed by
    ``n * percent // 100`` dependent adds of 0.0 to ``acc`` (same indent),
    or with ``acc`` None, by as many more turns of the loop's own body; then
    the ``sink`` lines."""
    start = source.index(f"def {function}(")
    loop = re.compile(r"for (_?i) in range\(n\):\n").search(source, start)
    var = loop.group(1)
    line_start = source.rindex("\n", 0, loop.start()) + 1
    indent = loop.start() - line_start
    lines = source[line_start:].split("\n")
    end = 1
    while lines[end].startswith(" " * (indent + 4)):
        end += 1
    at = line_start + sum(len(line) + 1 for line in lines[:end])
    pad = " " * indent
    body = [f"{acc} = {acc} + 0.0"] if acc else [line[indent + 4:] for line in lines[1:end]]
    extra = f"{pad}for {var} in range(n * {percent} // 100):  # injected slowdown\n" + \
        "".join(f"{pad}    {line}\n" for line in body)
    extra += "".join(f"{pad}{line}\n" for line in sink)
    return source[:at] + extra + source[at:]


def git(*args, cwd):
    return _asv.git(*args, cwd=cwd).stdout.strip()


def _moved(g) -> list:
    return [{"name": m.name, "kind": m.kind, "ratio": m.ratio, "threshold": m.threshold}
            for m in g.moved]


def apply(work: Path, name: str) -> None:
    """Make regression ``name`` in the checkout ``work`` (see the module)."""
    if name == "more-work":
        src = work / "src/gilbench/kernels/c1_gil_held.pyx"
        src.write_text(inject(src.read_text(), "sumsq_gil", 50))
        return
    for path, old, new in REGRESSIONS[name][2]:
        f = work / path
        text = f.read_text()
        if old not in text:
            raise SystemExit(f"{name}: {path} no longer holds the text this regression edits")
        f.write_text(text.replace(old, new, 1))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--machine", required=True)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--only", nargs="*", default=None, choices=list(REGRESSIONS),
                        help="these regressions only (default: all)")
    parser.add_argument("--workdir", default=None, help="scratch clone (default: a temp dir)")
    parser.add_argument("--batch", default=None,
                        help="write to noise/gate-reach/BATCH (default: the machine's name); "
                        "docs/figures.py reads every batch")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(10**6)
    out = ROOT / "noise" / "gate-reach" / (args.batch or args.machine)
    tested = git("rev-parse", "HEAD", cwd=ROOT)
    table = gate.table_at(ROOT, tested,
                          gate_protocol.TABLE.format(noise="noise", machine=args.machine))
    if table is None:
        raise SystemExit(f"no committed gate table for {args.machine}: calibrate first")
    work = Path(args.workdir or tempfile.mkdtemp(prefix="gilbench-reach-"))
    git("clone", "-q", "--no-local", str(ROOT), str(work), cwd=ROOT)
    git("checkout", "-q", "-B", "main", tested, cwd=work)
    base = git("rev-parse", "main", cwd=work)
    ident = ["-c", "user.name=reach", "-c", "user.email=reach@gilbench"]
    order = list(args.only or REGRESSIONS)
    random.Random(seed).shuffle(order)
    heads = []
    for name in order:
        git("checkout", "-q", base, cwd=work)
        apply(work, name)
        git(*ident, "commit", "-q", "-am", f"regression {name}: {REGRESSIONS[name][0]}",
            cwd=work)
        heads.append({"regression": name, "what": REGRESSIONS[name][0],
                      "expected": REGRESSIONS[name][1],
                      "sha": git("rev-parse", "HEAD", cwd=work)})
    git("checkout", "-q", "main", cwd=work)
    threads = {}
    kinds = {n: k for n, k in gate_protocol.candidates(work, threads=threads).items()
             if k == gate_protocol.EXACT_KIND}
    kinds |= {n: table.rows[n].kind for n in gate_protocol.watched_timed(table, threads)}
    machine = _asv.machine(work, args.machine)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    t0 = time.monotonic()
    gate_protocol.measure(work, [base] + [h["sha"] for h in heads], kinds, machine=machine)
    seconds = time.monotonic() - t0
    results_dir = _asv.results_dir(work)
    gate_protocol.keep_raw(results_dir, machine, [base] + [h["sha"] for h in heads], out / "first")
    for h in heads:
        g = gate.judge(out / "first", machine, base, h["sha"], table, verdicts=False,
                       watched=set(kinds))
        h["gated"] = g.gated
        h["first"] = _moved(g)
        # As the gate: the timed points are measured again; a moved exact
        # count fails as measured (it reads the same in every run).
        failing = {m.name: kinds[m.name] for m in g.to_confirm}
        h["confirmation"] = []
        if failing:
            gate_protocol.measure(work, [base, h["sha"]], failing, machine=machine)
            raw = gate_protocol.keep_raw(results_dir, machine, [base, h["sha"]],
                                out / "confirmation" / h["regression"])
            again = gate.judge(raw, machine, base, h["sha"], table, verdicts=False,
                               watched=set(failing))
            h["confirmation"] = _moved(again)
        print(f"{h['regression']}: {len(g.first_failures)} failing first, "
              f"{sum(m['kind'] in gate.CONFIRMED_FAILS for m in h['confirmation'])} again",
              flush=True)
    record = {"base": base, "tested_commit": tested, "machine": machine, "seed": seed,
              "order": order, "watched": sorted(kinds),
              "first_seconds": round(seconds, 1), "heads": heads}
    (out / "reach.json").write_text(json.dumps(record, indent=1) + "\n")
    print(f"written {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
