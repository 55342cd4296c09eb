"""``gilbench publish``: asv's page (``asv publish``), made to open offline,
and the claims page, from the results of the asv project at ``--repo``; then
each claim's verdict.  ``nox -s bench`` ends with it, and the nightly runs the
same pipeline (:mod:`gilbench.publish`)."""

from __future__ import annotations

from gilbench import publish, report
from gilbench.commands import common_args

NAME = "publish"
HELP = "asv publish, offline assets and the claims page, then the verdicts"


def add_arguments(parser) -> None:
    common_args.add_repo(parser)
    parser.add_argument("--cache", default=None,
                        help="where npm tarballs are kept (default ~/.cache/gilbench/npm)")


def run(args) -> int:
    out = publish.publish(args.repo, cache_dir=args.cache)
    print(report.to_text(out.judged))
    print(f"asv's page: {out.html} (serve it: `asv preview`; it needs no internet)")
    print(f"claims page: {out.claims} (self-contained: open the file)")
    return 0
