"""The checkout GitHub makes by default: one commit (``actions/checkout``
without ``fetch-depth``).  What needs main's history says so in one line and,
under ``CI=true``, fails; once the history is fetched (``fetch-depth: 0``,
here ``git fetch --unshallow``), the same check passes.

A real depth-1 clone over ``file://`` (a plain path would make git ignore
``--depth``), the tests and docs/figures.py as the tests workflow runs them.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from helpers import ROOT, git


@pytest.fixture(scope="module")
def shallow(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("shallow")
    clone = tmp / "repo"
    git("clone", "-q", "--depth", "1", f"file://{ROOT}", str(clone), cwd=tmp)
    assert git("rev-list", "--count", "HEAD", cwd=clone) == "1"
    return clone


def _figures(clone):
    return subprocess.run([sys.executable, "docs/figures.py", "--check"], cwd=clone,
                          capture_output=True, text=True, timeout=600)


def test_history_needing_tests_fail_in_one_line_under_ci(shallow):
    env = dict(os.environ, CI="true")
    env.pop("PYTEST_XDIST_WORKER", None)
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        "tests/test_harness_from_the_checkout.py", "tests/test_history.py"],
                       cwd=shallow, env=env, capture_output=True, text=True, timeout=600)
    out = r.stdout + r.stderr
    assert r.returncode != 0, out[-3000:]
    assert "is not in this clone's history" in out, out[-3000:]
    assert "is not this clone's first commit" in out, out[-3000:]


def test_figures_name_the_missing_history_then_pass_with_it(shallow):
    r = _figures(shallow)
    assert r.returncode == 2, r.stdout + r.stderr
    (line,) = r.stderr.strip().splitlines()
    assert "not in this clone's history" in line and "fetch-depth: 0" in line, line
    assert "Traceback" not in r.stderr
    git("fetch", "-q", "--unshallow", cwd=shallow)
    r = _figures(shallow)
    assert r.returncode == 0, r.stdout + r.stderr
