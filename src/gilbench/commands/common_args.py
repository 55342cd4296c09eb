"""Options that several verbs share, defined once."""

from __future__ import annotations

import argparse
import os


def positive_int(text: str) -> int:
    """An integer >= 1 (argparse type)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def add_repo(parser) -> None:
    parser.add_argument("--repo", default=".", help="the gilbench checkout (default .)")


def add_machine(parser) -> None:
    parser.add_argument(
        "--machine", default=None,
        help="asv machine name (default $GILBENCH_MACHINE; on a GitHub-hosted runner "
        "github-hosted-<os>-<arch>; else this host's name)")


def add_cython(parser) -> None:
    from gilbench import cython_releases

    parser.add_argument(
        "--cython", default=os.environ.get(cython_releases.ENV, ""), metavar="LIST",
        help="comma-separated Cython releases to build and measure gilbench with, once each, "
        f"e.g. 3.1.8,3.3.1 (default ${cython_releases.ENV}; unset: one build with the newest)")


def add_python(parser) -> None:
    from gilbench import python_builds

    parser.add_argument(
        "--python", default=os.environ.get(python_builds.ENV, ""), metavar="LIST",
        help="comma-separated CPython builds to build and measure gilbench on, once each: "
        "versions (3.11, 3.13t) or interpreters' paths "
        f"(default ${python_builds.ENV}; unset: the interpreter that runs asv)")


def add_results(parser) -> None:
    parser.add_argument("--results", default=".asv/results",
                        help="asv's results directory (default .asv/results)")


#: The help's epilog of a verb that takes asv run's arguments after ``--``
#: (a verb says so with ``TAKES_ASV_ARGS = True`` in its module).
ASV_ARGS_HELP = "Arguments after -- go to asv run (e.g. -- -b C1)."
