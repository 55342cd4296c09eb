"""``gilbench gate BASE [HEAD]``: benchmark both commits here and fail on a
regression beyond each benchmark's noise, a newly failing benchmark or a
changed claim verdict.  Exit 0: passed; 1: failed; 2: could not run.  See
:mod:`gilbench.gate`."""

from __future__ import annotations

import json
from pathlib import Path

from gilbench import _asv, gate
from gilbench.commands import common_args

NAME = "gate"
HELP = ("benchmark BASE and HEAD here; fail on a regression beyond each benchmark's noise, "
        "a newly failing benchmark or a changed claim verdict")
TAKES_ASV_ARGS = True


def add_arguments(parser) -> None:
    parser.add_argument("base", help="the commit to compare against (e.g. origin/main)")
    parser.add_argument("head", nargs="?", default="HEAD",
                        help="the commit under test (default HEAD)")
    common_args.add_machine(parser)
    parser.add_argument("--noise", default="noise",
                        help="directory of the noise tables in the repository, read as "
                        "committed at BASE (default noise/)")
    parser.add_argument("--verdicts", action="store_true",
                        help="also measure the benchmarks behind the claim verdicts and fail "
                        "on a changed verdict (calibrated mode; most of the default suite, for "
                        "both commits)")
    parser.add_argument("--only", default=None, metavar="REGEX",
                        help="gate only the benchmark classes matching REGEX (e.g. C1)")
    parser.add_argument("--no-confirm", action="store_true",
                        help="fail on the first measurement, without measuring failing "
                        "timed points again (a moved exact count always fails as measured)")
    parser.add_argument("--summary", default=None, metavar="FILE",
                        help="also write the markdown summary here ($GITHUB_STEP_SUMMARY is "
                        "appended to when set)")
    parser.add_argument("--json", default=None, metavar="FILE",
                        help="also write the result as JSON (what moved, what failed, the "
                        "mode, the wall time)")
    common_args.add_repo(parser)


def run(args) -> int:
    result = gate.gate(args.repo, args.base, args.head, noise_dir=args.noise,
                       machine=args.machine, verdicts=args.verdicts,
                       asv_args=tuple(args.asv_args), confirm=not args.no_confirm,
                       only=args.only)
    text = gate.to_markdown(result)
    print(text)
    _asv.step_summary(text, args.summary)
    if args.json:
        Path(args.json).write_text(json.dumps(gate.as_dict(result), indent=1) + "\n",
                                   encoding="utf-8")
    return 0 if result.passed else 1
