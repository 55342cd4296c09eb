"""The claims report: verdicts per claim, machine and Cython release, as text,
markdown, JSON, or a self-contained HTML page with a matplotlib plot of each
claim's evidence (PNG embedded as data: URIs; nothing is loaded from the
network).

A run is one machine's results built with one Cython release
(:attr:`gilbench.results.Run.label`).  Where a machine has runs of several
releases, :func:`release_changes` sets them side by side: which verdicts
changed between releases and how each deciding value moved.
"""

from __future__ import annotations

import datetime
import html
import inspect
import json
from dataclasses import dataclass
from pathlib import Path

from gilbench import plots, runtime_record
from gilbench.claims import CLAIMS, FAILS, HOLDS, INCONCLUSIVE, NO_GIL, NOT_MEASURED, verdicts
from gilbench.harness.release_numbers import sort_key
from gilbench.results import Run

__all__ = ["table", "release_changes", "to_text", "to_markdown", "to_json", "write_html",
           "MOVED", "WITHIN", "ONE_RUN", "EARLIER"]

_MARK = {HOLDS: "holds", FAILS: "FAILS", INCONCLUSIVE: "inconclusive",
         NOT_MEASURED: "not measured", NO_GIL: NO_GIL}


def _date(run: Run) -> str:
    if not run.date:
        return "?"
    return datetime.datetime.fromtimestamp(run.date / 1000, datetime.UTC).strftime("%Y-%m-%d")


def _cpus(run: Run) -> str:
    if run.cpus is None:
        return "CPU count unknown"
    return f"{run.cpus} CPU{'' if run.cpus == 1 else 's'}"


def table(runs: list[Run]) -> dict:
    """{claim id: {run label: Verdict}} for every claim and run."""
    out = {c.id: {} for c in CLAIMS}
    for run in runs:
        for v in verdicts(run):
            out[v.claim][run.label] = v
    return out


#: How many commits measured before the newest the report reads for the
#: run-to-run spread of each deciding value (results.load's ``earlier``).
EARLIER = 4
#: What the side-by-side view says of a deciding value between two builds or
#: releases: its ranges over each side's runs do not overlap (MOVED), they
#: overlap (WITHIN), or a side has one run, so that there is no spread to
#: judge by (ONE_RUN).
MOVED, WITHIN, ONE_RUN = "moved", "within spread", "one run: spread unknown"


def is_cost(key: str) -> bool:
    """An evidence value that is an extra time (ns or us): zero or more,
    but for noise."""
    return key.endswith(("(ns)", "(us)")) or "extra ns per" in key


def within_noise(key: str, value) -> bool:
    """A cost measured at zero or below: the difference of two timings whose
    spread exceeds the cost itself.  Reported as such, never as a number a
    ratio is taken of."""
    return is_cost(key) and isinstance(value, (int, float)) and value <= 0


def _evidence(key: str, value) -> str:
    """An evidence value as the report shows it."""
    if within_noise(key, value):
        return f"within noise (measured {value:.3g}: the spread of the two timings exceeds it)"
    return _fmt(value)


def _ratio(old, new):
    if not isinstance(old, (int, float)) or not isinstance(new, (int, float)) or old == 0:
        return None
    return new / old


@dataclass(frozen=True)
class Judged:
    """The runs and their verdicts, computed once: every format of one
    render (text, markdown, JSON, the claims page) reads the same."""

    runs: list
    table: dict      # {claim id: {run label: Verdict}}
    changes: list    # release_changes()


def judge(results) -> Judged:
    """Every verdict of ``results``: a list of Run, or a :class:`Judged`
    already (returned as it is).  The writers below take either."""
    if isinstance(results, Judged):
        return results
    t = table(results)
    return Judged(list(results), t, release_changes(results, t))


def _spread(key: str, values: list) -> list | None:
    """[lowest, highest, runs] of the measured values, or None."""
    nums = [x for x in values if isinstance(x, (int, float)) and not isinstance(x, bool)
            and not within_noise(key, x)]
    return [min(nums), max(nums), len(nums)] if nums else None


def _moved(first: list | None, last: list | None) -> str | None:
    """Whether a value moved from one side's runs to the other's: their
    ranges do not overlap, with two runs or more a side."""
    if first is None or last is None:
        return None
    if first[2] < 2 or last[2] < 2:
        return ONE_RUN
    return MOVED if first[1] < last[0] or last[1] < first[0] else WITHIN


