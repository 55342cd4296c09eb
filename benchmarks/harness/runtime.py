"""The runtime record: what decides how threads behave besides their count,
and the one rule for which of the caller's variables the benchmarks see.

Two numbers that differ 5x can come from the same code run under another
OpenMP wait policy, another OpenBLAS, or two vCPUs that share a core.  So
every run records, inside a benchmark process and after the package under
test is imported (what the package sets at import is seen):

* the thread-changing environment variables as the process sees them
  (:data:`VARIABLES`), and which of them the import of the suite changed;
* the OpenMP runtime loaded (libgomp, libomp or libiomp, found by
  threadpoolctl) and the settings in force, from its own query functions
  (``omp_get_dynamic``, ``omp_get_thread_limit``, ...) and, for libgomp's
  wait policy and spin count, from ``omp_display_env``;
* every BLAS pool threadpoolctl sees: library, version, threading layer,
  architecture, and its thread count as the package left it (before the
  suite sets BLAS to one thread: :func:`.pinning.start_blas_at_one`);
* NumPy, SciPy, threadpoolctl, the compiler and a digest of the flags the
  kernels were built with;
* the CPU: a digest of its model, online and usable CPUs, cores, SMT
  siblings per core, packages, NUMA nodes, cache sizes and how many usable
  CPUs share the last-level cache, the frequency governor;
* the hypervisor's steal and the other processes' CPU over a short window.

asv stores numbers, so each item is one number (``bench_runtime``'s
``track_runtime(item)``, filed with the run's other results): an enumerated
setting by its index in a vocabulary (:data:`VOCABULARIES`, append-only), a
release by its release number, text with no vocabulary by a CRC-32 digest
(it says *that* two runs differ; asv's machine.json names the CPU).
:func:`describe` turns a value back into words.  An item that cannot be read
here is skipped with the reason (asv's NotImplementedError).

The caller's shell is not part of the experiment: :func:`controlled_environ`
removes :data:`VARIABLES` (and every variable under :data:`PREFIXES`) from
the environment gilbench hands to asv, unless ``GILBENCH_KEEP_RUNTIME=1``
(:data:`KEEP`) keeps them; a run that kept any is filed under a machine name
that names them (:func:`machine_suffix`) and labelled on both pages.

Items fall in four groups (:data:`GROUPS`): ``import`` (what a package can
change when it is imported: the gate fails a HEAD that changes one),
``build`` (compiler, flags, libraries installed: named), ``machine`` (the
hardware under the run: a difference between two sides of one gate means
the machine changed) and ``load`` (sampled, never compared).
"""

from __future__ import annotations

import ctypes
import math
import os
import re
import tempfile
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

__all__ = ["VARIABLES", "PREFIXES", "KEEP", "ITEMS", "GROUPS", "VOCABULARIES", "UNSET",
           "controlled", "controlled_environ", "kept_variables", "machine_suffix",
           "caller_environment", "record", "value", "describe", "settings_text",
           "differences", "Difference", "proc_stat"]

#: ``GILBENCH_KEEP_RUNTIME=1``: hand the caller's thread-changing variables
#: to the benchmarks (recorded and labelled) instead of clearing them.
KEEP = "GILBENCH_KEEP_RUNTIME"

#: The variables that change how OpenMP, BLAS and CPython threads behave and
#: that the record reads one by one.  ``PYTHON_GIL=1`` turns the GIL back on
#: in a free-threaded CPython.
VARIABLES = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "OMP_PROC_BIND", "OMP_PLACES",
             "OMP_DYNAMIC", "OMP_THREAD_LIMIT", "OMP_NUM_THREADS", "OMP_MAX_ACTIVE_LEVELS",
             "OMP_SCHEDULE", "GOMP_CPU_AFFINITY", "KMP_BLOCKTIME", "KMP_AFFINITY",
             "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS", "PYTHON_GIL")
#: Every variable under these prefixes is cleared as well, and counted
#: (``env other``) when set.
PREFIXES = ("OMP_", "GOMP_", "KMP_", "OPENBLAS_", "GOTO_", "MKL_", "BLIS_", "VECLIB_")

#: The value of an unset variable (and of an item whose thing is absent).
UNSET = -1.0

