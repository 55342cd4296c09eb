"""gilbench: asv benchmarks of the claims in Cython's guide page
"You probably don't need to release the GIL".

Kernels live in :mod:`gilbench.kernels` (one module per claim, ``c1_...`` to
``c9_...``); thread pinning in :mod:`gilbench.pinning`; the thread counts the
suite uses in :mod:`gilbench.threads`; ``gilbench info`` in :mod:`gilbench.info`.
"""

__version__ = "0.1.0"
