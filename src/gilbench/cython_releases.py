"""Measuring gilbench once per Cython release.

The project's ``asv.conf.json`` installs the ``build-system`` requirements
into its virtualenv (the newest Cython they allow, when the virtualenv is
made) and builds gilbench there without isolation.  To compare releases,
``GILBENCH_CYTHON="3.1.8,3.3.1"`` (or ``--cython``) makes the run use
:func:`matrix_config` instead: the project's config with ``Cython`` in asv's
matrix, one virtualenv per release, and the same build inside each, so that
the release asv installed there is the one that compiles the kernels.  The
release is then part of asv's environment: it names the result files, and
asv's page offers it as a parameter of every graph.

Every run also records the release that compiled its kernels
(``bench_machine.TrackMachine.track_cython_release``, the number
:func:`gilbench.harness.release_numbers.release_number` makes), so that the
report labels a run with it even when the matrix was not used
(:mod:`gilbench.results`).

:func:`unknown` asks pip which of the listed releases do not exist, before
asv is started: those are named and left out, the others still run.  A
release that exists and cannot build gilbench (older than the ``Cython``
requirement, or a compiler error) fails in asv's build of that environment
alone; :func:`unmeasured` names it afterwards.
"""

from __future__ import annotations

import json
import re
import shlex
import sys
from pathlib import Path

from gilbench import _asv

__all__ = ["ENV", "parse", "unknown", "matrix_config", "unmeasured", "MATRIX_CONFIG"]

#: How a build command installs requirements (the project's first one does).
PIP_INSTALL = "python -m pip install"
#: The environment variable that lists the releases to measure.
ENV = "GILBENCH_CYTHON"
#: Where the generated config is written, relative to the project.
MATRIX_CONFIG = Path(".asv") / "cython-matrix.conf.json"

_RELEASE = re.compile(r"\d+(\.\d+){0,2}((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?")


def parse(text: str | None) -> list[str]:
    """The releases of a comma-separated list (``"3.1.8, 3.3.1"``), in the
    order given, each once; [] for an empty or unset list.  ValueError names
    an entry that is not a release number."""
    releases = []
    for item in (text or "").split(","):
        item = item.strip()
        if not item:
            continue
        if not _RELEASE.fullmatch(item):
            raise ValueError(f"{ENV}: {item!r} is not a Cython release number "
                             "(expected e.g. 3.1.8 or 3.3.0rc1)")
        if item not in releases:
            releases.append(item)
    return releases


def unknown(releases, *, python: str = sys.executable) -> dict:
    """{release: why} for each release pip cannot find (``pip install
    --dry-run Cython==X``, which resolves without installing); the others
    are known."""
    out = {}
    for release in releases:
        r = _asv.run([python, "-m", "pip", "install", "--dry-run", "--no-deps", "--quiet",
                      "--ignore-installed", f"Cython=={release}"], check=False)
        if r.returncode != 0:
            lines = [ln.strip() for ln in (r.stderr or r.stdout).splitlines() if ln.strip()
                     and not ln.startswith("WARNING")]
            out[release] = lines[-1] if lines else f"pip exited {r.returncode}"
    return out


def installable(releases) -> tuple[list[str], dict]:
    """The releases pip can install, and {release: why} for the others;
    ValueError when releases were asked for and none is left."""
    releases = list(releases)
    left_out = unknown(releases) if releases else {}
    kept = [r for r in releases if r not in left_out]
    if releases and not kept:
        raise ValueError("no Cython release left to measure: " + "; ".join(
            f"Cython {r}: pip cannot install it ({why})" for r, why in left_out.items()))
    return kept, left_out


def _install_without_cython(command: str) -> str:
    """The project's install step (asv.conf.json's first build command: the
    build requirements, the kernels' run-time ones and meson-python's tools)
    without its Cython requirement: the matrix gives each environment its
    release."""
    words = shlex.split(command)
    return shlex.join(w for w in words if not re.match(r"cython\b", w.strip(), re.IGNORECASE))


def matrix_config(repo, releases, path=None) -> Path:
    """Write the asv config that measures each of ``releases`` (see the
    module) and return its path (default ``<repo>/.asv/cython-matrix.conf.json``).
    Everything else is the project's: the same results, environments and
    page directories, as absolute paths."""
    if not releases:
        raise ValueError("no Cython release to measure")
    repo = Path(repo).resolve()
    conf = _asv.absolute_config(repo)
    matrix = conf.setdefault("matrix", {})
    req = dict(matrix.get("req", {}))
    req["Cython"] = list(releases)
    matrix["req"] = req
    # The project's install step but Cython, then the project's own build,
    # which uses the environment's Cython (build checks Cython>=3.1 against it).
    commands = conf.get("build_command", [])
    install = [_install_without_cython(c) for c in commands if c.startswith(PIP_INSTALL)]
    build = [c for c in commands if not c.startswith(PIP_INSTALL)]
    conf["build_command"] = [*install, *build]
    path = Path(path) if path else repo / MATRIX_CONFIG
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(conf, indent=1) + "\n", encoding="utf-8")
    return path


def unmeasured(results_dir, machine: str, commits, releases) -> dict:
    """{release: why} for each of ``releases`` that measured nothing at any
    of ``commits`` on ``machine`` (its environment or its build failed).  A
    release measured at some of them is not named: asv's own options
    (``--steps``, ``--skip-existing``) may leave commits out of a run."""
    from gilbench import results

    have = results.measured_releases(results_dir, machine)
    return {release: (f"nothing was measured with it at the {len(commits)} commit(s) of the "
                      "run (its environment or its build of gilbench failed: see asv's "
                      "output above)")
            for release in releases if not any(release in have.get(c, ()) for c in commits)}