#: Enumerated settings: a value is its index here (append only: old results
#: keep their meaning).  An enumerated variable set to something else reads
#: :data:`OTHER`.
VOCABULARIES = {
    "OMP_WAIT_POLICY": ("active", "passive"),
    "OMP_PROC_BIND": ("false", "true", "master", "close", "spread", "primary"),
    "OMP_PLACES": ("threads", "cores", "sockets", "ll_caches", "numa_domains"),
    "OMP_DYNAMIC": ("false", "true"),
    "OMP_SCHEDULE": ("static", "dynamic", "guided", "auto"),
    "KMP_AFFINITY": ("none", "compact", "scatter", "balanced", "disabled", "explicit"),
    "PYTHON_GIL": ("0", "1"),
    "openmp runtime": ("none", "libgomp", "libomp", "libiomp"),
    "openmp wait policy": ("active", "passive"),
    "openmp proc bind": ("false", "true", "primary", "close", "spread"),
    "blas api": ("openblas", "mkl", "blis", "flexiblas"),
    "blas layer": ("pthreads", "openmp", "disabled", "tbb", "sequential", "intel", "gnu"),
    # OpenBLAS's core names (gotoblas corename, lower case), as threadpoolctl
    # reports them.
    "blas architecture": ("haswell", "skylakex", "cooperlake", "sapphirerapids", "zen",
                          "sandybridge", "nehalem", "core2", "prescott", "atom", "bulldozer",
                          "piledriver", "steamroller", "excavator", "armv8", "neoversen1",
                          "neoversen2", "neoversev1", "neoversev2", "cortexa57", "cortexa72",
                          "thunderx2t99", "a64fx", "power8", "power9", "power10", "generic",
                          "vortex", "armv8sve", "cortexa53", "riscv64_generic", "loongson3r5"),
    "compiler": ("gcc", "clang", "intel", "msvc", "intel-llvm"),
    "cpu governor": ("performance", "powersave", "schedutil", "ondemand", "conservative",
                     "userspace"),
}
OTHER = 99.0

#: What a number is, per item: "enum" (index in VOCABULARIES[vocab]),
#: "count", "release", "digest", "bytes", "fraction", "cpus", "mhz".
@dataclass(frozen=True)
class Item:
    name: str
    group: str
    kind: str
    vocab: str | None = None


GROUPS = ("import", "build", "machine", "load")
_BLAS_SLOTS = 3


def _items() -> tuple:
    out = []
    for var in VARIABLES:
        out.append(Item(f"env {var}", "import", "enum" if var in VOCABULARIES else
                        ("digest" if var == "GOMP_CPU_AFFINITY" else "count"),
                        var if var in VOCABULARIES else None))
    out += [Item("env other", "import", "count"),
            Item("env set at import", "import", "count"),
            Item("openmp runtime", "build", "enum", "openmp runtime"),
            Item("openmp wait policy", "import", "enum", "openmp wait policy"),
            Item("openmp spin count", "import", "count"),
            Item("openmp dynamic", "import", "count"),
            Item("openmp thread limit", "import", "count"),
            Item("openmp max threads", "import", "count"),
            Item("openmp proc bind", "import", "enum", "openmp proc bind"),
            Item("openmp max active levels", "import", "count"),
            Item("openmp places", "import", "count"),
            Item("blas libraries", "build", "count")]
    for i in range(1, _BLAS_SLOTS + 1):
        out += [Item(f"blas{i} api", "build", "enum", "blas api"),
                Item(f"blas{i} version", "build", "release"),
                Item(f"blas{i} layer", "build", "enum", "blas layer"),
                Item(f"blas{i} architecture", "build", "enum", "blas architecture"),
                Item(f"blas{i} threads", "import", "count")]
    out += [Item("numpy", "build", "release"), Item("scipy", "build", "release"),
            Item("threadpoolctl", "build", "release"),
            Item("compiler", "build", "enum", "compiler"),
            Item("compiler version", "build", "release"),
            Item("build flags", "build", "digest"),
            Item("cpu model", "machine", "digest"),
            Item("cpus online", "machine", "cpus"),
            Item("cpus usable", "machine", "cpus"),
            Item("cores usable", "machine", "cpus"),
            Item("smt siblings", "machine", "cpus"),
            Item("packages", "machine", "count"),
            Item("numa nodes", "machine", "count"),
            Item("cache l1d", "machine", "bytes"),
            Item("cache l2", "machine", "bytes"),
            Item("cache llc", "machine", "bytes"),
            Item("llc shared by", "machine", "cpus"),
            Item("cpu governor", "machine", "enum", "cpu governor"),
            Item("cpu max mhz", "machine", "mhz"),
            Item("load steal", "load", "fraction"),
            Item("load others", "load", "cpus")]
    return tuple(out)


