"""Every measured figure in README.md and docs/*.md, regenerated from the raw
results committed beside them.

A page holds generated blocks between two markers::

    <!-- figure: NAME (docs/figures.py) -->
    ...
    <!-- end figure: NAME -->

and this script rewrites what is between them from the data:

* ``docs/data/results/``: asv result files of full default runs
  (``python3 -m nox -s bench`` on the machines named there), read with
  gilbench's reader of asv results;
* ``noise/<machine>.json``: the calibration's A/A runs (``gilbench calibrate``);
* ``noise/gate/<machine>.json`` and its raw results: the gate's calibration
  on its own protocol (``gilbench calibrate --gate``);
* ``noise/gate-aa/`` and ``noise/gate-reach/``: fresh A/A gate runs and
  injected slowdowns (``docs/experiments/``), raw results and the gate's
  JSON;
* ``docs/data/cython-releases/<machine>/run<N>/``: C5 measured once per
  Cython release in fresh clones (``docs/experiments/cython_c5.py``), asv's
  raw results;
* ``docs/data/free-threaded/<machine>/``: C1, C3, C4 and C5 measured on a GIL
  build and a free-threaded build of CPython in fresh clones
  (``docs/experiments/free_threaded.py``), asv's raw results, and the time
  the interpreter took to build (``build.json``).

Run ``python docs/figures.py`` after committing new data; ``--check`` (what the
tests run) exits 1 and names every block that differs from its data.  A
figure that reads a commit the clone lacks (a shallow clone) stops the
script with exit 2 and one line saying so.
"""

from __future__ import annotations

import argparse
import collections
import datetime
import json
import math
import re
import statistics
import sys
from pathlib import Path

from gilbench import _asv, claims, gate, gate_protocol, noise, noise_table, report, results
from gilbench import gate_calibration as gate_cal
from gilbench.harness.release_numbers import sort_key

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "docs" / "data" / "results"
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"(<!-- figure: (?P<name>[\w-]+) \(docs/figures.py\) -->\n)(?P<body>.*?)"
                   r"(<!-- end figure: (?P=name) -->)", re.S)


def _runs():
    return results.load(DATA)


class MissingHistory(ValueError):
    """A figure reads a commit this clone does not have."""


def _have(*commits: str) -> None:
    """Raise :class:`MissingHistory`, in one line, when a commit a figure
    reads through git is not in this clone (a shallow clone)."""
    for sha in commits:
        if _asv.git("cat-file", "-e", f"{sha}^{{commit}}", cwd=ROOT, check=False).returncode:
            raise MissingHistory(
                f"commit {sha[:8]} is not in this clone's history (a shallow clone?): the "
                "figures read old commits through git; `git fetch --unshallow` (on GitHub: "
                "actions/checkout with fetch-depth: 0)")


def _git(*args: str) -> str:
    return _asv.git(*args, cwd=ROOT).stdout.strip()


def _asv_minutes(run) -> float | None:
    """The time asv spent benchmarking ``run``'s commit on its machine: the
    sum of the durations it recorded (every benchmark's rounds and every
    setup_cache; the wheel build excluded), in minutes."""
    return sum(run.durations.values()) / 60 if run.durations else None


def verdicts() -> str:
    runs = _runs()
    table = report.to_markdown(runs).split("\n\n<details>")[0].rstrip()
    lines = [table, ""]
    for run in runs:
        minutes = _asv_minutes(run)
        date = datetime.datetime.fromtimestamp(run.date / 1000, datetime.UTC).date()
        took = f"; asv benchmarked for {minutes:.1f} min" if minutes else ""
        lines.append(f"- `{run.machine}`: {run.cpus} usable CPUs ({run.cpus_source}), "
                     f"{run.machine_info.get('cpu', '?')}; commit `{run.commit[:8]}` "
                     f"({date}){took}.")
    return "\n".join(lines) + "\n"


def verdict_details() -> str:
    md = report.to_markdown(_runs())
    return "<details>" + md.split("\n\n<details>", 1)[1].rstrip() + "\n"


def _table(machine: str = "vm") -> noise_table.Table:
    return noise_table.Table.load(ROOT / "noise" / f"{machine}.json")


def noise_summary() -> str:
    t = _table()
    pts = t.rows
    by = t.counts()
    per_pair = noise.flags_per_pair(t)
    # A stable or gated point flagged at a factor at or above its own
    # threshold: none, by construction (its range sits inside that margin).
    gated_flags = {f: sum(r.flags.get(f, 0) for r in pts.values()
                          if r.gateable and r.threshold <= float(f) + 1e-9) for f in per_pair}
    n = len(pts)
    lines = [
        f"`noise/{t.machine}.json`: {len(t.commits)} default runs of identical code on "
        f"`{t.machine}` ({t.cpus} usable CPUs, {t.created}), {t.pairs} A/A pairs, "
        f"{n} points: {by['stable']} stable, {by['gated']} gated, {by['noisy']} noisy, "
        f"{by['erratic']} erratic by nature.",
        "",
        "| factor | points flagged per A/A pair (mean) | share of all points "
        "| flags on stable or gated points at their threshold or a wider factor, all pairs "
        "(in-sample, by construction) |",
        "|---|---|---|---|",
    ]
    for f, k in per_pair.items():
        lines.append(f"| {f} | {k:.1f} | {k / n:.0%} | {gated_flags[f]} |")
    noisy = [r.range for r in pts.values()
             if r.status == noise_table.NOISY and r.measured_range]
    if noisy:
        under5 = sum(1 for x in noisy if x <= 1.05)
        lines += ["", f"Noisy points' ranges: median {statistics.median(noisy):.3f}, "
                  f"{under5} of {len(noisy)} moved 5% or less (noisy means wider than a "
                  f"third of the largest rung's margin, "
                  f"{1 + t.headroom * (t.widest - 1):.3f})."]
    return "\n".join(lines) + "\n"


#: The first calibration's table of ``vm`` (noise/vm.json as committed then),
#: read from git beside today's: C8's choice of its deciding point was made
#: before either.
FIRST_CALIBRATION = "75afa3e543796ec064cb2778551f225b0c2c3940"


def c8_spread() -> str:
    """The deciding C8 point and the pipeline point over the runs of each
    calibration of ``vm``: the first (read from git) and today's table."""
    _have(FIRST_CALIBRATION)
    tables = [gate.table_at(ROOT, FIRST_CALIBRATION, "noise/vm.json"), _table()]
    rows = [("C8 normalize at 1e3, 2 threads (decides)",
             "bench_c8_parallel_section.TrackC8NormalizeGain.track_c8_normalize_gain(1000, 2)"),
            ("C8 8-stage pipeline at 1e4, 2 threads (shown)",
             "bench_c8_parallel_section.TrackC8PipelineGain.track_c8_pipeline_gain"
             "('one_section', 8, 10000, 2)")]
    lines = ["| calibration | point | values over the runs | range |", "|---|---|---|---|"]
    for t in tables:
        for label, name in rows:
            row = t.rows[name]
            vals = ", ".join(f"{v:.3f}" for v in row.values)
            lines.append(f"| {t.created} ({len(t.commits)} runs) | {label} | {vals} | "
                         f"{row.range:.3f} |")
    return "\n".join(lines) + "\n"


def plan_table() -> str:
    """The default suite at 1, 2, 16 and 64 usable CPUs (gilbench plan), its
    times from the committed run of ``vm``."""
    from gilbench import plan

    lines = ["| usable CPUs | points | estimated asv time |", "|---|---|---|"]
    for cpus in (1, 2, 16, 64):
        p = plan.plan(ROOT, cpus, results_dir=DATA, machine="vm")
        lines.append(f"| {cpus} | {p['points']} | {p['estimated_seconds'] / 60:.1f} min |")
    # Out of sample: the 1-CPU run was not used by the estimate.
    one = results.load(DATA, machine="vm-1cpu")[0]
    p1 = plan.plan(ROOT, 1, results_dir=DATA, machine="vm")
    took = _asv_minutes(one)
    lines += ["", f"Checked out of sample: planned from `vm`'s run, the 1-CPU suite was "
              f"estimated at {p1['points']} points and {p1['estimated_seconds'] / 60:.1f} min; "
              f"the run of `vm-1cpu` (not used by the estimate) recorded {len(one.points)} "
              f"points and {took:.1f} min."]
    return "\n".join(lines) + "\n"


def _gate_table(machine="vm") -> noise_table.Table | None:
    path = ROOT / "noise" / "gate" / f"{machine}.json"
    return noise_table.Table.load(path) if path.is_file() else None


def gate_calibration() -> str:
    """What the gate's calibration (noise/gate/vm.json) found: points by kind
    and status.  In-sample: these runs set the thresholds."""
    table = _gate_table()
    if table is None:
        return "No gate calibration is committed for `vm` yet.\n"
    kinds = {}
    for row in table.rows.values():
        k = kinds.setdefault(row.kind, {"points": 0, "stable": 0, "gated": 0, "noisy": 0,
                                        "spreads": []})
        k["points"] += 1
        k[row.status] += 1
        if row.range is not None:
            k["spreads"].append(row.range)
    lines = [f"`gilbench calibrate --gate --pairs {table.pairs} --machine vm` "
             f"({table.created}, {table.cpus} usable CPUs; raw asv results in "
             "`noise/gate/vm/results/`). In-sample: these pairs set the thresholds.", "",
             "| kind | points | stable | gated | noisy (not gated) | median spread "
             "| worst spread |",
             "|---|---|---|---|---|---|---|"]
    for kind, k in sorted(kinds.items()):
        sp = sorted(k["spreads"])
        med = f"{statistics.median(sp):.3f}" if sp else "-"
        worst = f"{sp[-1]:.3f}" if sp else "-"
        lines.append(f"| {kind} | {k['points']} | {k['stable']} | {k['gated']} | "
                     f"{k['noisy']} | {med} | {worst} |")
    per_pair = []
    for i in range(table.pairs):
        moved = sorted(max(r.ratios[i], 1 / r.ratios[i]) for r in table.rows.values()
                       if r.kind == gate_protocol.TIME_KIND and len(r.ratios) > i
                       and r.ratios[i] > 0)
        if moved:
            within = sum(m <= 1 + noise_table.HEADROOM * 0.10 for m in moved)
            per_pair.append(f"pair {i + 1}: median {statistics.median(moved):.3f}, "
                            f"{within} of {len(moved)} within 3.3%")
    if per_pair:
        lines += ["", "How far a `time_` point moved between the two builds of one pair "
                  "(HEAD/BASE, either way): " + "; ".join(per_pair) + "."]
    return "\n".join(lines) + "\n"


