"""``gilbench plan [--cpus N] [--json]``: the default suite on a machine of N
usable CPUs -- points, thread counts and estimated time per benchmark class --
before running it.  See :mod:`gilbench.plan`."""

from __future__ import annotations

import json

from gilbench import plan
from gilbench.commands import common_args

NAME = "plan"
HELP = "what the default suite runs on an N-CPU machine, and for how long, before running it"


def add_arguments(parser) -> None:
    parser.add_argument("--cpus", type=common_args.positive_int, default=None,
                        help="usable CPUs to plan for (default: this machine's)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--results", default=None,
                        help="asv results whose measured times the estimate uses (default "
                        ".asv/results of --repo)")
    parser.add_argument("--timed-from", default=None, metavar="MACHINE",
                        help="the machine of --results whose run times the estimate uses "
                        "(default: the newest commit's, with the most CPUs)")
    common_args.add_repo(parser)


def run(args) -> int:
    p = plan.plan(args.repo, args.cpus, results_dir=args.results, machine=args.timed_from)
    print(json.dumps(p, indent=1) if args.json else plan.to_text(p))
    return 0
