"""``gilbench advise --python``, for real, as docs/advise.md says to run it:
a virtualenv of a free-threaded CPython with gilbench installed from this
checkout (``pip install --prefer-binary .``), a user's two Cython modules
built there (one declaring itself free-threading compatible, one not), and
the caller's own gilbench advising on them through that interpreter.  The
counts are exact and asserted; whether the GIL stayed off is what the
interpreter itself says (``sys._is_gil_enabled``), and its own warning
names the module that turned it on.  No time is asserted.

The interpreter comes from :func:`gilbench.free_threaded_python.find`
(conftest's ``ft_python``): without one these tests skip, under ``CI=true``
they fail.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from gilbench import free_threaded_python

from helpers import ROOT

#: A user's module, compiled twice: as ``ftsafe`` with the directive that
#: declares it free-threading compatible, as ``legacy`` without it.
SOURCE = """
cdef void square(double* out, double v) except * nogil:
    out[0] = v * v

def sumsq(double[::1] x):
    cdef double s = 0
    cdef Py_ssize_t i
    with nogil:
        for i in range(x.shape[0]):
            s += x[i] * x[i]
    return s

def sumsq_except(double[::1] x):
    cdef double s = 0, t = 0
    cdef Py_ssize_t i
    with nogil:
        for i in range(x.shape[0]):
            square(&t, x[i])
            s += t
    return s
"""
DIRECTIVE = "# cython: freethreading_compatible = True\n"


@pytest.fixture(scope="session")
def ft_advise_env(ft_python, tmp_path_factory):
    """(the virtualenv's interpreter, the folder holding the user's built
    modules): gilbench installed from this checkout into a virtualenv of
    ``ft_python``, the two modules built with Cython there."""
    tmp = tmp_path_factory.mktemp("advise-free-threaded")
    venv = tmp / "venv"
    subprocess.run([str(ft_python), "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    # The command docs/advise.md gives (wheels where a release has one for
    # this build), and what the user builds their module with.
    r = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--prefer-binary",
                        "--only-binary=numpy,scipy", str(ROOT), "Cython>=3.1", "setuptools"],
                       capture_output=True, text=True, timeout=1200)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    work = tmp / "user"
    work.mkdir()
    (work / "ftsafe.pyx").write_text(DIRECTIVE + SOURCE)
    (work / "legacy.pyx").write_text(SOURCE)
    r = subprocess.run([str(venv / "bin" / "cythonize"), "-i", "-3", "-q", "ftsafe.pyx",
                        "legacy.pyx"], cwd=work, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return python, work


def _advise(env, target, *more):
    python, work = env
    r = subprocess.run([sys.executable, "-m", "gilbench", "advise", target, "--python",
                        str(python), "--quick", "--format", "json", *more], cwd=work,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout)


def _finding(data, claim, topic):
    (f,) = [f for f in data["findings"] if f["claim"] == claim and f["topic"] == topic]
    return f


def test_a_compatible_module_is_measured_with_the_gil_off(ft_advise_env, ft_python):
    data = _advise(ft_advise_env, "ftsafe:sumsq")
    py = data["python"]
    assert py["free_threaded"] and py["build"] == free_threaded_python.is_free_threaded(ft_python)
    assert py["executable"] == str(ft_advise_env[0])
    assert py["gil"] == {"before": False, "after": False, "turned_on_by": None}
    assert _finding(data, "C3", "GIL on import")["status"] == "fine"
    # The structure interposer counts on this build too: one detach a call.
    assert data["counts"]["1"]["per_call"]["gil_saves"] == 1
    assert data["counts"]["1"]["per_element"]["gil_saves"] == 0
    assert "thread state" in _finding(data, "C3", "GIL released")["text"]


def test_a_module_without_the_directive_turns_the_gil_on_and_is_named(ft_advise_env):
    data = _advise(ft_advise_env, "legacy:sumsq")
    assert data["python"]["gil"] == {"before": False, "after": True, "turned_on_by": "legacy"}
    f = _finding(data, "C3", "GIL on import")
    assert f["status"] == "advice" and "freethreading_compatible" in f["text"]
    # With the GIL back on, a release is the GIL's again.
    assert "thread state" not in _finding(data, "C3", "GIL released")["text"]


def test_an_except_star_call_per_element_is_counted_without_the_gil(ft_advise_env, tmp_path):
    """``except *`` still attaches the thread state after every call to
    check for an exception: once per element, exact, and advised as C1;
    the page says which build and that the GIL stayed off."""
    page = tmp_path / "advice.html"
    data = _advise(ft_advise_env, "ftsafe:sumsq_except", "--html", str(page))
    per = data["counts"]["1"]["per_element"]
    assert per["gil_ensures"] + per["gil_restores"] == 1.0
    f = _finding(data, "C1", "GIL per element")
    assert f["status"] == "advice" and "attaches its thread state" in f["text"]
    text = page.read_text()
    assert f"Python {data['python']['build']} (GIL off)" in text
    assert "C3" in text and "GIL on import" in text


def test_the_docs_give_the_install_command_the_tests_use():
    doc = (ROOT / "docs" / "advise.md").read_text()
    assert "pip install --prefer-binary --only-binary=numpy,scipy \\\n" in doc
    assert "gilbench advise" in doc and "--python" in doc