def _point_threads(name: str, benchmarks: dict) -> int:
    """The threads point ``name`` runs on, from asv's description of its
    benchmark (``benchmarks.json``): its largest thread parameter, else 1
    (a single-thread benchmark, or an instruction count: 1-thread recipes)."""
    key, _, rest = name.partition("(")
    b = benchmarks.get(key)
    if not b or not rest:
        return 1
    import ast

    values = ast.literal_eval("(" + rest.rstrip(")") + ",)")
    counts = [int(v) for pname, v in zip(b["param_names"], values, strict=False)
              if pname in noise_table.THREAD_PARAMS]
    return max(counts, default=1)


def _judged(raw: Path, machine: str, base: str, head: str, table, watched=None,
            rounds=gate_protocol.GATE_ROUNDS):
    return gate.judge(raw, machine, base, head, table, verdicts=False, watched=watched,
                      rounds=rounds)


def gate_rounds() -> str:
    """How much of a time's variance lies between rounds rather than within
    them, in the gate calibration's raw results (4 rounds of 2 samples a
    side): why the round, not the sample, is the gate's unit."""
    table = _gate_table()
    if table is None:
        return "No gate calibration is committed for `vm` yet.\n"
    raw = ROOT / "noise" / "gate" / "vm" / "results"
    rounds = gate_protocol.GATE_ROUNDS
    shares, named = [], {}
    for b, h in table.commits:
        for sha in (b, h):
            run = results.load_commit(raw, "vm", sha)
            for name, p in run.points.items():
                xs = [x for x in (p.samples or []) if x and x > 0]
                if not p.ok or len(xs) != 2 * rounds:
                    continue
                logs = [math.log(x) for x in xs]
                groups = [logs[2 * k:2 * k + 2] for k in range(rounds)]
                means = [sum(g) / 2 for g in groups]
                grand = sum(logs) / len(logs)
                between = 2 * sum((m - grand) ** 2 for m in means)
                total = sum((x - grand) ** 2 for x in logs)
                if total > 0:
                    shares.append(between / total)
                    named.setdefault(name, []).append(between / total)
    if not shares:
        return "The calibration's raw results hold no samples in rounds.\n"
    q = statistics.quantiles(shares, n=4)
    c5 = named.get("bench_c5_with_gil_in_prange.TimeC5GilRoundtrip.time_c5_gil_roundtrip")
    # With no effect of the round, the between-round sum of squares holds
    # (rounds - 1) of the (2 rounds - 1) degrees of freedom on average.
    null = (rounds - 1) / (2 * rounds - 1)
    return (f"Share of a time's variance (of the log samples) that lies between its "
            f"{rounds} rounds rather than within them, over the {len(shares)} timed points "
            f"and sides of the calibration's {table.pairs} pairs: median "
            f"{statistics.median(shares):.0%}, quartiles {q[0]:.0%}-{q[2]:.0%} (with "
            f"independent samples it would average {null:.0%})"
            + (f"; `TimeC5GilRoundtrip`: {', '.join(f'{x:.0%}' for x in c5)}" if c5 else "")
            + ". Descriptive, from the calibration's own runs.\n")


def _timed_judged(raw: Path, machine: str, base: str, table) -> int:
    """How many timed points (not exact counts) a gate judged: those of its
    table it measured at BASE."""
    points = results.load_commit(raw, machine, base).points
    return sum(1 for n in gate_protocol.gated_points(table)
               if not gate_protocol.is_exact(n) and n in points and points[n].ok)


#: The gate's rule before it stopped watching values timed in one process
#: (asv keeps one round of them): A/A runs made under it are told apart by
#: what they measured.
EARLIER_RULE = "earlier: in-process values gated too"


def _aa_runs(aa_dir: Path | None = None):
    """Every fresh A/A gate run (under ``aa_dir``, default ``noise/gate-aa``),
    judged again from its raw results (the first measurement and the
    confirmation, kept apart); ValueError when a run's recorded outcome
    differs from what its raw results give."""
    import json

    runs = []
    for run_json in sorted((aa_dir or ROOT / "noise" / "gate-aa").glob("*/run*/run.json"),
                           key=lambda p: (p.parent.parent.name, int(p.parent.name[3:]))):
        d = run_json.parent
        rec = json.loads(run_json.read_text())
        rec["name"] = f"{d.parent.name}/{d.name}"
        recorded = json.loads((d / "gate.json").read_text())
        _have(rec["base"])
        table = gate.table_at(ROOT, rec["base"], gate_protocol.TABLE.format(noise="noise",
                                                                   machine=rec["machine"]))
        first = _judged(d / "first", rec["machine"], rec["base"], rec["head"], table)
        names = {m.name for m in first.first_failures}
        timed = {m.name for m in first.to_confirm}
        again = names - timed      # exact counts fail as measured
        if timed:
            conf = _judged(d / "confirmation", rec["machine"], rec["base"], rec["head"], table,
                           watched=timed)
            again |= {m.name for m in conf.moved if m.kind in gate.CONFIRMED_FAILS} & timed
        hard = {m.name for m in first.moved if m.kind in gate.HARD_FAILS}
        if sorted(again | hard) != sorted(recorded["failures"]):
            raise ValueError(f"{rec['name']}: its raw results give the failures "
                             f"{sorted(again | hard)}, its gate recorded "
                             f"{recorded['failures']}")
        asv_rule = _judged(d / "first", rec["machine"], rec["base"], rec["head"], table,
                           rounds=None)
        measured = results.load_commit(d / "first", rec["machine"], rec["base"]).points
        single = table is not None and any(
            row.kind == gate_protocol.RATIO_KIND and n in measured
            for n, row in table.rows.items())
        rec.update(rule=EARLIER_RULE if single else "times only")
        rec.update(mode=first.mode, gated=first.gated, first=len(names), again=len(again),
                   timed=_timed_judged(d / "first", rec["machine"], rec["base"], table),
                   first_asv_rule=len(asv_rule.first_failures))
        runs.append(rec)
    return runs


