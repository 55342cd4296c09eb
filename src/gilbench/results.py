"""The one reader of asv's results.

:func:`load` returns one :class:`Run` per machine, Python build and Cython
release: the newest commit measured there (or the one asked for), as :class:`Point`
values -- one per benchmark and parameter combination, named as ``asv
compare`` names them
(``module.Class.method(p1, p2)``), with their parameters by name, value,
stats and samples, or why there is no value.  The claims, the report, the
noise table, the gate and the nightly all read asv's files through here.

The files are read by asv's own loaders (``asv.results``, ``asv.util.load_json``
with asv's api versions) and unrolled by ``asv.commands.compare.unroll_result``,
never parsed by hand; a corrupt result file is skipped by asv with a warning
that names it.

The usable CPU count of a run is the one it recorded
(``bench_machine.TrackMachine.track_usable_cpus``, measured inside the
benchmark process, after the affinity mask); for results without it, the
``num_cpu`` of asv's machine.json (which ``gilbench`` writes from the usable
CPUs too, see :func:`gilbench._asv.machine`).

The Python build of a run is the one asv's environment names (``params``'
``python``: ``3.11``, ``3.13t``; see :mod:`gilbench.python_builds`).  A run
on a free-threaded build also says whether its GIL stayed off
(:data:`GIL_BENCHMARK`): :attr:`Run.without_gil` is true only when it did,
and :attr:`Run.gil_came_back` names the run whose GIL an import turned back
on, which is never judged as a run without the GIL.
"""

from __future__ import annotations

import ast
import itertools
import math
from dataclasses import dataclass, field
from pathlib import Path

from gilbench.harness.release_numbers import release_text, sort_key

__all__ = ["Point", "Run", "load", "load_commit", "machines", "commits", "unreadable",
           "restore_machine_json", "parse_name", "measured_releases", "measured_pythons",
           "measured_environments",
           "CPUS_BENCHMARK", "SMOKE_BENCHMARK", "CYTHON_BENCHMARK", "GIL_BENCHMARK",
           "FREE_THREADED_BENCHMARK", "RUNTIME_BENCHMARK"]

#: The benchmark that records the usable CPUs of every run.
CPUS_BENCHMARK = "bench_machine.TrackMachine.track_usable_cpus"
#: The benchmark that records whether a run was a smoke run.
SMOKE_BENCHMARK = "bench_machine.TrackMachine.track_smoke_run"
#: The benchmark that records the Cython release that compiled the kernels.
CYTHON_BENCHMARK = "bench_machine.TrackMachine.track_cython_release"
#: The benchmarks that record whether the CPython was built without the GIL,
#: and whether the GIL was on while the benchmarks ran.
FREE_THREADED_BENCHMARK = "bench_machine.TrackMachine.track_free_threaded_build"
GIL_BENCHMARK = "bench_machine.TrackMachine.track_gil_enabled"
#: The runtime record: one point per item (gilbench.harness.runtime).
RUNTIME_BENCHMARK = "bench_runtime.TrackRuntime.track_runtime"

OK, FAILED, SKIPPED, ABSENT = "ok", "failed", "skipped", "absent"
_REASONS = {
    FAILED: "failed (asv recorded no value)",
    SKIPPED: "skipped by the benchmark (it cannot run as asked here)",
    ABSENT: "not in the results (not run on this commit)",
}


def parse_name(name: str) -> tuple[str, str, str, str]:
    """(module, class, method, parameters text) of asv's name with parameters,
    e.g. ``bench_c1.TimeC1.time_loop('sumsq', 10)`` ->
    ``('bench_c1', 'TimeC1', 'time_loop', "'sumsq', 10")``."""
    key, _, params = name.partition("(")
    module, cls, method = key.split(".", 2) if key.count(".") >= 2 else ("", *key.rsplit(".", 1))
    return module, cls, method, params[:-1] if params.endswith(")") else params


