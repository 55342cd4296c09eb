"""``gilbench info [--json]``: this machine's CPUs, OpenMP, BLAS libraries and
the versions gilbench was built and runs with."""

from __future__ import annotations

from gilbench import info

NAME = "info"
HELP = "CPUs, OpenMP, BLAS libraries and versions of this machine"


def add_arguments(parser) -> None:
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def run(args) -> int:
    print(info.text(as_json=args.json))
    return 0