#: Every item of the record, in the order the pages show them.
ITEMS = {item.name: item for item in _items()}


# -- the caller's environment -------------------------------------------------

#: Under a controlled prefix but changing no thread: threadpoolctl sets
#: ``KMP_DUPLICATE_LIB_OK`` when it is imported (it lets two Intel OpenMP
#: runtimes load side by side), so every run would count it.
NOT_THREADING = ("KMP_DUPLICATE_LIB_OK",)


def controlled(name: str) -> bool:
    """Whether ``name`` is a variable the suite controls."""
    return name not in NOT_THREADING and (name in VARIABLES or name.startswith(PREFIXES))


def kept_variables(environ=None) -> dict:
    """The controlled variables set in ``environ`` (default os.environ)."""
    environ = os.environ if environ is None else environ
    return {k: v for k, v in sorted(environ.items()) if controlled(k)}


def _keep(environ) -> bool:
    flag = environ.get(KEEP, "").strip().lower()
    if flag in ("", "0", "false", "no"):
        return False
    if flag in ("1", "true", "yes"):
        return True
    raise ValueError(f"{KEEP} must be 1 or 0, got {environ.get(KEEP)!r}")


def controlled_environ(environ=None) -> tuple[dict, dict, bool]:
    """(the environment for asv and its benchmarks, the controlled variables
    the caller had set, whether they were kept).  Without ``KEEP`` they are
    removed; with it they pass unchanged.  ValueError for a ``KEEP`` that is
    neither 1 nor 0."""
    environ = dict(os.environ if environ is None else environ)
    found = kept_variables(environ)
    if _keep(environ):
        return environ, found, True
    return {k: v for k, v in environ.items() if k not in found}, found, False


def machine_suffix(kept: dict) -> str:
    """What a machine name gets when a run keeps the caller's settings
    (``+OMP_WAIT_POLICY=passive``), so that asv files it apart from the
    default runs; characters a file name cannot hold become ``_``."""
    text = "+".join(f"{k}={v}" for k, v in sorted(kept.items()))
    return ("+" + re.sub(r"[^A-Za-z0-9_.,=+-]", "_", text)) if text else ""


#: The controlled variables as they were when the harness was first imported
#: (``benchmarks/__init__.py`` imports it before any benchmark module, so
#: before the package under test): what the caller handed to the process.
_CALLER = kept_variables()


def caller_environment() -> dict:
    return dict(_CALLER)


# -- reading one item ---------------------------------------------------------

def _digest(text: str) -> float:
    return float(zlib.crc32(text.encode()))


def _number(text: str) -> float:
    """``"4"`` -> 4; GOMP_SPINCOUNT's ``10k``/``2M`` suffixes and ``infinite``;
    a list (``4,2``) by its first entry; OTHER when unreadable."""
    t = text.strip().lower().split(",")[0]
    if t in ("infinite", "infinity"):
        return 1e18
    m = re.fullmatch(r"(\d+)\s*([kmgt]?)", t)
    if not m:
        return OTHER
    return float(int(m.group(1)) * 1000 ** " kmgt".index(m.group(2) or " "))


def _enum(vocab: str, text: str) -> float:
    words = VOCABULARIES[vocab]
    t = text.strip().lower()
    if vocab == "OMP_PLACES" and t.split("(")[0] not in words:
        return OTHER  # an explicit list of places
    t = t.split("(")[0] if vocab == "OMP_PLACES" else t.split(",")[0]
    return float(words.index(t)) if t in words else OTHER


def _env_value(var: str, environ) -> float:
    text = environ.get(var)
    if text is None:
        return UNSET
    item = ITEMS[f"env {var}"]
    if item.kind == "enum":
        return _enum(var, text)
    if item.kind == "digest":
        return _digest(text)
    return _number(text)


@dataclass
class _Context:
    """What several items read, gathered once per process."""

    environ: dict
    threadpools: list
    blas_as_left: dict | None
    omp: object | None
    omp_display: dict


def _threadpools() -> list:
    from threadpoolctl import threadpool_info

    return threadpool_info()


def _omp_library(pools):
    for p in pools:
        if p.get("user_api") == "openmp":
            try:
                return p, ctypes.CDLL(p["filepath"])
            except OSError:
                return p, None
    return None, None


