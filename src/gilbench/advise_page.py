"""The HTML page of ``gilbench advise --html FILE``: one self-contained file
(its plot a ``data:`` PNG, its style inline, nothing fetched), in the claims
page's style: the function and the machine, each finding under its claim
coloured by its status, the sweep's table, and a plot of the time per call
over the sizes at each thread count with the crossover marked."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

from gilbench import report
from gilbench.advise import Advice, header, sweep_rows

__all__ = ["plot_png", "to_html", "write_html"]

#: A finding's status -> the claims page's class for its colour.
_CLASS = {"advice": "advice", "fine": "holds", "inconclusive": "inconclusive",
          "not measured": "not-measured"}
#: The claims page's style, and a colour of its own for advice (something to
#: change is not a claim that fails).
_STYLE = report.STYLE + ".advice{background:#d6e4f5}\n"


def _number(v) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def plot_png(a: Advice) -> str:
    """Time per call over the sizes, one line per thread count (its spread
    as error bars), the crossover marked: a base64 PNG."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 3.6) if len(a.threads) > 1 else (5, 3.6), layout="constrained")
    ax, ax2 = fig.subplots(1, 2) if len(a.threads) > 1 else (fig.subplots(), None)
    sizes = list(a.sweep)
    for nt in a.threads:
        t = [a.sweep[n]["seconds"][str(nt)] * 1e6 for n in sizes]
        err = [a.sweep[n]["spread"][str(nt)] * v for n, v in zip(sizes, t, strict=True)]
        ax.errorbar(sizes, t, yerr=err, marker="o", capsize=3,
                    label=f"{nt} thread{'s' if nt > 1 else ''}")
    ax.set(xscale="log", yscale="log", xlabel="n (elements)", ylabel="µs per call",
           title="time per call")
    if len(a.threads) > 1:
        top = a.threads[-1]
        ratio = [a.sweep[n]["ratio"] for n in sizes]
        err = [a.sweep[n]["ratio_spread"] * r for n, r in zip(sizes, ratio, strict=True)]
        ax2.errorbar(sizes, ratio, yerr=err, marker="o", capsize=3, color="C1")
        ax2.axhline(1, color="grey", lw=0.8)
        ax2.set(xscale="log", xlabel="n (elements)", ylabel=f"{top} threads / 1 thread",
                title="threads pay below 1")
        if a.crossover.get("at"):
            for axis in (ax, ax2):
                axis.axvline(a.crossover["at"], color="C2", ls="--",
                             label=f"crossover {a.crossover['at']:g}")
            ax2.legend(frameon=False)
    ax.legend(frameon=False)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    return base64.b64encode(buf.getvalue()).decode()


def to_html(a: Advice) -> str:
    e = html.escape
    heads, rows = sweep_rows(a)
    parts = ["<!doctype html><html lang='en'><head><meta charset='utf-8'>",
             f"<title>gilbench advise: {e(a.spec.function)}</title>",
             f"<style>{_STYLE}</style></head><body>",
             f"<h1>gilbench advise: <code>{e(a.spec.function)}</code></h1>",
             f"<p>{e(header(a))}</p>",
             "<h2>Findings</h2><table id='findings'><tr><th>claim</th><th>topic</th>"
             "<th>status</th><th>finding</th><th>numbers</th></tr>"]
    for f in a.findings:
        nums = "; ".join(f"{e(str(k))}: {e(_number(v))}" for k, v in f.numbers.items())
        parts.append(f"<tr><td>{e(f.claim)}</td><td>{e(f.topic)}</td>"
                     f"<td class='{_CLASS[f.status]}'>{e(f.status)}</td><td>{e(f.text)}</td>"
                     f"<td class='note'>{nums}</td></tr>")
    parts.append("</table><h2>Time over sizes</h2>"
                 f"<img alt='time per call over sizes' src='data:image/png;base64,"
                 f"{plot_png(a)}'>"
                 + ("" if len(a.threads) > 1 else
                    f"<p class='note'>One thread count: {e(a.crossover.get('why', ''))}</p>")
                 + "<table id='sweep'><tr>"
                 + "".join(f"<th>{e(h)}</th>" for h in heads) + "</tr>")
    parts += ["<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in rows]
    parts.append("</table><p class='note'>Medians over every round of every sweep, spread "
                 "half the inter-quartile range; the crossover is given only where every "
                 "sweep found one (docs/advise.md).</p>")
    record = a.runtime.get("record") or {}
    parts.append("<details><summary>Runtime record: what the times ran under "
                 f"({len(record)} items)</summary><table id='runtime-record'>"
                 "<tr><th>item</th><th>value</th></tr>"
                 + "".join(f"<tr><td>{e(k)}</td><td>{e(str(v))}</td></tr>"
                           for k, v in sorted(record.items()))
                 + "</table></details></body></html>")
    return "".join(parts)


def write_html(a: Advice, path) -> Path:
    """Write the page to ``path`` (a file; its folder is made)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_html(a), encoding="utf-8")
    return path