def _literal(text: str):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


@dataclass(frozen=True)
class Point:
    """One benchmark value at one parameter combination, or why there is none."""

    name: str                  # asv's name with parameters
    benchmark: str             # asv's benchmark key, module.Class.method
    params: dict               # parameter name -> value
    value: float | None
    status: str = OK           # ok / failed / skipped / absent
    stats: dict | None = None  # asv's stats (ci_99_a, ci_99_b, q_25, repeat, ...)
    samples: list | None = None

    @property
    def ok(self) -> bool:
        return self.status == OK

    @property
    def reason(self) -> str | None:
        return _REASONS.get(self.status)

    @property
    def cls(self) -> str:
        """``module.Class``."""
        return self.benchmark.rsplit(".", 1)[0]

    @property
    def method(self) -> str:
        return self.benchmark.rsplit(".", 1)[-1]


def _make_point(name, key, params, value, stats, samples) -> Point:
    if value is None:
        status = FAILED
    elif isinstance(value, float) and math.isnan(value):
        status, value = SKIPPED, None
    else:
        status, value = OK, float(value)
    return Point(name, key, params, value, status, stats, samples)


@dataclass
class Run:
    """What one machine measured at one commit."""

    machine: str
    commit: str
    date: int | None                       # commit date, JS timestamp (ms)
    machine_info: dict                     # asv's machine.json
    points: dict = field(default_factory=dict)      # name with parameters -> Point
    grids: dict = field(default_factory=dict)       # benchmark -> (param names, axes)
    cpus: int | None = None                # usable CPUs the benchmarks ran on
    cpus_source: str = ""
    meta: dict = field(default_factory=dict)        # asv's benchmarks.json
    durations: dict = field(default_factory=dict)   # benchmark or setup_cache -> seconds
    left_out: list = field(default_factory=list)    # "file or benchmark: why" read past
    cython: str | None = None              # the Cython release that built the kernels
    cython_source: str = ""
    python: str | None = None              # asv's name of the Python build: 3.11, 3.13t
    show_python: bool = False              # the label names the build (load() decides)
    #: The same machine and build at the commits measured before this one,
    #: newest first (load()'s ``earlier``): the run-to-run spread of a value.
    earlier: list = field(default_factory=list)

    @property
    def label(self) -> str:
        """The machine, the Python build (when the machine has runs of
        several, or this one is free-threaded) and the Cython release when
        it is known: what the report calls this run."""
        parts = [self.machine]
        if self.python and (self.show_python or self.free_threaded):
            parts.append(f"Python {self.python}")
        if self.cython:
            parts.append(f"Cython {self.cython}")
        label = ", ".join(parts)
        settings = self.settings
        # A run that kept the caller's variables is filed under a machine
        # name that already says them (gilbench._asv.machine).
        named = all(p.split("=")[0] + "=" in self.machine for p in settings.split(", "))
        return f"{label} (under {settings})" if settings and not named else label

    @property
    def runtime(self) -> dict:
        """The runtime record of the run, {item: value} (None for an item
        skipped or failed there); {} for a run that recorded none (a suite
        older than the record, or a ``-b`` that left it out)."""
        return {p.params.get("item"): (p.value if p.ok else None)
                for p in self.points.values() if p.benchmark == RUNTIME_BENCHMARK}

    @property
    def settings(self) -> str:
        """The thread-changing variables the benchmark processes saw set
        (``OMP_WAIT_POLICY=passive``), or "" for the suite's own settings
        (or a run without a record)."""
        from gilbench.harness.runtime import settings_text

        return settings_text(self.runtime)

    def _flag(self, benchmark: str) -> bool | None:
        p = self.points.get(benchmark)
        return None if p is None or not p.ok else p.value >= 1

    @property
    def free_threaded(self) -> bool:
        """Whether the CPython was built without the GIL: recorded by the
        run, else read from asv's name of the build (``3.13t``)."""
        flag = self._flag(FREE_THREADED_BENCHMARK)
        return flag if flag is not None else bool(self.python and self.python.endswith("t"))

    @property
    def without_gil(self) -> bool:
        """A free-threaded build whose GIL stayed off while the benchmarks
        ran (recorded by the run): the only kind of run judged as one
        without the GIL."""
        return self.free_threaded and self._flag(GIL_BENCHMARK) is False

    @property
    def gil_came_back(self) -> str | None:
        """Why a free-threaded run is not a run without the GIL, or None."""
        if not self.free_threaded:
            return None
        flag = self._flag(GIL_BENCHMARK)
        if flag:
            return ("the GIL was on while the benchmarks ran: an imported module does not "
                    "declare itself free-threading compatible")
        if flag is None:
            return "the run did not record whether the GIL was on"
        return None

    @property
    def smoke(self) -> str | None:
        """Why this run is a smoke run, whose numbers say nothing about the
        claims, or None: it recorded ``GILBENCH_SMOKE=1``
        (:data:`SMOKE_BENCHMARK`), or every timed point holds one sample
        (asv's ``--quick``)."""
        flag = self.points.get(SMOKE_BENCHMARK)
        if flag is not None and flag.ok and flag.value >= 1:
            return "GILBENCH_SMOKE=1"
        timed = [p for p in self.points.values()
                 if p.ok and p.method.startswith(("time_", "timeraw_")) and p.stats]
        if timed and all(int(p.stats.get("repeat") or 1) <= 1 for p in timed):
            return "asv run --quick: one sample per point"
        return None

    def of(self, benchmark: str) -> list[Point]:
        """Every point of ``benchmark`` (full key or its unique suffix)."""
        key = self._resolve(benchmark)
        return [p for p in self.points.values() if p.benchmark == key] if key else []

    def point(self, benchmark: str, **params) -> Point:
        """The point of ``benchmark`` (asv's full name, or its unique suffix)
        at ``params`` (by parameter name)."""
        key = self._resolve(benchmark)
        if key is None:
            return Point(benchmark, benchmark, params, None, ABSENT)
        names, axes = self.grids[key]
        reprs = []
        for pname, axis in zip(names, axes, strict=True):
            if pname not in params:
                raise KeyError(f"{benchmark}: parameter {pname!r} not given")
            r = repr(params[pname])
            if r not in axis:
                return Point(benchmark, key, params, None, ABSENT)
            reprs.append(r)
        name = f"{key}({', '.join(reprs)})" if reprs else key
        return self.points.get(name) or Point(name, key, params, None, ABSENT)

    def axis(self, benchmark: str, param: str) -> list:
        """The values parameter ``param`` of ``benchmark`` took in this run."""
        key = self._resolve(benchmark)
        if key is None or param not in self.grids[key][0]:
            return []
        names, axes = self.grids[key]
        return [_literal(r) for r in axes[names.index(param)]]

    def failed(self) -> list[Point]:
        return [p for p in self.points.values() if p.status == FAILED]

    def _resolve(self, benchmark):
        if benchmark in self.grids:
            return benchmark
        hits = [k for k in self.grids if k.endswith("." + benchmark)]
        return hits[0] if len(hits) == 1 else None


