"""The gate's noise, measured on the gate's own protocol: ``gilbench
calibrate --gate``.

The gate builds two commits and measures them in interleaved rounds
(:func:`gilbench.gate_protocol.asv_settings`); a table made any other way
(one build, runs one after the other) does not show what the gate will see.
So the calibration repeats exactly that, on identical code: in a scratch
clone it makes empty commits over the checkout's HEAD (asv keys results by
commit), pairs them in order (the first pair is HEAD and the first empty
commit), and measures each pair over both commits as the gate does, with
the gate's protocol (:mod:`gilbench.gate_protocol`: ``measure``), every
point the gate can watch (``candidates``).  Two builds, interleaved rounds,
samples recorded: the gate, minus the judging.

**A quiet machine.**  Each pair is measured inside a
:class:`gilbench.machine_load.Load`: the CPU time others used meanwhile and
the time stolen are recorded beside it, and a pair measured beside too much
of either is refused and measured again on two new identical commits (up
to :data:`REFUSALS` times in all; then the calibration stops with one line
and keeps what it measured).  The table lists every pair tried, kept or
refused, with its load, and the commit whose code it measured.

For every point the table holds its ratio HEAD / BASE in each pair, its
**spread** (the largest of ``max(r, 1/r)`` over the pairs), the pairs that
asv compare's rule (:mod:`gilbench.significance`) flags at each rung of
:data:`gilbench.noise_table.LADDER`, and a **threshold**: the smallest rung whose
margin the spread stays inside (:data:`gilbench.noise_table.HEADROOM` of it) and at
which no pair was flagged (asv compare's factor and the gate's test on
rounds).  Status: ``stable`` (threshold <= 1.05), ``gated`` (a wider rung,
up to 5x), ``noisy`` (no rung fits, or the point failed or was skipped in a
pair: never gated).  The gate then measures only the exact counts and the
stable and gated points.

Written to ``noise/gate/<machine>.json`` and ``.md``, and the raw asv
results of every pair to ``noise/gate/<machine>/results/``.  The thresholds
are in-sample for these pairs: how the gate does on runs it never saw is
measured by fresh A/A gate runs (``docs/gate.md``).
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

from gilbench import _asv, gate_protocol, noise_table, results
from gilbench.harness import instructions
from gilbench.machine_load import OTHERS_LIMIT, STEAL_LIMIT, Load
from gilbench.noise_table import GATE, GATED, LADDER, NOISY, STABLE, Row, Table, judge_row
from gilbench.significance import differs

__all__ = ["calibrate", "analyze", "reanalyze", "to_markdown", "write_table", "identical_commit",
           "PAIRS", "REFUSALS", "LOADS"]

#: A/A pairs by default: each is two builds and one interleaved run (each
#: pair's wall time is in its table's ``loads``: noise/gate/vm.json).
PAIRS = 3
BASE_TAG = "gate-calibration-base"
#: The scratch clone's default place, under the checkout's .asv/.
WORKDIR = "gate-calibration"
#: Busy pairs a calibration refuses before it stops.
REFUSALS = 3
#: The load of every pair tried, in the scratch clone (so that a resumed
#: calibration knows which of its pairs it refused).
LOADS = Path(".asv") / "gate-calibration-loads.json"


def _log(message):
    print(f"gilbench calibrate --gate: {message}", flush=True)


def analyze(results_dir, machine: str, pairs: list, kinds: dict, loads: list = (),
            measured: str | None = None) -> Table:
    """The gate's noise table from the A/A ``pairs`` ([(base, head), ...]
    of identical code) of ``machine`` in ``results_dir``; ``kinds``: {point
    name: kind} of the points the calibration measured; ``loads``: the
    record of every pair tried (:func:`calibrate`); ``measured``: the commit
    whose code the pairs measured."""
    if not pairs:
        raise ValueError("a gate calibration needs at least one A/A pair")
    runs = [(results.load_commit(results_dir, machine, b),
             results.load_commit(results_dir, machine, h)) for b, h in pairs]
    cpus = runs[-1][1].cpus
    rows = {}
    for name, kind in sorted(kinds.items()):
        got = [(rb.points.get(name), rh.points.get(name)) for rb, rh in runs]
        row = Row(class_name=name.split("(")[0].rsplit(".", 1)[0], status=NOISY, kind=kind,
                  ratios=[])
        rows[name] = row
        if not all(b is not None and h is not None and b.ok and h.ok for b, h in got):
            row.reason = "failed, skipped or not run in a pair"
            continue
        row.ratios = [noise_table.ratio(h.value, b.value) for b, h in got]
        row.flags = {f"{f:.2f}": sum(differs(b, h, f, gate_protocol.GATE_ROUNDS) for b, h in got)
                     for f in LADDER}
        spread = max(max(r, 1 / r) if r > 0 else math.inf for r in row.ratios)
        judge_row(row, spread, "commits", row.flags)
    return Table(protocol=GATE, machine=machine, cpus=cpus, measured_commit=measured,
                 commits=[list(p) for p in pairs], pairs=len(pairs), loads=list(loads),
                 settings=gate_protocol.asv_settings(),
                 exact_settings=gate_protocol.suite_settings(),
                 created=time.strftime("%Y-%m-%d", time.gmtime()), rows=rows)


def _chain(work: Path) -> list:
    """The calibration's commits, all of identical code: the checkout's HEAD
    (tagged :data:`BASE_TAG`), then the empty commits over it."""
    return _asv.identical_chain(work, BASE_TAG)


def _pairs(commits: list) -> list:
    return [tuple(commits[i:i + 2]) for i in range(0, len(commits) - 1, 2)]


def identical_commit(work, env=None) -> str:
    """An empty commit over the scratch clone's HEAD (:func:`gilbench._asv.identical_commit`)."""
    return _asv.identical_commit(work, BASE_TAG, env=env)


