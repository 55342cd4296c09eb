"""The claims page's plots: one matplotlib figure per claim, drawn from the
runs' points (what each claim's rule reads), returned as a base64 PNG for a
``data:`` URI (:func:`png`).  :mod:`gilbench.report` lays the page out."""

from __future__ import annotations

import base64
import io
import math

from gilbench import claims
from gilbench.results import Run

__all__ = ["png", "per_core_png", "cores"]


def _series(run: Run, bench: str, x: str, **fixed):
    xs, ys = [], []
    for value in run.axis(bench, x):
        p = run.point(bench, **{x: value}, **fixed)
        if p.ok:
            xs.append(value)
            ys.append(p.value)
    return xs, ys


def _values(runs, bench: str, param: str) -> list:
    """The values of ``param`` that the runs measured ``bench`` at, in the
    suite's order (as the benchmarks name them, never retyped here)."""
    out = []
    for run in runs:
        out += [v for v in run.axis(bench, param) if v not in out]
    return out


def _legend(ax):
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7)


def _plot_c1(runs, fig):
    bench = claims.C1_RATIO
    kernels, variants = _values(runs, bench, "kernel"), _values(runs, bench, "variant")
    axes = fig.subplots(1, max(1, len(kernels)), squeeze=False)[0]
    for ax, kernel in zip(axes, kernels, strict=False):
        for run in runs:
            for variant in variants:
                xs, ys = _series(run, bench, "n", kernel=kernel, variant=variant)
                if xs:
                    ax.plot(xs, ys, marker="o", label=f"{variant} ({run.label})")
        ax.set(xscale="log", yscale="log", xlabel="elements", ylabel="time / GIL-held loop",
               title=kernel)
        ax.axhline(1.0, color="grey", lw=0.8)
    if axes[-1].get_legend_handles_labels()[0]:
        axes[-1].legend(fontsize=7)


def _plot_c2(runs, fig):
    ax = fig.subplots()
    for run in runs:
        for way in ("cython_numpy_with_gil", "cython_loop_nogil"):
            xs, ys = _series(run, claims.C2_RATIO, "n", way=way)
            ax.plot(xs, ys, marker="o", label=f"{way} ({run.label})")
    ax.axhline(1.0, color="grey", lw=0.8)
    ax.set(xscale="log", xlabel="elements", ylabel="time / numpy.dot from Python")
    _legend(ax)


def _plot_c3(runs, fig):
    a1, a2 = fig.subplots(1, 2)
    for run in runs:
        for gil in ("gil", "nogil"):
            xs, ys = _series(run, claims.C3_SCALING, "python_threads",
                             gil=gil)
            a1.plot(xs, ys, marker="o", label=f"{'held' if gil == 'gil' else 'released'} "
                    f"({run.label})")
            xs, ys = _series(run, claims.C3_HEARTBEAT_GAP, "kernel_ms", gil=gil)
            a2.plot(xs, ys, marker="o", label=f"{'held' if gil == 'gil' else 'released'} "
                    f"({run.label})")
    a1.set(xlabel="Python threads", ylabel="work rate / one thread", title="throughput")
    a2.set(xscale="log", yscale="log", xlabel="kernel call (ms)", ylabel="worst tick gap (ms)",
           title="heartbeat latency")
    _legend(a1)
    _legend(a2)


def _plot_c4(runs, fig):
    a1, a2 = fig.subplots(1, 2)
    for run in runs:
        xs, ys = _series(run, claims.C4_FLAG_SEEN, "release_every")
        a1.plot([max(x, 0.5) for x in xs], ys, marker="o", label=run.label)
        xs, ys = _series(run, claims.C4_SLOWDOWN, "release_every")
        a2.plot(xs, ys, marker="o", label=run.label)
    a1.set(xscale="log", xlabel="release every k polls (0 shown at 0.5: never)",
           ylabel="fraction of tries the flag was seen", title="a waiting thread gets in")
    a2.set(xscale="log", yscale="log", xlabel="release every k steps",
           ylabel="time / never releasing", title="the price of a brief release")
    _legend(a1)


def _plot_c5(runs, fig):
    ax = fig.subplots()
    bench = claims.C5_EFFICIENCY
    for run in runs:
        nt = run.cpus if run.cpus and run.cpus >= 2 else max(run.axis(bench, "threads") or [1])
        for block in ("plain", "never", "empty", "python"):
            xs, ys = _series(run, bench, "every", block=block, threads=nt)
            ax.plot(xs, ys, marker="o", label=f"{block}, {nt} threads ({run.label})")
    ax.set(xscale="log", xlabel="elements per with-gil block", ylabel="parallel efficiency",
           ylim=(0, 1.2))
    _legend(ax)


