"""The noise table's ground floor: its vocabulary, the rules that decide a
point's status and threshold, which points are erratic by nature, reading,
checking and writing a table (:class:`Table`, one type for both), and asv's
regressions_thresholds made from it.

Two tables share it: the A/A calibration's (:mod:`gilbench.noise`, runs one
after another, ``noise/<machine>.json``) and the gate's
(:mod:`gilbench.gate_calibration`, its own protocol,
``noise/gate/<machine>.json``).  The gate reads tables through this module
and never imports the calibration runners.
"""

from __future__ import annotations

import json
import math
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["STABLE", "GATED", "NOISY", "ERRATIC", "GATEABLE", "FACTORS", "LADDER", "HEADROOM",
           "THREAD_PARAMS", "ERRATIC_PATTERNS", "AA", "GATE", "Row", "Table", "judge_row",
           "erratic_reason", "rung", "status_of", "copy_raw", "ratio", "asv_thresholds"]

#: A point's status in a table: gated at a threshold of 1.05 or below, gated
#: at a wider rung, never gated (even the widest rung is inside its noise),
#: never gated (erratic by nature).
STABLE, GATED, NOISY, ERRATIC = "stable", "gated", "noisy", "erratic"
#: The statuses the gate watches.
GATEABLE = (STABLE, GATED)

#: The factors at which false flags are counted (asv compare's ``--factor``).
FACTORS = (1.05, 1.10, 1.20)
#: The thresholds a point can be gated at: tight ones for steady points, and
#: on past 1.10 for the noisy ones, so that a point whose identical builds
#: differ by 1.4x is still watched for a 3x regression.  A point is ungated
#: only when even 5x is inside its noise.
LADDER = (1.02, 1.05, 1.10, 1.25, 1.5, 2.0, 3.0, 5.0)
#: A point is gated at threshold F only if its range over the calibration
#: runs stayed within HEADROOM of F's margin: 4 runs show the spread of 4
#: runs, and the next run may land outside it.
HEADROOM = 1 / 3
#: Thread-count parameters: a point that asks for more threads than the
#: machine has CPUs is oversubscribed.
THREAD_PARAMS = ("threads", "python_threads", "omp_threads", "blas_threads")

#: Benchmarks whose values are erratic by nature: (regex on asv's name with
#: parameters, why).  They are findings of their claims and stay in the suite
#: and the report, marked, and are never gated.
ERRATIC_PATTERNS = (
    (r"\.TrackC7ColdRegion\.",
     "wakes an OpenMP team that has idled: milliseconds, set by the OS scheduler"),
    (r"\.TrackC9ConcurrentThroughput\.",
     "two Python threads race for the cores; how they split them is the scheduler's"),
    (r"\.TrackC3HeartbeatGap\.",
     "the wake-up latency of a sleeping thread, set by the OS scheduler"),
    (r"\.TrackC9Slowdown\.",
     "a ratio to the best point of a grid that holds oversubscribed points"),
    (r"\.TrackC4FlagSeen\.track_c4_flag_seen\(100000\)",
     "the starved window: whether the setter thread gets the GIL is a race"),
    (r"^bench_runtime\.TrackRuntime\.",
     "the runtime record: a read-out of settings and machine (the gate compares records "
     "by their own rule), its load items a sample of the machine, not of the code"),
)


#: Benchmarks that read out a configuration (thread counts the libraries
#: report), not a time: oversubscription does not make them erratic.
READOUTS = r"\.TrackC9PinnedConfiguration\."


def _thread_counts(params: dict) -> list[int]:
    out = []
    for name in THREAD_PARAMS:
        try:
            out.append(int(params[name]))
        except (KeyError, TypeError, ValueError):
            pass
    return out