def _side_by_side(sides: list[Run], t: dict) -> list[dict]:
    """Per claim: the verdict of each side (a run, with the runs of the same
    machine and build at earlier commits, :attr:`Run.earlier`), whether it
    changed, and each deciding value (the verdict's evidence): its value on
    each side's newest run, its range over each side's runs (``spread``:
    [lowest, highest, runs]), the ratio of the last side to the first, and
    whether it moved beyond the run-to-run spread (:func:`_moved`)."""
    earlier = [[{v.claim: v for v in verdicts(old)} for old in r.earlier] for r in sides]
    per_claim = []
    for c in CLAIMS:
        vs = [t[c.id][r.label] for r in sides]
        keys = list(dict.fromkeys(k for v in vs for k in v.evidence))
        values = []
        for k in keys:
            per = [v.evidence.get(k) for v in vs]
            spread = [_spread(k, [per[i]] + [old[c.id].evidence.get(k) for old in earlier[i]])
                      if per[i] is not None else None for i in range(len(sides))]
            ratio = None if any(within_noise(k, x) for x in per) else _ratio(per[0], per[-1])
            values.append({"value": k, "per_release": per, "spread": spread,
                           "newest_over_oldest": ratio,
                           "moved": _moved(spread[0], spread[-1]) if ratio is not None
                           else None})
        statuses = [v.status for v in vs]
        per_claim.append({"claim": c.id, "verdicts": statuses,
                          "changed": len(set(statuses)) > 1, "values": values})
    return per_claim


def _value_cell(key: str, x, spread) -> str:
    """A deciding value on one side, with its range when it has several runs."""
    if x is None:
        return "-"
    text = _evidence(key, x)
    if spread and spread[2] > 1:
        text += f" ({_fmt(spread[0])}-{_fmt(spread[1])} over {spread[2]} runs)"
    return text


def _value_cells(v: dict) -> list[str]:
    return [_value_cell(v["value"], x, sp)
            for x, sp in zip(v["per_release"], v["spread"], strict=True)]


def _move_text(v: dict) -> str:
    ratio = v["newest_over_oldest"]
    if ratio is None:
        return ""
    return f"x{ratio:.3g}" + (f", {v['moved']}" if v["moved"] else "")


def release_changes(runs: list[Run], t: dict | None = None) -> list[dict]:
    """For each machine and Python build with runs of two or more Cython
    releases: the releases in order, and per claim the verdict of each,
    whether it changed, and each deciding value (the verdict's evidence) per
    release with the ratio of the newest to the oldest and whether it moved
    beyond the run-to-run spread (:func:`_side_by_side`).  ``t``: the runs' :func:`table`, when
    computed.  Then, for each machine and Cython release with a run on a
    GIL build and one without the GIL (:func:`gil_changes`), the same
    between the two builds."""
    t = table(runs) if t is None else t
    by_machine = {}
    for run in runs:
        if run.cython:
            by_machine.setdefault((run.machine, run.python), []).append(run)
    out = []
    for (machine, python), mruns in by_machine.items():
        if len({r.cython for r in mruns}) < 2:
            continue
        mruns = sorted(mruns, key=lambda r: sort_key(r.cython))
        where = machine + (f", Python {python}" if any(r.show_python or r.free_threaded
                                                       for r in mruns) else "")
        out.append({"machine": machine, "python": python,
                    "title": f"Between Cython releases on {where}",
                    "releases": [r.cython for r in mruns],
                    "columns": [f"Cython {r.cython}" for r in mruns],
                    "commits": [r.commit for r in mruns], "claims": _side_by_side(mruns, t)})
    return out + gil_changes(runs, t)


def gil_changes(runs: list[Run], t: dict | None = None) -> list[dict]:
    """What changes without the GIL: for each machine and Cython release
    with a run on a GIL build and a run without the GIL (a free-threaded
    build whose GIL stayed off), the two side by side as
    :func:`release_changes` sets releases (the GIL build first).  A
    free-threaded run whose GIL came back is not a run without it."""
    t = table(runs) if t is None else t
    by_key = {}
    for run in runs:
        by_key.setdefault((run.machine, run.cython), []).append(run)
    out = []
    for (machine, cython), mruns in by_key.items():
        with_gil = [r for r in mruns if not r.free_threaded]
        without = [r for r in mruns if r.without_gil]
        if not with_gil or not without:
            continue
        pair = [max(with_gil, key=lambda r: sort_key(r.python)),
                max(without, key=lambda r: sort_key(r.python))]
        out.append({"machine": machine, "cython": cython,
                    "title": f"Without the GIL on {machine}"
                    + (f", Cython {cython}" if cython else ""),
                    "releases": [r.python for r in pair],
                    "columns": [f"Python {pair[0].python} (GIL)",
                                f"Python {pair[1].python} (no GIL)"],
                    "commits": [r.commit for r in pair], "claims": _side_by_side(pair, t)})
    return out