def _plot_c6(runs, fig):
    a1, a2 = fig.subplots(1, 2)
    for run in runs:
        for algo in ("cumsum", "recurrence"):
            xs, ys = _series(run, claims.C6_NAIVE_ERROR, "threads",
                             algorithm=algo)
            a1.plot(xs, [max(y, 1e-17) for y in ys], marker="o", label=f"{algo} ({run.label})")
            nt = run.cpus or 1
            xs, ys = _series(run, claims.C6_SCAN_SPEEDUP, "n", algorithm=algo,
                             threads=nt)
            a2.plot(xs, ys, marker="o", label=f"{algo}, {nt} threads ({run.label})")
    a1.set(yscale="log", xlabel="threads", ylabel="worst error of naive prange (0 at 1e-17)",
           title="naive prange is wrong")
    a2.set(xscale="log", xlabel="elements", ylabel="sequential / two-pass scan",
           title="a correct scan")
    _legend(a1)
    _legend(a2)


def _plot_c7(runs, fig):
    a1, a2 = fig.subplots(1, 2)
    bench = claims.C7_PRANGE_RATIO
    for run in runs:
        for nt in run.axis(bench, "threads"):
            xs, ys = _series(run, bench, "n", kernel="sumsq", threads=nt)
            line, = a1.plot(xs, ys, marker="o", label=f"sumsq, {nt} threads ({run.label})")
            cross = run.point(claims.C7_CROSSOVER, kernel="sumsq", threads=nt)
            if cross.ok:
                a1.axvline(cross.value, color=line.get_color(), ls="--", lw=0.8)
        xs, ys = _series(run, claims.C7_REGION_US, "threads",
                         region="empty")
        a2.plot(xs, ys, marker="o", label=f"empty region ({run.label})")
    a1.axhline(1.0, color="grey", lw=0.8)
    a1.set(xscale="log", yscale="log", xlabel="elements (dashed: crossover)",
           ylabel="prange / sequential", title="prange pays only when large")
    a2.set(yscale="log", xlabel="threads", ylabel="us per region", title="region overhead")
    _legend(a1)
    _legend(a2)


def _plot_c8(runs, fig):
    a1, a2 = fig.subplots(1, 2)
    norm = claims.C8_NORMALIZE_GAIN
    pipe = claims.C8_PIPELINE_GAIN
    for run in runs:
        for nt in run.axis(norm, "threads"):
            xs, ys = _series(run, norm, "n", threads=nt)
            a1.plot(xs, ys, marker="o", label=f"{nt} threads ({run.label})")
        n = min(run.axis(pipe, "n") or [0])
        for nt in run.axis(pipe, "threads"):
            xs, ys = _series(run, pipe, "stages", way="one_section", n=n, threads=nt)
            a2.plot(xs, ys, marker="o", label=f"n={n}, {nt} threads ({run.label})")
    for ax in (a1, a2):
        ax.axhline(1.0, color="grey", lw=0.8)
        _legend(ax)
    a1.set(xscale="log", xlabel="elements", ylabel="two regions / one section",
           title="normalize (decides)")
    a2.set(xlabel="stages k", ylabel="k regions / one section", title="k-stage pipeline")


