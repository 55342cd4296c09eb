"""The one publish pipeline, shared by ``nox -s bench`` (``gilbench publish``)
and the nightly: asv's page (``asv publish``), its offline assets
(:func:`gilbench.vendor_html.vendor_html`) and the claims page
(:func:`gilbench.report.write_html`) from the same results.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gilbench import _asv, report, results
from gilbench.vendor_html import vendor_html

__all__ = ["Published", "publish"]


@dataclass
class Published:
    html: Path          # asv's page
    claims: Path        # the claims page (index.html)
    runs: list          # the runs judged on it (gilbench.results.Run)


def publish(repo=".", *, html_dir=None, cache_dir=None) -> Published:
    """Publish the asv project at ``repo``: asv's page (its ``html_dir``,
    default ``.asv/html``), made to open offline, and the claims page in its
    ``claims/`` subdirectory.  ValueError when there are no results yet."""
    repo = Path(repo).resolve()
    results_dir = repo / ".asv" / "results"   # asv.conf.json's results_dir
    html_dir = Path(html_dir) if html_dir else repo / ".asv" / "html"
    if not (results_dir / "benchmarks.json").is_file():
        raise ValueError(f"no asv results to publish in {results_dir} (run the suite first)")
    _asv.asv("publish", "--html-dir", html_dir, cwd=repo)
    vendor_html(html_dir, cache_dir)
    runs = results.load(results_dir)
    claims_page = report.write_html(runs, html_dir / "claims")
    return Published(html=html_dir / "index.html", claims=claims_page, runs=runs)
