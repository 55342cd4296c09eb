"""asv's results, read with asv's own loader.

:func:`load` returns one :class:`Run` per machine: the newest commit measured on
that machine (or the one asked for), with every benchmark value it recorded.
The files are read by ``asv.results`` (``iter_results_for_machine``,
``Results.get_result_value``) and ``asv.util.load_json`` (``machine.json``,
``benchmarks.json``), never parsed by hand here; a corrupt result file is
skipped by asv with a warning that names it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Point", "Run", "load", "machines"]


@dataclass(frozen=True)
class Point:
    """One benchmark value, or why there is none."""

    value: float | None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.value is not None


@dataclass
class Run:
    """What one machine measured at one commit."""

    machine: str
    commit: str
    date: int | None                       # commit date, JS timestamp (ms)
    machine_info: dict                     # asv's machine.json
    cpus: int | None                       # usable CPUs the benchmarks saw
    values: dict = field(default_factory=dict)       # name -> list of values
    params: dict = field(default_factory=dict)       # name -> list of param reprs
    param_names: dict = field(default_factory=dict)  # name -> list of names

    def point(self, benchmark: str, **params) -> Point:
        """The value of ``benchmark`` (asv's full name, or its unique suffix)
        at ``params`` (by parameter name), or why there is none."""
        name = self._resolve(benchmark)
        if name is None:
            return Point(None, "not in the results (not run on this commit)")
        values, grid, names = self.values[name], self.params[name], self.param_names[name]
        if values is None:
            return Point(None, "failed (asv recorded no value)")
        if not names:
            return _point(values if not isinstance(values, list) else values[0])
        want = []
        for pname, axis in zip(names, grid, strict=True):
            if pname not in params:
                raise KeyError(f"{benchmark}: parameter {pname!r} not given")
            r = repr(params[pname])
            if r not in axis:
                return Point(None, f"{pname}={params[pname]!r} was not a parameter of this run")
            want.append(axis.index(r))
        index = 0
        for i, axis in zip(want, grid, strict=True):
            index = index * len(axis) + i
        return _point(values[index])

    def axis(self, benchmark: str, param: str) -> list:
        """The values parameter ``param`` of ``benchmark`` took in this run."""
        import ast

        name = self._resolve(benchmark)
        if name is None or param not in self.param_names[name]:
            return []
        return [ast.literal_eval(r) for r in self.params[name][self.param_names[name].index(param)]]

    def _resolve(self, benchmark):
        if benchmark in self.values:
            return benchmark
        hits = [n for n in self.values if n.endswith("." + benchmark)]
        return hits[0] if len(hits) == 1 else None


def _point(value) -> Point:
    if value is None:
        return Point(None, "failed (asv recorded no value)")
    if isinstance(value, float) and math.isnan(value):
        return Point(None, "skipped by the benchmark (it cannot run as asked here)")
    return Point(float(value))


def machines(results_dir) -> list[str]:
    """Names of the machines that have results in ``results_dir``."""
    results_dir = Path(results_dir)
    return sorted(p.parent.name for p in results_dir.glob("*/machine.json"))


def load(results_dir, *, machine: str | None = None, commit: str | None = None) -> list[Run]:
    """One :class:`Run` per machine (only ``machine`` if given): the commit
    ``commit`` (a prefix is enough) or else the newest commit measured there.
    Raises ValueError when nothing matches."""
    from asv import util
    from asv.machine import Machine
    from asv.results import iter_results_for_machine

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
    bench_path = results_dir / "benchmarks.json"
    benchmarks = {}
    if bench_path.is_file():
        from asv.benchmarks import Benchmarks

        benchmarks = util.load_json(str(bench_path), api_version=Benchmarks.api_version)
    runs = []
    for name in names:
        info = util.load_json(str(results_dir / name / "machine.json"),
                              api_version=Machine.api_version)
        files = list(iter_results_for_machine(str(results_dir), name))
        if commit is not None:
            files = [r for r in files if r.commit_hash.startswith(commit)]
        if not files:
            if machine is not None or commit is not None:
                raise ValueError(f"no results for machine {name!r}"
                                 + (f" at commit {commit}" if commit else ""))
            continue
        # The newest commit; several files of one commit (environments) merge,
        # the most recently run value winning.
        newest = max(files, key=lambda r: (r.date or 0, max(r.started_at.values(), default=0)))
        same = sorted((r for r in files if r.commit_hash == newest.commit_hash),
                      key=lambda r: max(r.started_at.values(), default=0))
        run = Run(machine=name, commit=newest.commit_hash, date=newest.date, machine_info=info,
                  cpus=None)
        for result in same:
            for key in result.get_all_result_keys():
                grid = result.get_result_params(key)
                run.values[key] = result.get_result_value(key, grid)
                run.params[key] = grid
                run.param_names[key] = list(benchmarks.get(key, {}).get("param_names", [])) or [
                    f"p{i}" for i in range(len(grid))]
        run.cpus = _usable_cpus(run)
        runs.append(run)
    if not runs:
        raise ValueError(f"no results in {results_dir}")
    return runs


def _usable_cpus(run: Run) -> int | None:
    """The CPUs the benchmarks could use, as the run's own parameters show: the
    plain thread ladder (1 .. CPUs) of C7's schedule benchmark, else the BLAS
    column of C9's grid (1, CPUs), else what asv's machine.json says."""
    for bench, param in (("TimeC7Schedule.time_c7_schedule", "threads"),
                         ("TrackC7Bandwidth.track_c7_gbps", "threads"),
                         ("TimeC9Pattern.time_c9_pattern", "blas_threads")):
        counts = run.axis(bench, param)
        if counts:
            return max(counts)
    try:
        return int(run.machine_info.get("num_cpu"))
    except (TypeError, ValueError):
        return None