def gate_aa() -> str:
    """The fresh A/A runs of the gate (docs/experiments/gate_aa.py), judged
    again from their raw results: exit code, wall time, points failing the
    first measurement and the confirmation."""
    runs = _aa_runs()
    if not runs:
        return "No fresh A/A run of this gate is committed yet.\n"
    lines = ["| run | gate version | rule | gated points | exit | wall time | "
             "failing first | failing again | first, by asv's test on samples |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in runs:
        lines.append(f"| {r['name']} | `{r['base'][:8]}` | {r['rule']} | {r['gated']} | "
                     f"{r['exit']} | {r['seconds'] / 60:.1f} min | {r['first']} | "
                     f"{r['again']} | {r['first_asv_rule']} |")
    lines.append("")
    for rule in sorted({r["rule"] for r in runs}, key=lambda x: x == EARLIER_RULE):
        group = [r for r in runs if r["rule"] == rule]
        minutes = sorted(r["seconds"] / 60 for r in group)
        timed = sum(r["timed"] for r in group)
        lines.append(
            f"- {rule}: {sum(r['exit'] != 0 for r in group)} of {len(group)} fresh A/A runs "
            f"failed; {sum(r['first'] > 0 for r in group)} had points failing the first "
            f"measurement ({sum(r['first'] for r in group)} of {timed} judgements of timed "
            f"points, with the round as the test's unit; asv's test on the 8 samples a side "
            f"would have flagged {sum(r['first_asv_rule'] for r in group)}); wall time median "
            f"{statistics.median(minutes):.1f} min (range {minutes[0]:.1f}-{minutes[-1]:.1f}),"
            " builds and confirmation included.")
    lines += ["", "Out of sample: none of these runs set a threshold; every count was taken "
              "anew on each side. The later rule was made after the earlier rule's runs (they "
              "are in-sample for it)."]
    return "\n".join(lines) + "\n"


def _reach_batch(out: Path):
    """One batch of the reach experiment (docs/experiments/gate_reach.py),
    judged again from its raw results; ValueError when they disagree with
    its record."""
    import json

    rec = json.loads((out / "reach.json").read_text())
    rec["batch"] = out.name
    table = gate.table_at(ROOT, rec["tested_commit"],
                          gate_protocol.TABLE.format(noise="noise", machine=rec["machine"]))
    bench = json.loads((out / "first" / "benchmarks.json").read_text())
    for h in rec["heads"]:
        first = _judged(out / "first", rec["machine"], rec["base"], h["sha"], table,
                        watched=set(rec["watched"]))
        names = {m.name for m in first.first_failures}
        if names != {m["name"] for m in h["first"] if m["kind"] in gate.CONFIRMED_FAILS}:
            raise ValueError(f"reach {out.name}/{h['regression']}: the raw first measurement "
                             "disagrees with reach.json")
        # What fails the gate (gate.Gate.failures): what vanished or newly
        # failed, the exact counts that moved (as measured), and the timed
        # points the confirmation moved again.
        caught = {m.name: m for m in first.moved if m.kind in gate.HARD_FAILS}
        caught |= {m.name: m for m in first.exact_failures}
        timed = {m.name for m in first.to_confirm}
        if timed:
            conf = _judged(out / "confirmation" / h["regression"], rec["machine"], rec["base"],
                           h["sha"], table, watched=timed)
            caught |= {m.name: m for m in conf.moved if m.kind in gate.CONFIRMED_FAILS
                       and m.name in timed}
        h["caught"] = caught
        # Exact counts that failed first and were measured again anyway
        # (batches made before the gate stopped re-measuring them): (base,
        # head) of each measurement.
        again_dir = out / "confirmation" / h["regression"]
        h["exact_again"] = []
        exact_first = first.exact_failures
        if exact_first and again_dir.is_dir():
            conf_run = {side: results.load_commit(again_dir, rec["machine"], sha).points
                        for side, sha in (("base", rec["base"]), ("head", h["sha"]))}
            for m in exact_first:
                b, hd = conf_run["base"].get(m.name), conf_run["head"].get(m.name)
                if b is not None and hd is not None and b.ok and hd.ok:
                    h["exact_again"].append(((m.base, m.head), (b.value, hd.value)))
        h["batch"] = out.name
        h["bench"] = bench
    return rec, table


def _reach():
    """Every batch of the reach experiment, oldest first, judged again from
    raw results: ([head, ...], [record, ...]) or None."""
    outs = sorted(p.parent for p in (ROOT / "noise" / "gate-reach").glob("*/reach.json"))
    if not outs:
        return None
    recs = [_reach_batch(d)[0] for d in outs]
    recs.sort(key=lambda r: _commit_time(r["tested_commit"]))
    return [h for r in recs for h in r["heads"]], recs


def _commit_time(sha: str) -> int:
    _have(sha)
    return int(_git("show", "-s", "--format=%ct", sha))


def gate_reach() -> str:
    """What each regression did to the gate: caught or not, and by what, at
    1 thread and at the usable CPUs."""
    got = _reach()
    if got is None:
        return "The reach experiment on this protocol is not measured yet.\n"
    heads, recs = got
    lines = []
    for r in recs:
        lines.append(f"- batch `{r['batch']}`: BASE `{r['base'][:8]}`, heads in the order "
                     f"{', '.join(r['order'])} (seed {r['seed']}), one `asv run` of BASE and "
                     f"every head the gate's way over the {len(r['watched'])} points it "
                     f"watches, {r['first_seconds'] / 60:.1f} min, then the gate's "
                     "confirmation for each head.")
    lines += ["", "| batch | regression | expected at | caught | failing points at 1 thread "
              "(an exact count as measured, a time confirmed) or vanished | at the usable "
              "CPUs | largest ratio of a failing point |",
              "|---|---|---|---|---|---|---|"]
    for h in heads:
        at = {1: [], "n": []}
        for name in h["caught"]:
            kind = "exact" if gate_protocol.is_exact(name) else "timed"
            at[1 if _point_threads(name, h["bench"]) == 1 else "n"].append(kind)

        def say(xs):
            return (f"{xs.count('exact')} exact, {xs.count('timed')} timed"
                    if xs else "none")
        big = max((m.ratio for m in h["caught"].values() if m.ratio), default=None)
        lines.append(f"| {h['batch']} | {h['regression']}: {h['what']} | {h['expected']} | "
                     f"{'yes' if h['caught'] else 'NO'} | {say(at[1])} | {say(at['n'])} | "
                     f"{f'{big:.3g}' if big else '-'} |")
    again = [pair for h in heads for pair in h["exact_again"]]
    if again:
        same = sum(first == second for first, second in again)
        lines += ["", f"Exact counts that moved in a first measurement and were measured "
                  f"again (the batches made before the gate stopped re-measuring them): "
                  f"{same} of {len(again)} read the same base and head values both times."]
    lines += ["", "Out of sample: the thresholds were set by the calibration's runs."]
    return "\n".join(lines) + "\n"


def _latest(heads: list) -> list:
    """Each regression's head from the newest batch that measured it."""
    out = {}
    for h in heads:
        out[h["regression"]] = h
    return list(out.values())


#: Benchmark modules by claim.
_CLAIM_OF = {"bench_c1_": "C1", "bench_c2_": "C2", "bench_c3_": "C3", "bench_c4_": "C4",
             "bench_c5_prange_keeps_gil": "C5b", "bench_c5_with_gil": "C5", "bench_c6_": "C6",
             "bench_c7_": "C7", "bench_c8_": "C8", "bench_c9_": "C9"}


def _claim(name: str) -> str | None:
    return next((c for prefix, c in _CLAIM_OF.items() if name.startswith(prefix)), None)


def gate_coverage() -> str:
    """Each claim: what the gate watches at 1 thread and at the usable CPUs,
    at which thresholds, and the regressions of the reach experiment those
    points confirmed."""
    import json

    table = _gate_table()
    if table is None:
        return "No gate calibration is committed for `vm` yet.\n"
    bench = json.loads((ROOT / "noise" / "gate" / "vm" / "results" / "benchmarks.json")
                       .read_text())
    got = _reach()
    threads = {name: _point_threads(name, bench) for name in table.rows}
    timed = gate_protocol.watched_timed(table, threads)
    cells = {}

    def cell(name, at):
        return cells.setdefault((_claim(name), at), {"exact": 0, "timed": [], "caught": set()})

    for name, row in table.rows.items():
        if row.kind != gate_protocol.EXACT_KIND and name in timed:
            cell(name, 1 if threads[name] == 1 else "n")["timed"].append(row.threshold)
    # The exact counts are gated whatever the table says (a count must not
    # move at all): every one the suite at this commit has on a machine of
    # the table's CPUs.
    suite_threads = {}
    for name, kind in gate_protocol.candidates(ROOT, table.cpus, threads=suite_threads).items():
        if kind == gate_protocol.EXACT_KIND:
            cell(name, 1 if suite_threads[name] == 1 else "n")["exact"] += 1
    if got:
        for h in _latest(got[0]):
            for name in h["caught"]:
                at = 1 if _point_threads(name, h["bench"]) == 1 else "n"
                cells.setdefault((_claim(name), at), {"exact": 0, "timed": [],
                                                      "caught": set()})["caught"].add(
                    h["regression"])

    def say(c):
        if not c:
            return "nothing", "-"
        parts = []
        if c["exact"]:
            parts.append(f"{c['exact']} exact counts (1.02)")
        if c["timed"]:
            lo, hi = min(c["timed"]), max(c["timed"])
            parts.append(f"{len(c['timed'])} timed ({lo:g}" + (f"-{hi:g})" if hi != lo else ")"))
        return ("; ".join(parts) or "nothing"), (", ".join(sorted(c["caught"])) or "-")

    lines = [f"From `noise/gate/vm.json` ({table.cpus} usable CPUs; the timed points the "
             f"gate watches within its budget of {gate_protocol.GATE_TIMED_BUDGET}) and the reach "
             "experiment. Thresholds in brackets; \"caught\": regressions of the reach "
             "experiment that these points confirmed. The exact counts are the suite's at "
             "this commit, on a machine of as many CPUs: the gate watches every one, calibrated "
             "or not. C2's and C4's more threads are Python threads (their claims are about "
             "them), C1's a prange.", "",
             "| claim | watched at 1 thread | caught there | watched at the usable CPUs | "
             "caught there |", "|---|---|---|---|---|"]
    for claim in ("C1", "C2", "C3", "C4", "C5", "C5b", "C6", "C7", "C8", "C9"):
        w1, c1 = say(cells.get((claim, 1)))
        wn, cn = say(cells.get((claim, "n")))
        lines.append(f"| {claim} | {w1} | {c1} | {wn} | {cn} |")
    return "\n".join(lines) + "\n"


def gate_summary() -> str:
    """The README's short account of the gate's evidence."""
    table = _gate_table()
    lines = []
    if table:
        gated = sum(r.status in noise_table.GATEABLE for r in table.rows.values())
        lines.append(f"- Calibrated here on its own protocol (`gilbench calibrate --gate`, "
                     f"{table.pairs} quiet A/A pairs, in-sample): {gated} of the "
                     f"{len(table.rows)} points it can watch get a threshold on its "
                     f"ladder (1.02 to {table.widest:g}x).")
    else:
        lines.append("- Not calibrated on its own protocol here yet.")
    runs = [r for r in _aa_runs() if r["rule"] != EARLIER_RULE]
    earlier = [r for r in _aa_runs() if r["rule"] == EARLIER_RULE]
    if runs:
        minutes = statistics.median(r["seconds"] / 60 for r in runs)
        lines.append(f"- Fresh A/A runs of the current rule (identical code, two builds, every "
                     f"count taken on both sides, confirmation included; none used for "
                     f"calibration): {sum(r['exit'] != 0 for r in runs)} of {len(runs)} "
                     f"failed; median wall time {minutes:.1f} min"
                     + (f" (under an earlier rule that also gated values timed in one "
                        f"process, {sum(r['exit'] != 0 for r in earlier)} of {len(earlier)} "
                        "failed)" if earlier else "") + ".")
    else:
        lines.append("- No fresh A/A run of this gate yet.")
    got = _reach()
    if got is None:
        lines.append("- Its reach on real regressions is not measured on this protocol yet.")
    else:
        heads = _latest(got[0])
        missed = [h["regression"] for h in heads if not h["caught"]]
        lines.append(f"- Regressions a pull request could make (out of sample): "
                     f"{len(heads) - len(missed)} of {len(heads)} caught"
                     + (f"; missed: {', '.join(missed)}" if missed else "")
                     + " ([details](docs/gate.md#how-far-to-trust-it)).")
    return "\n".join(lines) + "\n"


CYTHON_DATA = ROOT / "docs" / "data" / "cython-releases"

#: The C5 values set per release: (label, benchmark, parameters).
_C5_ROWS = [
    ("C5: one `with gil` entry, 1 thread (ns)",
     "TrackC5CostPerAcquisition.track_c5_ns_per_acquisition", {"threads": 1}),
    ("C5: instructions per element, no block (exact)",
     "TrackC5Instructions.track_c5_instructions", {"block": "plain"}),
    ("C5: instructions per element, empty `with gil` every element (exact)",
     "TrackC5Instructions.track_c5_instructions", {"block": "empty"}),
    ("C5: efficiency at {nt} threads, `with gil` every element",
     "TrackC5Efficiency.track_c5_efficiency", {"block": "empty", "every": 1, "threads": "nt"}),
    ("C5b: with-gil prange / kept-GIL prange, 1 thread",
     "TrackC5KeptGilGain.track_c5_kept_gain", {"threads": 1}),
    ("C5b: with-gil prange / kept-GIL prange, {nt} threads",
     "TrackC5KeptGilGain.track_c5_kept_gain", {"threads": "nt"}),
    ("C5b: kept GIL, extra ns per iteration, 1 thread",
     "TrackC5PythonPerIteration.track_c5_ns_per_iteration", {"way": "kept", "threads": 1}),
    ("C5b: `with gil`, extra ns per iteration, 1 thread",
     "TrackC5PythonPerIteration.track_c5_ns_per_iteration", {"way": "with_gil", "threads": 1}),
    ("C5b: `with gil`, extra ns per iteration, {nt} threads",
     "TrackC5PythonPerIteration.track_c5_ns_per_iteration",
     {"way": "with_gil", "threads": "nt"}),
    ("C5b: GIL taken once at a section's top, 1 thread (ns)",
     "TrackC5SectionAcquisition.track_c5_section_acquisition_ns", {"threads": 1}),
    ("C5b: GIL taken once at a section's top, {nt} threads (ns per thread)",
     "TrackC5SectionAcquisition.track_c5_section_acquisition_ns", {"threads": "nt"}),
    ("C5b: parallel efficiency at {nt} threads, kept GIL",
     "TrackC5PythonEfficiency.track_c5_python_efficiency", {"way": "kept", "threads": "nt"}),
    ("C5b: parallel efficiency at {nt} threads, section taking the GIL once",
     "TrackC5PythonEfficiency.track_c5_python_efficiency",
     {"way": "section_once", "threads": "nt"}),
]


def _fresh_runs(data: Path, machine: str) -> dict:
    """{run name: [Run per environment]} of an experiment that measures in
    fresh clones (docs/experiments/fresh_bench.py): ``data/<machine>/run<N>/``."""
    out = {}
    for d in sorted((data / machine).glob("run*")):
        if (d / "results" / "benchmarks.json").is_file():
            out[d.name] = results.load(d / "results", machine=machine)
    return out


def _cython_runs(machine="vm"):
    """{run name: [Run per release]} of docs/experiments/cython_c5.py."""
    return _fresh_runs(CYTHON_DATA, machine)


def _spread(values) -> str:
    if not values:
        return "not measured"
    if len(values) == 1:
        return f"{values[0]:.3g}"
    return (f"{statistics.median(values):.3g} "
            f"({min(values):.3g}–{max(values):.3g})")


def _measured_code(commit: str) -> tuple:
    """git's tree ids of what a benchmark measures at ``commit``: the kernels,
    the benchmarks and the build files."""
    paths = ["src/gilbench/kernels", "benchmarks", "meson.build", "pyproject.toml"]
    _have(commit)
    return tuple(_git("rev-parse", f"{commit}:{p}") for p in paths)


def cython_c5(machine="vm") -> str:
    """C5 and C5b per Cython release on ``machine``: each value's median and
    range over the runs of docs/experiments/cython_c5.py, and the verdicts."""

    per_run = _cython_runs(machine)
    if not per_run:
        return "No runs committed yet.\n"
    releases = sorted({r.cython for runs in per_run.values() for r in runs}, key=sort_key)
    first = next(iter(per_run.values()))[0]
    nt = first.cpus
    head = "| value | " + " | ".join(f"Cython {c}" for c in releases) + " |"
    lines = [head, "|---|" + "---|" * len(releases)]
    apart, together = [], []
    for label, bench, params in _C5_ROWS:
        params = {k: (nt if v == "nt" else v) for k, v in params.items()}
        cells, ranges = [], []
        for c in releases:
            vals = []
            for runs in per_run.values():
                for run in runs:
                    if run.cython == c:
                        p = run.point(bench, **params)
                        if p.ok:
                            vals.append(p.value)
            cells.append(_spread(vals))
            ranges.append((min(vals), max(vals)) if vals else None)
        label = label.format(nt=nt)
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
        if len(per_run) > 1 and all(ranges) and len(ranges) == 2:
            (lo1, hi1), (lo2, hi2) = ranges
            (apart if hi1 < lo2 or hi2 < lo1 else together).append(label.split(": ", 1)[1])
    for claim in ("C5", "C5b"):
        cells = []
        for c in releases:
            got = [v.status for runs in per_run.values() for run in runs if run.cython == c
                   for v in claims.verdicts(run) if v.claim == claim]
            cells.append(", ".join(got) if len(set(got)) > 1 else (got[0] if got else "-"))
        lines.append(f"| **{claim} verdict**, each run | " + " | ".join(cells) + " |")
    runs = ", ".join(f"{name} (commit `{rs[0].commit[:8]}`)" for name, rs in per_run.items())
    commits = {rs[0].commit for rs in per_run.values()}
    same = len({_measured_code(c) for c in commits}) == 1
    lines += ["", f"`{machine}`, {nt} usable CPUs; {len(per_run)} run(s): {runs}"
              + ("; the kernels and benchmarks are the same at these commits" if same and
                 len(commits) > 1 else "") + ". A cell is the median over the runs, with "
              "their range in parentheses."]
    if apart or together:
        lines += ["", f"Between Cython {releases[0]} and {releases[-1]}, the runs' ranges do "
                  f"not overlap for: {'; '.join(apart) or 'none'}. They overlap (no change "
                  f"beyond run-to-run spread) for: {'; '.join(together) or 'none'}."]
    return "\n".join(lines) + "\n"


def harness_move(machine="vm") -> str:
    """The exact counts before and after the harness left the measured wheel
    (docs/experiments/harness_move.py): the old suite on the old commit,
    today's suite on the old commit, today's suite on today's commit."""
    import json

    base = ROOT / "docs" / "data" / "harness-move" / machine
    names = ["old-suite", "new-suite-old-commit", "new-suite"]
    runs, records = {}, {}
    for name in names:
        records[name] = json.loads((base / name / "run.json").read_text())
        (runs[name],) = results.load(base / name / "results", machine=machine)
    counts = {name: {p.name: p for p in run.points.values() if "Instructions" in p.benchmark}
              for name, run in runs.items()}
    keys = sorted(counts["old-suite"])
    old, mixed, new = (counts[n] for n in names)
    failed = {n: sum(not p.ok for p in counts[n].values()) for n in names}
    same_kernels = sum(mixed[k].value == new[k].value for k in keys if k in mixed and k in new)
    moved = [k for k in keys if old[k].ok and new.get(k) and new[k].ok
             and old[k].value != new[k].value]
    lines = ["| count (instructions per element) | old suite, old commit | today's suite, "
             "old commit | today's suite, today's commit |", "|---|---|---|---|"]
    for k in keys:
        cells = [f"{c[k].value:.7g}" if k in c and c[k].ok else (c[k].status if k in c else "-")
                 for c in (old, mixed, new)]
        mark = " (moved)" if k in moved else ""
        lines.append(f"| `{k.split('.', 1)[1]}`{mark} | " + " | ".join(cells) + " |")
    shifts = [abs(new[k].value / old[k].value - 1) for k in moved if old[k].value]
    full = base / "full-default"
    after = None
    if (full / "run.json").is_file():
        (after,) = results.load(full / "results", machine=machine)
    o, n = records["old-suite"], records["new-suite"]
    lines += ["", f"`{machine}`; old commit `{o['measured_commit'][:8]}`, today's "
              f"`{n['measured_commit'][:8]}` (same kernels). Today's suite measured the old "
              f"commit with {failed['new-suite-old-commit']} failed of "
              f"{len(counts['new-suite-old-commit'])} counts, and gave it the same value as "
              f"today's commit at {same_kernels} of {len(keys)}. The harness move changed "
              f"{len(moved)} of {len(keys)} counts"
              + (f", by at most {max(shifts):.2%}" if shifts else "") + "."]
    if after is not None:
        before = next(r for r in _runs() if r.machine == machine)
        vb = {v.claim: v for v in claims.verdicts(before)}
        va = {v.claim: v for v in claims.verdicts(after)}
        differ = [f"{c} ({vb[c].status} before: {vb[c].summary}; {va[c].status} after: "
                  f"{va[c].summary})" for c in vb if vb[c].status != va[c].status]
        counts = {p.name: p.value for p in after.points.values()
                  if "Instructions" in p.benchmark and p.ok}
        same = sum(counts.get(k) == new[k].value for k in keys if new[k].ok)
        rec = json.loads((full / "run.json").read_text())
        lines += ["", f"The whole default suite after the move (README command 1 in a fresh "
                  f"clone of `{rec['tested_commit'][:8]}`, {rec['seconds'] / 60:.1f} min wall, "
                  f"`python docs/experiments/harness_move.py --machine {machine} --full`): "
                  f"the same verdict as the committed run (`{before.commit[:8]}`) for "
                  f"{len(vb) - len(differ)} of {len(vb)} claims"
                  + (f"; a different one for {'; '.join(differ)}" if differ else "")
                  + f". Its exact counts equal today's suite's above at {same} of {len(keys)}."]
    return "\n".join(lines) + "\n"


FT_DATA = ROOT / "docs" / "data" / "free-threaded"
#: The claims whose meaning changes without the GIL (docs/claims.md).
FT_CLAIMS = ("C1", "C3", "C4", "C5", "C5b")


def _ft_runs(machine="vm"):
    """{run name: [Run per Python build]} of docs/experiments/free_threaded.py."""
    return _fresh_runs(FT_DATA, machine)


def free_threaded(machine="vm") -> str:
    """C1, C3, C4, C5 and C5b on a GIL build and a free-threaded one: each
    verdict per run, each deciding value's median and range over the runs
    per build, and whether the two builds' ranges are apart (moved beyond
    run-to-run spread)."""
    per_run = _ft_runs(machine)
    if not per_run:
        return "No runs committed yet.\n"
    builds = sorted({r.python for runs in per_run.values() for r in runs},
                    key=lambda b: (b.endswith("t"), sort_key(b)))
    judged = {name: {r.python: (r, {v.claim: v for v in claims.verdicts(r)}) for r in runs}
              for name, runs in per_run.items()}
    cols = [f"Python {b}" + (" (no GIL)" if b.endswith("t") else "") for b in builds]
    lines = ["| claim: value | " + " | ".join(cols) + " | apart? |",
             "|---|" + "---|" * (len(builds) + 1)]
    for claim in FT_CLAIMS:
        cells = []
        for b in builds:
            got = [j[b][1][claim].status for j in judged.values() if b in j]
            cells.append(", ".join(got) if len(set(got)) > 1 else (got[0] if got else "-"))
        lines.append(f"| **{claim} verdict**, each run | " + " | ".join(cells) + " | |")
        keys = list(dict.fromkeys(k for j in judged.values() for b in builds if b in j
                                  for k in j[b][1][claim].evidence))
        for key in keys:
            vals = [[j[b][1][claim].evidence[key] for j in judged.values()
                     if b in j and key in j[b][1][claim].evidence] for b in builds]
            apart = ""
            if len(per_run) > 1 and all(vals) and len(vals) == 2:
                (lo1, hi1), (lo2, hi2) = [(min(v), max(v)) for v in vals]
                apart = "**yes**" if hi1 < lo2 or hi2 < lo1 else "no"
            lines.append(f"| {claim}: {key} | " + " | ".join(_spread(v) for v in vals)
                         + f" | {apart} |")
    first = next(iter(per_run.values()))
    ft = [r for r in first if r.free_threaded]
    gil_state = ("; the free-threaded runs' GIL stayed off in every run" if all(
        r.without_gil for runs in per_run.values() for r in runs if r.free_threaded)
        else "; in some free-threaded run the GIL came back (not judged without it)")
    runs = ", ".join(f"{name} (commit `{rs[0].commit[:8]}`)" for name, rs in per_run.items())
    commits = {rs[0].commit for rs in per_run.values()}
    same = len(commits) > 1 and len({_measured_code(c) for c in commits}) == 1
    lines += ["", f"`{machine}`, {first[0].cpus} usable CPUs, "
              f"{'Cython ' + first[0].cython if first[0].cython else ''}; "
              f"{len(per_run)} run(s) of each build: {runs}"
              + ("; the kernels and benchmarks are the same at these commits" if same else "")
              + (gil_state if ft else "") + ". A cell is the median over the runs with "
              "their range in parentheses; *apart* means the two builds' ranges do not "
              "overlap (a move beyond run-to-run spread)."]
    return "\n".join(lines) + "\n"


def free_threaded_verdicts(machine="vm") -> str:
    """The README's short table: each measured claim's verdict per Python
    build, over the runs of docs/experiments/free_threaded.py."""
    per_run = _ft_runs(machine)
    if not per_run:
        return "No runs committed yet.\n"
    builds = sorted({r.python for runs in per_run.values() for r in runs},
                    key=lambda b: (b.endswith("t"), sort_key(b)))
    lines = ["| build | " + " | ".join(FT_CLAIMS) + " |", "|---|" + "---|" * len(FT_CLAIMS)]
    for b in builds:
        cells = []
        for claim in FT_CLAIMS:
            got = [v.status for runs in per_run.values() for r in runs if r.python == b
                   for v in claims.verdicts(r) if v.claim == claim]
            cells.append(", ".join(got) if len(set(got)) > 1 else (got[0] if got else "-"))
        name = f"Python {b}" + (" (GIL off)" if b.endswith("t") else "")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", f"Each run's verdict, {len(per_run)} fresh clones of each build; the "
              "deciding values, their spread and which moved: "
              "[docs/free-threaded.md](docs/free-threaded.md#measured-here)."]
    return "\n".join(lines) + "\n"


