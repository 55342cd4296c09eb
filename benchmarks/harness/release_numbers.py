"""Cython release numbers: the number a run records for the release that
compiled its kernels (asv tracks numbers), its text, and release order.
Imports nothing: the benchmarks, the reader of results and the report share
it."""

from __future__ import annotations

import re

__all__ = ["release_number", "release_text", "sort_key"]


def release_number(version: str) -> float:
    """``"3.3.1"`` -> 30301.0: ``major * 10000 + minor * 100 + patch`` (a
    pre-release counts as its release), the number a run records."""
    m = re.match(r"(\d+)(?:\.(\d+))?(?:\.(\d+))?", str(version))
    if not m:
        raise ValueError(f"not a release number: {version!r}")
    major, minor, patch = (int(g or 0) for g in m.groups())
    return float(major * 10000 + minor * 100 + patch)


def release_text(number) -> str | None:
    """30301.0 -> ``"3.3.1"``; None for a value that is not a recorded release."""
    try:
        n = int(round(float(number)))
    except (TypeError, ValueError):
        return None
    if n <= 0:
        return None
    return f"{n // 10000}.{n // 100 % 100}.{n % 100}"


def sort_key(release: str | None) -> tuple:
    """Releases in release order (unknown last)."""
    if not release:
        return (1, ())
    return (0, tuple(int(p) for p in re.findall(r"\d+", release)[:3]))
