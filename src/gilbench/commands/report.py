"""``gilbench report``: each claim's verdict on each machine, from asv's
results, as text, markdown or JSON, and optionally the self-contained claims
page."""

from __future__ import annotations

import sys

from gilbench import report, results
from gilbench.commands import common_args

NAME = "report"
HELP = "each claim's verdict on each machine, from asv's results"

FORMATS = {"text": report.to_text, "markdown": report.to_markdown, "json": report.to_json}


def add_arguments(parser) -> None:
    common_args.add_results(parser)
    parser.add_argument("--machine", default=None, help="only this machine")
    parser.add_argument("--commit", default=None,
                        help="this commit (a prefix will do) instead of each machine's newest")
    parser.add_argument("--format", choices=sorted(FORMATS), default="text")
    parser.add_argument("--html", default=None, metavar="DIR",
                        help="also write a self-contained HTML page with plots to DIR")


def run(args) -> int:
    runs = report.judge(results.load(args.results, machine=args.machine, commit=args.commit,
                                             earlier=report.EARLIER))
    print(FORMATS[args.format](runs))
    if args.html:
        path = report.write_html(runs, args.html)
        print(f"claims page: {path}", file=sys.stderr if args.format == "json" else sys.stdout)
    return 0