def free_threaded_build(machine="vm") -> str:
    """How long the free-threaded interpreter took to build here, from the
    log of ``gilbench free-threaded-python`` (``build.log``)."""
    path = FT_DATA / machine / "build.log"
    if not path.is_file():
        return "Not measured yet.\n"
    text = path.read_text(encoding="utf-8")
    m = re.search(r"built (\S+) in (\d+) s", text)
    if m is None:
        return f"`gilbench free-threaded-python` on `{machine}` found one already there.\n"
    return (f"`gilbench free-threaded-python` on `{machine}`: {int(m.group(2)) / 60:.1f} min "
            f"of wall time for the pyenv build of `{m.group(1)}` (the source fetched from "
            "Debian first), once.\n")

MAIN_JOB = ROOT / "docs" / "data" / "main-job"
#: The series of docs/experiments/main_job.py, oldest first: asv's launch
#: methods before and after, then the fork server once a forked benchmark
#: started no OpenBLAS pool (``--label forkserver-blas-at-one``, a later commit).
MAIN_JOB_SIDES = (("spawn", "spawn (before)"), ("forkserver", "forkserver (after)"),
                  ("forkserver-blas-at-one", "forkserver, no BLAS pool started (fixed)"))
#: The point the fork server moved most (docs/main-job.md): C8's one-section
#: gain at n = 1e5 on one thread.
C8_FORK_POINT = ("bench_c8_parallel_section.TrackC8NormalizeGain."
                 "track_c8_normalize_gain(100000, 1)")
