"""``gilbench info``: the machine and configuration a benchmark run really had."""

from __future__ import annotations

import json
import platform
import sys
from importlib import metadata


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def collect() -> dict:
    """Everything ``gilbench info`` reports, as plain JSON-able data."""
    from gilbench import _build_info, _openmp_helpers
    from gilbench.harness import pinning, threads
    from gilbench.harness.machine import last_level_cache_bytes, memory_bytes

    openmp = {
        "compiled_in": _openmp_helpers.openmp_enabled(),
        "version": _openmp_helpers.openmp_version(),
        "max_threads": _openmp_helpers.openmp_max_threads(),
        "runtimes": [
            {k: lib.get(k) for k in ("internal_api", "version", "num_threads", "filepath")}
            for lib in pinning.openmp_info()
        ],
    }
    blas = [
        {k: lib.get(k) for k in ("internal_api", "prefix", "version", "threading_layer",
                                 "architecture", "num_threads", "filepath")}
        for lib in pinning.blas_info()
    ]
    return {
        "cpus": {"total": threads.total_cpus(), "usable": threads.usable_cpus(),
                 "thread_counts": threads.thread_counts(oversubscribe=True)},
        "memory": {"last_level_cache_bytes": last_level_cache_bytes(),
                   "physical_bytes": memory_bytes()},
        "openmp": openmp,
        "blas": blas,
        "unpinnable_blas": pinning.unpinnable_blas(),
        "build": {"cython": _build_info.cython_version, "c_compiler": _build_info.c_compiler,
                  "buildtype": _build_info.buildtype, "openmp_found": _build_info.openmp_found,
                  "prange_keeps_gil": _build_info.prange_keeps_gil},
        "versions": {
            "python": platform.python_version(),
            "gilbench": _version("gilbench"),
            "numpy": _version("numpy"),
            "scipy": _version("scipy"),
            "threadpoolctl": _version("threadpoolctl"),
            "cython_installed": _version("Cython"),
        },
        "platform": {"machine": platform.machine(), "system": platform.system(),
                     "python_executable": sys.executable},
    }


def render(data: dict) -> str:
    """The plain-text report."""
    cpus, omp, build = data["cpus"], data["openmp"], data["build"]
    lines = [
        "gilbench " + str(data["versions"]["gilbench"]),
        f"CPUs: {cpus['usable']} usable of {cpus['total']}"
        f" (thread counts benchmarked: {', '.join(map(str, cpus['thread_counts']))})",
    ]
    mem = data["memory"]
    llc, ram = mem["last_level_cache_bytes"], mem["physical_bytes"]
    lines.append(f"Memory: last-level cache {llc / 2**20:.0f} MiB, RAM {ram / 2**30:.1f} GiB"
                 if llc and ram else f"Memory: last-level cache {llc}, RAM {ram}")
    if omp["compiled_in"]:
        lines.append(f"OpenMP: compiled in (_OPENMP {omp['version']}), "
                     f"max threads {omp['max_threads']}")
        for rt in omp["runtimes"]:
            lines.append(f"  runtime {rt['internal_api']} {rt['version'] or ''} "
                         f"threads={rt['num_threads']} {rt['filepath']}")
    else:
        lines.append("OpenMP: NOT compiled in -- prange runs on one thread; "
                     "multi-thread benchmarks are skipped")
    lines.append(f"BLAS libraries loaded: {len(data['blas'])}")
    for lib in data["blas"]:
        lines.append(f"  {lib['internal_api']} {lib['version']} "
                     f"threading={lib['threading_layer']} arch={lib['architecture']} "
                     f"threads={lib['num_threads']}")
        lines.append(f"    {lib['filepath']}")
    for reason in data["unpinnable_blas"]:
        lines.append(f"  cannot pin: {reason}")
    v = data["versions"]
    lines.append(f"Built with Cython {build['cython']}, {build['c_compiler']}, "
                 f"buildtype={build['buildtype']}")
    lines.append("prange keeping the GIL (C5b): "
                 + ("compiled in" if build["prange_keeps_gil"]
                    else "not compiled in (needs Cython >= 3.3)"))
    lines.append("Versions: " + ", ".join(f"{k} {v[k]}" for k in
                                          ("python", "numpy", "scipy", "threadpoolctl",
                                           "cython_installed")))
    return "\n".join(lines)


def text(as_json: bool = False) -> str:
    """The report ``gilbench info`` prints: plain text, or JSON."""
    data = collect()
    return json.dumps(data, indent=2) if as_json else render(data)
