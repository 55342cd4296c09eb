"""The harness's two small C helpers (callgrind's client requests, the
interposer of the structure counts) as shared libraries: compiled from the
checkout with the C compiler the first time they are needed, and kept in a
cache directory keyed by their source and compiler, so that every commit is
measured by the same compiled instruments."""

from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
from pathlib import Path

__all__ = ["CompileError", "shared_library"]


class CompileError(RuntimeError):
    """The library cannot be built here (the reason is the message)."""


def _cache_dir() -> Path:
    path = Path(tempfile.gettempdir()) / f"gilbench-harness-{os.getuid()}"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


def shared_library(source: Path, *libs: str) -> Path:
    """``source`` compiled with ``$CC`` (default ``cc``) into a shared
    library, linked with ``libs`` (e.g. ``-ldl``); :class:`CompileError` when
    there is no compiler or the source does not compile."""
    cc = os.environ.get("CC", "cc")
    text = Path(source).read_bytes()
    key = hashlib.sha256(text + b"\0" + cc.encode() + b"\0" + " ".join(libs).encode())
    out = _cache_dir() / f"{Path(source).stem}-{key.hexdigest()[:16]}.so"
    if out.is_file():
        return out
    tmp = out.with_name(f"{out.name}.{os.getpid()}.tmp")
    try:
        r = subprocess.run([*cc.split(), "-O2", "-shared", "-fPIC", "-o", str(tmp), str(source),
                            *libs], capture_output=True, text=True, timeout=120)
    except OSError as exc:
        raise CompileError(f"no C compiler ({cc}: {exc.strerror})") from None
    if r.returncode != 0:
        last = (r.stderr.strip().splitlines() or ["(no message)"])[-1]
        raise CompileError(f"{Path(source).name} does not compile with {cc}: {last}")
    os.replace(tmp, out)
    return out
