"""Which CPython the benchmarks run on, and whether its GIL was on.

A free-threaded CPython (3.13t and newer, ``Py_GIL_DISABLED``) runs without
the GIL until a module that does not declare itself free-threading
compatible is imported: the interpreter then turns the GIL back on for the
whole process, with a warning.  :func:`gil_enabled` says what holds after
importing what the suite's benchmarks import (every kernel module, NumPy,
SciPy's BLAS, threadpoolctl): a run of a free-threaded build whose GIL came
back is not a measurement without the GIL, and the report says so.  Imports
nothing of gilbench above the harness.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import pkgutil
import sys
import sysconfig

__all__ = ["free_threaded_build", "gil_enabled"]


def free_threaded_build() -> bool:
    """Whether this CPython was built without the GIL (3.13t and newer)."""
    return bool(sysconfig.get_config_var("Py_GIL_DISABLED"))


def _import_what_the_suite_imports() -> None:
    import numpy  # noqa: F401  (what every benchmark imports)
    import scipy.linalg  # noqa: F401  (the BLAS that pinning sees)
    import threadpoolctl  # noqa: F401

    import gilbench
    import gilbench.kernels as kernels

    # Every compiled module of the package (the tool's pure-Python modules,
    # where installed, cannot turn the GIL on).
    for package in (gilbench, kernels):
        for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
            spec = importlib.util.find_spec(info.name)
            if spec and spec.origin and spec.origin.endswith(
                    tuple(importlib.machinery.EXTENSION_SUFFIXES)):
                importlib.import_module(info.name)


def gil_enabled(*, after_imports: bool = True) -> bool:
    """Whether the GIL is on in this process (always, on a GIL build),
    after importing every module the benchmarks import (``after_imports``).
    ``sys._is_gil_enabled`` is CPython's documented way to ask (3.13+)."""
    if after_imports:
        _import_what_the_suite_imports()
    is_enabled = getattr(sys, "_is_gil_enabled", None)
    return True if is_enabled is None else bool(is_enabled())
