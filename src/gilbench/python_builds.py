"""Measuring gilbench once per Python build: with the GIL and without it.

``GILBENCH_PYTHON="3.11,3.13t"`` (or ``--python``) names the CPython builds
to measure, comma-separated: a version asv can find (``python3.13t`` on
``PATH``, or among pyenv's versions) or an interpreter's path.  Unset, asv
measures with the interpreter that runs it, as before.  Each entry becomes
one of asv's ``pythons``: asv makes one virtualenv per build, builds
gilbench in each and files each build's results apart (the result file and
its ``params`` name the build); the report reads every run as one
(machine, Python build, Cython release).  With ``GILBENCH_CYTHON`` too, the
two axes combine: every build with every release.

asv finds a version ``X`` as the executable ``pythonX`` on ``PATH``.  An
entry given as a path, or found only among pyenv's versions, is linked as
``.asv/pythons/python<build>`` (``<build>`` is what the interpreter says it
is, ``3.13t`` for a free-threaded 3.13) and that directory goes first on the
``PATH`` asv runs with (:func:`path_env`).  An entry whose interpreter says
otherwise (``3.13t`` naming a GIL build) is refused before anything runs.
``gilbench free-threaded-python`` finds or builds a free-threaded one.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

from gilbench import _asv
from gilbench.free_threaded_python import build_of, pyenv_pythons

__all__ = ["ENV", "parse", "resolve", "path_env", "config", "unmeasured", "CONFIG", "LINKS"]

ENV = "GILBENCH_PYTHON"
#: Where the links to interpreters asv could not find by name go.
LINKS = Path(".asv") / "pythons"
#: Where the config that lists the builds is written, relative to the project.
CONFIG = Path(".asv") / "python-builds.conf.json"

_VERSION = re.compile(r"3\.\d+t?")


def parse(text: str | None) -> list[str]:
    """The entries of a comma-separated list (``"3.11, 3.13t"`` or paths),
    in the order given, each once; [] for an empty or unset list.
    ValueError names an entry that is neither a CPython 3 version nor a
    path."""
    entries = []
    for item in (text or "").split(","):
        item = item.strip()
        if not item:
            continue
        if not (_VERSION.fullmatch(item) or os.sep in item or item.startswith("~")):
            raise ValueError(f"{ENV}: {item!r} is neither a CPython version (3.11, 3.13t) "
                             "nor an interpreter's path")
        if item not in entries:
            entries.append(item)
    return entries


def _pyenv_candidates(name: str) -> list[str]:
    """pyenv's interpreters of build ``name`` (``3.13t``: versions 3.13.*t;
    ``3.11``: versions 3.11.* that are not free-threaded), newest first."""
    minor, t = name.rstrip("t"), "t" if name.endswith("t") else ""
    return [p for p in pyenv_pythons(f"{minor}.*{t}", f"python{minor}{t}")
            if t or not Path(p).parent.parent.name.endswith("t")]


def resolve(entries) -> list[tuple[str, str, bool]]:
    """``[(build, interpreter, linked)]`` for each entry: the build asv will
    call it (``3.13t``), the interpreter's path, and whether asv needs a
    link to find it.  ValueError names an entry with no interpreter, or one
    whose interpreter is another build."""
    out = []
    for entry in entries:
        if _VERSION.fullmatch(entry):
            on_path = shutil.which(f"python{entry}")
            candidates = ([on_path] if on_path else []) + _pyenv_candidates(entry)
            hit = next((c for c in candidates if build_of(c) == entry), None)
            if hit is None:
                hint = (" (gilbench free-threaded-python finds or builds one)"
                        if entry.endswith("t") else "")
                raise ValueError(f"{ENV}: no Python {entry} found, neither python{entry} on "
                                 f"PATH nor among pyenv's versions{hint}")
            out.append((entry, hit, hit != on_path))
        else:
            path = Path(entry).expanduser()
            build = build_of(path)
            if build is None:
                raise ValueError(f"{ENV}: {entry} is not a Python interpreter that runs")
            out.append((build, str(path.resolve()), True))
    builds = [b for b, _, _ in out]
    twice = sorted({b for b in builds if builds.count(b) > 1})
    if twice:
        raise ValueError(f"{ENV}: Python {', '.join(twice)} named twice (asv tells builds "
                         "apart by version)")
    return out


def path_env(repo, resolved, env=None) -> dict:
    """The environment asv runs with: ``env`` (default ``os.environ``) with
    ``<repo>/.asv/pythons`` first on ``PATH``, holding a link
    ``python<build>`` to each interpreter asv cannot find by name."""
    env = dict(os.environ if env is None else env)
    links = Path(repo).resolve() / LINKS
    linked = [(b, p) for b, p, needs in resolved if needs]
    if linked:
        links.mkdir(parents=True, exist_ok=True)
        for build, python in linked:
            link = links / f"python{build}"
            link.unlink(missing_ok=True)
            link.symlink_to(python)
        env["PATH"] = os.pathsep.join([str(links), env.get("PATH", "")])
    return env


def config(repo, builds, base=None, path=None) -> Path:
    """Write the asv config that measures each of ``builds`` (asv's
    ``pythons``), from ``base`` (a config already written, such as the
    Cython matrix's) or else the project's, every directory absolute; return
    its path (default ``<repo>/.asv/python-builds.conf.json``)."""
    if not builds:
        raise ValueError("no Python build to measure")
    repo = Path(repo).resolve()
    conf = (json.loads(Path(base).read_text(encoding="utf-8")) if base
            else _asv.absolute_config(repo))
    conf["pythons"] = list(builds)
    path = Path(path) if path else repo / CONFIG
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(conf, indent=1) + "\n", encoding="utf-8")
    return path


def unmeasured(results_dir, machine: str, commits, builds) -> dict:
    """{build: why} for each of ``builds`` that measured nothing at any of
    ``commits`` on ``machine`` (its virtualenv, its dependencies or its build
    of gilbench failed), as :func:`gilbench.cython_releases.unmeasured`."""
    from gilbench import results

    have = results.measured_pythons(results_dir, machine)
    return {build: (f"nothing was measured on it at the {len(commits)} commit(s) of the run "
                    "(its environment, its dependencies or its build of gilbench failed: "
                    "see asv's output above)")
            for build in builds if not any(build in have.get(c, ()) for c in commits)}
