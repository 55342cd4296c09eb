"""The claims report: verdicts per claim and machine, as text, markdown, JSON,
or a self-contained HTML page with a matplotlib plot of each claim's evidence
(PNG embedded as data: URIs; nothing is loaded from the network).
"""

from __future__ import annotations

import base64
import datetime
import html
import inspect
import io
import json
from pathlib import Path

from gilbench.claims import CLAIMS, FAILS, HOLDS, INCONCLUSIVE, NOT_MEASURED, verdicts
from gilbench.results import Run

__all__ = ["table", "to_text", "to_markdown", "to_json", "write_html"]

_MARK = {HOLDS: "holds", FAILS: "FAILS", INCONCLUSIVE: "inconclusive",
         NOT_MEASURED: "not measured"}


def _date(run: Run) -> str:
    if not run.date:
        return "?"
    return datetime.datetime.fromtimestamp(run.date / 1000, datetime.UTC).strftime("%Y-%m-%d")


def _cpus(run: Run) -> str:
    return f"{run.cpus or '?'} CPU{'' if run.cpus == 1 else 's'}"


def table(runs: list[Run]) -> dict:
    """{claim id: {machine: Verdict}} for every claim and run."""
    out = {c.id: {} for c in CLAIMS}
    for run in runs:
        for v in verdicts(run):
            out[v.claim][run.machine] = v
    return out


def _cell(run: Run, v) -> str:
    """A verdict as a table cell: its status, and for a smoke run, that."""
    return "not measured: smoke run" if run.smoke else _MARK[v.status]


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def to_text(runs: list[Run]) -> str:
    t = table(runs)
    lines = ["gilbench: the article's claims, judged on each machine's latest results", ""]
    for run in runs:
        lines.append(f"  {run.machine}: {_cpus(run)} usable, commit {run.commit[:8]}, "
                     f"{_date(run)}")
    lines.append("")
    width = max(len(r.machine) for r in runs)
    width = max(width, 12, *(23 for r in runs if r.smoke))
    lines.append("claim  " + "  ".join(r.machine.ljust(width) for r in runs) + "  title")
    for c in CLAIMS:
        cells = "  ".join(_cell(r, t[c.id][r.machine]).ljust(width) for r in runs)
        lines.append(f"{c.id:<5}  {cells}  {c.title}")
    lines.append("")
    for c in CLAIMS:
        lines.append(f"{c.id}  {c.statement}")
        for run in runs:
            v = t[c.id][run.machine]
            lines.append(f"    {run.machine}: {_MARK[v.status]} -- {v.summary}")
            lines.append(f"      stands on: {v.basis}")
            for note in v.notes[:3]:
                lines.append(f"      note: {note}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def to_markdown(runs: list[Run]) -> str:
    t = table(runs)
    out = ["| claim | " + " | ".join(f"{r.machine} ({_cpus(r)})" for r in runs)
           + " |", "|---|" + "---|" * len(runs)]
    for c in CLAIMS:
        out.append(f"| **{c.id}** {c.title} | "
                   + " | ".join(_cell(r, t[c.id][r.machine]) for r in runs) + " |")
    out.append("")
    out.append("Results: " + "; ".join(f"`{r.machine}` at commit `{r.commit[:8]}` ({_date(r)})"
                                       for r in runs) + ".")
    out.append("")
    for c in CLAIMS:
        out.append(f"<details><summary><b>{c.id}</b>: {html.escape(c.statement)}</summary>")
        out.append("")
        for run in runs:
            v = t[c.id][run.machine]
            out.append(f"- `{run.machine}`: **{_MARK[v.status]}**: {v.summary} "
                       f"(stands on {v.basis})")
            for k, val in v.evidence.items():
                out.append(f"  - {k}: {_fmt(val)}")
        out.append("")
        out.append("</details>")
        out.append("")
    return "\n".join(out)


def to_json(runs: list[Run]) -> str:
    t = table(runs)
    return json.dumps({
        "claims": [{"id": c.id, "title": c.title, "statement": c.statement,
                    "reads": list(c.reads), "rule": inspect.getdoc(c.rule)} for c in CLAIMS],
        "machines": [{"machine": r.machine, "commit": r.commit, "date": _date(r),
                      "usable_cpus": r.cpus, "usable_cpus_from": r.cpus_source,
                      "smoke_run": r.smoke,
                      "verdicts": [t[c.id][r.machine].as_dict() for c in CLAIMS]}
                     for r in runs],
    }, indent=1)


# --- plots -----------------------------------------------------------------------------

def _series(run: Run, bench: str, x: str, **fixed):
    xs, ys = [], []
    for value in run.axis(bench, x):
        p = run.point(bench, **{x: value}, **fixed)
        if p.ok:
            xs.append(value)
            ys.append(p.value)
    return xs, ys


def _legend(ax):
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7)


