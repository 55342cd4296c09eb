"""Command line: ``gilbench info [--json]`` (also ``python -m gilbench info``)."""

from __future__ import annotations

import argparse
import sys


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gilbench",
        description="Benchmarks of Cython's 'You probably don't need to release the GIL'.")
    sub = parser.add_subparsers(dest="command", required=True)
    info = sub.add_parser("info", help="CPUs, OpenMP, BLAS libraries and versions of this machine")
    info.add_argument("--json", action="store_true", help="machine-readable output")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "info":
        from gilbench import info

        print(info.main(as_json=args.json))
    return 0


if __name__ == "__main__":
    sys.exit(main())