def erratic_reason(name: str, params: dict, cpus: int | None) -> str | None:
    """Why the point ``name`` (asv's name with parameters) with ``params``
    ({name: value}) is erratic by nature on a machine with ``cpus`` usable
    CPUs, or None."""
    for pattern, why in ERRATIC_PATTERNS:
        if re.search(pattern, name):
            return why
    counts = _thread_counts(params)
    if cpus and counts and not re.search(READOUTS, name):
        if max(counts) > cpus:
            return f"oversubscribed: {max(counts)} threads on {cpus} CPUs"
        if {"omp_threads", "blas_threads"} <= set(params):
            omp, blas = int(params["omp_threads"]), int(params["blas_threads"])
            # C9's patterns: BLAS inside each prange thread (nested), both
            # teams at once (concurrent), or one after the other.
            pattern = params.get("pattern", "alternating")
            if pattern == "nested" and omp * blas > cpus:
                return f"oversubscribed: {omp} OpenMP x {blas} BLAS threads on {cpus} CPUs"
            if pattern == "concurrent" and omp + blas > cpus:
                return f"oversubscribed: {omp} OpenMP + {blas} BLAS threads on {cpus} CPUs"
    return None


def rung(spread: float, flags: dict | None = None) -> float | None:
    """The smallest rung of :data:`LADDER` whose margin ``spread`` (a range
    or a largest ratio between identical code, >= 1) stays within
    :data:`HEADROOM` of, and at which ``flags`` ({"1.05": pairs flagged at
    that factor, ...}) counts no flag; None when none fits."""
    for r in LADDER:
        if spread <= 1 + HEADROOM * (r - 1) and not (flags or {}).get(f"{r:.2f}"):
            return r
    return None


def status_of(threshold: float | None) -> str:
    """The status of a point that has run everywhere: by its threshold."""
    if threshold is None:
        return NOISY
    return STABLE if threshold <= 1.05 else GATED