def _plot_c1(runs, fig):
    bench = "TrackC1RatioToGILHeld.track_c1_ratio"
    axes = fig.subplots(1, 2)
    for ax, kernel in zip(axes, ("sumsq", "poly"), strict=True):
        for run in runs:
            for variant in ("nogil", "noexcept", "except", "except_value"):
                xs, ys = _series(run, bench, "n", kernel=kernel, variant=variant)
                if xs:
                    ax.plot(xs, ys, marker="o", label=f"{variant} ({run.machine})")
        ax.set(xscale="log", yscale="log", xlabel="elements", ylabel="time / GIL-held loop",
               title=kernel)
        ax.axhline(1.0, color="grey", lw=0.8)
    if axes[1].get_legend_handles_labels()[0]:
        axes[1].legend(fontsize=7)


def _plot_c2(runs, fig):
    ax = fig.subplots()
    for run in runs:
        for way in ("cython_numpy_with_gil", "cython_loop_nogil"):
            xs, ys = _series(run, "TrackC2RatioToPythonNumpy.track_c2_ratio", "n", way=way)
            ax.plot(xs, ys, marker="o", label=f"{way} ({run.machine})")
    ax.axhline(1.0, color="grey", lw=0.8)
    ax.set(xscale="log", xlabel="elements", ylabel="time / numpy.dot from Python")
    _legend(ax)


def _plot_c3(runs, fig):
    a1, a2 = fig.subplots(1, 2)
    for run in runs:
        for gil in ("gil", "nogil"):
            xs, ys = _series(run, "TrackC3ThreadScaling.track_c3_scaling", "python_threads",
                             gil=gil)
            a1.plot(xs, ys, marker="o", label=f"{'held' if gil == 'gil' else 'released'} "
                    f"({run.machine})")
            xs, ys = _series(run, "TrackC3HeartbeatGap.track_c3_worst_gap", "kernel_ms", gil=gil)
            a2.plot(xs, ys, marker="o", label=f"{'held' if gil == 'gil' else 'released'} "
                    f"({run.machine})")
    a1.set(xlabel="Python threads", ylabel="work rate / one thread", title="throughput")
    a2.set(xscale="log", yscale="log", xlabel="kernel call (ms)", ylabel="worst tick gap (ms)",
           title="heartbeat latency")
    _legend(a1)
    _legend(a2)


def _plot_c4(runs, fig):
    a1, a2 = fig.subplots(1, 2)
    for run in runs:
        xs, ys = _series(run, "TrackC4FlagSeen.track_c4_flag_seen", "release_every")
        a1.plot([max(x, 0.5) for x in xs], ys, marker="o", label=run.machine)
        xs, ys = _series(run, "TrackC4Slowdown.track_c4_slowdown", "release_every")
        a2.plot(xs, ys, marker="o", label=run.machine)
    a1.set(xscale="log", xlabel="release every k polls (0 shown at 0.5: never)",
           ylabel="fraction of tries the flag was seen", title="a waiting thread gets in")
    a2.set(xscale="log", yscale="log", xlabel="release every k steps",
           ylabel="time / never releasing", title="the price of a brief release")
    _legend(a1)


def _plot_c5(runs, fig):
    ax = fig.subplots()
    bench = "TrackC5Efficiency.track_c5_efficiency"
    for run in runs:
        nt = run.cpus if run.cpus and run.cpus >= 2 else max(run.axis(bench, "threads") or [1])
        for block in ("plain", "never", "empty", "python"):
            xs, ys = _series(run, bench, "every", block=block, threads=nt)
            ax.plot(xs, ys, marker="o", label=f"{block}, {nt} threads ({run.machine})")
    ax.set(xscale="log", xlabel="elements per with-gil block", ylabel="parallel efficiency",
           ylim=(0, 1.2))
    _legend(ax)


def _plot_c6(runs, fig):
    a1, a2 = fig.subplots(1, 2)
    for run in runs:
        for algo in ("cumsum", "recurrence"):
            xs, ys = _series(run, "TrackC6NaiveError.track_c6_naive_error", "threads",
                             algorithm=algo)
            a1.plot(xs, [max(y, 1e-17) for y in ys], marker="o", label=f"{algo} ({run.machine})")
            nt = run.cpus or 1
            xs, ys = _series(run, "TrackC6ScanSpeedup.track_c6_scan_speedup", "n", algorithm=algo,
                             threads=nt)
            a2.plot(xs, ys, marker="o", label=f"{algo}, {nt} threads ({run.machine})")
    a1.set(yscale="log", xlabel="threads", ylabel="worst error of naive prange (0 at 1e-17)",
           title="naive prange is wrong")
    a2.set(xscale="log", xlabel="elements", ylabel="sequential / two-pass scan",
           title="a correct scan")
    _legend(a1)
    _legend(a2)


