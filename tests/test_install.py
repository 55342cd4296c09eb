"""``pip install .`` gives the whole tool, the way pip users and packagers
install: a fresh virtualenv, build isolation on (pip fetches the build
requirements itself), nothing installed by hand.  Also an sdist built with
``python -m build``, installed the same way (meson-python's sdist is
``meson dist``: the committed tree, so it tests HEAD, not uncommitted
edits).  The wheel asv measures per commit is the kernels only:
tests/test_build_minimal.py.

Real builds from PyPI's packages (a few minutes): marked slow.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv

import pytest

from helpers import ROOT

pytestmark = pytest.mark.slow


def _venv(where):
    venv.create(where, with_pip=True)
    return where / "bin"


def _run(args, **kw):
    r = subprocess.run(args, capture_output=True, text=True, timeout=1200, **kw)
    assert r.returncode == 0, f"{args}:\n{r.stdout[-2000:]}\n{r.stderr[-3000:]}"
    return r.stdout


def _user_env(bin_dir) -> dict:
    """A user's shell with only the new virtualenv on PATH (no nox, no
    checkout on sys.path)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["PATH"] = os.pathsep.join([str(bin_dir), "/usr/bin", "/bin"])
    return env


def _works(bin_dir, cwd):
    """The tool answers: help, this machine, and a plan of the checkout's
    suite for 64 CPUs."""
    env = _user_env(bin_dir)
    helped = _run([str(bin_dir / "gilbench"), "--help"], cwd=cwd, env=env)
    for verb in ("info", "plan", "report", "gate", "nightly"):
        assert verb in helped, verb
    info = _run([str(bin_dir / "gilbench"), "info"], cwd=cwd, env=env)
    assert info.startswith("gilbench ") and "OpenMP:" in info and "BLAS" in info
    plan = json.loads(_run([str(bin_dir / "gilbench"), "plan", "--cpus", "64", "--json",
                            "--repo", str(ROOT)], cwd=cwd, env=env))
    assert plan["cpus"] == 64 and plan["classes"], sorted(plan)
    # The installed package, not the checkout: the tool and its copy of the
    # harness are in site-packages.
    where = _run([str(bin_dir / "python"), "-c",
                  "import gilbench.cli, gilbench.harness.threads as t; "
                  "print(gilbench.cli.__file__); print(t.__file__)"], cwd=cwd, env=env).split()
    assert all("site-packages" in w for w in where), where


def test_pip_install_of_the_checkout_gives_a_working_gilbench(tmp_path):
    bin_dir = _venv(tmp_path / "venv")
    _run([str(bin_dir / "python"), "-m", "pip", "install", "--quiet", str(ROOT)],
         cwd=tmp_path, env=_user_env(bin_dir))
    _works(bin_dir, tmp_path)


def test_an_sdist_built_with_build_installs_a_working_gilbench(tmp_path):
    builder = _venv(tmp_path / "builder")
    _run([str(builder / "python"), "-m", "pip", "install", "--quiet", "build"],
         env=_user_env(builder))
    _run([str(builder / "python"), "-m", "build", "--sdist", "-o", str(tmp_path / "dist"),
          str(ROOT)], cwd=tmp_path, env=_user_env(builder))
    (sdist,) = (tmp_path / "dist").glob("gilbench-*.tar.gz")
    bin_dir = _venv(tmp_path / "venv")
    _run([str(bin_dir / "python"), "-m", "pip", "install", "--quiet", str(sdist)],
         cwd=tmp_path, env=_user_env(bin_dir))
    _works(bin_dir, tmp_path)


if __name__ == "__main__":   # pragma: no cover
    sys.exit(pytest.main([__file__, "-v"]))
