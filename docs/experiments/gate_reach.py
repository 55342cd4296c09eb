"""What the gate catches: slowdowns injected into four kernels, watched by the
three kinds of gated point (an exact count, an interleaved ratio, two raw
times), judged by the gate's own rule.

For each level P in +5, +10 and +20 % and each repetition (two by default),
a commit in a scratch clone adds, after each target kernel's loop over its n
elements, a second loop of ``n * P // 100`` dependent adds of ``0.0`` to the
loop's accumulator (a C compiler may not drop them: they turn -0.0 into
0.0), or, for C5's GIL round trips, P % more round trips.  The answers are
unchanged; the work of these latency-bound loops grows by about P %.  The
six heads are measured in a shuffled order (the seed is recorded) by one
``asv run`` with BASE, in interleaved rounds, with
the gate's settings, over the points the gate watches here (the exact counts
and the stable and gated points of ``noise/gate/<machine>.json``).  Each head
is then judged against BASE by :func:`gilbench.gate.judge` over all of those
points, and its failures measured again, BASE and HEAD interleaved (the
gate's confirmation).  Raw asv results, the heads and the judgements go to
``noise/gate-reach/<machine>/``; ``docs/figures.py`` makes the tables.

    python docs/experiments/gate_reach.py --machine vm

The thresholds were set by the calibration, on other runs: these are
out-of-sample for the gate.
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

from gilbench import _asv, gate

ROOT = Path(__file__).resolve().parents[2]
LEVELS = (5, 10, 20)

#: (kernel source, function, accumulator, sink lines, watched point, kind).
#: Where the loop's result reaches memory rather than the return value, the
#: sink writes the last element again (the same value), or the compiler
#: drops the extra adds as dead code.  An accumulator of None means the
#: loop's own body is repeated over the extra iterations instead (C5's GIL
#: round trips: P % more of them).
TARGETS = (
    ("src/gilbench/kernels/c6_scan.pyx", "cumsum_seq", "s", ["if n > 0:", "    ov[n - 1] = s"],
     "bench_c6_scan.TrackC6Instructions.track_c6_instructions('cumsum')", "exact count"),
    ("src/gilbench/kernels/c6_scan.pyx", "recurrence_seq", "y",
     ["if n > 0:", "    ov[n - 1] = y"],
     "bench_c6_scan.TrackC6ScanSpeedup.track_c6_scan_speedup('recurrence', 10000000, 1)",
     "interleaved ratio"),
    ("src/gilbench/kernels/c1_gil_held.pyx", "sumsq_gil", "s", [],
     "bench_c1_gil_held.TimeC1HoldingGIL.time_c1_loop('sumsq', 'gil', 10000000)", "raw time"),
    ("src/gilbench/kernels/c5_with_gil_in_prange.pyx", "gil_roundtrips", None, [],
     "bench_c5_with_gil_in_prange.TimeC5GilRoundtrip.time_c5_gil_roundtrip", "raw time"),
)

#: The points that call an injected kernel: a failure anywhere else is a
#: false alarm.  (C6's benchmarks all call cumsum_seq or recurrence_seq, or
#: compare with them; C1's sumsq points with the GIL held, and C1's sumsq
#: ratios, whose denominator is that loop.)
AFFECTED = (
    r"^bench_c6_scan\.",
    r"\.TimeC1HoldingGIL\.time_c1_loop\('sumsq', 'gil'",
    r"\.TrackC1Instructions\.track_c1_instructions\('sumsq', 'gil'\)",
    r"\.TrackC1RatioToGILHeld\.track_c1_ratio\('sumsq'",
    r"\.TimeC5GilRoundtrip\.", r"\.TrackC5CostPerAcquisition\.",
)


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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--machine", required=True)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--workdir", default=None, help="scratch clone (default: a temp dir)")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(10**6)
    out = ROOT / "noise" / "gate-reach" / args.machine
    table = gate.table_at(ROOT, git("rev-parse", "HEAD", cwd=ROOT),
                           gate.TABLE.format(noise="noise", machine=args.machine))
    if table is None:
        raise SystemExit(f"no committed gate table for {args.machine}: calibrate first")
    work = Path(args.workdir or tempfile.mkdtemp(prefix="gilbench-reach-"))
    git("clone", "-q", "--no-local", str(ROOT), str(work), cwd=ROOT)
    git("checkout", "-q", "-B", "main", git("rev-parse", "HEAD", cwd=ROOT), cwd=work)
    base = git("rev-parse", "main", cwd=work)
    ident = ["-c", "user.name=reach", "-c", "user.email=reach@gilbench"]
    order = [(p, k) for p in LEVELS for k in range(1, args.repeats + 1)]
    random.Random(seed).shuffle(order)
    heads = []
    for p, k in order:
        git("checkout", "-q", base, cwd=work)
        for path, function, acc, sink, _, _ in TARGETS:
            src = work / path
            src.write_text(inject(src.read_text(), function, p, acc, tuple(sink)))
        git(*ident, "commit", "-q", "-am", f"inject: +{p}% dependent adds in "
            + ", ".join(t[1] for t in TARGETS) + f" (repetition {k})", cwd=work)
        heads.append({"level": p, "repetition": k, "sha": git("rev-parse", "HEAD", cwd=work)})
    git("checkout", "-q", "main", cwd=work)
    watch = {n for n, kind in gate.candidates(work).items() if kind == "exact"}
    watch |= set(gate.gated_points(table))
    machine = _asv.machine(work, args.machine)
    t0 = time.monotonic()
    _asv.run_commits(work, [base] + [h["sha"] for h in heads], *gate.asv_settings(), "-b",
                     gate.point_regex(watch), machine=machine)
    seconds = time.monotonic() - t0
    results_dir = work / ".asv" / "results"
    for h in heads:
        g = gate.judge(results_dir, machine, base, h["sha"], table, verdicts=False,
                       watched=watch)
        h["first"] = _moved(g)
        failing = {m.name for m in g.first_failures}
        h["confirmation"] = []
        if failing:
            _asv.run_commits(work, [base, h["sha"]], *gate.asv_settings(), "-b",
                             gate.point_regex(failing), machine=machine)
            again = gate.judge(results_dir, machine, base, h["sha"], table, verdicts=False,
                               watched=failing)
            h["confirmation"] = _moved(again)
        print(f"+{h['level']}% (#{h['repetition']}): {len(failing)} failing first, "
              f"{sum(m['kind'] in ('regression', 'changed') for m in h['confirmation'])} "
              "again", flush=True)
    if out.exists():
        shutil.rmtree(out)
    (out / "results").mkdir(parents=True)
    shutil.copytree(results_dir, out / "results", dirs_exist_ok=True)
    record = {"base": base, "tested_commit": base, "machine": machine, "seed": seed,
              "order": [[h["level"], h["repetition"]] for h in heads],
              "targets": [{"function": t[1], "point": t[4], "kind": t[5]} for t in TARGETS],
              "affected": list(AFFECTED), "watched": sorted(watch),
              "asv_run_seconds": round(seconds, 1), "heads": heads}
    (out / "reach.json").write_text(json.dumps(record, indent=1) + "\n")
    print(f"written {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
