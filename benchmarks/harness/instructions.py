"""Exact instruction counts of single-thread kernels, with valgrind's callgrind.

Wall-clock time on a shared machine moves by 5-50% between runs; the number of
instructions a kernel executes does not move at all.  :func:`per_element`
runs one valgrind process that calls each kernel at two sizes, each call
between a counter reset and a dump (callgrind client requests from
``callgrind.c`` beside this file, compiled once and loaded with ctypes), and
returns the instructions per element, the
difference of the two counts over the difference of the sizes, so that the
call's fixed cost (argument checks, the Python call) drops out.  Two runs of
the same code give the same number; a compiler, Cython or source change that
adds work to the loop shows up in it at once.

Performance counters (``perf stat -e instructions``) would do this natively,
but virtual machines and CI runners usually do not expose them; valgrind
runs anywhere Linux does.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from . import compiled
from .build_contents import OLD_ARGUMENTS, other_arguments

__all__ = ["Unavailable", "RECIPES", "per_element", "per_element_shared", "unavailable_reason"]

def _normal(n, seed=0):
    import numpy as np

    return np.random.default_rng(seed).standard_normal(n)


def _x(f, n):
    x = _normal(n)
    return lambda: f(x)


def _x_out(f, n):
    x, out = _normal(n), _normal(n)
    return lambda: f(x, out)


def _x_y(f, n):
    x, y = _normal(n), _normal(n, 1)
    return lambda: f(x, y)


def _a_b_out(f, n):
    b, out = _normal(n), _normal(n)
    return lambda: f(0.9, b, out)


def _x_out_4stages_1thread(f, n):
    x, out = _normal(n), _normal(n)
    return lambda: f(x, out, 4, 1)


def _iterations(f, n):
    return lambda: f(n)


def _iterations_release_every_step(f, n):
    return lambda: f(n, 1)


def _iterations_never_release(f, n):
    return lambda: f(n, 0)


def _x_block_every_element_1thread(f, n):
    x = _normal(n)
    return lambda: f(x, 1, 1)


def _x_empty_gil_block_every_element_1thread(f, n):
    x = _normal(n)
    return lambda: f(x, 1, 1, "empty")


#: Chunks of C9's nested kernel: (CHUNK x CHUNK) @ (CHUNK x CHUNK) each.
CHUNK = 8


def _chunks_1thread(f, n):
    import numpy as np

    a = _normal(n * CHUNK * CHUNK).reshape(n, CHUNK, CHUNK)
    b = _normal(CHUNK * CHUNK, 1).reshape(CHUNK, CHUNK)
    out = np.empty_like(a)
    return lambda: f(a, b, out, 1)


#: How a kernel f is called on n "elements" -- array elements, loop
#: iterations or C9 chunks, as the recipe's name says: recipe(f, n) makes its
#: inputs (seeded normals) and returns the zero-argument call that is counted.
RECIPES = {
    "x": _x,
    "x_out": _x_out,
    "x_y": _x_y,
    "a_b_out": _a_b_out,
    "x_out_4stages_1thread": _x_out_4stages_1thread,
    "iterations": _iterations,
    "iterations_release_every_step": _iterations_release_every_step,
    "iterations_never_release": _iterations_never_release,
    "x_block_every_element_1thread": _x_block_every_element_1thread,
    "x_empty_gil_block_every_element_1thread": _x_empty_gil_block_every_element_1thread,
    "chunks_1thread": _chunks_1thread,
}

#: The two sizes whose counts are subtracted.
SIZES = (1_000, 11_000)


class Unavailable(RuntimeError):
    """Instruction counts cannot be taken here (the reason is the message)."""


#: The client requests, as C: compiled once per source and compiler by
#: :func:`client_requests` (valgrind's headers are all it needs).
CLIENT_REQUESTS = Path(__file__).with_name("callgrind.c")


def client_requests() -> Path:
    """The shared library of :data:`CLIENT_REQUESTS` (:mod:`.compiled`).
    Raises :class:`Unavailable` when it cannot be compiled (no compiler, no
    ``valgrind/callgrind.h``)."""
    try:
        return compiled.shared_library(CLIENT_REQUESTS)
    except compiled.CompileError as exc:
        raise Unavailable(f"the callgrind client requests cannot be built (valgrind's "
                          f"headers, valgrind/callgrind.h, are needed): {exc}") from None


def unavailable_reason() -> str | None:
    """Why instruction counts cannot be taken on this machine, or None."""
    if shutil.which("valgrind") is None:
        return "valgrind is not installed (apt-get install valgrind)"
    try:
        client_requests()
    except Unavailable as exc:
        return str(exc)
    return None


def _child(spec: dict) -> None:
    """What runs under valgrind: every point at both sizes, each call between
    a counter reset and a dump named ``label@n`` (the client requests of
    :func:`client_requests`, loaded with ctypes)."""
    import ctypes
    import importlib

    requests = ctypes.CDLL(spec["client_requests"])
    zero, dump = requests.gilbench_cg_zero, requests.gilbench_cg_dump
    zero.argtypes, zero.restype = [], None
    dump.argtypes, dump.restype = [ctypes.c_char_p], None
    uncounted = {}
    for label, (module, func, recipe) in spec["points"].items():
        f = getattr(importlib.import_module(module), func)
        for n in spec["sizes"]:
            call = RECIPES[recipe](f, n)
            try:
                call()  # first-call effects (imports, caches) stay out of the count
            except OLD_ARGUMENTS as exc:
                uncounted[label] = other_arguments(module, func, exc)
                break
            name = f"{label}@{n}".encode()
            zero()
            call()
            dump(name)
    print(json.dumps({"uncounted": uncounted}))


def per_element(points: dict, sizes=SIZES, timeout: float = 900) -> dict[str, float]:
    """{label: instructions per element} for ``points`` = {label: (module,
    function, recipe)} (recipe: a key of :data:`RECIPES`); ``{"skip":
    reason}`` for a point whose kernel refuses the recipe's arguments (an
    older build's, :data:`.build_contents.OLD_ARGUMENTS`).  Raises
    :class:`Unavailable` where valgrind or the client requests are missing,
    ValueError for a bad point, RuntimeError when valgrind fails."""
    reason = unavailable_reason()
    if reason:
        raise Unavailable(reason)
    n1, n2 = sizes
    if not (isinstance(n1, int) and isinstance(n2, int) and 0 <= n1 < n2):
        raise ValueError(f"sizes must be two integers 0 <= n1 < n2, got {sizes!r}")
    for label, point in points.items():
        if not isinstance(point, (tuple, list)) or len(point) != 3 or point[2] not in RECIPES:
            raise ValueError(f"point {label!r} must be (module, function, recipe) with a recipe "
                             f"in {sorted(RECIPES)}, got {point!r}")
        if "@" in label or "\n" in label:
            raise ValueError(f"label {label!r} must not contain '@' or a newline")
    with tempfile.TemporaryDirectory(prefix="gilbench-callgrind-") as tmp:
        spec = json.dumps({"points": points, "sizes": [n1, n2],
                           "client_requests": str(client_requests())})
        # This module, imported by its own name in the child: the suite's
        # harness (benchmarks.harness.instructions) or the tool's copy.
        root = Path(__file__).resolve().parents[__name__.count(".")]
        code = (f"import json, sys; sys.path.insert(0, {str(root)!r}); "
                f"from {__name__} import _child; _child(json.loads(sys.argv[1]))")
        env = dict(os.environ, PYTHONHASHSEED="0", OMP_NUM_THREADS="1",
                   OPENBLAS_NUM_THREADS="1")
        r = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/cg.out",
             "--dump-instr=no", "--dump-line=no", "--compress-strings=no",
             sys.executable, "-c", code, spec],
            env=env, capture_output=True, text=True, timeout=timeout)
        if r.returncode != 0:
            raise RuntimeError(f"valgrind exited {r.returncode}:\n{r.stderr[-3000:]}")
        counts = _read_dumps(Path(tmp))
    uncounted = json.loads(r.stdout.strip().splitlines()[-1])["uncounted"]
    out = {label: {"skip": why} for label, why in uncounted.items()}
    for label in (label for label in points if label not in out):
        a, b = counts.get(f"{label}@{n1}"), counts.get(f"{label}@{n2}")
        if a is None or b is None:
            raise RuntimeError(f"callgrind wrote no dump for {label!r} (got {sorted(counts)})")
        out[label] = (b - a) / (n2 - n1)
    return out


def _read_dumps(directory: Path) -> dict[str, int]:
    """{label: instructions (Ir)} of every client-request dump in ``directory``."""
    counts = {}
    for path in directory.glob("cg.out*"):
        text = path.read_text(errors="replace")
        label = re.search(r"^desc: Trigger: Client Request: (.+)$", text, re.M)
        total = re.search(r"^(?:totals|summary):\s+(\d+)", text, re.M)
        if label and total:
            counts[label.group(1).strip()] = int(total.group(1))
    return counts


def _key(point) -> str:
    return ":".join(point)


def _build_key(universe: list, sizes) -> str:
    """What the counts depend on: the points, the sizes, and the compiled
    modules that hold their kernels (by content: a new build is a new key);
    and who asks: under asv, the measured commit and the asv run (the parent
    process), so that two builds of identical code -- an A/A pair, BASE and
    HEAD sharing a kernel -- and two runs of one commit each count for
    themselves, and only the count tables of one run of one commit share."""
    who = [os.environ.get("ASV_COMMIT", ""), os.getppid()] if os.environ.get("ASV") else []
    h = hashlib.sha256(json.dumps([sorted(_key(p) for p in universe), list(sizes),
                                   sys.version, who]).encode())
    h.update(Path(__file__).read_bytes())
    h.update(CLIENT_REQUESTS.read_bytes())
    for module in sorted({p[0] for p in universe}):
        spec = importlib.util.find_spec(module)
        origin = spec.origin if spec else None
        h.update(module.encode())
        if origin and os.path.isfile(origin):
            h.update(Path(origin).read_bytes())
    return h.hexdigest()[:24]


def per_element_shared(points: dict, universe, sizes=SIZES, cache_dir=None) -> dict:
    """:func:`per_element` of ``points``, counted together with every point of
    ``universe`` (a collection of (module, function, recipe)) in one valgrind
    process and kept in a file keyed by the build (``cache_dir``, default the
    temporary directory): the suite's nine count tables then cost one
    valgrind start-up (about ten seconds under valgrind) instead of nine.
    The counts are the same either way: each call is counted between its own
    reset and dump, after a first uncounted call."""
    universe = sorted({tuple(p) for p in universe} | {tuple(p) for p in points.values()})
    path = Path(cache_dir or tempfile.gettempdir()) / \
        f"gilbench-instructions-{_build_key(universe, sizes)}.json"
    table = None
    try:
        table = json.loads(path.read_text())
    except (OSError, ValueError):
        pass
    if not isinstance(table, dict) or not all(_key(p) in table for p in universe):
        table = per_element({_key(p): p for p in universe}, sizes=sizes)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(table))
        os.replace(tmp, path)
    return {label: table[_key(tuple(p))] for label, p in points.items()}
