"""gilbench: asv benchmarks of the claims in Cython's guide page
"You probably don't need to release the GIL".

The package, by role (imports point down the list):

* the kernels, :mod:`gilbench.kernels` (one Cython module per claim, ``c1_...``
  to ``c9_...``), and the core that never imports asv: :mod:`~gilbench.harness.threads`
  (thread counts), :mod:`~gilbench.harness.pinning` (threadpoolctl),
  :mod:`~gilbench.harness.measurement` (repeats, interleaving, spread),
  :mod:`~gilbench.harness.instructions` (exact counts with callgrind), :mod:`~gilbench.info`,
  :mod:`~gilbench.harness.release_numbers` (the Cython release a run records);
* :mod:`~gilbench.results`, the one reader of asv's results, and
  :mod:`~gilbench._asv`, the one boundary that runs asv and git;
* the logic: :mod:`~gilbench.claims` (verdict rules), :mod:`~gilbench.report`
  (their formats), :mod:`~gilbench.significance` (asv compare's rule),
  :mod:`~gilbench.noise` (the noise table and calibration),
  :mod:`~gilbench.gate`, :mod:`~gilbench.nightly`, :mod:`~gilbench.publish`
  (the publish pipeline), :mod:`~gilbench.vendor_html` (asv's page offline),
  :mod:`~gilbench.gate_calibration`, :mod:`~gilbench.plan`,
  :mod:`~gilbench.cython_releases` (one build and measurement per Cython release);
* the command line: :mod:`gilbench.commands` (one module per verb) and
  :mod:`gilbench.cli` (parser and dispatch).
"""

__version__ = "0.1.0"
