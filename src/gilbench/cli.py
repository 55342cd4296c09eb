"""Command line (also ``python -m gilbench ...``):

* ``gilbench info [--json]`` -- this machine, OpenMP, BLAS libraries, versions;
* ``gilbench report [--format text|markdown|json] [--html DIR]`` -- each claim's
  verdict on each machine, from asv's results;
* ``gilbench vendor-html DIR`` -- make an ``asv publish`` site open offline;
* ``gilbench nightly [--remote R] [-- ASV_RUN_ARGS]`` -- one night of CI benchmarking;
* ``gilbench calibrate [--runs N] [-- ASV_RUN_ARGS]`` -- the noise of every benchmark;
* ``gilbench gate BASE [HEAD]`` -- the regression gate (exit 1: regression,
  newly failing benchmark or changed verdict; 2: the gate could not run).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


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
    night = sub.add_parser(
        "nightly", help="fetch stored results, benchmark new commits, publish, store back")
    night.add_argument("--remote", default=os.environ.get("GILBENCH_RESULTS_REMOTE", "origin"),
                       help="git remote (name or URL) that holds the results branch "
                       "(default $GILBENCH_RESULTS_REMOTE or origin)")
    night.add_argument("--results-branch",
                       default=os.environ.get("GILBENCH_RESULTS_BRANCH", "benchmark-results"),
                       help="the branch the results are stored on (default benchmark-results)")
    night.add_argument("--branch", default=os.environ.get("GILBENCH_TRACKED_BRANCH", "main"),
                       help="the branch whose new commits are benchmarked (default main)")
    night.add_argument("--machine", default=None,
                       help="asv machine name (default: this host's name)")
    night.add_argument("--max-commits", type=int, default=5,
                       help="at most this many new commits per night, newest (default 5)")
    night.add_argument("--repo", default=".", help="the gilbench checkout (default .)")
    night.add_argument("asv_args", nargs=argparse.REMAINDER,
                       help="after --: extra arguments for asv run (e.g. -b C1)")
    cal = sub.add_parser(
        "calibrate", help="measure the run-to-run noise of every benchmark: A/A runs of "
        "identical code in a scratch clone, written to noise/<machine>.json and .md")
    cal.add_argument("--runs", type=int, default=4,
                     help="default runs of identical code; every two are an A/A pair "
                     "(default 4: 6 pairs)")
    cal.add_argument("--machine", default=None,
                     help="asv machine name (default: this host's name)")
    cal.add_argument("--workdir", default=None,
                     help="the scratch clone (default .asv/calibration; a killed calibration "
                     "resumes there)")
    cal.add_argument("--out", default="noise", help="where the table goes (default noise/)")
    cal.add_argument("--asv-thresholds", action="store_true",
                     help="also write asv's regressions_thresholds into asv.conf.json")
    cal.add_argument("--reanalyze", action="store_true",
                     help="no new runs: the table of the runs already in --workdir (after a "
                     "change to the analysis; needs --machine)")
    cal.add_argument("--repo", default=".", help="the gilbench checkout (default .)")
    cal.add_argument("asv_args", nargs=argparse.REMAINDER,
                     help="after --: extra arguments for asv run (e.g. -b C1)")
    g = sub.add_parser(
        "gate", help="benchmark BASE and HEAD here; fail on a regression beyond each "
        "benchmark's noise, a newly failing benchmark or a changed claim verdict")
    g.add_argument("base", help="the commit to compare against (e.g. origin/main)")
    g.add_argument("head", nargs="?", default="HEAD", help="the commit under test (default HEAD)")
    g.add_argument("--machine", default=None, help="asv machine name (default: this host's name)")
    g.add_argument("--noise", default="noise",
                   help="directory of the noise tables (default noise/; gilbench calibrate)")
    g.add_argument("--no-verdicts", action="store_true",
                   help="skip the benchmarks that only feed the claim verdicts")
    g.add_argument("--summary", default=None, metavar="FILE",
                   help="also write the markdown summary here ($GITHUB_STEP_SUMMARY is "
                   "appended to when set)")
    g.add_argument("--repo", default=".", help="the gilbench checkout (default .)")
    g.epilog = "Arguments after -- go to asv run (e.g. -- -b C1)."
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["gate"] and "--" in argv:
        # gate's HEAD is optional, so asv's arguments cannot be a REMAINDER
        # positional after it: everything after "--" goes to asv run.
        cut = argv.index("--")
        args = build_parser().parse_args(argv[:cut])
        args.asv_args = argv[cut + 1:]
    else:
        args = build_parser().parse_args(argv)
    try:
        return _main(args)
    except ImportError as exc:
        print(f"gilbench {args.command}: {exc.name or exc} is not installed; "
              "`pip install gilbench[report]` brings asv and matplotlib", file=sys.stderr)
        return 1


def _main(args) -> int:
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
    elif args.command == "nightly":
        from gilbench.nightly import run_night

        extra = args.asv_args[1:] if args.asv_args[:1] == ["--"] else args.asv_args
        if args.max_commits < 1:
            print("gilbench nightly: --max-commits must be >= 1", file=sys.stderr)
            return 2
        try:
            night = run_night(args.repo, remote=args.remote, results_branch=args.results_branch,
                              branch=args.branch, machine=args.machine,
                              max_commits=args.max_commits, asv_args=tuple(extra))
        except (ValueError, RuntimeError) as exc:
            print(f"gilbench nightly: {exc}", file=sys.stderr)
            return 1
        if night.failed:
            print(f"gilbench nightly: {len(night.failed)} benchmark(s) failed (recorded, the "
                  "others stored):\n  " + "\n  ".join(night.failed), file=sys.stderr)
    elif args.command == "calibrate":
        from gilbench import noise

        extra = args.asv_args[1:] if args.asv_args[:1] == ["--"] else args.asv_args
        try:
            if args.reanalyze:
                if not args.machine:
                    raise ValueError("--reanalyze needs --machine")
                table = noise.reanalyze(args.workdir or Path(args.repo) / ".asv" / "calibration",
                                        args.machine)
            else:
                table = noise.calibrate(args.repo, runs=args.runs, workdir=args.workdir,
                                        machine=args.machine, asv_args=tuple(extra))
        except (ValueError, RuntimeError) as exc:
            print(f"gilbench calibrate: {exc}", file=sys.stderr)
            return 1
        js, md = noise.write_table(table, Path(args.repo) / args.out)
        if args.asv_thresholds:
            noise.write_asv_thresholds(table, Path(args.repo) / "asv.conf.json")
        print(md.read_text(encoding="utf-8"))
        print(f"noise table: {js} and {md}")
    elif args.command == "gate":
        from gilbench import gate

        extra = getattr(args, "asv_args", [])
        try:
            result = gate.gate(args.repo, args.base, args.head, noise_dir=args.noise,
                               machine=args.machine, verdicts=not args.no_verdicts,
                               asv_args=tuple(extra))
        except (ValueError, RuntimeError) as exc:
            print(f"gilbench gate: {exc}", file=sys.stderr)
            return 2
        text = gate.to_markdown(result)
        print(text)
        for path in (args.summary, os.environ.get("GITHUB_STEP_SUMMARY")):
            if path:
                with open(path, "a", encoding="utf-8") as f:
                    f.write(text + "\n")
        return 0 if result.passed else 1
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