def machines(results_dir) -> list[str]:
    """Names of the machines that have results in ``results_dir``."""
    return sorted(p.parent.name for p in Path(results_dir).glob("*/machine.json"))


def read_machine(results_dir, machine: str) -> tuple[list, list[str]]:
    """asv's ``Results`` of every result file of ``machine``, and for each
    file asv cannot read, ``"<file>: <why>"`` in our words (asv's own loop
    would only log its parser's message and go on)."""
    from asv.results import Results, iter_results_paths

    good, bad = [], []
    if not (Path(results_dir) / machine).is_dir():
        return good, bad
    for root, filename, machine_name in iter_results_paths(str(Path(results_dir) / machine)):
        path = Path(root) / filename
        try:
            good.append(Results.load(str(path), machine_name=machine_name))
        except Exception as exc:  # asv's UserError (not JSON, old format), KeyError...
            text = str(exc)
            why = ("not valid JSON (truncated or overwritten?)" if "parsing JSON" in text
                   else f"{type(exc).__name__}: {text.splitlines()[0][:160] if text else ''}")
            bad.append(f"{machine}/{filename}: left out, asv cannot read it: {why}")
    return good, bad


def file_failures(path) -> int:
    """How many points asv recorded as failed in one result file (one
    commit, one environment); 0 for a file asv cannot read."""
    from asv.results import Results

    try:
        r = Results.load(str(path))
    except Exception:  # asv's UserError, JSON errors: an unreadable file
        return 0
    return sum(v is None for key in r.get_all_result_keys()
               for v in r.get_result_value(key, r.get_result_params(key)))


