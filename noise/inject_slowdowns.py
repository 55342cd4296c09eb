"""What the gate catches: slowdowns injected into the source of gated kernels.

For each target kernel and each level P (5, 10, 20, 50 %), a commit in a
scratch clone adds, after the kernel's ``with nogil:`` loop over its n
elements, a second loop of ``n * P // 100`` dependent ``s = s + 0.0`` (a C
compiler may not drop it: it turns -0.0 into 0.0).  The answer is unchanged;
the work grows by about P % in these latency-bound loops (one dependent add
per element), which the benchmarks then measure.

The base and every injected commit are measured by one ``asv run`` (asv
builds each commit; one round each, as the gate runs them) over the
benchmarks that watch the targets, and each injected commit is judged
against the base by the gate's own rule (``gilbench.gate.judge``, the noise
table of this machine).  Writes ``noise/<machine>-injected.md``.

    python noise/inject_slowdowns.py --machine vm [--workdir DIR]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from gilbench import _asv, gate, noise, results

ROOT = Path(__file__).resolve().parents[1]
LEVELS = (5, 10, 20, 50)

#: (kernel source, function, the benchmark point that watches it, kind).
#: No watched point depends on another target's kernel, so one commit per
#: level slows all three and each is judged on its own point.  (C7's
#: sequential sum of squares *is* C1's ``sumsq_nogil``.)
TARGETS = (
    ("src/gilbench/kernels/c6_scan.pyx", "cumsum_seq",
     "bench_c6_scan.TrackC6Instructions.track_c6_instructions('cumsum')",
     "instruction count"),
    ("src/gilbench/kernels/c1_gil_held.pyx", "sumsq_nogil",
     "bench_c7_prange_overhead.TrackC7PrangeOverSequential.track_c7_prange_ratio"
     "('sumsq', 100000000, 2)", "track_ ratio (prange / this loop)"),
    ("src/gilbench/kernels/c1_gil_held.pyx", "sumsq_gil",
     "bench_c1_gil_held.TimeC1HoldingGIL.time_c1_loop('sumsq', 'gil', 1000000)", "raw time_"),
)


#: Where a kernel does not return ``s``, the extra adds must reach memory, or
#: the C compiler drops them as dead code: the last cumulative sum is written
#: again (the same value).
SINKS = {"cumsum_seq": ["if n > 0:", "    ov[n - 1] = s"]}


#: The benchmark points that call an injected kernel (all three are injected
#: in each commit): a flag on any other point is a false alarm.
AFFECTED = (
    r"\('cumsum'",                                        # cumsum_seq (C6)
    r"\.TimeC1HoldingGIL\.time_c1_loop\('sumsq', '(gil|nogil)'",
    r"\.TrackC1\w+\.\w+\('sumsq'",                      # the ratios' numerator or base
    r"\.TrackC7\w+\.\w+\('sumsq'",                      # C7's sequential sumsq is C1's
    r"\.TimeC7SequentialVsPrange\.time_c7_sumsq\('seq'",
)


def inject(source: str, function: str, percent: int) -> str:
    """``source`` with ``function``'s loop over its n elements followed by
    the extra dependent adds over ``percent`` % of them (same indent)."""
    start = source.index(f"def {function}(")
    loop = source.index("for i in range(n):\n", start)
    line_start = source.rindex("\n", 0, loop) + 1
    indent = loop - line_start
    lines = source[line_start:].split("\n")
    end = 1
    while lines[end].startswith(" " * (indent + 4)):
        end += 1
    at = line_start + sum(len(line) + 1 for line in lines[:end])
    pad = " " * indent
    extra = (f"{pad}for i in range(n * {percent} // 100):  # injected slowdown\n"
             f"{pad}    s = s + 0.0\n")
    extra += "".join(f"{pad}{line}\n" for line in SINKS.get(function, []))
    return source[:at] + extra + source[at:]


def git(*args, cwd):
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout.strip()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--machine", required=True, help="asv machine name (its noise table "
                        "noise/<machine>.json is used)")
    parser.add_argument("--workdir", default=None, help="scratch clone (default: a temp dir)")
    parser.add_argument("--levels", type=int, nargs="+", default=list(LEVELS))
    parser.add_argument("--judge-only", action="store_true",
                        help="judge the results already in --workdir (no asv run)")
    args = parser.parse_args(argv)
    table = noise.load_table(ROOT / "noise" / f"{args.machine}.json")
    work = Path(args.workdir or tempfile.mkdtemp(prefix="gilbench-inject-"))
    if not (work / ".git").exists():
        git("clone", "-q", "--no-local", str(ROOT), str(work), cwd=ROOT)
        git("checkout", "-q", "-B", "main", git("rev-parse", "HEAD", cwd=ROOT), cwd=work)
    base = git("rev-parse", "main", cwd=work)
    ident = ["-c", "user.name=inject", "-c", "user.email=inject@gilbench"]
    heads_file = work / "injected-heads.json"
    if args.judge_only:
        heads = {int(k): v for k, v in json.loads(heads_file.read_text()).items()}
    else:
        heads = {}
        for p in args.levels:
            git("checkout", "-q", base, cwd=work)
            for path, function, _, _ in TARGETS:
                src = work / path
                src.write_text(inject(src.read_text(), function, p))
            git(*ident, "commit", "-q", "-am", f"inject: +{p}% dependent adds in "
                + ", ".join(t[1] for t in TARGETS), cwd=work)
            heads[p] = git("rev-parse", "HEAD", cwd=work)
            git("tag", "-f", f"inject-{p}", cwd=work)
        git("checkout", "-q", "main", cwd=work)
        heads_file.write_text(json.dumps(heads))
        classes = sorted({point.split(".")[1] for _, _, point, _ in TARGETS})
        _asv.machine(work, args.machine)
        _asv.run_commits(work, [base, *heads.values()], *gate.asv_settings(), "-b",
                         "|".join(classes), machine=args.machine)
    results_dir = work / ".asv" / "results"
    points = gate.gated_points(table)
    rows = ["| kernel | watched by | benchmark point | injected | measured head / base | "
            "threshold | caught | unrelated points flagged |",
            "|---|---|---|---|---|---|---|---|"]
    for _, function, point, kind in TARGETS:
        for p, sha in heads.items():
            g = gate.judge(results_dir, args.machine, base, sha, table, verdicts=False)
            b = results.load_commit(results_dir, args.machine, base).points[point]
            h = results.load_commit(results_dir, args.machine, sha).points[point]
            ratio = h.value / b.value
            threshold = points.get(point, (None,))[0]
            caught = any(m.name == point for m in g.failures)
            others = sorted(m.name.split(".", 1)[1] for m in g.failures
                            if not any(re.search(a, m.name) for a in AFFECTED))
            status = "yes" if caught else ("not gated" if threshold is None else "no")
            rows.append(f"| `{function}` | {kind} | `{point.split('.', 1)[1]}` | +{p}% | "
                        f"{ratio:.3f} | {threshold or '-'} | {status} | {len(others)} |")
            print(f"+{p}% {function}: unrelated points flagged: {others}")
    text = "\n".join(rows) + "\n"
    out = ROOT / "noise" / f"{args.machine}-injected.md"
    out.write_text(f"# Injected slowdowns on `{args.machine}`\n\nWritten by "
                   f"`python noise/inject_slowdowns.py --machine {args.machine}` "
                   f"(base `{base[:8]}`).\n\n" + text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
