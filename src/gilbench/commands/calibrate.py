"""``gilbench calibrate``: the run-to-run noise of every benchmark on this
machine, from A/A runs of identical code in a scratch clone, written to
``noise/<machine>.json`` and ``.md`` (:mod:`gilbench.noise`; the thresholds
of asv's graphs); with ``--gate``, the noise of the regression gate on its
own protocol, written to ``noise/gate/<machine>.json`` and ``.md`` with the
raw results (:mod:`gilbench.gate_calibration`; what the gate gates)."""

from __future__ import annotations

import argparse
from pathlib import Path

from gilbench import _asv, gate_calibration, machine_load, noise
from gilbench.commands import common_args

NAME = "calibrate"
HELP = ("measure the run-to-run noise of every benchmark: A/A runs of identical code in a "
        "scratch clone, written to noise/<machine>.json and .md")
TAKES_ASV_ARGS = True


def _runs(text: str) -> int:
    value = common_args.positive_int(text)
    if value < 2:
        raise argparse.ArgumentTypeError("an A/A calibration needs at least 2 runs")
    return value


def _limit(what: str):
    """An argparse type: a number >= 0 (``inf`` allowed), named ``what`` in
    its error."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if not value >= 0:
            raise argparse.ArgumentTypeError(f"expected {what} >= 0, got {text!r}")
        return value
    return parse


def add_arguments(parser) -> None:
    parser.add_argument("--gate", action="store_true",
                        help="calibrate the regression gate on its own protocol: A/A pairs of "
                        "two builds in interleaved rounds, written to noise/gate/")
    parser.add_argument("--pairs", type=common_args.positive_int,
                        default=gate_calibration.PAIRS,
                        help=f"with --gate: A/A pairs (default {gate_calibration.PAIRS})")
    parser.add_argument("--max-others", type=_limit("a number of CPUs"),
                        default=machine_load.OTHERS_LIMIT, metavar="CPUS",
                        help="with --gate: refuse a pair measured while other processes used "
                        f"more than CPUS on average (default {machine_load.OTHERS_LIMIT}; "
                        "inf keeps every pair, its load still recorded)")
    parser.add_argument("--max-steal", type=_limit("a fraction of the CPU time"),
                        default=machine_load.STEAL_LIMIT, metavar="FRACTION",
                        help="with --gate: refuse a pair during which the hypervisor stole more "
                        f"than FRACTION of the CPU time (default {machine_load.STEAL_LIMIT}; inf "
                        "keeps every pair, its steal still recorded)")
    parser.add_argument("--refusals", type=common_args.positive_int,
                        default=gate_calibration.REFUSALS,
                        help="with --gate: busy pairs refused before the calibration stops "
                        f"(default {gate_calibration.REFUSALS})")
    parser.add_argument("--only", default=None, metavar="REGEX",
                        help="with --gate: only the benchmark classes matching REGEX (as "
                        "gilbench gate --only)")
    parser.add_argument("--runs", type=_runs, default=4,
                        help="default runs of identical code; every two are an A/A pair "
                        "(default 4: 6 pairs)")
    common_args.add_machine(parser)
    parser.add_argument("--workdir", default=None,
                        help="the scratch clone (default .asv/calibration, with --gate "
                        f".asv/{gate_calibration.WORKDIR}; a killed calibration resumes "
                        "there)")
    parser.add_argument("--out", default="noise", help="where the table goes (default noise/)")
    parser.add_argument("--reanalyze", action="store_true",
                        help="no new runs: the table of the runs already in --workdir (after "
                        "a change to the analysis; needs --machine)")
    common_args.add_repo(parser)


def _run_gate(args) -> int:
    if args.reanalyze:
        if not args.machine:
            raise ValueError("--reanalyze needs --machine")
        table, raw = gate_calibration.reanalyze(
            args.workdir or Path(args.repo) / ".asv" / gate_calibration.WORKDIR, args.machine,
            args.only)
    else:
        table, raw = gate_calibration.calibrate(args.repo, pairs=args.pairs,
                                                workdir=args.workdir, machine=args.machine,
                                                asv_args=tuple(args.asv_args),
                                                only=args.only, refusals=args.refusals,
                                                max_others=args.max_others,
                                                max_steal=args.max_steal)
    js, md = gate_calibration.write_table(table, Path(args.repo) / args.out, raw)
    print(md.read_text(encoding="utf-8"))
    print(f"gate noise table: {js} and {md}")
    return 0


def run(args) -> int:
    if args.only is not None and not args.gate:
        raise ValueError("--only needs --gate")
    if args.gate:
        return _run_gate(args)
    work = (Path(args.workdir) if args.workdir
            else Path(args.repo).resolve() / ".asv" / noise.WORKDIR)
    if args.reanalyze:
        if not args.machine:
            raise ValueError("--reanalyze needs --machine")
        table = noise.reanalyze(work, args.machine)
    else:
        table = noise.calibrate(args.repo, runs=args.runs, workdir=work,
                                machine=args.machine, asv_args=tuple(args.asv_args))
    # The raw runs go beside the table, as the gate's do.
    js, md = noise.write_table(table, Path(args.repo) / args.out, _asv.results_dir(work))
    print(md.read_text(encoding="utf-8"))
    print(f"noise table: {js} and {md}")
    return 0
