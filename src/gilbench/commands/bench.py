"""``gilbench bench [--cython LIST] [--python LIST] [-- ASV RUN ARGUMENTS]``:
run the asv suite on this machine (the current commit unless a range is
given), once per Cython release listed in ``--cython`` or
``$GILBENCH_CYTHON`` (default: one build with the newest Cython, as pip
would install gilbench) and once per CPython build listed in ``--python`` or
``$GILBENCH_PYTHON`` (default: the interpreter that runs asv; see
:mod:`gilbench.python_builds`).  ``nox -s bench`` runs
this, then publishes.  A release pip does not know, or one that cannot build
gilbench, is named on stderr and the others still run; the exit code is then
2.  See :mod:`gilbench.cython_releases`."""

from __future__ import annotations

import sys

from gilbench import _asv, cython_releases, python_builds
from gilbench.commands import common_args

NAME = "bench"
HELP = ("run the asv suite here, once per Cython release of --cython / $GILBENCH_CYTHON "
        "and per Python build of --python / $GILBENCH_PYTHON")
TAKES_ASV_ARGS = True


def add_arguments(parser) -> None:
    common_args.add_cython(parser)
    common_args.add_python(parser)
    common_args.add_machine(parser)
    common_args.add_repo(parser)


def _commits(repo, spec: str) -> list[str] | None:
    """The commits asv runs for range ``spec``, or None for asv's own words
    (NEW, ALL, HASHFILE:...)."""
    r = _asv.git("rev-list", "--first-parent", spec, cwd=repo, check=False)
    return r.stdout.split() if r.returncode == 0 else None


def run(args) -> int:
    releases = cython_releases.parse(args.cython)
    builds = python_builds.resolve(python_builds.parse(args.python))
    asv_args = list(args.asv_args)
    if not asv_args or asv_args[0].startswith("-"):
        asv_args.insert(0, "HEAD^!")  # the current commit, unless a range is given
    asv_args = _asv.with_record(asv_args)
    machine = _asv.machine(args.repo, args.machine)
    problems = {}
    if releases:
        releases, left_out = cython_releases.installable(releases)
        problems = {r: f"pip cannot install it ({why})" for r, why in left_out.items()}
        for release, why in problems.items():
            print(f"gilbench bench: Cython {release}: {why}; measuring the others",
                  file=sys.stderr)
    config = cython_releases.matrix_config(args.repo, releases) if releases else None
    if builds:
        config = python_builds.config(args.repo, [b for b, _, _ in builds], base=config)
    if config:
        print("gilbench bench: measuring"
              + (f" with Cython {', '.join(releases)}" if releases else "")
              + (" on Python " + ", ".join(f"{b} ({p})" for b, p, _ in builds) if builds else "")
              + f" (asv config {config})", file=sys.stderr)
        asv_args += ["--config", str(config)]
    env = python_builds.path_env(args.repo, builds) if builds else None
    code = _asv.asv("run", *asv_args, "--machine", machine, cwd=args.repo, capture=False,
                    env=env, ok=(0, _asv.ASV_BENCHMARK_FAILED)).returncode
    commits = _commits(args.repo, asv_args[0])
    if releases and commits:
        results_dir = _asv.results_dir(args.repo)
        for release, why in cython_releases.unmeasured(results_dir, machine, commits,
                                                       releases).items():
            problems[release] = why
            print(f"gilbench bench: Cython {release}: {why}", file=sys.stderr)
    missing = {}
    if builds and commits:
        missing = python_builds.unmeasured(_asv.results_dir(args.repo), machine, commits,
                                           [b for b, _, _ in builds])
        for build, why in missing.items():
            print(f"gilbench bench: Python {build}: {why}", file=sys.stderr)
    if problems:
        print(f"gilbench bench: not measured with Cython {', '.join(problems)}",
              file=sys.stderr)
    if problems or missing:
        return 2
    return code