def _plot_c7(runs, fig):
    a1, a2 = fig.subplots(1, 2)
    bench = "TrackC7PrangeOverSequential.track_c7_prange_ratio"
    for run in runs:
        for nt in run.axis(bench, "threads"):
            xs, ys = _series(run, bench, "n", kernel="sumsq", threads=nt)
            line, = a1.plot(xs, ys, marker="o", label=f"sumsq, {nt} threads ({run.machine})")
            cross = run.point("TrackC7Crossover.track_c7_crossover", kernel="sumsq", threads=nt)
            if cross.ok:
                a1.axvline(cross.value, color=line.get_color(), ls="--", lw=0.8)
        xs, ys = _series(run, "TrackC7RegionOverhead.track_c7_region_us", "threads",
                         region="empty")
        a2.plot(xs, ys, marker="o", label=f"empty region ({run.machine})")
    a1.axhline(1.0, color="grey", lw=0.8)
    a1.set(xscale="log", yscale="log", xlabel="elements (dashed: crossover)",
           ylabel="prange / sequential", title="prange pays only when large")
    a2.set(yscale="log", xlabel="threads", ylabel="us per region", title="region overhead")
    _legend(a1)
    _legend(a2)


def _plot_c8(runs, fig):
    a1, a2 = fig.subplots(1, 2)
    norm = "TrackC8NormalizeGain.track_c8_normalize_gain"
    pipe = "TrackC8PipelineGain.track_c8_pipeline_gain"
    for run in runs:
        for nt in run.axis(norm, "threads"):
            xs, ys = _series(run, norm, "n", threads=nt)
            a1.plot(xs, ys, marker="o", label=f"{nt} threads ({run.machine})")
        n = min(run.axis(pipe, "n") or [0])
        for nt in run.axis(pipe, "threads"):
            xs, ys = _series(run, pipe, "stages", way="one_section", n=n, threads=nt)
            a2.plot(xs, ys, marker="o", label=f"n={n}, {nt} threads ({run.machine})")
    for ax in (a1, a2):
        ax.axhline(1.0, color="grey", lw=0.8)
        _legend(ax)
    a1.set(xscale="log", xlabel="elements", ylabel="two regions / one section",
           title="normalize (decides)")
    a2.set(xlabel="stages k", ylabel="k regions / one section", title="k-stage pipeline")


def _plot_c9(runs, fig):
    import numpy as np

    bench = "TrackC9Slowdown.track_c9_slowdown"
    patterns, policies = ["nested", "alternating", "concurrent"], ["default", "PASSIVE"]
    axes = fig.subplots(len(runs), len(patterns) * len(policies), squeeze=False)
    for row, run in enumerate(runs):
        omps, blas = run.axis(bench, "omp_threads"), run.axis(bench, "blas_threads")
        for col, (pattern, policy) in enumerate((p, q) for p in patterns for q in policies):
            ax = axes[row][col]
            grid = np.full((len(omps), len(blas)), np.nan)
            for i, o in enumerate(omps):
                for j, b in enumerate(blas):
                    p = run.point(bench, pattern=pattern, policy=policy, omp_threads=o,
                                  blas_threads=b)
                    if p.ok:
                        grid[i, j] = p.value
            ax.set_title(f"{pattern}\n{policy}" + (f"\n{run.machine}" if col == 0 else ""),
                         fontsize=7)
            if not np.isfinite(grid).any():
                continue  # nothing measured: _png writes "no results"
            ax.imshow(grid, cmap="Reds", vmin=1, vmax=max(2.0, float(np.nanmax(grid))),
                      origin="lower")
            for i in range(len(omps)):
                for j in range(len(blas)):
                    if np.isfinite(grid[i, j]):
                        ax.text(j, i, f"{grid[i, j]:.1f}", ha="center", va="center", fontsize=7)
            ax.set_xticks(range(len(blas)), [str(b) for b in blas])
            ax.set_yticks(range(len(omps)), [str(o) for o in omps])
            ax.set_xlabel("BLAS threads", fontsize=7)
            if col == 0:
                ax.set_ylabel("OpenMP threads", fontsize=7)


_PLOTS = {"C1": _plot_c1, "C2": _plot_c2, "C3": _plot_c3, "C4": _plot_c4, "C5": _plot_c5,
          "C6": _plot_c6, "C7": _plot_c7, "C8": _plot_c8, "C9": _plot_c9}


