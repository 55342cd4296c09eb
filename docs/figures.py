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
* ``noise/<machine>.json``: the calibration's A/A runs (``gilbench calibrate``).

Run ``python docs/figures.py`` after committing new data; ``--check`` (what the
tests run) exits 1 and names every block that differs from its data.
"""

from __future__ import annotations

import argparse
import datetime
import math
import re
import statistics
import sys
from pathlib import Path

from gilbench import noise, report, results

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "docs" / "data" / "results"
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"(<!-- figure: (?P<name>[\w-]+) \(docs/figures.py\) -->\n)(?P<body>.*?)"
                   r"(<!-- end figure: (?P=name) -->)", re.S)


def _runs():
    return results.load(DATA)


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


def _table(machine: str = "vm") -> dict:
    return noise.load_table(ROOT / "noise" / f"{machine}.json")


def noise_summary() -> str:
    t = _table()
    pts = t["points"]
    by = {s: sum(r["status"] == s for r in pts.values())
          for s in ("stable", "gated", "noisy", "erratic")}
    per_pair = noise.flags_per_pair(t)
    gated_flags = {f: sum(r["flags"].get(f, 0) for r in pts.values()
                          if r["status"] in ("stable", "gated")) for f in per_pair}
    n = len(pts)
    lines = [
        f"`noise/{t['machine']}.json`: {len(t['commits'])} default runs of identical code on "
        f"`{t['machine']}` ({t['cpus']} usable CPUs, {t['created']}), {t['pairs']} A/A pairs, "
        f"{n} points: {by['stable']} stable, {by['gated']} gated, {by['noisy']} noisy, "
        f"{by['erratic']} erratic by nature.",
        "",
        "| factor | points flagged per A/A pair (mean) | share of all points "
        "| flags on stable or gated points, all pairs (in-sample, by construction) |",
        "|---|---|---|---|",
    ]
    for f, k in per_pair.items():
        lines.append(f"| {f} | {k:.1f} | {k / n:.0%} | {gated_flags[f]} |")
    noisy = [r["range"] for r in pts.values()
             if r["status"] == "noisy" and r["range"] and math.isfinite(r["range"])]
    if noisy:
        under5 = sum(1 for x in noisy if x <= 1.05)
        lines += ["", f"Noisy points' ranges: median {statistics.median(noisy):.3f}, "
                  f"{under5} of {len(noisy)} moved 5% or less (noisy means wider than a "
                  f"third of the largest rung's margin, {1 + t['headroom'] * 0.10:.3f})."]
    return "\n".join(lines) + "\n"


def c8_spread() -> str:
    """The deciding C8 point and the pipeline point over the calibration runs."""
    pts = _table()["points"]
    rows = [("C8 normalize at 1e3, 2 threads (decides)",
             "bench_c8_parallel_section.TrackC8NormalizeGain.track_c8_normalize_gain(1000, 2)"),
            ("C8 8-stage pipeline at 1e4, 2 threads (shown)",
             "bench_c8_parallel_section.TrackC8PipelineGain.track_c8_pipeline_gain"
             "('one_section', 8, 10000, 2)")]
    lines = ["| point | values over the runs | range |", "|---|---|---|"]
    for label, name in rows:
        row = pts[name]
        vals = ", ".join(f"{v:.3f}" for v in row["values"])
        lines.append(f"| {label} | {vals} | {row['range']:.3f} |")
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


def gate_aa() -> str:
    """The fresh A/A runs of the gate (noise/gate_aa.py): exit code, wall
    time, points failing the first measurement and the confirmation."""
    import json

    lines = ["| run | gate version | mode | exit | wall time | failing first | failing again |"
             " verdicts changed |", "|---|---|---|---|---|---|---|---|"]
    for run_json in sorted((ROOT / "noise" / "gate-aa").glob("*/run*/run.json")):
        rec = json.loads(run_json.read_text())
        text = (run_json.parent / "summary.md").read_text()
        first, _, rest = text.partition("Confirmation")
        conf = rest.split("| claim |")[0]

        def failing(part):
            return sum(1 for line in part.splitlines() if line.startswith("| `")
                       and line.rstrip(" |").split("|")[-1].strip().split(":")[0]
                       in ("regression", "changed", "vanished", "new failure"))

        mode = "calibrated" if "calibrated mode" in text and "uncalibrated" not in text \
            else "uncalibrated"
        changed = text.count("(changed)")
        lines.append(f"| {run_json.parent.parent.name}/{run_json.parent.name} | "
                     f"`{rec['tested_commit'][:8]}` | {mode} | {rec['exit']} | "
                     f"{rec['seconds'] / 60:.1f} min | {failing(first)} | {failing(conf)} | "
                     f"{changed} |")
    return "\n".join(lines) + "\n"


FIGURES = {"gate-aa": gate_aa, "plan": plan_table, "verdicts": verdicts,
           "verdict-details": verdict_details, "noise-summary": noise_summary,
           "c8-spread": c8_spread}


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
    stale = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        new = render(text)
        if new != text:
            stale.append(page.relative_to(ROOT) if page.is_relative_to(ROOT) else page)
            if not args.check:
                page.write_text(new, encoding="utf-8")
    # The noise tables' own pages.
    for js in sorted((ROOT / "noise").glob("*.json")):
        md = js.with_suffix(".md")
        want = noise.to_markdown(noise.load_table(js))
        if not md.is_file() or md.read_text(encoding="utf-8") != want:
            stale.append(md.relative_to(ROOT))
            if not args.check:
                md.write_text(want, encoding="utf-8")
    verb = "differ from their data" if args.check else "regenerated"
    for path in stale:
        print(f"{path}: figures {verb}", file=sys.stderr)
    return 1 if stale and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