@dataclass
class Row:
    """One point's line in a noise table.  ``range``: the A/A table's
    largest / smallest value, the gate table's largest HEAD/BASE ratio
    either way; ``flags``: {"1.05": pairs flagged at that factor or rung};
    ``values`` (A/A: one per run) or ``ratios`` and ``kind`` (the gate's:
    one ratio per pair, and the point kind it was measured as)."""

    class_name: str
    status: str
    reason: str = ""
    threshold: float | None = None
    range: float | None = None
    flags: dict = field(default_factory=dict)
    values: list | None = None
    ratios: list | None = None
    kind: str | None = None

    @property
    def gateable(self) -> bool:
        """Whether the gate watches it: stable or gated, with a threshold."""
        return self.status in GATEABLE and bool(self.threshold)

    @property
    def measured_range(self) -> float | None:
        """Its range where one was measured and is finite, else None."""
        return self.range if self.range is not None and math.isfinite(self.range) else None

    def as_dict(self) -> dict:
        out = {"class": self.class_name, "status": self.status, "reason": self.reason,
               "threshold": self.threshold, "range": self.range, "flags": dict(self.flags)}
        for key in ("values", "ratios", "kind"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out

    @classmethod
    def from_dict(cls, row: dict, where: str) -> Row:
        if not isinstance(row, dict) or row.get("status") not in (*GATEABLE, NOISY, ERRATIC):
            raise ValueError(f"{where} is not a gilbench noise table (a point without a status)")
        return cls(class_name=row.get("class", ""), status=row["status"],
                   reason=row.get("reason", ""), threshold=row.get("threshold"),
                   range=row.get("range"),
                   flags=dict(row.get("flags") or {}), values=row.get("values"),
                   ratios=row.get("ratios"), kind=row.get("kind"))


#: The two protocols a table is measured with: runs one after another (the
#: A/A calibration, noise/<machine>.json), and the gate's (interleaved
#: pairs of builds, noise/gate/<machine>.json).
AA, GATE = "aa", "gate"


@dataclass
class Table:
    """One machine's noise table: a :class:`Row` per point, and how it was
    measured.  Loaded from and saved to the JSON both calibrations write
    (as asv's ``results.Results`` is for a result file); the gate, the
    publish config and the figures read it through its accessors.

    ``commits``: the A/A runs (one per run), or the gate's pairs
    ([base, head] each); ``runs`` flattens them.  The gate's protocol adds
    ``loads`` (every pair tried, kept or refused), ``settings`` and
    ``exact_settings`` (asv's), and ``measured_commit``."""

    protocol: str
    machine: str
    cpus: int | None
    commits: list
    pairs: int
    created: str
    rows: dict = field(default_factory=dict)
    ladder: list = field(default_factory=lambda: list(LADDER))
    headroom: float = HEADROOM
    factors: list | None = None
    loads: list | None = None
    settings: list | None = None
    exact_settings: list | None = None
    measured_commit: str | None = None

    # -- reading

    @classmethod
    def parse(cls, text: str, where: str) -> Table:
        """A table from its JSON ``text``; ValueError naming ``where`` (a
        path, or a path at a commit) if it is not one."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{where} is not a noise table: {exc}") from exc
        if not isinstance(data, dict) or not isinstance(data.get("points"), dict):
            raise ValueError(f"{where} is not a gilbench noise table (no 'points')")
        return cls.from_dict(data, where)

    @classmethod
    def from_dict(cls, data: dict, where: str = "a noise table") -> Table:
        protocol = data.get("protocol", AA)
        if protocol not in (AA, GATE):
            raise ValueError(f"{where} is a noise table of an unknown protocol {protocol!r}")
        return cls(protocol=protocol, machine=data.get("machine", ""), cpus=data.get("cpus"),
                   commits=list(data.get("commits", [])), pairs=data.get("pairs", 0),
                   created=data.get("created", ""),
                   rows={n: Row.from_dict(r, where) for n, r in data["points"].items()},
                   ladder=list(data.get("ladder", LADDER)),
                   headroom=data.get("headroom", HEADROOM), factors=data.get("factors"),
                   loads=data.get("loads"), settings=data.get("settings"),
                   exact_settings=data.get("exact_settings"),
                   measured_commit=data.get("measured_commit"))

    @classmethod
    def load(cls, path) -> Table:
        """The table written at ``path``; ValueError if it is not one."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ValueError(f"cannot read the noise table {path}: {exc}") from exc
        return cls.parse(text, str(path))

    # -- accessors

    @property
    def runs(self) -> list[str]:
        """Every commit measured, in order (a gate table's pairs flattened)."""
        return [c for p in self.commits for c in ([p] if isinstance(p, str) else p)]

    def counts(self, rows=None) -> dict:
        """{status: points} over ``rows`` (default: all), every status named."""
        rows = self.rows.values() if rows is None else rows
        out = {s: 0 for s in (STABLE, GATED, NOISY, ERRATIC)}
        for r in rows:
            out[r.status] += 1
        return out

    def gated(self) -> dict:
        """{point name: (threshold, range)} of the points the gate watches."""
        return {n: (r.threshold, r.range) for n, r in self.rows.items() if r.gateable}

    @property
    def widest(self) -> float:
        """The widest rung the table's ladder had."""
        return self.ladder[-1]

    # -- writing

    def as_dict(self) -> dict:
        out = {"machine": self.machine, "cpus": self.cpus, "commits": self.commits,
               "pairs": self.pairs, "ladder": self.ladder, "headroom": self.headroom,
               "created": self.created,
               "points": {n: r.as_dict() for n, r in self.rows.items()}}
        if self.protocol == GATE:
            out.update(protocol=GATE, loads=self.loads or [], settings=self.settings or [],
                       exact_settings=self.exact_settings or [],
                       measured_commit=self.measured_commit)
        else:
            out["factors"] = self.factors or list(FACTORS)
        return out

    def path(self, out_dir) -> Path:
        """Where the table lives under ``out_dir`` (the checkout's noise/):
        ``<machine>.json``, or ``gate/<machine>.json`` for the gate's."""
        out = Path(out_dir) / ("gate" if self.protocol == GATE else "")
        return out / f"{self.machine}.json"

    def save(self, out_dir, markdown: str, results_dir=None) -> tuple[Path, Path]:
        """Write the table to :meth:`path` under ``out_dir`` and its page
        ``markdown`` beside it (``.md``); with ``results_dir``, copy the
        raw asv results of its runs to ``<machine>/results/`` beside them
        (:func:`copy_raw`), so that it can be derived again."""
        js = self.path(out_dir)
        md = js.with_suffix(".md")
        js.parent.mkdir(parents=True, exist_ok=True)
        js.write_text(json.dumps(self.as_dict(), indent=1, sort_keys=True) + "\n",
                      encoding="utf-8")
        md.write_text(markdown, encoding="utf-8")
        if results_dir is not None:
            copy_raw(results_dir, js.parent / self.machine / "results", self.machine, self.runs)
        return js, md

    def asv_thresholds(self) -> dict:
        """asv's ``regressions_thresholds`` for this machine's graphs
        (:func:`asv_thresholds`)."""
        return asv_thresholds(self)


def judge_row(row: Row, spread: float, between: str, flags: dict | None = None) -> Row:
    """``row`` with its spread (a range, or the largest ratio either way),
    the threshold :func:`rung` gives it, the status that follows and the
    reason (``between``: "runs" or "commits", what was identical)."""
    threshold = rung(spread, flags)
    row.range, row.threshold, row.status = spread, threshold, status_of(threshold)
    row.reason = (f"moved {spread - 1:.1%} between identical {between}" if threshold is None
                  else f"moved {spread - 1:.2%}")
    return row


def ratio(new: float, old: float) -> float:
    """``new / old``, zero-safe: 1 when both are 0, infinite when only
    ``old`` is (HEAD / BASE in the gate and its calibration)."""
    return new / old if old else (1.0 if new == old else math.inf)


def copy_raw(results_dir, raw: Path, machine: str, commits) -> Path:
    """Copy the raw asv results a table was made of -- ``machine``'s result
    files of ``commits``, its machine.json and asv's benchmarks.json -- from
    ``results_dir`` to ``raw`` (an asv results directory), so that the
    table can be derived again from what is committed beside it."""
    src, raw = Path(results_dir), Path(raw)
    (raw / machine).mkdir(parents=True, exist_ok=True)
    for name in ("benchmarks.json", f"{machine}/machine.json"):
        if (src / name).is_file():
            shutil.copy2(src / name, raw / name)
    short = {c[:8] for c in commits}
    for f in (src / machine).glob("*.json"):
        if f.name.split("-")[0] in short:
            shutil.copy2(f, raw / machine / f.name)
    return raw


#: The levels of asv's regressions_thresholds (fractions).
ASV_LEVELS = (0.05, 0.10, 0.25, 0.50, 1.0, 2.0, 4.0, 9.0)


def asv_thresholds(table: Table) -> dict:
    """asv's ``regressions_thresholds`` ({regex: fraction}) from the table.
    Each point needs the margin of its threshold (stable and gated points),
    twice the excess of its range (noisy points) or 100% (erratic points),
    rounded up to a level of :data:`ASV_LEVELS`, never under asv's default
    5%, at most the widest level.  One entry per benchmark and level, matching what asv matches them
    against: the name with parameters and the branch,
    ``name(p1, p2)@main`` (``re.match``; asv takes the largest entry that
    matches).  An erratic point, or one without a range, gets 100%.  They
    are one machine's: :mod:`gilbench.publish` applies them
    to that machine's graphs only."""
    groups = {}
    for name, row in table.rows.items():
        if row.status == ERRATIC or row.measured_range is None:
            need = 1.0
        elif row.threshold is not None:
            need = row.threshold - 1
        else:
            need = 2 * (row.range - 1)
        level = next((lv for lv in ASV_LEVELS if need <= lv + 1e-9), ASV_LEVELS[-1])
        key, _, params = name.partition("(")
        groups.setdefault(key, {}).setdefault(level, []).append(params)
    out = {}
    for key, levels in sorted(groups.items()):
        for level, params in sorted(levels.items()):
            if level == ASV_LEVELS[0]:
                continue  # asv's default
            alts = "|".join(re.escape("(" + p) if p else "" for p in sorted(params))
            out[f"^{re.escape(key)}(?:{alts})(?:@[^@]*)?$"] = level
    return out
