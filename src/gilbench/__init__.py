"""gilbench: asv benchmarks of the claims in Cython's guide page
"You probably don't need to release the GIL".

The measured package, what asv builds for every commit: the kernels,
:mod:`gilbench.kernels` (one Cython module per claim, ``c1_...`` to
``c9_...``), ``_openmp_helpers`` and ``_build_info``.  What times, counts and
pins them is the suite's harness (``benchmarks/harness/``, from the
checkout).

The checkout's own build (meson option ``tool``, nox's installs) adds the
tool, by role (imports point down the list): ``gilbench.harness`` (a copy of
the suite's harness, for the rules both need) and :mod:`~gilbench.info`;
:mod:`~gilbench.results`, the one reader of asv's results, and
:mod:`~gilbench._asv`, the one boundary that runs asv and git; the logic:
:mod:`~gilbench.claims` (verdict rules), :mod:`~gilbench.report` (their
formats), :mod:`~gilbench.significance` (asv compare's rule),
:mod:`~gilbench.noise_table` (the noise tables' ground floor),
:mod:`~gilbench.noise` (the A/A calibration), :mod:`~gilbench.gate`,
:mod:`~gilbench.gate_calibration`, :mod:`~gilbench.nightly`,
:mod:`~gilbench.publish` (the publish pipeline), :mod:`~gilbench.vendor_html`
(asv's page offline), :mod:`~gilbench.plan`, :mod:`~gilbench.cython_releases`
(one build and measurement per Cython release); the command line:
:mod:`gilbench.commands` (one module per verb) and :mod:`gilbench.cli`
(parser and dispatch).
"""

__version__ = "0.1.0"
