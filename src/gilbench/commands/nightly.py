"""``gilbench nightly``: one night of benchmarking (fetch the stored results,
benchmark the new commits, publish, store the new results back), the same on
a CI runner and on a lab machine.  See :mod:`gilbench.nightly`."""

from __future__ import annotations

import os
import sys

from gilbench import cython_releases, python_builds
from gilbench.commands import common_args
from gilbench.nightly import publish_stored, run_night

NAME = "nightly"
HELP = "fetch stored results, benchmark new commits, publish, store back"
TAKES_ASV_ARGS = True


def add_arguments(parser) -> None:
    parser.add_argument("--remote", default=os.environ.get("GILBENCH_RESULTS_REMOTE", "origin"),
                        help="git remote (name or URL) that holds the results branch "
                        "(default $GILBENCH_RESULTS_REMOTE or origin)")
    parser.add_argument("--results-branch",
                        default=os.environ.get("GILBENCH_RESULTS_BRANCH", "benchmark-results"),
                        help="the branch the results are stored on (default benchmark-results)")
    parser.add_argument("--branch", default=os.environ.get("GILBENCH_TRACKED_BRANCH", "main"),
                        help="the branch whose new commits are benchmarked (default main)")
    common_args.add_machine(parser)
    common_args.add_cython(parser)
    common_args.add_python(parser)
    parser.add_argument("--max-commits", type=common_args.positive_int, default=5,
                        help="at most this many new commits per night (default 5)")
    fleet = parser.add_mutually_exclusive_group()
    fleet.add_argument("--no-publish", action="store_true",
                       help="measure and store only: one machine of a fleet, whose pages a "
                       "--publish-only job builds once every machine is done")
    fleet.add_argument("--publish-only", action="store_true",
                       help="measure nothing: publish both pages from the results branch "
                       "alone (a fleet's last job)")
    parser.add_argument("--expect", default="", metavar="MACHINES",
                        help="with --publish-only: comma-separated machine names the pages "
                        "should have; each missing or stale one is named")
    common_args.add_repo(parser)


def run(args) -> int:
    expected = [m.strip() for m in args.expect.split(",") if m.strip()]
    if expected and not args.publish_only:
        raise ValueError("--expect needs --publish-only")
    if args.publish_only:
        if args.asv_args:
            raise ValueError("--publish-only measures nothing: it takes no asv arguments")
        publish_stored(args.repo, remote=args.remote, results_branch=args.results_branch,
                       expected=expected)
        return 0
    night = run_night(args.repo, remote=args.remote, results_branch=args.results_branch,
                      tracked=args.branch, machine=args.machine, max_commits=args.max_commits,
                      asv_args=tuple(args.asv_args), publish_pages=not args.no_publish,
                      cython=cython_releases.parse(args.cython),
                      python=python_builds.parse(args.python))
    if night.failed:
        print(f"gilbench nightly: {len(night.failed)} benchmark(s) failed (recorded, the "
              "others stored):\n  " + "\n  ".join(night.failed), file=sys.stderr)
    if night.unstored:
        print(f"gilbench nightly: measured but not stored (the next night stores them first): "
              f"{', '.join(c[:8] for c in night.unstored)}: {night.push_error}",
              file=sys.stderr)
        return 2
    for release, why in night.cython_unknown.items():
        print(f"gilbench nightly: Cython {release} not measured: pip cannot install it ({why})",
              file=sys.stderr)
    return 2 if night.cython_unknown else 0