#: Points docs/main-job.md discusses, shown run by run: (point, what it is).
MAIN_JOB_RUN_BY_RUN = (
    ("bench_c8_parallel_section.TrackC8NormalizeGain.track_c8_normalize_gain(1000, 2)",
     "C8's deciding ratio (normalize, n = 1000, 2 threads)"),
    ("bench_c4_brief_release.TrackC4CostPerRelease.track_c4_ns_per_release",
     "C4's cost per release (ns)"),
    ("bench_c7_prange_overhead.TrackC7RegionOverhead.track_c7_region_us('empty', 2)",
     "C7's region cost (empty, 2 threads; us)"),
)


def _time_accounting():
    sys.path.insert(0, str(ROOT / "docs" / "experiments"))
    import time_accounting

    return time_accounting


def _main_job_runs(machine="vm") -> dict:
    """{method: {run name: (Run, accounting, run.json)}} of
    docs/experiments/main_job.py."""
    acc = _time_accounting()
    out = {}
    for method, _ in MAIN_JOB_SIDES:
        for d in sorted((MAIN_JOB / machine / method).glob("run*")):
            if not (d / "run.json").is_file():
                continue   # a run under way, or killed
            rec = json.loads((d / "run.json").read_text())
            if rec["exit"] != 0 or not (d / "results" / "benchmarks.json").is_file():
                continue
            (run,) = results.load(d / "results", machine=machine)
            out.setdefault(method, {})[d.name] = (run, acc.account(d), rec)
    return out


def _rule_points(run) -> dict:
    """{point name: value} of every point a rule reads, measured."""
    return {p.name: p.value for c in claims.CLAIMS for read in c.reads for p in run.of(read)
            if p.ok and isinstance(p.value, (int, float))}


def _run_spread(points: list) -> dict:
    """{point: log(highest / lowest)} over runs (each a {point: value}) of
    every timed point measured in all of them (exact counts left out: they
    do not spread)."""
    common = set.intersection(*(set(p) for p in points))
    return {k: math.log(max(p[k] for p in points) / min(p[k] for p in points))
            for k in common if not gate_protocol.is_exact(k) and all(p[k] > 0 for p in points)}


def main_job_spread(machine="vm") -> str:
    """Per benchmark a rule reads: the run-to-run spread of its timed points
    (highest / lowest - 1 over the runs, median over its points) in each
    series of docs/experiments/main_job.py, and how many of its points spread
    wider than with spawn; then C8's point that the fork server moved, run by
    run."""
    per = _main_job_runs(machine)
    sides = [(m, title) for m, title in MAIN_JOB_SIDES if len(per.get(m, {})) >= 2]
    if len(sides) < 2 or sides[0][0] != "spawn":
        return "Not measured yet: two runs of spawn and of a later series are needed.\n"
    spread = {m: _run_spread([_rule_points(run) for run, _, _ in per[m].values()])
              for m, _ in sides}
    first, later = sides[0][0], sides[1:]
    common = sorted(set.intersection(*(set(spread[m]) for m, _ in sides)))
    by = {}
    for k in common:
        by.setdefault(k.split("(")[0].rsplit(".", 1)[0], []).append(k)
    lines = ["| benchmark (points) | " + " | ".join(f"spread, {t}" for _, t in sides) + " | "
             + " | ".join(f"points wider than spawn, {t}" for _, t in later) + " |",
             "|---|" + "---|" * (len(sides) + len(later))]

    def wider(m, keys):
        return sum(1 for k in keys if spread[m][k] > spread[first][k])

    for cls, keys in sorted(by.items()):
        cells = [f"{math.expm1(statistics.median(spread[m][k] for k in keys)):.1%}"
                 for m, _ in sides] + [str(wider(m, keys)) for m, _ in later]
        lines.append(f"| `{cls.split('.', 1)[1]}` ({len(keys)}) | " + " | ".join(cells) + " |")
    n = min(len(per[m]) for m, _ in sides)
    lines += ["", "Points spread wider than with spawn, of " + str(len(common)) + ": "
              + "; ".join(f"{t}: {wider(m, common)}" for m, t in later)
              + f" ({n} runs a series or more). A single point's spread over a few runs is "
              "itself a noisy number, and which side of a point is wider is close to a coin "
              "toss when nothing changed; the medians per benchmark are the steadier reading.",
              ""]
    c8 = [f"{t}: " + ", ".join(f"{run.points[C8_FORK_POINT].value:.2f}"
                               for run, _, _ in per[m].values() if C8_FORK_POINT in run.points)
          for m, t in sides]
    ones = []
    for m, t in sides:
        vals = [p.value for run, _, _ in per[m].values() for name, p in run.points.items()
                if "TrackC8NormalizeGain" in name and name.endswith(", 1)") and p.ok]
        ones.append(f"{t}: {min(vals):.2f} to {max(vals):.2f}")
    lines += ["C8's one-section gain at n = 1e5 on one thread, run by run (1.0: one section "
              "and several short loops take the same time, as they should on one thread): "
              + "; ".join(c8) + ". All its one-thread points: " + "; ".join(ones) + "."]
    for point, what in MAIN_JOB_RUN_BY_RUN:
        lines += ["", f"{what}, run by run: " + "; ".join(
            f"{t}: " + ", ".join(f"{run.points[point].value:.3g}"
                                 for run, _, _ in per[m].values()
                                 if point in run.points and run.points[point].ok)
            for m, t in sides) + "."]
    return "\n".join(lines) + "\n"


