"""The gate's noise, measured on the gate's own protocol: ``gilbench
calibrate --gate``.

The gate builds two commits and measures them in interleaved rounds
(:func:`gilbench.gate.asv_settings`); a table made any other way (one build,
runs one after the other) does not show what the gate will see.  So the
calibration repeats exactly that, on identical code: in a scratch clone it
makes empty commits over the checkout's HEAD (asv keys results by commit),
pairs them in order (the first pair is HEAD and the first empty commit), and
runs one ``asv run`` per pair over both commits, the
gate's settings, every point the gate can watch (:func:`gilbench.gate.
candidates`).  Two builds, interleaved rounds, samples recorded: the gate,
minus the judging.

For every point the table holds its ratio HEAD / BASE in each pair, its
**spread** (the largest of ``max(r, 1/r)`` over the pairs), the pairs that
asv compare's rule (:mod:`gilbench.significance`) flags at each rung of
:data:`gilbench.LADDER`, and a **threshold**: the smallest rung whose
margin the spread stays inside (:data:`gilbench.HEADROOM` of it) and at
which no pair was flagged.  Status: ``stable`` (threshold <= 1.05),
``gated`` (1.10), ``noisy`` (no rung fits, or the point failed or was
skipped in a pair: never gated).  The gate then measures only the exact
counts and the stable and gated points.

Written to ``noise/gate/<machine>.json`` and ``.md``, and the raw asv
results of every pair to ``noise/gate/<machine>/results/``.  The thresholds
are in-sample for these pairs: how the gate does on runs it never saw is
measured by fresh A/A gate runs (``docs/gate.md``).
"""

from __future__ import annotations

import math
import re
import shutil
import time
from pathlib import Path

from gilbench import _asv, gate, noise_table, results
from gilbench.harness import instructions
from gilbench.noise_table import GATED, HEADROOM, LADDER, NOISY, STABLE, rung, status_of
from gilbench.significance import differs

__all__ = ["calibrate", "analyze", "reanalyze", "to_markdown", "write_table", "identical_commit",
           "PAIRS"]

#: A/A pairs by default: each is two builds and one interleaved run (about
#: ten minutes on a 2-CPU machine).
PAIRS = 3
BASE_TAG = "gate-calibration-base"
#: The scratch clone's default place, under the checkout's .asv/.
WORKDIR = "gate-calibration"


def _log(message):
    print(f"gilbench calibrate --gate: {message}", flush=True)


def analyze(results_dir, machine: str, pairs: list, kinds: dict) -> dict:
    """The gate's noise table from the A/A ``pairs`` ([(base, head), ...]
    of identical code) of ``machine`` in ``results_dir``; ``kinds``: {point
    name: kind} of the points the calibration measured."""
    if not pairs:
        raise ValueError("a gate calibration needs at least one A/A pair")
    runs = [(results.load_commit(results_dir, machine, b),
             results.load_commit(results_dir, machine, h)) for b, h in pairs]
    cpus = runs[-1][1].cpus
    points = {}
    for name, kind in sorted(kinds.items()):
        got = [(rb.points.get(name), rh.points.get(name)) for rb, rh in runs]
        row = {"kind": kind, "class": name.split("(")[0].rsplit(".", 1)[0],
               "ratios": [], "flags": {}, "range": None, "threshold": None}
        if not all(b is not None and h is not None and b.ok and h.ok for b, h in got):
            row.update(status=NOISY, reason="failed, skipped or not run in a pair")
            points[name] = row
            continue
        ratios = [h.value / b.value if b.value else (1.0 if h.value == b.value else math.inf)
                  for b, h in got]
        row["ratios"] = ratios
        row["flags"] = {f"{f:.2f}": sum(differs(b, h, f) for b, h in got)
                        for f in LADDER}
        spread = max(max(r, 1 / r) if r > 0 else math.inf for r in ratios)
        row["range"] = spread
        threshold = rung(spread, row["flags"])
        row.update(threshold=threshold, status=status_of(threshold),
                   reason=(f"moved {spread - 1:.1%} between identical commits"
                           if threshold is None else f"moved {spread - 1:.2%}"))
        points[name] = row
    return {"protocol": "gate", "machine": machine, "cpus": cpus,
            "commits": [list(p) for p in pairs], "pairs": len(pairs),
            "settings": gate.asv_settings(), "ladder": list(LADDER),
            "headroom": HEADROOM, "created": time.strftime("%Y-%m-%d", time.gmtime()),
            "points": points}


def _chain(work: Path) -> list:
    """The calibration's commits, all of identical code: the checkout's HEAD
    (tagged :data:`BASE_TAG`), then the empty commits over it."""
    return _asv.identical_chain(work, BASE_TAG)


def _pairs(commits: list) -> list:
    return [tuple(commits[i:i + 2]) for i in range(0, len(commits) - 1, 2)]


def identical_commit(work, env=None) -> str:
    """An empty commit over the scratch clone's HEAD (:func:`gilbench._asv.identical_commit`)."""
    return _asv.identical_commit(work, BASE_TAG, env=env)


def _select(kinds: dict, only: str | None) -> dict:
    if only is None:
        return kinds
    try:
        chosen = {n: k for n, k in kinds.items() if re.search(only, n.split("(")[0])}
    except re.error as exc:
        raise ValueError(f"the benchmark filter {only!r} is not a regular expression: "
                         f"{exc}") from None
    if not chosen:
        raise ValueError(f"the benchmark filter {only!r} matches none of the gate's "
                         "benchmarks")
    return chosen


