"""What the machine says of its memory: the last-level cache (bandwidth
kernels size their arrays past 4x of it, as STREAM prescribes) and the RAM
(so that no array outgrows it)."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["last_level_cache_bytes", "memory_bytes"]


def last_level_cache_bytes() -> int | None:
    """Size of the largest CPU cache the machine reports (sysfs, then sysconf)."""
    sizes = []
    for index in Path("/sys/devices/system/cpu/cpu0/cache").glob("index*"):
        try:
            text = (index / "size").read_text().strip()
        except OSError:
            continue
        units = {"K": 1024, "M": 1024**2, "G": 1024**3}
        if text and text[-1] in units:
            sizes.append(int(text[:-1]) * units[text[-1]])
        elif text.isdigit():
            sizes.append(int(text))
    if not sizes:
        for name in ("SC_LEVEL3_CACHE_SIZE", "SC_LEVEL2_CACHE_SIZE"):
            try:
                value = os.sysconf(name)
            except (ValueError, OSError):
                continue
            if value > 0:
                sizes.append(value)
    return max(sizes) if sizes else None


def memory_bytes() -> int | None:
    """Physical memory of the machine, if it says."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        return None