def _display_env(lib) -> dict:
    """libgomp's ``omp_display_env(1)`` output (stderr, captured) as
    {variable: value}; {} where the runtime has no such function."""
    if lib is None or not hasattr(lib, "omp_display_env"):
        return {}
    with tempfile.TemporaryFile() as out:
        saved = os.dup(2)
        try:
            os.dup2(out.fileno(), 2)
            lib.omp_display_env(1)
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    return dict(re.findall(r"^\s*(\w+) = '([^']*)'", text, flags=re.M))


def _context() -> _Context:
    from . import pinning

    pools = _threadpools()
    _, lib = _omp_library(pools)
    return _Context(dict(os.environ), pools, pinning.blas_as_left_by_package(), lib,
                    _display_env(lib))


def _omp_int(ctx: _Context, fn: str) -> float:
    if ctx.omp is None:
        raise NotImplementedError("no OpenMP runtime is loaded (built without OpenMP)")
    f = getattr(ctx.omp, fn, None)
    if f is None:
        raise NotImplementedError(f"the OpenMP runtime has no {fn}")
    f.restype = ctypes.c_int
    return float(f())


def _blas(ctx: _Context) -> list:
    libs = [p for p in ctx.threadpools if p.get("user_api") == "blas"]
    return sorted(libs, key=lambda p: (p.get("internal_api", ""),
                                       os.path.basename(p.get("filepath", ""))))


def _cpu_dirs(cpus) -> dict:
    base = Path("/sys/devices/system/cpu")
    return {c: base / f"cpu{c}" for c in cpus if (base / f"cpu{c}").is_dir()}


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def _usable() -> list:
    try:
        return sorted(os.sched_getaffinity(0))
    except AttributeError:
        return list(range(os.cpu_count() or 1))


def _topology(what: str) -> float:
    """cores usable, smt siblings, packages: from sysfs topology."""
    dirs = _cpu_dirs(_usable())
    cores, siblings, packages = set(), [], set()
    for d in dirs.values():
        core, pkg = _read(d / "topology/core_id"), _read(d / "topology/physical_package_id")
        sib = _read(d / "topology/thread_siblings_list") or _read(d / "topology/core_cpus_list")
        if core is None or pkg is None:
            continue
        cores.add((pkg, core))
        packages.add(pkg)
        if sib:
            siblings.append(len(_cpu_list(sib)))
    if not cores:
        raise NotImplementedError("/sys/devices/system/cpu/*/topology is not readable here")
    return float({"cores usable": len(cores), "smt siblings": max(siblings or [1]),
                  "packages": len(packages)}[what])


def _cpu_list(text: str) -> set:
    out = set()
    for part in text.split(","):
        if "-" in part:
            a, b = part.split("-")
            out |= set(range(int(a), int(b) + 1))
        elif part.strip():
            out.add(int(part))
    return out


def _caches() -> dict:
    """{"l1d" | "l2" | "llc": (bytes, CPUs sharing it that are usable)} of the
    first usable CPU."""
    usable = set(_usable())
    d = next(iter(_cpu_dirs(sorted(usable)).values()), None)
    found = {}
    for index in sorted((d / "cache").glob("index*")) if d else ():
        level, kind = _read(index / "level"), _read(index / "type")
        size = _read(index / "size")
        if not (level and kind and size) or kind == "Instruction":
            continue
        m = re.fullmatch(r"(\d+)([KMG]?)", size)
        if not m:
            continue
        nbytes = int(m.group(1)) * {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}[m.group(2)]
        shared = _cpu_list(_read(index / "shared_cpu_list") or "") & usable
        found[int(level)] = (nbytes, len(shared) or 1, kind)
    if not found:
        raise NotImplementedError("no cache sizes readable under /sys/devices/system/cpu")
    out = {"llc": found[max(found)]}
    if 1 in found:
        out["l1d"] = found[1]
    if 2 in found:
        out["l2"] = found[2]
    return out


def _cpu_model() -> str:
    text = _read(Path("/proc/cpuinfo")) or ""
    m = re.search(r"^(?:model name|Processor|cpu model)\s*:\s*(.+)$", text, flags=re.M)
    if not m:
        raise NotImplementedError("/proc/cpuinfo names no CPU model here")
    return m.group(1).strip()


_HZ = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def proc_stat() -> tuple[float, float, float] | None:
    """(busy seconds, steal seconds, total seconds) of all CPUs so far, from
    ``/proc/stat``; None where it cannot be read (not Linux).  Busy is user,
    nice, system, irq and softirq; the total adds idle, iowait and steal."""
    try:
        with open("/proc/stat", encoding="ascii") as f:
            fields = f.readline().split()
    except OSError:
        return None
    if not fields or fields[0] != "cpu":
        return None
    v = [int(x) for x in fields[1:9]] + [0] * max(0, 9 - len(fields))
    user, nice, system, idle, iowait, irq, softirq, steal = v[:8]
    busy = user + nice + system + irq + softirq
    return busy / _HZ, steal / _HZ, (busy + idle + iowait + steal) / _HZ