def main_job(machine="vm") -> str:
    """README command 1 in fresh clones, asv's old launch method (spawn)
    against forkserver (docs/experiments/main_job.py): where asv's time goes
    (docs/experiments/time_accounting.py), the verdicts, the exact counts,
    and the run-to-run spread of the points the rules read."""
    per = _main_job_runs(machine)
    if not per:
        return "No runs committed yet.\n"
    sides = [(m, title) for m, title in MAIN_JOB_SIDES if m in per]
    lines = ["| | " + " | ".join(t for _, t in sides) + " |", "|---|" + "---|" * len(sides)]

    def row(label, fn):
        lines.append(f"| {label} | " + " | ".join(fn(per[m]) for m, _ in sides) + " |")

    def minutes(values):
        return _spread([v / 60 for v in values]) + " min"

    row("runs", lambda rs: str(len(rs)))
    row("**asv time** (median, range)", lambda rs: minutes([a["asv_seconds"]
                                                            for _, a, _ in rs.values()]))
    row("README command 1, wall time", lambda rs: minutes([r["seconds"]
                                                           for _, _, r in rs.values()]))
    parts = next(iter(per.values()))
    for part in next(iter(parts.values()))[1]["split"]:
        row(f"&nbsp;&nbsp;{part}", lambda rs, p=part: minutes([a["split"][p]
                                                               for _, a, _ in rs.values()]))
    row("processes asv started (time_, track_, timeraw_)", lambda rs: ", ".join(
        str(v) for v in next(iter(rs.values()))[1]["processes"].values()))
    row("kernels timed by time_ benchmarks, share of asv time", lambda rs: _spread([
        100 * a["split"]["time_ kernels timed"] / a["asv_seconds"]
        for _, a, _ in rs.values()]) + " %")

    def verdicts_of(rs):
        each = [{v.claim: v.status for v in claims.verdicts(run)} for run, _, _ in rs.values()]
        return "; ".join(f"{c}: " + ", ".join(dict.fromkeys(e[c] for e in each))
                         for c in each[0])

    row("verdicts (each distinct one over the runs)", verdicts_of)
    exact = {}
    for m, _ in sides:
        for name, (run, _, _) in per[m].items():
            exact[m, name] = {p.name: p.value for p in run.points.values()
                              if gate_protocol.is_exact(p.name) and p.ok}
    first = next(iter(exact.values()))
    differ = sorted({k for e in exact.values() for k in e.keys() | first.keys()
                     if e.get(k) != first.get(k)})
    lines += ["", f"Exact counts (instructions and structure, {len(first)} points): "
              + ("identical in every run, before and after." if not differ else
                 f"{len(differ)} differ between runs: " + ", ".join(differ[:5]))]
    for m, title in sides:
        runs = [run for run, _, _ in per[m].values()]
        if len(runs) >= 2:
            sp = sorted(_run_spread([_rule_points(r) for r in runs]).values())
            lines.append(f"- {title}: run-to-run spread of the {len(sp)} timed points the rules "
                         f"read, highest / lowest - 1 over the {len(runs)} runs: median "
                         f"{math.expm1(statistics.median(sp)):.1%}, 90th percentile "
                         f"{math.expm1(sp[int(0.9 * (len(sp) - 1))]):.1%}, largest "
                         f"{math.expm1(sp[-1]):.1%} (a value near zero divides by little).")
    smoke = MAIN_JOB / machine / "smoke.jsonl"
    if smoke.is_file():
        recs = [json.loads(line) for line in smoke.read_text().splitlines() if line.strip()]
        for m, title in MAIN_JOB_SIDES:
            mine = [r for r in recs if r["method"] == m]
            if mine:
                bad = sum(1 for r in mine if r["exit"] != 0 or r["failed"])
                lines.append(f"- The smoke run (`GILBENCH_SMOKE=1 OPENBLAS_NUM_THREADS=1 asv run "
                             f"--quick -E existing`, docs/experiments/smoke_time.py), {title}: "
                             + _spread([r["seconds"] for r in mine]) + f" s over {len(mine)} "
                             f"runs" + (f", {bad} with a failure" if bad else ", none failed")
                             + ".")
    commits = sorted({rec["tested_commit"][:8] for rs in per.values() for _, _, rec in rs.values()})
    order = ("; spawn and forkserver alternated (spawn first in odd runs)"
             + ("; the fixed series ran later, on its own commit"
                if "forkserver-blas-at-one" in per else ""))
    lines += ["", f"`{machine}`, {parts[next(iter(parts))][2]['cpus']} CPUs, commit(s) "
              + ", ".join(f"`{c}`" for c in commits) + order + ". asv time is the sum of the "
              "durations asv recorded (benchmarks and setup_cache; the wheel build left out); "
              "the wall time is the whole of README command 1 in a fresh clone (virtualenvs, "
              "build, run, publish)."]
    return "\n".join(lines) + "\n"


def main_job_summary(machine="vm") -> str:
    """The README's line on command 1's time, from the newest launch
    method's runs of docs/experiments/main_job.py."""
    per = _main_job_runs(machine)
    newest = next((m for m, _ in reversed(MAIN_JOB_SIDES) if m != "spawn" and m in per), None)
    if newest is None:
        return "Not measured yet.\n"
    rs = per[newest].values()
    cpus = next(iter(rs))[2]["cpus"]
    before = per.get("spawn", {}).values()
    return (f"on `{machine}` ({cpus} CPUs), {len(rs)} fresh clone"
            f"{'' if len(rs) == 1 else 's'} took "
            + _spread([r["seconds"] / 60 for _, _, r in rs]) + " min of wall time, of which "
            + _spread([a["asv_seconds"] / 60 for _, a, _ in rs]) + " min asv benchmarking"
            + ((" (asv's old launch method, a fresh interpreter per benchmark: "
                + _spread([a["asv_seconds"] / 60 for _, a, _ in before]) + " min)")
               if before else "")
            + "; median (range), [docs/main-job.md](docs/main-job.md).\n")


def main_job_plan(machine="vm") -> str:
    """``gilbench plan``'s estimate, from the first forkserver run of
    docs/experiments/main_job.py, against runs it did not read: the second
    run on the same machine, and the run on one CPU (``<machine>-1cpu``)."""
    from gilbench import plan

    acc = _time_accounting()
    base = MAIN_JOB / machine / "forkserver"
    first = base / "run1" / "results"
    if not first.is_dir():
        return "Not measured yet.\n"
    lines = ["| planned from run1 of `" + machine + "` | usable CPUs | points | estimate | "
             "measured (not read by the estimate) | estimate / measured |",
             "|---|---|---|---|---|---|"]
    checks = [(d, machine) for d in sorted(base.glob("run*")) if d.name != "run1"]
    checks += [(d, f"{machine}-1cpu") for d in
               sorted((MAIN_JOB / f"{machine}-1cpu" / "forkserver").glob("run*"))]
    checks = [(d, name) for d, name in checks if (d / "run.json").is_file()]
    for d, name in checks:
        rec = json.loads((d / "run.json").read_text())
        if rec["exit"] != 0:
            continue
        (run,) = results.load(d / "results", machine=name)
        p = plan.plan(ROOT, rec["cpus"], results_dir=first, machine=machine)
        took = acc.account(d)["asv_seconds"]
        lines.append(f"| `{name}` {d.name} | {rec['cpus']} | {p['points']} "
                     f"({len(run.points)} measured) | {p['estimated_seconds'] / 60:.2f} min | "
                     f"{took / 60:.2f} min | {p['estimated_seconds'] / took:.2f} |")
    for cpus in (16, 64):
        p = plan.plan(ROOT, cpus, results_dir=first, machine=machine)
        lines.append(f"| (no run) | {cpus} | {p['points']} | "
                     f"{p['estimated_seconds'] / 60:.1f} min | | |")
    return "\n".join(lines) + "\n"

RUNTIME = ROOT / "docs" / "data" / "runtime"
REGION = "bench_c7_prange_overhead.TrackC7RegionOverhead.track_c7_region_us"


def runtime_record(machine="vm") -> str:
    """README command 1 with a caller's ``OMP_WAIT_POLICY=PASSIVE`` cleared,
    kept, and on one CPU (docs/experiments/runtime_runs.py): what each
    run's record says, C7's region cost it measured, the items where the
    records differ, and what the record cost."""
    out = RUNTIME / machine
    meta = json.loads((out / "runs.json").read_text())
    by_machine = {r.machine: r for r in results.load(out / "results")}
    names = {"cleared": machine, "one-cpu": f"{machine}-1cpu"}
    kept = next(m for m in by_machine if m.startswith(machine + "+"))
    names["kept"] = kept
    lines = ["| run | the caller's shell | asv machine | the record's settings | "
             "OpenMP spin count | usable CPUs, cores | C7 empty region, 1 / 2 threads | "
             "record's asv time |", "|---|---|---|---|---|---|---|---|"]
    from gilbench.harness import runtime

    for name in ("cleared", "kept", "one-cpu"):
        run, info = by_machine[names[name]], meta["runs"][name]
        rec = run.runtime
        caller = " ".join(f"{k}={v}" for k, v in info["caller"].items()) or "-"
        if info["command"].startswith("taskset"):
            caller += " (taskset -c 0)"
        cost = [run.point(REGION, region="empty", threads=t) for t in (1, 2)]
        cells = " / ".join(f"{p.value:.3g} us" if p.ok else "-" for p in cost)
        lines.append(f"| {name} | {caller} | `{run.machine}` | {run.settings or 'the suite s'}"
                     .replace("the suite s", "the suite's (none set)")
                     + f" | {runtime.describe('openmp spin count', rec.get('openmp spin count'))}"
                     f" | {rec.get('cpus usable', 0):g}, {rec.get('cores usable', 0):g} | {cells}"
                     f" | {run.durations.get(results.RUNTIME_BENCHMARK, math.nan):.1f} s |")
    from gilbench import runtime_record as rr

    pair = [by_machine[names["cleared"]], by_machine[names["one-cpu"]]]
    differ = rr.differing(pair)
    lines += ["", f"Records of `{pair[0].machine}` and `{pair[1].machine}` (same host, the "
              "second under `taskset -c 0`) differ in: "
              + "; ".join(f"{row['item']} ({' vs '.join(row['values'])})" for row in differ)
              + f". Commit `{meta['commit'][:8]}`; one run each, in this order, on a shared "
              "machine (single track values: their spread is not known from these runs); raw "
              f"results in docs/data/runtime/{machine}/."]
    return "\n".join(lines) + "\n"


def gate_from_checkout(machine="vm") -> str:
    """The documented gate command from pull requests' own checkouts
    (docs/experiments/gate_from_checkout.py): exit code, what the summary's
    runtime table names, wall time."""
    out = ROOT / "docs" / "data" / "gate-from-checkout" / machine
    meta = json.loads((out / "summary.json").read_text())
    lines = ["| pull request (its import) | BASE | exit | what the summary names | "
             "gate's --only | wall time |", "|---|---|---|---|---|---|"]
    for name, info in meta.items():
        text = (out / name / "stdout.txt").read_text()
        items = []
        for t in re.finditer(r"^\| runtime item \| base \| head \|\n\|---\|---\|---\|\n"
                             r"((?:\|.*\|\n)+)", text, re.M):
            items += [f"{row.split('|')[1].strip()}: {row.split('|')[2].strip()} -> "
                      f"{row.split('|')[3].strip()}" for row in t.group(1).splitlines()]
        said = "; ".join(items)
        if not said:
            err = (out / name / "stderr.txt").read_text()
            said = next((ln.strip() for ln in err.splitlines()
                         if ln.startswith("gilbench gate:")), "nothing")
        lines.append(f"| {name}: {info['message']} | `{info['base'][:8]}` | {info['exit']} | "
                     f"{said} | {info['only'] or '(all)'} | {info['wall_s'] / 60:.1f} min |")
    lines += ["", f"`python3 -m nox -s gate -- main HEAD --machine {machine}` from each pull "
              "request's own checkout (docs/experiments/gate_from_checkout.py). passive-wait is "
              "the issue's case (it passed before the tool came from BASE); bind-close's first "
              "run showed a rule that read a binding's narrowed CPUs as a changed machine, the "
              "rule was mended and bind-close run again (in sample since); blas-pin, "
              "thread-limit and affinity-pin were made up for this experiment and no test uses "
              "them."]
    return "\n".join(lines) + "\n"