def _plot_c9(runs, fig):
    import numpy as np

    bench = claims.C9_SLOWDOWN
    # Every pattern the suite measured, under the default wait policy and the
    # passive one (the policies the claim is about; SPINCOUNT0 is C9's remedy
    # shown in its table, not plotted).
    patterns, policies = _values(runs, bench, "pattern"), ["default", "PASSIVE"]
    axes = fig.subplots(len(runs), max(1, len(patterns) * len(policies)), squeeze=False)
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
            ax.set_title(f"{pattern}\n{policy}" + (f"\n{run.label}" if col == 0 else ""),
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


def _plot_c5b(runs, fig):
    a1, a2 = fig.subplots(1, 2)
    per = claims.C5B_NS_PER_ITERATION
    eff = claims.C5B_PYTHON_EFFICIENCY
    for run in runs:
        for way in _values([run], per, "way"):
            xs, ys = _series(run, per, "threads", way=way)
            if xs:  # kept: not on a Cython older than 3.3
                a1.plot(xs, ys, marker="o", label=f"{way} ({run.label})")
        for way in _values([run], eff, "way"):
            xs, ys = _series(run, eff, "threads", way=way)
            if xs:
                a2.plot(xs, ys, marker="o", label=f"{way} ({run.label})")
    a1.set(yscale="log", xlabel="threads", ylabel="extra ns per iteration",
           title="one Python operation per iteration")
    a2.set(xlabel="threads", ylabel="parallel efficiency", ylim=(0, 1.2), title="scaling")
    _legend(a1)
    _legend(a2)


_PLOTS = {"C1": _plot_c1, "C2": _plot_c2, "C3": _plot_c3, "C4": _plot_c4, "C5": _plot_c5,
          "C5b": _plot_c5b, "C6": _plot_c6, "C7": _plot_c7, "C8": _plot_c8, "C9": _plot_c9}


def png(claim_id: str, runs: list[Run]) -> str:
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


# --- machines side by side -------------------------------------------------------

def cores(run: Run) -> tuple[float, str]:
    """What a run's threads are counted against: its usable physical cores
    (the runtime record's ``cores usable``), else its usable CPUs, else 1;
    and which it was."""
    got = run.runtime.get("cores usable") if run.runtime else None
    if got:
        return float(got), "cores"
    return float(run.cpus or 1), "CPUs"


def _sweep(run: Run, bench: str, axis: str, **fixed) -> tuple[list, list]:
    """(threads, value) of ``bench`` over its thread axis ``axis``, the other
    parameters ``fixed``; a parameter given as a callable picks among the
    axis' values (min: the smallest size).  Nothing where the run lacks it."""
    if not run.axis(bench, axis) or any(callable(v) and not run.axis(bench, k)
                                        for k, v in fixed.items()):
        return [], []
    fixed = {k: (v(run.axis(bench, k)) if callable(v) else v) for k, v in fixed.items()}
    xs, ys = [], []
    for t in run.axis(bench, axis):
        p = run.point(bench, **{axis: t}, **fixed)
        if p.ok:
            xs.append(t)
            ys.append(p.value)
    return xs, ys


def _c5_relative(run: Run) -> tuple[list, list]:
    bench = claims.C5_EFFICIENCY
    xs, ys = [], []
    for t in run.axis(bench, "threads"):
        plain = run.point(bench, block="plain", every=1, threads=t)
        entered = run.point(bench, block="empty", every=1, threads=t)
        if plain.ok and entered.ok and plain.value > 0:
            xs.append(t)
            ys.append(entered.value / plain.value)
    return xs, ys


def _c7_best(run: Run) -> tuple[list, list]:
    bench = claims.C7_PRANGE_RATIO
    n = max(run.axis(bench, "n") or [0])
    xs, ys = [], []
    for t in run.axis(bench, "threads"):
        got = [p.value for k in run.axis(bench, "kernel")
               for p in [run.point(bench, kernel=k, n=n, threads=t)] if p.ok]
        if got:
            xs.append(t)
            ys.append(min(got))
    return xs, ys


def _c9_ratio(run: Run) -> tuple[list, list]:
    """C9's factor at each thread count t: the alternating pattern with BLAS
    at t threads over BLAS pinned to 1 (OpenMP at t, default wait policy)."""
    bench = claims.C9_SLOWDOWN
    blas = run.axis(bench, "blas_threads")
    xs, ys = [], []
    for t in run.axis(bench, "omp_threads"):
        if t not in blas or 1 not in blas:
            continue
        both, pinned = (run.point(bench, pattern="alternating", policy="default",
                                  omp_threads=t, blas_threads=b) for b in (t, 1))
        if both.ok and pinned.ok and pinned.value > 0:
            xs.append(t)
            ys.append(both.value / pinned.value)
    return xs, ys


#: The thread sweeps set side by side: (claim, title, y label, reference
#: line, how a run's curve is read).
_SWEEPS = (
    ("C5", "with gil per element / plain prange", "relative parallel efficiency", 1.0,
     _c5_relative),
    ("C7", "prange / sequential, largest size (better kernel)", "time ratio", 1.0, _c7_best),
    ("C8", "two regions / one section, smallest size", "gain", 1.0,
     lambda run: _sweep(run, claims.C8_NORMALIZE_GAIN, "threads", n=min)),
    ("C9", "alternating: BLAS at t threads / pinned to 1", "slowdown", 1.0, _c9_ratio),
)


def per_core_png(runs: list[Run]) -> str | None:
    """The thread sweeps of C5, C7, C8 and C9 with one curve per run and
    threads divided by the run's cores on the x axis (:func:`cores`), so a
    2-core and a 64-core machine read on one scale: a base64 PNG, or None
    when no run measured any of them."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    # One legend for the four plots, below them, its rows growing with the
    # machines (a fleet of twenty would crush four legends of its own).
    fig = Figure(figsize=(10, 6.4 + 0.22 * math.ceil(len(runs) / 3)), layout="constrained")
    axes = fig.subplots(2, 2).ravel()
    drawn = False
    legend = {}
    # One colour per run in every plot (tab20 past ten runs).
    palette = matplotlib.colormaps["tab10" if len(runs) <= 10 else "tab20"]
    colour = {run.label: palette(i % palette.N) for i, run in enumerate(runs)}
    for ax, (claim, title, ylabel, ref, read) in zip(axes, _SWEEPS, strict=True):
        units = set()
        for run in runs:
            xs, ys = read(run)
            if not xs:
                continue
            per, unit = cores(run)
            units.add(unit)
            label = f"{run.label} ({per:g} {unit if per != 1 else unit[:-1]})"
            (line,) = ax.plot([x / per for x in xs], ys, marker="o", label=label,
                              color=colour[run.label])
            legend.setdefault(label, line)
        drawn = drawn or bool(units)
        ax.axvline(1.0, color="grey", lw=0.8, ls=":")
        ax.axhline(ref, color="grey", lw=0.8)
        ax.set(xscale="log", xlabel="threads / " + (" or ".join(sorted(units)) or "cores"),
               ylabel=ylabel, title=f"{claim}: {title}")
        if not units:
            ax.text(0.5, 0.5, "no results", transform=ax.transAxes, ha="center",
                    va="center", color="grey")
    if not drawn:
        return None
    fig.legend(list(legend.values()), list(legend), loc="outside lower center",
               ncols=min(3, len(legend)), fontsize=7)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    return base64.b64encode(buf.getvalue()).decode()