def _changes_text(changes: list[dict]) -> list[str]:
    lines = []
    for m in changes:
        lines.append(f"{m['title']}: " + " -> ".join(m["releases"]))
        changed = [c["claim"] for c in m["claims"] if c["changed"]]
        lines.append("  verdicts changed: " + (", ".join(changed) or "none"))
        for c in m["claims"]:
            mark = "  CHANGED" if c["changed"] else ""
            lines.append(f"  {c['claim']:<4} " + " | ".join(_MARK[s] for s in c["verdicts"])
                         + mark)
            for v in c["values"]:
                move = _move_text(v)
                lines.append(f"       {v['value']}: "
                             + " | ".join(_value_cells(v))
                             + (f"  ({move})" if move else ""))
        lines.append("")
    return lines


def _changes_markdown(changes: list[dict]) -> list[str]:
    out = []
    for m in changes:
        out.append(f"**{m['title']}** "
                   f"({' → '.join(m['columns'])}); verdicts changed: "
                   + (", ".join(c["claim"] for c in m["claims"] if c["changed"]) or "none")
                   + ".")
        out.append("")
        out.append("| claim | " + " | ".join(m["columns"]) + " | changed |")
        out.append("|---|" + "---|" * (len(m["releases"]) + 1))
        for c in m["claims"]:
            out.append(f"| {c['claim']} | " + " | ".join(_MARK[s] for s in c["verdicts"])
                       + f" | {'**yes**' if c['changed'] else 'no'} |")
            for v in c["values"]:
                out.append(f"| &nbsp;&nbsp;{html.escape(v['value'])} | "
                           + " | ".join(html.escape(x) for x in _value_cells(v))
                           + " | " + html.escape(_move_text(v).replace("x", "×", 1)) + " |")
        out.append("")
    return out


def stale(runs: list[Run]) -> dict:
    """{label: why} of each run whose newest results are of an older commit
    (by commit date) than the newest any of the runs has: a machine that
    stopped reporting, or fell behind."""
    dated = [r for r in runs if r.date]
    if len(dated) < 2:
        return {}
    latest = max(dated, key=lambda r: r.date)
    return {r.label: f"stale: its newest results are of {r.commit[:8]} ({_date(r)}), older than "
                     f"{latest.commit[:8]} ({_date(latest)}, {latest.label})"
            for r in dated if r.date < latest.date}


def side_by_side(runs: list[Run], t: dict) -> list[dict]:
    """Each claim's deciding values, run by run (the evidence its rule
    returned): ``[{"claim": id, "rows": [(value name, [value or None per
    run])]}]``; empty for fewer than two runs."""
    if len(runs) < 2:
        return []
    out = []
    for c in CLAIMS:
        keys = []
        for r in runs:
            keys += [k for k in t[c.id][r.label].evidence if k not in keys]
        out.append({"claim": c.id, "rows": [(k, [t[c.id][r.label].evidence.get(k) for r in runs])
                                            for k in keys]})
    return out


