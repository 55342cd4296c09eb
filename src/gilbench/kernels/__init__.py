"""Cython kernels, one module per claim of the article (claim ids C1-C9 as in
the README's table: ``cN_<topic>`` here, ``bench_cN_<topic>`` and
``test_cN_<topic>`` beside it).

Every kernel validates its arguments at the Python boundary (dtype, contiguity,
lengths, thread counts) and raises TypeError/ValueError naming the argument;
the loops themselves run without bounds checks.
"""

from gilbench._build_info import cython_version as CYTHON_VERSION
from gilbench._build_info import prange_keeps_gil as PRANGE_KEEPS_GIL

#: Why ``c5_prange_keeps_gil`` is not in this build, or None when it is: a
#: prange that keeps the GIL (``prange(nogil=False)``) needs Cython 3.3.
NO_PRANGE_KEEPS_GIL = None if PRANGE_KEEPS_GIL else (
    f"needs Cython >= 3.3 (prange(nogil=False)); this gilbench was built with "
    f"Cython {CYTHON_VERSION}")

__all__ = ["CYTHON_VERSION", "PRANGE_KEEPS_GIL", "NO_PRANGE_KEEPS_GIL"]