def _png(claim_id: str, runs: list[Run]) -> str:
    """The claim's plot as a base64 PNG."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    height = 3.2 * (len(runs) if claim_id == "C9" else 1) + 0.6
    fig = Figure(figsize=(10, height), layout="constrained")
    _PLOTS[claim_id](runs, fig)
    for ax in fig.axes:
        measured = [line for line in ax.lines
                    if len(line.get_xdata()) and not line.get_label().startswith("_")]
        if not (measured or ax.images):
            # nothing measured here: say so, rather than an empty log axis
            ax.set(xscale="linear", yscale="linear", xticks=[], yticks=[])
            ax.text(0.5, 0.5, "no results", transform=ax.transAxes, ha="center", va="center",
                    color="grey")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    return base64.b64encode(buf.getvalue()).decode()


_CSS = """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .6em}
th{background:#f4f4f4;text-align:left}.holds{background:#d9f2d9}.fails{background:#f8d0d0}
.inconclusive{background:#fff0c0}.not-measured{background:#e8e8e8;color:#555}
section{border-top:2px solid #ddd;margin-top:2em}img{max-width:100%}
.rule{color:#444;font-size:.9em;white-space:pre-wrap}.note{color:#666;font-size:.85em}
"""


def write_html(runs: list[Run], out_dir) -> Path:
    """Write ``index.html`` (self-contained: CSS inline, plots as data: URIs)
    into ``out_dir``; returns its path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    t = table(runs)
    e = html.escape
    parts = ["<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
             "<title>gilbench: claims per machine</title>", f"<style>{_CSS}</style></head><body>",
             "<h1>gilbench: the claims of &ldquo;You probably don&rsquo;t need to release the "
             "GIL&rdquo;, judged per machine</h1>",
             "<p>Each verdict is computed from asv's results by the rule shown with the claim. "
             "<b>holds</b> and <b>fails</b> need the evidence clear of a noise gap; "
             "<b>inconclusive</b> means it lies inside that gap or its parts disagree; "
             "<b>not measured</b> means no results, or a machine that cannot show the effect."
             "</p><table><tr><th>machine</th><th>usable CPUs</th><th>commit</th><th>date</th>"
             "</tr>"]
    for r in runs:
        parts.append(f"<tr><td>{e(r.machine)}</td><td>{r.cpus or '?'}</td>"
                     f"<td><code>{e(r.commit[:8])}</code></td><td>{_date(r)}</td></tr>")
    parts.append("</table><h2>Verdicts</h2><table id='verdicts'><tr><th>claim</th>"
                 + "".join(f"<th>{e(r.machine)}</th>" for r in runs) + "</tr>")
    for c in CLAIMS:
        cells = "".join(
            f"<td class='{t[c.id][r.machine].status.replace(' ', '-')}'>"
            f"{e(_cell(r, t[c.id][r.machine]))}</td>" for r in runs)
        parts.append(f"<tr><td><a href='#{c.id}'>{c.id}</a> {e(c.title)}</td>{cells}</tr>")
    parts.append("</table>")
    for c in CLAIMS:
        parts.append(f"<section id='{c.id}' class='claim'><h2>{c.id}: {e(c.title)}</h2>"
                     f"<p>{e(c.statement)}</p>")
        for r in runs:
            v = t[c.id][r.machine]
            parts.append(f"<h3>{e(r.machine)}: <span class='{v.status.replace(' ', '-')}'>"
                         f"{e(v.status)}</span></h3><p>{e(v.summary)}</p>"
                         f"<p class='note'>Stands on {e(v.basis)}.</p>")
            if v.evidence:
                parts.append("<table>" + "".join(
                    f"<tr><td>{e(k)}</td><td>{e(_fmt(val))}</td></tr>"
                    for k, val in v.evidence.items()) + "</table>")
            for note in v.notes[:4]:
                parts.append(f"<p class='note'>{e(note)}</p>")
        parts.append(f"<img alt='{c.id} evidence' src='data:image/png;base64,{_png(c.id, runs)}'>")
        rule = " ".join((inspect.getdoc(c.rule) or "").replace("``", "").split())
        parts.append(f"<p class='rule'><b>Rule.</b> {e(rule)}</p>")
        thresholds = next((v.thresholds for v in t[c.id].values() if v.thresholds), {})
        if thresholds:
            parts.append("<p class='rule'>Thresholds: " + ", ".join(
                f"{e(k)} {_fmt(val)}" for k, val in thresholds.items()) + "</p>")
        parts.append("</section>")
    parts.append("</body></html>")
    path = out_dir / "index.html"
    path.write_text("\n".join(parts), encoding="utf-8")
    return path