def commits(results_dir, machine: str) -> set[str]:
    """The commits ``machine`` has readable results for."""
    return {r.commit_hash for r in read_machine(results_dir, machine)[0]}


def unreadable(path) -> str | None:
    """Why asv cannot read ``path`` (a machine.json, a benchmarks.json or a
    result file), or None."""
    from asv import util
    from asv.benchmarks import Benchmarks
    from asv.machine import Machine
    from asv.results import Results

    path = Path(path)
    try:
        if path.name == "machine.json":
            util.load_json(str(path), api_version=Machine.api_version)
        elif path.name == "benchmarks.json" or path.parent.name == "benchmarks":
            util.load_json(str(path), api_version=Benchmarks.api_version)
        else:
            Results.load(str(path))
    except Exception as exc:  # asv raises UserError, json errors, KeyError...
        return f"{type(exc).__name__}: {str(exc)[:200]}"
    return None


def restore_machine_json(machine_dir) -> bool:
    """Write a minimal asv ``machine.json`` (its name only) in ``machine_dir``
    when it has none that asv can read: asv skips every result of a machine
    whose machine.json it cannot read.  True if one was written."""
    from asv import util
    from asv.machine import Machine

    machine_dir = Path(machine_dir)
    path = machine_dir / "machine.json"
    if path.is_file() and unreadable(path) is None:
        return False
    util.write_json(str(path), {"machine": machine_dir.name}, api_version=Machine.api_version)
    return True


def _benchmarks_json(results_dir: Path) -> dict:
    from asv import util
    from asv.benchmarks import Benchmarks

    path = results_dir / "benchmarks.json"
    if not path.is_file():
        return {}
    return util.load_json(str(path), api_version=Benchmarks.api_version)


def _machine_json(results_dir: Path, name: str) -> dict:
    from asv import util
    from asv.machine import Machine

    path = results_dir / name / "machine.json"
    if unreadable(path):
        return {}
    return util.load_json(str(path), api_version=Machine.api_version)


def _add(run: Run, result, benchmarks: dict) -> list[str]:
    """The points of one result file.  A benchmark with parameters that
    ``benchmarks.json`` does not describe (no entry, or another number of
    parameters) cannot be read by name: it is left out, and returned."""
    from asv.commands.compare import unroll_result

    undescribed = []
    run.durations.update(result.duration or {})
    for key in result.get_all_result_keys():
        axes = result.get_result_params(key)
        names = list(benchmarks.get(key, {}).get("param_names", []))
        if axes and len(names) != len(axes):
            undescribed.append(key)
            continue
        run.grids[key] = (names, axes)
        rows = unroll_result(key, axes, result.get_result_value(key, axes),
                             result.get_result_stats(key, axes),
                             result.get_result_samples(key, axes))
        combos = itertools.product(*axes) if axes else [()]
        for (name, value, stats, samples), combo in zip(rows, combos, strict=True):
            params = dict(zip(names, (_literal(c) for c in combo), strict=False))
            run.points[name] = _make_point(name, key, params, value, stats, samples)
    return undescribed


