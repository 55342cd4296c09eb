"""The README's two commands: ``nox -s bench`` and ``nox -s tests``.

Each session makes its own virtualenv under .nox/, so nothing is installed by
hand: the only prerequisites are Python 3.11+ and a C compiler.
"""

import nox

nox.options.sessions = ["tests"]
nox.options.reuse_existing_virtualenvs = True


@nox.session
def tests(session):
    """Lint (ruff, cython-lint), build gilbench (meson-python, isolated build)
    and run the tests."""
    session.install("ruff>=0.6", "cython-lint>=0.16")
    session.run("ruff", "check", ".")
    session.run("cython-lint", "src")
    session.install(".[test]")
    session.run("gilbench", "info")
    session.run("pytest", *session.posargs)


@nox.session
def bench(session):
    """Run the asv suite on the current commit and publish the HTML report.

    Extra arguments go to ``asv run``: ``nox -s bench -- main~5..main`` runs a
    range of commits, ``nox -s bench -- HEAD^! -b C9`` a subset.  The report is
    written to .asv/html/index.html even when a benchmark failed (the failure is
    still reported), and results already written are kept.
    """
    session.install("asv>=0.6.4", "virtualenv")
    session.run("asv", "machine", "--yes")
    try:
        session.run("asv", "run", *(session.posargs or ["HEAD^!"]))
    finally:
        session.run("asv", "publish")
        session.log("HTML report: .asv/html/index.html "
                    "(serve it with `python -m asv preview`, then open the address it prints)")