def calibrate(repo=".", *, pairs: int = PAIRS, workdir=None, machine: str | None = None,
              asv_args: tuple = (), only: str | None = None) -> tuple[dict, Path]:
    """Measure ``pairs`` A/A pairs of the gate's protocol on ``repo``'s HEAD
    in a scratch clone (``workdir``, default ``<repo>/.asv/gate-calibration``;
    a pair already measured there is kept, so a killed calibration resumes)
    and return (their table, the results directory).  ``only``: a regex on
    benchmark names (without parameters) that restricts the points."""
    if isinstance(pairs, bool) or not isinstance(pairs, int) or pairs < 1:
        raise ValueError(f"pairs must be an integer >= 1, got {pairs!r}")
    repo = Path(repo).resolve()
    if not (repo / ".git").exists():
        raise ValueError(f"{repo} is not a git checkout")
    if only is not None:
        _select(gate.candidates(repo), only)      # bad input fails before any work
    why = instructions.unavailable_reason()
    if why:
        raise ValueError(f"the gate counts instructions, which cannot be taken here: {why}")
    work = _asv.scratch_clone(repo, Path(workdir) if workdir else repo / ".asv" / WORKDIR,
                              BASE_TAG)
    while len(_pairs(_chain(work))) < pairs:
        identical_commit(work)
    todo = _pairs(_chain(work))[:pairs]
    machine = _asv.machine(work, machine)
    kinds = _select(gate.candidates(work), only)
    results_dir = _asv.results_dir(work)
    for k, (b, h) in enumerate(todo, 1):
        done = results.commits(results_dir, machine)
        if b in done and h in done:
            _log(f"pair {k}/{pairs} ({b[:8]}, {h[:8]}) already measured, kept")
            continue
        _log(f"pair {k}/{pairs}: {b[:8]} and {h[:8]} (identical code), {len(kinds)} points, "
             f"machine {machine}")
        t0 = time.monotonic()
        _asv.run_commits(work, [b, h], *gate.asv_settings(), "-b", gate.point_regex(kinds),
                         *asv_args, machine=machine)
        _log(f"pair {k}/{pairs} took {time.monotonic() - t0:.0f} s")
    return analyze(results_dir, machine, todo, kinds), results_dir


def reanalyze(workdir, machine: str, only: str | None = None) -> tuple[dict, Path]:
    """The table of the pairs already measured in a calibration's scratch
    clone (after a change to the analysis, not to the suite)."""
    work = Path(workdir)
    if not (work / ".git").exists():
        raise ValueError(f"{work} is not a gate calibration's scratch clone")
    results_dir = _asv.results_dir(work)
    done = results.commits(results_dir, machine)
    todo = _pairs([c for c in _chain(work) if c in done])
    return analyze(results_dir, machine, todo, _select(gate.candidates(work), only)), results_dir


def to_markdown(table: dict) -> str:
    pts = table["points"]
    count = {s: sum(r["status"] == s for r in pts.values()) for s in (STABLE, GATED, NOISY)}
    kinds = sorted({r["kind"] for r in pts.values()})
    lines = [
        f"# The gate's noise on `{table['machine']}`",
        "",
        f"Written by `gilbench calibrate --gate` on {table['created']}: {table['pairs']} A/A "
        f"pairs of the gate's own protocol ({table['cpus']} usable CPUs): two commits of "
        "identical code, two builds, one interleaved `asv run` (`"
        + " ".join(table["settings"]) + "`). Spread: the largest HEAD/BASE ratio "
        "(either way) over the pairs. These figures are in-sample: they set the "
        "thresholds.",
        "",
        f"Points the gate can watch: {len(pts)}; stable {count[STABLE]}, gated "
        f"{count[GATED]}, noisy {count[NOISY]} (never gated).",
        "",
        "| kind | benchmark | points | stable | gated | noisy | median spread | worst spread |",
        "|---|---|---|---|---|---|---|---|",
    ]
    groups = {}
    for name, row in pts.items():
        groups.setdefault((row["kind"], name.split("(")[0]), []).append(row)
    for kind in kinds:
        for (k, bench), rows in sorted(groups.items()):
            if k != kind:
                continue
            spreads = sorted(r["range"] for r in rows if r["range"] is not None)
            med = f"{spreads[len(spreads) // 2]:.3f}" if spreads else "-"
            worst = f"{spreads[-1]:.3f}" if spreads else "-"
            n = {s: sum(r["status"] == s for r in rows) for s in count}
            lines.append(f"| {kind} | `{bench}` | {len(rows)} | {n['stable']} | {n['gated']} | "
                         f"{n['noisy']} | {med} | {worst} |")
    return "\n".join(lines) + "\n"


def write_table(table: dict, out_dir, results_dir=None) -> tuple[Path, Path]:
    """Write ``<out_dir>/gate/<machine>.json`` and ``.md``, and copy the raw
    asv results of the pairs from ``results_dir`` beside them."""
    out = Path(out_dir) / "gate"
    js, md = noise_table.write_table(table, out / f"{table['machine']}.json",
                                     out / f"{table['machine']}.md", to_markdown(table))
    if results_dir is not None:
        raw = out / table["machine"] / "results"
        (raw / table["machine"]).mkdir(parents=True, exist_ok=True)
        src = Path(results_dir)
        shutil.copy2(src / "benchmarks.json", raw / "benchmarks.json")
        shutil.copy2(src / table["machine"] / "machine.json", raw / table["machine"])
        wanted = {c for pair in table["commits"] for c in pair}
        for f in (src / table["machine"]).glob("*.json"):
            if f.name.split("-")[0] in {c[:8] for c in wanted}:
                shutil.copy2(f, raw / table["machine"] / f.name)
    return js, md