def _check_described(run: Run, undescribed: list[str], results_dir: Path) -> None:
    """Name the benchmarks that benchmarks.json does not describe; a
    ValueError when it describes none of the run's benchmarks that have
    parameters: it is not the file of these results."""
    run.left_out += [f"{key}: left out, benchmarks.json does not describe its parameters"
                     for key in sorted(set(undescribed))]
    if undescribed and not any(names for names, axes in run.grids.values() if axes):
        raise ValueError(f"{results_dir / 'benchmarks.json'} does not describe the results of "
                         f"{run.machine} at {run.commit[:8]} ({len(undescribed)} benchmarks "
                         "with parameters unknown to it): copy the benchmarks.json written "
                         "with these results")


def _cpus(run: Run) -> None:
    recorded = run.points.get(CPUS_BENCHMARK)
    if recorded is not None and recorded.ok and recorded.value >= 1:
        run.cpus, run.cpus_source = int(recorded.value), "recorded by the run"
        return
    try:
        run.cpus = int(run.machine_info.get("num_cpu"))
        run.cpus_source = "asv's machine.json (num_cpu)"
    except (TypeError, ValueError):
        run.cpus, run.cpus_source = None, "unknown"


def _env_python(result) -> str | None:
    """The Python build asv's environment names for this result (3.11, 3.13t)."""
    return (result.params or {}).get("python") or None


def _env_release(result) -> str | None:
    """The Cython release asv's matrix installed for this result, if any."""
    return (result.params or {}).get("Cython") or None


def _recorded_release(result) -> str | None:
    if CYTHON_BENCHMARK not in result.get_all_result_keys():
        return None
    values = result.get_result_value(CYTHON_BENCHMARK, [])
    return release_text(values[0]) if values and values[0] is not None else None


def _release(result) -> tuple[str | None, str]:
    recorded = _recorded_release(result)
    if recorded:
        return recorded, "recorded by the run"
    env = _env_release(result)
    if env:
        return env, "asv's environment (matrix)"
    return None, "unknown"


def measured_releases(results_dir, machine: str, *, values: bool = True,
                      of=_env_release) -> dict:
    """{commit: {Cython release asv's matrix installed (None without the
    matrix)}} for each commit ``machine`` has a result with at least one
    measured value for (with ``values=False``: any readable result, failed
    ones too).  ``of=`` :func:`_env_python` gives the Python builds instead
    (:func:`measured_pythons`)."""
    out = {}
    for r in read_machine(results_dir, machine)[0]:
        got = (v for key in r.get_all_result_keys()
               for v in r.get_result_value(key, r.get_result_params(key)) or [])
        if not values or any(v is not None and not math.isnan(v) for v in got):
            out.setdefault(r.commit_hash, set()).add(of(r))
    return out


def measured_environments(results_dir, machine: str, *, values: bool = True) -> dict:
    """{commit: {(Python build, Cython release)}}, as :func:`measured_releases`."""
    return measured_releases(results_dir, machine, values=values,
                             of=lambda r: (_env_python(r), _env_release(r)))


def measured_pythons(results_dir, machine: str, *, values: bool = True) -> dict:
    """{commit: {Python build asv's environment names}}, as
    :func:`measured_releases`."""
    return measured_releases(results_dir, machine, values=values, of=_env_python)


