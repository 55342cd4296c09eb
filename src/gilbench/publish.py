"""The one publish pipeline, shared by ``nox -s bench`` (``gilbench publish``)
and the nightly: asv's page (``asv publish``), its offline assets
(:func:`gilbench.vendor_html.vendor_html`) and the claims page
(:func:`gilbench.report.write_html`) from the same results.

**Regression thresholds per machine.**  asv has one config for all machines,
and matches its ``regressions_thresholds`` against ``name(params)@branch``
only, so a threshold in ``asv.conf.json`` would apply to every machine's
graphs alike, while the noise of a point is one machine's.  So
``asv.conf.json`` sets none, and for each machine that has a noise table
(``noise/<machine>.json``, :mod:`gilbench.noise`) the pipeline runs asv's
own publish a second time, with a config generated for this publish only:
the project's, with that machine's results alone and the thresholds of its
table.  The Regressions tab (``regressions.json``) then takes that machine's
entries from that publish and every other machine's from the first (asv's
default threshold, 5%).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from gilbench import _asv, noise_table, report, results
from gilbench.vendor_html import vendor_html

__all__ = ["Published", "publish", "CONFIG"]

#: The project's asv config, hand-written.
CONFIG = "asv.conf.json"


@dataclass
class Published:
    html: Path          # asv's page
    claims: Path        # the claims page (index.html)
    judged: object      # the runs and their verdicts (gilbench.report.Judged)
    thresholds: dict    # machine -> the noise table whose thresholds its graphs use


def _machine_regressions(repo: Path, machine: str, table: noise_table.Table,
                         scratch: Path) -> list:
    """asv's regressions of ``machine`` alone, judged at its table's thresholds."""
    conf = _asv.absolute_config(repo)
    res = scratch / "results"
    res.mkdir(parents=True)
    src = Path(conf["results_dir"])
    # Copies, not links: asv walks the results without following links.
    shutil.copytree(src / machine, res / machine)
    shutil.copy2(src / "benchmarks.json", res / "benchmarks.json")
    conf.update({
        "results_dir": str(res),
        "html_dir": str(scratch / "html"),
        "regressions_thresholds": table.asv_thresholds(),
    })
    path = scratch / CONFIG
    path.write_text(json.dumps(conf, indent=1), encoding="utf-8")
    _asv.asv("publish", "--no-pull", "--config", path, cwd=repo)
    out = scratch / "html" / "regressions.json"
    return json.loads(out.read_text(encoding="utf-8")).get("regressions", []) \
        if out.is_file() else []


def _thresholds_per_machine(repo: Path, html_dir: Path, noise_dir: Path) -> dict:
    measured = results.machines(_asv.results_dir(repo))
    tables = {}
    for machine in measured:
        path = noise_dir / f"{machine}.json"
        if path.is_file():
            tables[machine] = noise_table.Table.load(path)
    main = html_dir / "regressions.json"
    if not tables or not main.is_file():
        return {}
    data = json.loads(main.read_text(encoding="utf-8"))
    entries = data.get("regressions", [])
    for machine, table in tables.items():
        with tempfile.TemporaryDirectory(prefix="gilbench-publish-") as tmp:
            theirs = _machine_regressions(repo, machine, table, Path(tmp))
        # Each entry is [name, graph path, graph params, ...]; the path names
        # the machine (asv leaves it out of the params when only one varies).
        mine = f"/machine-{machine}/"
        theirs = [[e[0], e[1], dict(e[2] or {}, machine=machine), *e[3:]] for e in theirs]
        entries = [e for e in entries if mine not in e[1]] + theirs
    data["regressions"] = entries
    main.write_text(json.dumps(data), encoding="utf-8")
    return {m: str(noise_dir / f"{m}.json") for m in tables}


def publish(repo=".", *, html_dir=None, cache_dir=None, noise_dir=None,
            notes=()) -> Published:
    """Publish the asv project at ``repo``: asv's page (default
    ``.asv/html``), its regressions judged per machine at the thresholds of
    ``noise_dir`` (default ``<repo>/noise``), made to open offline, and the
    claims page in its ``claims/`` subdirectory.  ValueError when there are
    no results yet.  ``notes``: lines the claims page shows beside the
    results (the nightly's: commits not stored, or given up)."""
    repo = Path(repo).resolve()
    results_dir = _asv.results_dir(repo)
    html_dir = Path(html_dir).resolve() if html_dir else _asv.html_dir(repo)
    noise_dir = Path(noise_dir) if noise_dir else repo / "noise"
    if not (results_dir / "benchmarks.json").is_file():
        raise ValueError(f"no asv results to publish in {results_dir} (run the suite first)")
    _asv.asv("publish", "--html-dir", html_dir, cwd=repo)
    thresholds = _thresholds_per_machine(repo, html_dir, noise_dir)
    vendor_html(html_dir, cache_dir)
    judged = report.judge(results.load(results_dir, earlier=report.EARLIER))   # every verdict, once
    claims_page = report.write_html(judged, html_dir / "claims", notes=notes)
    return Published(html=html_dir / "index.html", claims=claims_page, judged=judged,
                     thresholds=thresholds)
