"""``gilbench vendor-html DIR``: point an ``asv publish`` site at local copies
of the scripts it loads from CDNs (fetched with npm, cached), so that it opens
without internet."""

from __future__ import annotations

from gilbench.vendor_html import vendor_html

NAME = "vendor-html"
HELP = "make an asv-published site open without internet (npm copies of its CDN scripts)"


def add_arguments(parser) -> None:
    parser.add_argument("html_dir", help="the directory `asv publish` wrote (e.g. .asv/html)")
    parser.add_argument("--cache", default=None,
                        help="where npm tarballs are kept (default ~/.cache/gilbench/npm)")


def run(args) -> int:
    manifest = vendor_html(args.html_dir, args.cache)
    for url, entry in sorted(manifest.items()):
        print(f"{entry['file']}  <- npm {entry['package']} ({url})")
    print(f"{args.html_dir}: every script and stylesheet is now served locally")
    return 0