HISTORY = ROOT / "docs" / "data" / "history"
BISECT = ROOT / "docs" / "data" / "bisect"
#: Claims in the order the pages list them.
_CLAIM_ORDER = ("C1", "C2", "C3", "C4", "C5", "C5b", "C6", "C7", "C8", "C9")


def _subject(sha: str) -> str:
    _have(sha)
    subject = _git("log", "-1", "--format=%s", sha)
    return subject if len(subject) <= 60 else subject[:57].rstrip() + "..."


def _moves(before, after) -> list:
    """(name, before, after, relative move) of every point measured in both
    runs whose value changed."""
    out = []
    for name, p in after.points.items():
        q = before.points.get(name)
        if p.ok and q is not None and q.ok and p.value != q.value:
            out.append((name, q.value, p.value, p.value / q.value - 1 if q.value else math.inf))
    return out


def history(machine="vm") -> str:
    """Today's suite's exact counts over main's history
    (docs/experiments/history.py): per sampled commit, how many of each
    claim's counts gave a value, and the counts that moved past the gate's
    smallest threshold since the sample before."""
    base = HISTORY / machine
    rec = json.loads((base / "run.json").read_text())
    threshold = noise_table.LADDER[0]
    runs = [results.load(base / "results", machine=machine, commit=c)[0] for c in rec["commits"]]
    claims_seen = {_claim(p.benchmark) for r in runs for p in r.points.values()}
    order = [c for c in _CLAIM_ORDER if c in claims_seen]
    lines = ["| commit | " + " | ".join(order) + f" | moved past {threshold:g}x since the "
             "sample before |", "|---" * (len(order) + 2) + "|"]
    first_whole, jitter, failed = {}, [], 0
    for i, run in enumerate(runs):
        cells = []
        for c in order:
            pts = [p for p in run.points.values() if _claim(p.benchmark) == c]
            ok = sum(p.ok for p in pts)
            failed += sum(p.status == "failed" for p in pts)
            cells.append(f"{ok}/{len(pts)}")
            if pts and ok == len(pts):
                first_whole.setdefault(c, i)
        big = []
        if i:
            for name, a, b, rel in _moves(runs[i - 1], run):
                if max(a, b) / min(a, b) >= threshold:
                    big.append(f"`{name.split('.', 1)[1]}` {a:.6g} -> {b:.6g}")
                else:
                    jitter.append(abs(rel))
        lines.append(f"| `{run.commit[:8]}` | " + " | ".join(cells) + " | "
                     + ("; ".join(big) or "-") + " |")
    first = ", ".join(f"{c} from `{runs[i].commit[:8]}`" for c, i in
                      sorted(first_whole.items(), key=lambda kv: (kv[1], order.index(kv[0]))))
    lines += ["", f"`{machine}`: `{rec['command']}` in a fresh clone of "
              f"`{rec['suite_commit'][:8]}` over every {rec['every']}th commit of main and "
              f"HEAD ({len(runs)} commits), exit {rec['exit']}, {rec['seconds'] / 60:.1f} min. "
              f"ok/total: points that gave a value, of that claim's exact counts; the rest "
              f"were skipped ({failed} failed). Every count measured whole: {first}.",
              "", f"Moves smaller than {threshold:g}x between samples: {len(jitter)}, the largest "
              f"{max(jitter, default=0):.3%}."]
    return "\n".join(lines) + "\n"


def bisect() -> str:
    """The commit ``asv find`` named between two history samples
    (docs/experiments/find_commit.py): every commit it measured, the found one's
    value and its parent's, from asv's raw results."""
    machine = "vm"
    base = BISECT / machine
    rec = json.loads((base / "run.json").read_text())
    runs = {}
    for r in results.load(base / "results", machine=machine, earlier=64):
        for run in [r, *r.earlier]:
            runs[run.commit] = run
    bench = rec["benchmark"]
    found, parent = rec["found"], rec["parent"]
    if found not in runs or parent not in runs:
        raise ValueError(f"{base}: asv find's results lack the found commit or its parent")
    moves = _moves(runs[parent], runs[found])
    moves = [m for m in moves if m[0].startswith(bench)]
    name, a, b, rel = max(moves, key=lambda m: abs(m[3]))
    lo, hi = rec["range"]
    lines = ["| commit | " + f"`{name.split('.', 2)[2]}` |", "|---|---|"]
    for sha in reversed(_git_list(lo, hi)):
        if sha in runs:
            p = runs[sha].points.get(name)
            v = f"{p.value:.6g}" if p is not None and p.ok else (p.status if p else "-")
            mark = " (found)" if sha == found else (" (parent)" if sha == parent else "")
            lines.append(f"| `{sha[:8]}`{mark} | {v} |")
    lines += ["", f"`{machine}`: `{rec['command']}` in a fresh clone of "
              f"`{rec['suite_commit'][:8]}`: {rec['commits_in_range']} commits in the range, "
              f"{len(runs)} measured, exit {rec['exit']}, {rec['seconds'] / 60:.1f} min. Found "
              f"`{found[:8]}` ({_subject(found)}): `{name.split('.', 1)[1]}` {a:.6g} at its "
              f"parent, {b:.6g} there ({rel:+.2%})."]
    # The same commits in the history run: how far one commit's count reads
    # apart between two runs.
    hist = HISTORY / machine
    both = [c for c in json.loads((hist / "run.json").read_text())["commits"] if c in runs]
    pairs = []
    for c in both:
        (h,) = results.load(hist / "results", machine=machine, commit=c)
        pairs += [(p.value, h.points[n].value) for n, p in runs[c].points.items()
                  if p.ok and n in h.points and h.points[n].ok]
    if pairs:
        apart = [abs(a / b - 1) for a, b in pairs if b]
        lines += ["", f"The commits both this run and the history run measured "
                  f"({', '.join(f'`{c[:8]}`' for c in both)}): {sum(a == b for a, b in pairs)} "
                  f"of {len(pairs)} values equal between the two runs, the largest difference "
                  f"{max(apart):.3%}."]
    return "\n".join(lines) + "\n"


def _git_list(lo: str, hi: str) -> list:
    """``lo`` and the first-parent commits after it up to ``hi``, newest first."""
    _have(lo, hi)
    return _git("rev-list", "--first-parent", f"{lo}^..{hi}").split()


FLEET = ROOT / "docs" / "data" / "fleet"
#: Fleets on paper: usable CPUs of each machine.  One hosted runner; four
#: (two hosted, a 4-core and a 16-core box); twenty (ten hosted, six 4-core,
#: three 16-core, one 64-core).
FLEETS = {1: [2], 4: [2, 2, 4, 16], 20: [2] * 10 + [4] * 6 + [16] * 3 + [64]}
#: The nightly's defaults: commits a night at most, and the job's limit.
NIGHT_COMMITS, NIGHT_LIMIT_MIN = 5, 180