#: Seconds over which the load items sample /proc/stat.
LOAD_WINDOW = 0.3


def _sample_load(what: str) -> float:
    """The steal fraction or the other processes' CPUs over LOAD_WINDOW
    seconds (this process sleeps meanwhile, so all the busy time is others')."""
    a = proc_stat()
    if a is None:
        raise NotImplementedError("/proc/stat is not readable here")
    time.sleep(LOAD_WINDOW)
    busy, steal, total = ((y - x) for x, y in zip(a, proc_stat(), strict=True))
    if what == "load steal":
        return steal / total if total else 0.0
    return busy / LOAD_WINDOW


def value(name: str, ctx: _Context | None = None) -> float:
    """The record's number for item ``name``; NotImplementedError with the
    reason where it cannot be read here; KeyError for an unknown item."""
    item = ITEMS[name]
    if item.group == "load":
        return _sample_load(name)
    ctx = ctx or _context()
    if name.startswith("env "):
        var = name[4:]
        if var == "other":
            return float(sum(1 for k in ctx.environ if controlled(k) and k not in VARIABLES))
        if var == "set at import":
            now, before = kept_variables(ctx.environ), caller_environment()
            return float(sum(1 for k in set(now) | set(before) if now.get(k) != before.get(k)))
        return _env_value(var, ctx.environ)
    if name == "openmp runtime":
        pool, _ = _omp_library(ctx.threadpools)
        if pool is None:
            return 0.0
        prefix = pool.get("prefix", "")
        return float(VOCABULARIES["openmp runtime"].index(prefix)) \
            if prefix in VOCABULARIES["openmp runtime"] else OTHER
    if name in ("openmp wait policy", "openmp spin count"):
        if ctx.omp is None:
            raise NotImplementedError("no OpenMP runtime is loaded (built without OpenMP)")
        key = "OMP_WAIT_POLICY" if name.endswith("policy") else "GOMP_SPINCOUNT"
        if key not in ctx.omp_display:
            raise NotImplementedError(f"the OpenMP runtime does not display {key} "
                                      "(omp_display_env)")
        text = ctx.omp_display[key]
        return _enum("openmp wait policy", text) if name.endswith("policy") else _number(text)
    omp_calls = {"openmp dynamic": "omp_get_dynamic", "openmp thread limit":
                 "omp_get_thread_limit", "openmp max threads": "omp_get_max_threads",
                 "openmp proc bind": "omp_get_proc_bind", "openmp max active levels":
                 "omp_get_max_active_levels", "openmp places": "omp_get_num_places"}
    if name in omp_calls:
        return _omp_int(ctx, omp_calls[name])
    if name == "blas libraries":
        return float(len(_blas(ctx)))
    m = re.fullmatch(r"blas(\d) (\w+)", name)
    if m:
        libs = _blas(ctx)
        slot, what = int(m.group(1)), m.group(2)
        if slot > len(libs):
            return UNSET
        lib = libs[slot - 1]
        if what == "api":
            return _enum("blas api", lib.get("internal_api") or "")
        if what == "version":
            return _release(lib.get("version"))
        if what == "layer":
            return _enum("blas layer", lib.get("threading_layer") or "")
        if what == "architecture":
            arch = lib.get("architecture")
            return _enum("blas architecture", arch) if arch else UNSET
        left = ctx.blas_as_left or {}
        return float(left.get(lib["filepath"], lib.get("num_threads", UNSET)))
    if name in ("numpy", "scipy", "threadpoolctl"):
        from importlib.metadata import PackageNotFoundError, version

        try:
            return _release(version(name))
        except PackageNotFoundError:
            return UNSET
    if name in ("compiler", "compiler version", "build flags"):
        from gilbench import _build_info

        compiler = getattr(_build_info, "c_compiler", "")
        if name == "build flags":
            flags = getattr(_build_info, "build_flags", None)
            if flags is None:
                raise NotImplementedError("this build does not say its flags "
                                          "(gilbench._build_info has no build_flags)")
            return _digest(flags)
        cid, _, ver = compiler.partition(" ")
        return _enum("compiler", cid) if name == "compiler" else _release(ver)
    if name == "cpu model":
        return _digest(_cpu_model())
    if name == "cpus online":
        return float(os.cpu_count() or 1)
    if name == "cpus usable":
        return float(len(_usable()))
    if name in ("cores usable", "smt siblings", "packages"):
        return _topology(name)
    if name == "numa nodes":
        nodes = list(Path("/sys/devices/system/node").glob("node[0-9]*"))
        if not nodes:
            raise NotImplementedError("/sys/devices/system/node lists no NUMA node here")
        return float(len(nodes))
    if name.startswith("cache ") or name == "llc shared by":
        caches = _caches()
        if name == "llc shared by":
            return float(caches["llc"][1])
        level = name[6:]
        if level not in caches:
            raise NotImplementedError(f"no {level} cache is reported here")
        return float(caches[level][0])
    if name in ("cpu governor", "cpu max mhz"):
        d = next(iter(_cpu_dirs(_usable()).values()), None)
        leaf = "scaling_governor" if name == "cpu governor" else "cpuinfo_max_freq"
        text = _read(d / "cpufreq" / leaf) if d else None
        if text is None:
            raise NotImplementedError(f"no cpufreq {leaf} is readable here (a VM often "
                                      "has none)")
        return _enum("cpu governor", text) if name == "cpu governor" else int(text) / 1000
    raise KeyError(name)