def load(results_dir, *, machine: str | None = None, commit: str | None = None,
         earlier: int = 0) -> list[Run]:
    """One :class:`Run` per machine (only ``machine`` if given) and Cython
    release: the commit ``commit`` (a prefix is enough) or else the newest
    commit measured there.  With ``earlier`` = k, each run also carries the
    same machine and build at the k commits measured before it (newest
    first, :attr:`Run.earlier`).  Raises ValueError when nothing matches."""
    if isinstance(earlier, bool) or not isinstance(earlier, int) or earlier < 0:
        raise ValueError(f"earlier must be an integer >= 0, got {earlier!r}")
    results_dir = Path(results_dir)
    if not results_dir.is_dir():
        raise ValueError(f"no asv results directory at {results_dir}")
    names = machines(results_dir)
    if machine is not None:
        if machine not in names:
            raise ValueError(f"no results for machine {machine!r} in {results_dir} "
                             f"(machines there: {', '.join(names) or 'none'})")
        names = [machine]
    if not names:
        raise ValueError(f"no machine has results in {results_dir}")
    benchmarks = _benchmarks_json(results_dir)
    runs, orphans = [], []   # orphans: unreadable files of machines with no readable one
    for name in names:
        files, unreadable_files = read_machine(results_dir, name)
        every = files
        if commit is not None:
            files = [r for r in files if r.commit_hash.startswith(commit)]
        if not files:
            orphans += unreadable_files
            if machine is not None or commit is not None:
                raise ValueError(f"no results for machine {name!r}"
                                 + (f" at commit {commit[:12]}" if commit else ""))
            continue
        # The newest commit; several files of one commit (environments) merge,
        # the most recently run value winning.
        newest = max(files, key=_when)
        these = _runs_at(results_dir, name, every, newest, benchmarks, unreadable_files)
        before = sorted({r.commit_hash: r for r in every if r.commit_hash != newest.commit_hash
                         and _when(r) < _when(newest)}.values(), key=_when, reverse=True)
        by_build = {key[:2]: run for key, run in these.items()}   # (python, release)
        for old in before[:earlier]:
            for key, run in _runs_at(results_dir, name, every, old, benchmarks, []).items():
                if key[:2] in by_build:
                    by_build[key[:2]].earlier.append(run)
        runs += these.values()
    if not runs:
        raise ValueError(f"no results in {results_dir}"
                         + (f" that asv can read ({orphans[0]})" if orphans else ""))
    runs[0].left_out += orphans
    return runs


def _when(result) -> tuple:
    return (result.date or 0, max(result.started_at.values(), default=0))


def _runs_at(results_dir, name, files, newest, benchmarks, unreadable_files) -> dict:
    """{(python, release, source): Run} of machine ``name`` at the commit of
    ``newest``, one per Python build and Cython release, in build order."""
    same = sorted((r for r in files if r.commit_hash == newest.commit_hash),
                  key=lambda r: max(r.started_at.values(), default=0))
    by_build = {}
    for result in same:
        by_build.setdefault((_env_python(result), *_release(result)), []).append(result)
    several = len({python for python, _, _ in by_build}) > 1
    out = {}
    for key in sorted(by_build, key=lambda k: (sort_key(k[0]), k[0] or "", sort_key(k[1]))):
        python, release, source = key
        run = Run(machine=name, commit=newest.commit_hash, date=newest.date,
                  machine_info=_machine_json(results_dir, name), meta=benchmarks,
                  cython=release, cython_source=source, python=python,
                  show_python=several, left_out=list(unreadable_files))
        undescribed = []
        for result in by_build[key]:
            undescribed += _add(run, result, benchmarks)
        _check_described(run, undescribed, results_dir)
        _cpus(run)
        out[key] = run
    return out


def load_commit(results_dir, machine: str, commit: str, cython: str | None = None) -> Run:
    """The :class:`Run` of ``machine`` at ``commit`` (built with ``cython``
    when given; else the newest release measured there); ValueError if none."""
    runs = load(results_dir, machine=machine, commit=commit)
    if cython is None:
        return runs[-1]
    for run in runs:
        if run.cython == cython:
            return run
    raise ValueError(f"no results for machine {machine!r} at commit {commit[:12]} built with "
                     f"Cython {cython} (built with: "
                     f"{', '.join(str(r.cython) for r in runs)})")