def fleet_cost() -> str:
    """What one night costs a fleet of 1, 4 and 20 machines: the default
    suite per machine size (gilbench plan, timed from the committed run of
    ``vm``), the runner minutes and wall time of a night of one new commit,
    and the commits a night covers within the job's limit."""
    from gilbench import plan

    minutes = {c: plan.plan(ROOT, c, results_dir=DATA, machine="vm")["estimated_seconds"] / 60
               for c in sorted({c for cs in FLEETS.values() for c in cs})}
    lines = ["| machines | their usable CPUs | runner minutes, one commit | wall time, one "
             "commit | commits a night covers (of at most "
             f"{NIGHT_COMMITS}, {NIGHT_LIMIT_MIN} min a leg) |", "|---|---|---|---|---|"]
    for n, cpus in FLEETS.items():
        total = sum(minutes[c] for c in cpus)
        wall = max(minutes[c] for c in cpus)
        covers = min(NIGHT_COMMITS, int(NIGHT_LIMIT_MIN // wall))
        sizes = ", ".join(f"{cpus.count(c)} x {c}" for c in sorted(set(cpus)))
        lines.append(f"| {n} | {sizes} | {total:.0f} | {wall:.0f} min | {covers} |")
    lines += ["", "Per machine size, the default suite's asv time (gilbench plan): "
              + ", ".join(f"{c} CPUs {m:.1f} min" for c, m in minutes.items())
              + " -- estimates from the 2-CPU run, none measured on more than 2 CPUs. asv "
              "time only: each leg also makes its environment and builds (a few minutes, "
              "[main-job.md](main-job.md))."]
    return "\n".join(lines) + "\n"


def _range(values) -> str:
    return f"{statistics.median(values):.1f} ({min(values):.1f}–{max(values):.1f})"


def fleet_scale(machine="vm") -> str:
    """Synthetic stores of a fleet (docs/experiments/fleet_scale.py): files,
    bytes raw and packed, and the time to publish them."""
    rec = json.loads((FLEET / machine / "scale.json").read_text())
    lines = ["| machines x nightly commits | result files | raw | packed by git | asv publish "
             "| claims page | gilbench publish (all) | site |", "|---|---|---|---|---|---|---|---|"]
    for r in rec["sizes"]:
        lines.append(f"| {r['machines']} x {r['commits']} | {r['files']} | "
                     f"{r['bytes'] / 2**20:.1f} MiB | {r['packed_bytes'] / 2**20:.2f} MiB | "
                     f"{_range(r['asv_publish_s'])} s | {_range(r['claims_page_s'])} s | "
                     f"{r['gilbench_publish_s']:.0f} s | {r['html_bytes'] / 2**20:.0f} MiB |")
    per_file = [r["packed_bytes"] / max(1, r["files"] - 1) for r in rec["sizes"]]
    month = {n: len(cpus) * 30 * statistics.median(per_file) / 2**20 for n, cpus in FLEETS.items()}
    lines += ["", f"`{machine}`: `{rec['command']}`; times median (range) of {rec['repeat']}, "
              "gilbench publish once. Each result file is a copy of a real one of this suite "
              f"({rec['template']}), every number in it moved by a random few percent. "
              "Packed, a result file costs the branch "
              f"{statistics.median(per_file) / 1024:.1f} KiB (median over the sizes): a month "
              "of one commit a night grows it by "
              + ", ".join(f"{m:.1f} MiB for {n} machine{'s' if n > 1 else ''}"
                          for n, m in month.items()) + "."]
    return "\n".join(lines) + "\n"


ADVISE = ROOT / "docs" / "data" / "advise"


def _advised(machine: str) -> dict:
    """{example: its record} of docs/experiments/advise_examples.py."""
    out = {}
    for path in sorted((ADVISE / machine).glob("*.json")):
        rec = json.loads(path.read_text())
        if rec["exit"] != 0:
            raise ValueError(f"{path.relative_to(ROOT)}: gilbench advise exited {rec['exit']}")
        out[path.stem] = rec
    return out


def advise_examples(machine="vm") -> str:
    """``gilbench advise`` on the worked examples: each one's command, wall
    time and what it advised (README)."""
    lines = ["| command | wall time | advice, and a BLAS effect (claim: finding) |",
             "|---|---|---|"]
    for name, rec in _advised(machine).items():
        if name in ("c7-sumsq-run2", "c7-sumsq-run3", "c7-sumsq-quick", "c1-sumsq-noexcept") \
                or name.startswith("c1-poly-except") \
                or name.startswith("c3-spin-gil") or name.endswith("-ft"):
            continue   # docs/advise.md's figures advise-agrees and advise-free-threaded have them
        a = rec["advice"]
        said = [f"{f['claim']}: {f['text'].split(':')[0]}" if f["claim"] != "C7" else
                f"{f['claim']}: {f['text'].split(' (every')[0]}"
                for f in a["findings"] if f["status"] == "advice"
                or (f["topic"] == "BLAS" and f["status"] == "fine")]
        cmd = " ".join(x for x in rec["command"] if x not in ("--format", "json"))
        lines.append(f"| `{cmd}` | {rec['wall_s']:.1f} s | "
                     + ("; ".join(said) or "nothing to change") + " |")
    lines += ["", f"`{machine}` ({a['cpus']} usable CPUs): `python docs/experiments/"
              f"advise_examples.py --machine {machine}`, raw JSON in "
              f"docs/data/advise/{machine}/."]
    return "\n".join(lines) + "\n"


def advise_agrees(machine="vm") -> str:
    """What advise measured on two of the suite's kernels beside what the
    suite measured of the same kernels (docs/advise.md): C1's GIL
    acquisitions per element, C7's crossover of the prange sum of squares."""
    got = _advised(machine)
    run = [r for r in _runs() if r.machine == machine][-1]
    struct = "bench_c1_gil_held.TrackC1Structure.track_c1_structure"
    lines = ["| what | gilbench advise | the suite |", "|---|---|---|"]
    for variant in ("except", "noexcept"):
        per = got[f"c1-sumsq-{variant}"]["advice"]["counts"]["1"]["per_element"]
        theirs = run.points[f"{struct}('gil_acquisitions_per_element', '{variant}')"].value
        lines.append(f"| C1 sum of squares, `{variant}`: GIL acquisitions per element (exact) "
                     f"| {per['gil_ensures']:g} | {theirs:g} (`TrackC1Structure`) |")
    # What a noexcept rewrite saves: advise's estimate (the price of a round trip
    # from the sum of squares, applied to poly) against the suite's poly ratios.
    polys = [got[k]["advice"] for k in sorted(got) if k.startswith("c1-poly-except-run")]
    n = polys[0]["sizes"][-1]
    ratio = "bench_c1_gil_held.TrackC1RatioToGILHeld.track_c1_ratio('poly', '{}', {})"
    suite = 1 - run.points[ratio.format("noexcept", n)].value \
        / run.points[ratio.format("except", n)].value
    shares = ", ".join(f"{a['gil_price']['share']:.0%} +/- {a['gil_price']['share_spread']:.0%}"
                       for a in polys)
    lines.append(f"| C1 polynomial, `except *`: share of a call at n = {n:g} a `noexcept` "
                 f"rewrite saves (advise: an estimate, from the sum of squares' price) | "
                 f"{shares} in {len(polys)} runs | {suite:.1%} "
                 "(`TrackC1RatioToGILHeld`: 1 - noexcept / except) |")
    cross = "bench_c7_prange_overhead.TrackC7Crossover.track_c7_crossover('sumsq', 2)"
    runs = [got[n]["advice"]["crossover"] for n in sorted(got) if n.startswith("c7-sumsq-run")]
    sweeps = [s for c in runs for s in c["sweeps"]]
    said = sorted({c.get("at") for c in runs}, key=lambda x: (x is None, x))
    lines.append("| C7 sum of squares, 2 threads: crossover (elements) | "
                 f"{', '.join(map(str, said))} in {len(runs)} runs (sweeps: "
                 f"{min(sweeps):g}-{max(sweeps):g}, "
                 f"{len(sweeps)} sweeps) | {run.points[cross].value:g} "
                 f"(`TrackC7Crossover`, commit `{run.commit[:8]}`) |")
    walls = [r["wall_s"] for n, r in got.items() if not n.endswith("quick")]
    quick = [r["wall_s"] for n, r in got.items() if n.endswith("quick")]
    lines += ["", f"advise compares the function at 2 threads with itself at 1; the suite "
              "compares the prange with a sequential loop; both on a grid of decades. Wall time "
              f"per example: {min(walls):.1f}-{max(walls):.1f} s"
              + (f", `--quick` {max(quick):.1f} s" if quick else "") + "."]
    return "\n".join(lines) + "\n"


#: The examples of figure advise-free-threaded: {row: (its runs, the finding's
#: topic)}, each on the caller's Python and through ``--python`` on a
#: free-threaded one; the heartbeat's in three runs, its gap being a time.
FREE_THREADED_EXAMPLES = {
    "spin-gil": ([f"c3-spin-gil-run{k}" for k in (1, 2, 3)], "heartbeat"),
    "spin-gil-ft": ([f"c3-spin-gil-ft-run{k}" for k in (1, 2, 3)], "heartbeat"),
    "sumsq-except": (["c1-sumsq-except"], "GIL per element"),
    "sumsq-except-ft": (["c1-sumsq-except-ft"], "GIL per element"),
}


def _span(values, fmt="{:.1f}") -> str:
    lo, hi = min(values), max(values)
    return fmt.format(lo) if lo == hi else f"{fmt.format(lo)}-{fmt.format(hi)}"


def advise_free_threaded(machine="vm") -> str:
    """C3's loop that holds the GIL and C1's ``except *`` sum of squares,
    advised on this interpreter and on a free-threaded one through
    ``--python`` (docs/advise.md)."""
    got = _advised(machine)
    lines = ["| function | Python | GIL after import | runs | worst heartbeat gap / longest "
             "call (ms) | GIL transitions per element (exact) | finding |",
             "|---|---|---|---|---|---|---|"]
    for names, topic in FREE_THREADED_EXAMPLES.values():
        runs = [got[n]["advice"] for n in names]
        a = runs[0]
        py = a["python"]
        per = {r["counts"]["1"]["per_element"]["gil_ensures"]
               + r["counts"]["1"]["per_element"]["gil_restores"] for r in runs}
        found = [f for r in runs for f in r["findings"] if f["topic"] == topic]
        seen = collections.Counter(f"{f['claim']} {f['status']}" for f in found)
        counted = ", ".join(f"{k} ({v})" for k, v in sorted(seen.items()))
        gil = "on (a GIL build)" if not py["free_threaded"] else \
            "on" if py["gil"]["after"] else "off"
        lines.append(f"| `{a['spec']['function'].split('.')[-1]}` | {py['build']} | {gil} | "
                     f"{len(runs)} | {_span([r['heartbeat']['worst_gap_s'] * 1e3 for r in runs])}"
                     f" / {_span([r['heartbeat']['call_s'] * 1e3 for r in runs])} | "
                     f"{', '.join(f'{v:g}' for v in sorted(per))} | {counted}: "
                     f"{found[0]['text'].split(': ')[0].split(' (')[0]} |")
    lines += ["", f"`{machine}`: `python docs/experiments/advise_examples.py --machine "
              f"{machine}` (the free-threaded ones through `--python`), raw JSON in "
              f"docs/data/advise/{machine}/. The gaps and calls are times, their range over "
              "the runs; the transitions exact; each finding with the number of runs that "
              "gave it, the text of the first run's."]
    return "\n".join(lines) + "\n"


FIGURES = {"cython-c5": cython_c5, "harness-move": harness_move, "gate-aa": gate_aa,
           "gate-calibration": gate_calibration, "gate-reach": gate_reach,
           "gate-coverage": gate_coverage, "gate-rounds": gate_rounds,
           "gate-summary": gate_summary, "plan": plan_table,
           "verdicts": verdicts,
           "verdict-details": verdict_details, "noise-summary": noise_summary,
           "c8-spread": c8_spread, "free-threaded": free_threaded,
           "free-threaded-build": free_threaded_build,
           "free-threaded-verdicts": free_threaded_verdicts, "main-job": main_job,
           "main-job-summary": main_job_summary, "main-job-plan": main_job_plan,
           "main-job-spread": main_job_spread, "runtime-record": runtime_record,
           "gate-from-checkout": gate_from_checkout, "history": history,
           "bisect": bisect, "fleet-cost": fleet_cost, "fleet-scale": fleet_scale,
           "advise-examples": advise_examples, "advise-agrees": advise_agrees,
           "advise-free-threaded": advise_free_threaded}


def render(text: str) -> str:
    def block(m):
        name = m.group("name")
        if name not in FIGURES:
            raise KeyError(f"no figure named {name!r} in docs/figures.py")
        return m.group(1) + FIGURES[name]() + m.group(4)

    return BLOCK.sub(block, text)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 naming each page whose figures differ")
    args = parser.parse_args(argv)
    try:
        return _write(args.check)
    except MissingHistory as exc:
        print(f"docs/figures.py: {exc}", file=sys.stderr)
        return 2


def _write(check: bool) -> int:
    stale = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        new = render(text)
        if new != text:
            stale.append(page.relative_to(ROOT) if page.is_relative_to(ROOT) else page)
            if not check:
                page.write_text(new, encoding="utf-8")
    # The noise tables' own pages.
    for js in sorted((ROOT / "noise").glob("*.json")):
        md = js.with_suffix(".md")
        want = noise.to_markdown(noise_table.Table.load(js))
        if not md.is_file() or md.read_text(encoding="utf-8") != want:
            stale.append(md.relative_to(ROOT))
            if not check:
                md.write_text(want, encoding="utf-8")
    # The gate's tables' pages.
    for js in sorted((ROOT / "noise" / "gate").glob("*.json")):
        md = js.with_suffix(".md")
        want = gate_cal.to_markdown(noise_table.Table.load(js))
        if not md.is_file() or md.read_text(encoding="utf-8") != want:
            stale.append(md.relative_to(ROOT))
            if not check:
                md.write_text(want, encoding="utf-8")
    verb = "differ from their data" if check else "regenerated"
    for path in stale:
        print(f"{path}: figures {verb}", file=sys.stderr)
    return 1 if stale and check else 0


if __name__ == "__main__":
    sys.exit(main())
