"""Command line (also ``python -m gilbench ...``):

* ``gilbench info [--json]`` -- this machine, OpenMP, BLAS libraries, versions;
* ``gilbench report [--format text|markdown|json] [--html DIR]`` -- each claim's
  verdict on each machine, from asv's results;
* ``gilbench vendor-html DIR`` -- make an ``asv publish`` site open offline.
"""

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
    report = sub.add_parser(
        "report", help="each claim's verdict on each machine, from asv's results")
    report.add_argument("--results", default=".asv/results",
                        help="asv's results directory (default .asv/results)")
    report.add_argument("--machine", default=None, help="only this machine")
    report.add_argument("--commit", default=None,
                        help="this commit (a prefix will do) instead of each machine's newest")
    report.add_argument("--format", choices=["text", "markdown", "json"], default="text")
    report.add_argument("--html", default=None, metavar="DIR",
                        help="also write a self-contained HTML page with plots to DIR")
    vendor = sub.add_parser(
        "vendor-html", help="point an asv-published site at local copies of its CDN scripts "
        "(fetched with npm, cached), so that it opens without internet")
    vendor.add_argument("html_dir", help="the directory `asv publish` wrote (e.g. .asv/html)")
    vendor.add_argument("--cache", default=None,
                        help="where npm tarballs are kept (default ~/.cache/gilbench/npm)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "info":
        from gilbench import info

        print(info.main(as_json=args.json))
    elif args.command == "report":
        from gilbench import report, results

        try:
            runs = results.load(args.results, machine=args.machine, commit=args.commit)
        except ValueError as exc:
            print(f"gilbench report: {exc}", file=sys.stderr)
            return 1
        formats = {"text": report.to_text, "markdown": report.to_markdown,
                   "json": report.to_json}
        print(formats[args.format](runs))
        if args.html:
            path = report.write_html(runs, args.html)
            print(f"claims page: {path}", file=sys.stderr if args.format == "json" else None)
    elif args.command == "vendor-html":
        from gilbench.vendor_html import vendor_html

        try:
            manifest = vendor_html(args.html_dir, args.cache)
        except (ValueError, RuntimeError) as exc:
            print(f"gilbench vendor-html: {exc}", file=sys.stderr)
            return 1
        for url, entry in sorted(manifest.items()):
            print(f"{entry['file']}  <- npm {entry['package']} ({url})")
        print(f"{args.html_dir}: every script and stylesheet is now served locally")
    return 0


if __name__ == "__main__":
    sys.exit(main())