def _cell(run: Run, v) -> str:
    """A verdict as a table cell: its status, and for a smoke run, that."""
    return "not measured: smoke run" if run.smoke else _MARK[v.status]


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def to_text(results) -> str:
    j = judge(results)
    runs, t = j.runs, j.table
    lines = ["gilbench: the article's claims, judged on each machine's latest results", ""]
    for run in runs:
        lines.append(f"  {run.label}: {_cpus(run)}{' usable' if run.cpus else ''}, "
                     f"commit {run.commit[:8]}, {_date(run)}"
                     + (", GIL off" if run.without_gil else ""))
        if run.gil_came_back:
            lines.append(f"    not judged as a run without the GIL: {run.gil_came_back}")
        lines.append(f"    runtime: {runtime_record.summary(run)}")
        lines += [f"    runtime record changed at {c['commit'][:8]} (since {c['since'][:8]}): "
                  + "; ".join(c["differences"]) for c in runtime_record.changes(run)]
        lines += [f"    {note}" for note in run.left_out]
    lines.append("")
    differ = runtime_record.differing(runs) if len(runs) > 1 else []
    if differ:
        lines.append("runtime records differ between these runs:")
        lines += [f"  {row['item']}: " + " | ".join(row["values"]) for row in differ]
        lines.append("")
    width = max(len(r.label) for r in runs)
    width = max(width, 12, *(23 for r in runs if r.smoke))
    lines.append("claim  " + "  ".join(r.label.ljust(width) for r in runs) + "  title")
    for c in CLAIMS:
        cells = "  ".join(_cell(r, t[c.id][r.label]).ljust(width) for r in runs)
        lines.append(f"{c.id:<5}  {cells}  {c.title}")
    lines.append("")
    for label, why in stale(runs).items():
        lines.append(f"{label}: {why}")
    rows = side_by_side(runs, t)
    if rows:
        lines += ["deciding values, run by run (" + " | ".join(r.label for r in runs) + "):"]
        for claim in rows:
            for key, values in claim["rows"]:
                lines.append(f"  {claim['claim']:<4} {key}: " + " | ".join(
                    "-" if v is None else _evidence(key, v) for v in values))
        lines.append("")
    lines += _changes_text(j.changes)
    for c in CLAIMS:
        lines.append(f"{c.id}  {c.statement}")
        for run in runs:
            v = t[c.id][run.label]
            lines.append(f"    {run.label}: {_MARK[v.status]} -- {v.summary}")
            lines.append(f"      stands on: {v.basis}")
            for note in v.notes[:3]:
                lines.append(f"      note: {note}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def to_markdown(results) -> str:
    j = judge(results)
    runs, t = j.runs, j.table
    out = ["| claim | " + " | ".join(f"{r.label} ({_cpus(r)})" for r in runs)
           + " |", "|---|" + "---|" * len(runs)]
    for c in CLAIMS:
        out.append(f"| **{c.id}** {c.title} | "
                   + " | ".join(_cell(r, t[c.id][r.label]) for r in runs) + " |")
    out.append("")
    out.append("Results: " + "; ".join(f"`{r.label}` at commit `{r.commit[:8]}` ({_date(r)})"
                                       for r in runs) + ".")
    out += [f"- `{r.label}`: not judged as a run without the GIL: {r.gil_came_back}"
            for r in runs if r.gil_came_back]
    out += [f"- `{r.label}`: {note}" for r in runs for note in r.left_out]
    out += [f"- `{r.label}` runtime: {runtime_record.summary(r)}" for r in runs if r.runtime]
    out += [f"- `{r.label}`: runtime record changed at `{c['commit'][:8]}` (since "
            f"`{c['since'][:8]}`): " + "; ".join(c["differences"])
            for r in runs for c in runtime_record.changes(r)]
    differ = runtime_record.differing(runs) if len(runs) > 1 else []
    if differ:
        out += ["", "Runtime records that differ between these runs:", "",
                "| item | " + " | ".join(r.label for r in runs) + " |",
                "|---|" + "---|" * len(runs)]
        out += [f"| {row['item']} | " + " | ".join(row["values"]) + " |" for row in differ]
    out.append("")
    out += _changes_markdown(j.changes)
    for c in CLAIMS:
        out.append(f"<details><summary><b>{c.id}</b>: {html.escape(c.statement)}</summary>")
        out.append("")
        for run in runs:
            v = t[c.id][run.label]
            out.append(f"- `{run.label}`: **{_MARK[v.status]}**: {v.summary} "
                       f"(stands on {v.basis})")
            for k, val in v.evidence.items():
                out.append(f"  - {k}: {_evidence(k, val)}")
        out.append("")
        out.append("</details>")
        out.append("")
    return "\n".join(out)


def to_json(results) -> str:
    j = judge(results)
    runs, t = j.runs, j.table
    return json.dumps({
        "claims": [{"id": c.id, "title": c.title, "statement": c.statement,
                    "reads": list(c.reads), "rule": inspect.getdoc(c.rule)} for c in CLAIMS],
        "machines": [{"machine": r.machine, "cython": r.cython, "cython_from": r.cython_source,
                      "python": r.python, "free_threaded": r.free_threaded,
                      "without_gil": r.without_gil, "gil_came_back": r.gil_came_back,
                      "label": r.label, "commit": r.commit, "date": _date(r),
                      "usable_cpus": r.cpus, "usable_cpus_from": r.cpus_source,
                      "smoke_run": r.smoke, "left_out": r.left_out,
                      "settings": r.settings, "runtime": runtime_record.as_dict(r),
                      "runtime_changes": runtime_record.changes(r),
                      "verdicts": [dict(t[c.id][r.label].as_dict(), machine=r.machine,
                                        cython=r.cython, python=r.python) for c in CLAIMS]}
                     for r in runs],
        "between_releases": j.changes,
    }, indent=1)


#: The pages' style sheet, inline (the claims page and gilbench advise's).
STYLE = """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .6em}
th{background:#f4f4f4;text-align:left}.holds{background:#d9f2d9}.fails{background:#f8d0d0}
.inconclusive{background:#fff0c0}.not-measured{background:#e8e8e8;color:#555}
.no-GIL-on-this-build{background:#dbe6f6}
section{border-top:2px solid #ddd;margin-top:2em}img{max-width:100%}
.rule{color:#444;font-size:.9em;white-space:pre-wrap}.note{color:#666;font-size:.85em}
.differs{background:#fff0c0}.kept{background:#fde2c8}.stale{color:#a33;font-size:.85em}
"""


def _runtime_section(runs: list[Run]) -> list[str]:
    """The runtime record of every run side by side, the items where they
    differ marked, and the commits where a run's record changed."""
    e = html.escape
    table = runtime_record.rows(runs)
    if not table:
        return ["<section id='runtime'><h2>Runtime record</h2><p class='note'>No run here "
                "recorded its runtime (bench_runtime).</p></section>"]
    differ = [row["item"] for row in table if row["differs"]]
    parts = ["<section id='runtime'><h2>Runtime record</h2><p>What decides how threads "
             "behave besides their count, read inside a benchmark process after the package "
             "under test was imported (<code>gilbench.harness.runtime</code>). "
             + (f"Items that differ between these runs: <b>{e(', '.join(differ))}</b>."
                if differ else "The runs agree on every item compared.") + "</p>"]
    for r in runs:
        parts += [f"<p class='note'>{e(r.label)}: record changed at <code>"
                  f"{e(c['commit'][:8])}</code> (since <code>{e(c['since'][:8])}</code>): "
                  f"{e('; '.join(c['differences']))}</p>" for c in runtime_record.changes(r)]
    parts.append("<table id='runtime-record'><tr><th>item</th><th>group</th>"
                 + "".join(f"<th>{e(r.label)}</th>" for r in runs) + "</tr>")
    for row in table:
        parts.append(f"<tr class='{'differs' if row['differs'] else ''}'><td>{e(row['item'])}"
                     f"</td><td>{e(row['group'])}</td>"
                     + "".join(f"<td>{e(v)}</td>" for v in row["values"]) + "</tr>")
    parts.append("</table></section>")
    return parts


def _names_a_file(note: str) -> bool:
    """A note about a result file (which names its machine) rather than
    about one run's benchmark."""
    return note.split(":", 1)[0].endswith(".json")


def _machines_section(runs: list[Run], notes) -> list[str]:
    """The page's title and introduction, the table of the runs (machine,
    builds, CPUs, commit, runtime), then what was not in the results and
    what was read past."""
    e = html.escape
    late = stale(runs)
    parts = ["<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
             "<title>gilbench: claims per machine, Python build and Cython release</title>",
             f"<style>{STYLE}</style></head><body>",
             "<h1>gilbench: the claims of &ldquo;You probably don&rsquo;t need to release the "
             "GIL&rdquo;, judged per machine, Python build and Cython release</h1>",
             "<p>Each verdict is computed from asv's results by the rule shown with the claim. "
             "<b>holds</b> and <b>fails</b> need the evidence clear of a noise gap; "
             "<b>inconclusive</b> means it lies inside that gap or its parts disagree; "
             "<b>not measured</b> means no results, or a machine that cannot show the effect; "
             "<b>no GIL on this build</b> marks a claim whose premise is the GIL, measured on "
             "a free-threaded Python whose GIL stayed off: its values are shown, not judged."
             "</p><table><tr><th>machine</th><th>Python</th><th>Cython</th><th>usable CPUs</th>"
             "<th>commit</th><th>date</th><th>runtime (<a href='#runtime'>record</a>)</th>"
             "</tr>"]
    for r in runs:
        python = (r.python or "?") + (
            "" if not r.free_threaded else " (GIL off)" if r.without_gil
            else f" (not judged without the GIL: {r.gil_came_back})")
        parts.append(f"<tr><td>{e(r.machine)}</td><td>{e(python)}</td>"
                     f"<td>{e(r.cython or '?')}</td>"
                     f"<td>{r.cpus or 'unknown'}</td>"
                     f"<td><code>{e(r.commit[:8])}</code>"
                     + (f" <span class='stale'>{e(late[r.label])}</span>" if r.label in late
                        else "") + f"</td><td>{_date(r)}</td>"
                     f"<td class='{'kept' if r.settings else ''}'>"
                     f"{e(runtime_record.summary(r))}</td></tr>")
    parts.append("</table>")
    if notes:
        parts.append("<p class='note'>Not in these results:</p><ul class='notes'>"
                     + "".join(f"<li>{e(n)}</li>" for n in notes) + "</ul>")
    left_out = [(r, note) for r in runs for note in r.left_out]
    if left_out:
        parts.append("<p class='note'>Read past (not judged):</p><ul class='left-out'>" + "".join(
            f"<li>{'' if _names_a_file(note) else e(r.label) + ': '}{e(note)}</li>"
            for r, note in left_out) + "</ul>")
    return parts


def _verdicts_section(runs: list[Run], t: dict) -> list[str]:
    """One row per claim, one column per run."""
    e = html.escape
    parts = ["<h2>Verdicts</h2><table id='verdicts'><tr><th>claim</th>"
             + "".join(f"<th>{e(r.label)}</th>" for r in runs) + "</tr>"]
    for c in CLAIMS:
        cells = "".join(
            f"<td class='{t[c.id][r.label].status.replace(' ', '-')}'>"
            f"{e(_cell(r, t[c.id][r.label]))}</td>" for r in runs)
        parts.append(f"<tr><td><a href='#{c.id}'>{c.id}</a> {e(c.title)}</td>{cells}</tr>")
    parts.append("</table>")
    return parts


def _side_by_side_section(runs: list[Run], t: dict) -> list[str]:
    """The runs side by side: the thread sweeps on one scale (threads per
    core), each claim's deciding values in one table, and the runtime
    items on which the runs differ."""
    rows = side_by_side(runs, t)
    if not rows:
        return []
    e = html.escape
    differ = [row["item"] for row in runtime_record.differing(runs)]
    parts = ["<h2 id='side-by-side'>Machines side by side</h2><p>"
             + (f"The runs' runtime records differ on: <b>{e(', '.join(differ))}</b> "
                "(<a href='#runtime'>record</a>)." if differ else
                "The runs' runtime records agree on every item they both hold, or were not "
                "taken.") + "</p>"]
    png = plots.per_core_png(runs)
    if png:
        parts.append("<p class='note'>Threads are counted per physical core where the run "
                     "recorded its cores (the runtime record), else per usable CPU: a curve "
                     "at 1 fills the machine.</p>"
                     f"<img alt='thread sweeps per core' src='data:image/png;base64,{png}'>")
    parts.append("<table id='side-by-side-values'><tr><th>claim</th><th>deciding value</th>"
                 + "".join(f"<th>{e(r.label)}</th>" for r in runs) + "</tr>")
    for claim in rows:
        for key, values in claim["rows"]:
            parts.append(f"<tr><td><a href='#{claim['claim']}'>{claim['claim']}</a></td>"
                         f"<td>{e(key)}</td>" + "".join(
                             f"<td>{'-' if v is None else e(_evidence(key, v))}</td>"
                             for v in values) + "</tr>")
    parts.append("</table>")
    return parts


def _changes_section(m: dict) -> list[str]:
    """One machine's verdicts and deciding values across Cython releases, or
    from its GIL build to its free-threaded one (:func:`release_changes`,
    :func:`gil_changes`)."""
    e = html.escape
    changed = [c["claim"] for c in m["claims"] if c["changed"]]
    gil = "cython" in m
    anchor = ("without-gil-" if gil else "releases-") + m["machine"] + (
        "-" + (m.get("cython") or "") if gil else "")
    parts = [f"<h2 id='{e(anchor)}'>{e(m['title'])}</h2><p>Verdicts changed: "
             f"<b>{e(', '.join(changed) or 'none')}</b>. Each value is the newest "
             "run's, with its range over the runs of the same build at earlier "
             "commits; it <i>moved</i> "
             + ("from the GIL build to the one without" if gil else
                "from the oldest release to the newest")
             + " when the two ranges do not overlap (two runs or more a side; "
             "with one, the spread is unknown).</p>"
             f"<table class='{'builds' if gil else 'releases'}'>"
             "<tr><th>claim / deciding value</th>"
             + "".join(f"<th>{e(col)}</th>" for col in m["columns"])
             + f"<th>{'no GIL / GIL' if gil else 'newest / oldest'}</th></tr>"]
    for c in m["claims"]:
        parts.append(f"<tr><td><b>{c['claim']}</b>{' (changed)' if c['changed'] else ''}"
                     "</td>" + "".join(f"<td class='{s.replace(' ', '-')}'>{e(_MARK[s])}"
                                       "</td>" for s in c["verdicts"]) + "<td></td></tr>")
        for v in c["values"]:
            ratio = v["newest_over_oldest"]
            parts.append(f"<tr><td class='note'>{e(v['value'])}</td>" + "".join(
                f"<td>{e(x)}</td>" for x in _value_cells(v)) + "<td>" + (
                f"&times;{ratio:.3g}" + (f" <i>{e(v['moved'])}</i>" if v["moved"] else "")
                if ratio is not None else "") + "</td></tr>")
    parts.append("</table>")
    return parts


def _claim_section(c, runs: list[Run], t: dict) -> list[str]:
    """One claim: its statement, each run's verdict with its evidence, the
    plot, the rule and its thresholds."""
    e = html.escape
    parts = [f"<section id='{c.id}' class='claim'><h2>{c.id}: {e(c.title)}</h2>"
             f"<p>{e(c.statement)}</p>"]
    for r in runs:
        v = t[c.id][r.label]
        parts.append(f"<h3>{e(r.label)}: <span class='{v.status.replace(' ', '-')}'>"
                     f"{e(v.status)}</span></h3><p>{e(v.summary)}</p>"
                     f"<p class='note'>Stands on {e(v.basis)}.</p>")
        if v.evidence:
            parts.append("<table>" + "".join(
                f"<tr><td>{e(k)}</td><td>{e(_evidence(k, val))}</td></tr>"
                for k, val in v.evidence.items()) + "</table>")
        for note in v.notes[:4]:
            parts.append(f"<p class='note'>{e(note)}</p>")
    if any(p.ok for r in runs for read in c.reads for p in r.of(read)):
        parts.append(f"<img alt='{c.id} evidence' "
                     f"src='data:image/png;base64,{plots.png(c.id, runs)}'>")
    else:
        parts.append("<p class='note'>Nothing this claim reads was measured in these "
                     "results: no plot.</p>")
    rule = " ".join((inspect.getdoc(c.rule) or "").replace("``", "").split())
    parts.append(f"<p class='rule'><b>Rule.</b> {e(rule)}</p>")
    thresholds = next((v.thresholds for v in t[c.id].values() if v.thresholds), {})
    if thresholds:
        parts.append("<p class='rule'>Thresholds: " + ", ".join(
            f"{e(k)} {_fmt(val)}" for k, val in thresholds.items()) + "</p>")
    parts.append("</section>")
    return parts


def write_html(results, out_dir, notes=()) -> Path:
    """Write ``index.html`` (self-contained: CSS inline, plots as data: URIs)
    into ``out_dir``; returns its path.  ``results``: a list of Run or a
    :class:`Judged`; ``notes``: lines shown under the machines' table (what
    the run that published knows and the results do not say)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    j = judge(results)
    runs, t = j.runs, j.table
    parts = (_machines_section(runs, notes) + _verdicts_section(runs, t)
             + _side_by_side_section(runs, t))
    for m in j.changes:
        parts += _changes_section(m)
    for c in CLAIMS:
        parts += _claim_section(c, runs, t)
    parts += _runtime_section(runs)
    parts.append("</body></html>")
    path = out_dir / "index.html"
    path.write_text("\n".join(parts), encoding="utf-8")
    return path