def _loads(work: Path) -> list:
    try:
        return json.loads((work / LOADS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []


def _save_loads(work: Path, loads: list) -> None:
    (work / LOADS).parent.mkdir(parents=True, exist_ok=True)
    (work / LOADS).write_text(json.dumps(loads, indent=1) + "\n", encoding="utf-8")


def _kept(loads: list, pairs: list) -> list:
    """The pairs not refused for load (a pair measured before loads were
    recorded has no record and is kept)."""
    refused = {(r["base"], r["head"]) for r in loads if r["busy"]}
    return [p for p in pairs if tuple(p) not in refused]


def calibrate(repo=".", *, pairs: int = PAIRS, workdir=None, machine: str | None = None,
              asv_args: tuple = (), only: str | None = None,
              refusals: int = REFUSALS,
              max_others: float = OTHERS_LIMIT,
              max_steal: float = STEAL_LIMIT) -> tuple[Table, Path]:
    """Measure ``pairs`` quiet A/A pairs of the gate's protocol on ``repo``'s
    HEAD in a scratch clone (``workdir``, default
    ``<repo>/.asv/gate-calibration``; a pair already measured there is kept,
    so a killed calibration resumes) and return (their table, the results
    directory).  ``only``: a regex on benchmark names (without parameters)
    that restricts the points.  A pair measured on a busy machine is refused
    and another measured (busy: others used more than ``max_others`` CPUs,
    or more than ``max_steal`` of the CPU time was stolen);
    ValueError after ``refusals`` refusals."""
    if isinstance(pairs, bool) or not isinstance(pairs, int) or pairs < 1:
        raise ValueError(f"pairs must be an integer >= 1, got {pairs!r}")
    repo = Path(repo).resolve()
    if not (repo / ".git").exists():
        raise ValueError(f"{repo} is not a git checkout")
    if only is not None:
        # bad input fails before any work
        gate_protocol.select(gate_protocol.candidates(repo), only)
    why = instructions.unavailable_reason()
    if why:
        raise ValueError(f"the gate counts instructions, which cannot be taken here: {why}")
    work = _asv.scratch_clone(repo, Path(workdir) if workdir else repo / ".asv" / WORKDIR,
                              BASE_TAG)
    machine = _asv.machine(work, machine)
    kinds = gate_protocol.select(gate_protocol.candidates(work), only)
    results_dir = _asv.results_dir(work)
    loads = _loads(work)
    k = 0
    while True:
        chain = _pairs(_chain(work))
        if len(_kept(loads, chain[:k])) >= pairs:
            break
        refused = [r for r in loads if r["busy"]]
        if len(refused) >= refusals:
            worst = max(refused, key=lambda r: r["others_cpus"] or 0)
            raise ValueError(
                f"the machine was busy during {len(refused)} calibration pairs (others used "
                f"up to {worst['others_cpus']} CPUs, steal up to "
                f"{max(r['steal'] or 0 for r in refused)}): calibrate on a quiet machine; the "
                f"quiet pairs are kept in {work}")
        if k >= len(chain):
            identical_commit(work)
            continue
        b, h = chain[k]
        k += 1
        done = results.commits(results_dir, machine)
        if b in done and h in done:
            _log(f"pair {k} ({b[:8]}, {h[:8]}) already measured")
            continue
        _log(f"pair {k}: {b[:8]} and {h[:8]} (identical code), {len(kinds)} points, "
             f"machine {machine}")
        with Load(others_limit=max_others, steal_limit=max_steal) as load:
            gate_protocol.measure(work, [b, h], kinds, asv_args=asv_args, machine=machine)
        record = {"base": b, "head": h, **load.as_dict()}
        loads = [r for r in loads if (r["base"], r["head"]) != (b, h)] + [record]
        _save_loads(work, loads)
        _log(f"pair {k} took {load.wall:.0f} s; others used {load.others} CPUs, steal "
             f"{load.steal}" + ("; REFUSED: the machine was busy" if load.busy else ""))
    todo = _kept(loads, _pairs(_chain(work))[:k])[:pairs]
    measured = _asv.resolve(work, BASE_TAG)
    return analyze(results_dir, machine, todo, kinds, loads, measured), results_dir


def reanalyze(workdir, machine: str, only: str | None = None) -> tuple[Table, Path]:
    """The table of the pairs already measured in a calibration's scratch
    clone (after a change to the analysis, not to the suite), without the
    pairs it refused."""
    work = Path(workdir)
    if not (work / ".git").exists():
        raise ValueError(f"{work} is not a gate calibration's scratch clone")
    results_dir = _asv.results_dir(work)
    done = results.commits(results_dir, machine)
    loads = _loads(work)
    todo = _kept(loads, _pairs([c for c in _chain(work) if c in done]))
    kinds = gate_protocol.select(gate_protocol.candidates(work), only)
    return analyze(results_dir, machine, todo, kinds, loads,
                   _asv.resolve(work, BASE_TAG)), results_dir


def to_markdown(table: Table) -> str:
    pts = table.rows
    count = {s: n for s, n in table.counts().items() if s in (STABLE, GATED, NOISY)}
    kinds = sorted({r.kind for r in pts.values()})
    lines = [
        f"# The gate's noise on `{table.machine}`",
        "",
        f"Written by `gilbench calibrate --gate` on {table.created}: {table.pairs} A/A "
        f"pairs of the gate's own protocol ({table.cpus} usable CPUs): two commits of "
        "identical code, two builds, the exact counts measured once (`"
        + " ".join(table.exact_settings or []) + "`) and the rest in interleaved rounds (`"
        + " ".join(table.settings or []) + "`). Spread: the largest HEAD/BASE ratio "
        "(either way) over the pairs. These figures are in-sample: they set the "
        "thresholds.",
        "",
        f"Code measured: commit `{(table.measured_commit or 'not recorded')[:12]}`. "
        f"Rungs: {', '.join(f'{r:g}' for r in table.ladder)}.",
        "",
        f"Points the gate can watch: {len(pts)}; stable {count[STABLE]}, gated "
        f"{count[GATED]}, noisy {count[NOISY]} (never gated).",
        "",
    ]
    if table.loads:
        lines += ["Every pair tried, with what else the machine did meanwhile (others: CPUs "
                  "used by other processes on average; a busy pair is refused):", "",
                  "| pair | wall (s) | others (CPUs) | steal | kept |", "|---|---|---|---|---|"]
        for r in table.loads:
            lines.append(f"| `{r['base'][:8]}` `{r['head'][:8]}` | {r['wall_s']} | "
                         f"{r['others_cpus']} | {r['steal']} | "
                         f"{'no: busy' if r['busy'] else 'yes'} |")
        lines.append("")
    lines += [
        "| kind | benchmark | points | stable | gated | noisy | median spread | worst spread |",
        "|---|---|---|---|---|---|---|---|",
    ]
    groups = {}
    for name, row in pts.items():
        groups.setdefault((row.kind, name.split("(")[0]), []).append(row)
    for kind in kinds:
        for (k, bench), rows in sorted(groups.items()):
            if k != kind:
                continue
            spreads = sorted(r.range for r in rows if r.range is not None)
            med = f"{spreads[len(spreads) // 2]:.3f}" if spreads else "-"
            worst = f"{spreads[-1]:.3f}" if spreads else "-"
            n = table.counts(rows)
            lines.append(f"| {kind} | `{bench}` | {len(rows)} | {n['stable']} | {n['gated']} | "
                         f"{n['noisy']} | {med} | {worst} |")
    ungated = sorted((n, r.reason) for n, r in pts.items() if r.status == NOISY)
    lines += ["", "## Never gated", "",
              f"{len(ungated)} points: even the widest rung ({table.widest:g}x) is inside "
              "their noise, or they failed in a pair. The gate does not watch them; the "
              "claims' verdicts and the nightly graphs still show them.", ""]
    lines += [f"- `{n}`: {why}" for n, why in ungated]
    return "\n".join(lines) + "\n"


def write_table(table: Table, out_dir, results_dir=None) -> tuple[Path, Path]:
    """Save ``table`` with its page under ``out_dir`` (``gate/<machine>``:
    :meth:`gilbench.noise_table.Table.save`)."""
    return table.save(out_dir, to_markdown(table), results_dir)