def _release(text) -> float:
    from .release_numbers import release_number

    if not text:
        return UNSET
    try:
        return release_number(str(text))
    except ValueError:
        return _digest(str(text))


def record(names=None) -> dict:
    """{item: value or the reason it cannot be read} for ``names`` (default:
    every item but the sampled load)."""
    ctx = _context()
    out = {}
    for name in names or [n for n, i in ITEMS.items() if i.group != "load"]:
        try:
            out[name] = value(name, ctx)
        except NotImplementedError as exc:
            out[name] = str(exc)
    return out


# -- reading a record back ----------------------------------------------------

def describe(name: str, number) -> str:
    """Words for item ``name``'s recorded ``number``."""
    item = ITEMS.get(name)
    if number is None or (isinstance(number, float) and math.isnan(number)):
        return "not recorded"
    if item is None:
        return f"{number:g}"
    if number == UNSET:
        return "unset" if name.startswith("env ") else "none"
    if item.kind == "enum":
        words = VOCABULARIES[item.vocab]
        i = int(number)
        return words[i] if 0 <= i < len(words) and i == number else "other"
    if item.kind == "release":
        from .release_numbers import release_text

        return release_text(number) or f"#{int(number):08x}"
    if item.kind == "digest":
        return f"#{int(number):08x}"
    if item.kind == "bytes":
        for unit, size in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
            if number >= size:
                return f"{number / size:g} {unit}"
        return f"{number:g} B"
    if item.kind == "fraction":
        return f"{100 * number:.1f}%"
    if item.group == "load":
        return f"{number:.2f} CPUs"
    if item.kind == "mhz":
        return f"{number:g} MHz"
    if name == "openmp spin count" and number >= 1e18:
        return "infinite"
    if name == "openmp thread limit" and number >= 2**31 - 1:
        return "none"
    if number == OTHER and name.startswith("env "):
        return "other"
    return f"{number:g}"


def settings_text(values: dict) -> str:
    """``OMP_WAIT_POLICY=passive, GOMP_SPINCOUNT=0``: the controlled
    variables a record saw set, or "" for the suite's own settings."""
    parts = [f"{n[4:]}={describe(n, v)}" for n, v in values.items()
             if n.startswith("env ") and n not in ("env other", "env set at import")
             and v is not None and v != UNSET]
    other = values.get("env other")
    if other:
        parts.append(f"{other:g} other OMP_/BLAS variable(s)")
    return ", ".join(parts)


@dataclass(frozen=True)
class Difference:
    item: str
    group: str
    base: float | None
    head: float | None

    def __str__(self) -> str:
        return f"{self.item}: {describe(self.item, self.base)} -> " \
               f"{describe(self.item, self.head)}"


def differences(base: dict, head: dict) -> list:
    """The items two records disagree on (never the sampled load; an item
    that one side does not have is left out: an older suite records less)."""
    out = []
    for name in ITEMS:
        item = ITEMS[name]
        if item.group == "load" or name not in base or name not in head:
            continue
        a, b = base[name], head[name]
        if a is None or b is None or a == b:
            continue
        out.append(Difference(name, item.group, a, b))
    return out
