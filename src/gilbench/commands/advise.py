"""``gilbench advise MODULE:FUNCTION [--args MODULE:FACTORY] [--threads-arg NAME]``:
measure a compiled function of your own the way the suite measures the
article's claims -- exact GIL and OpenMP counts, times over problem sizes at
1 thread and at the usable CPUs, a Python thread's heartbeat, BLAS pinned
against free -- and say what each claim means for it on this machine.  See
:mod:`gilbench.advise`."""

from __future__ import annotations

import shutil
import sys

from gilbench import advise
from gilbench.commands import common_args

NAME = "advise"
HELP = "measure your own compiled function and say what the article's claims mean for it here"


def add_arguments(parser) -> None:
    parser.add_argument("function", metavar="MODULE:FUNCTION",
                        help="the function to advise on (importable from here)")
    parser.add_argument("--args", default=None, metavar="MODULE:FACTORY",
                        help="make(n) -> the positional arguments for a problem of n elements "
                        "(default: one float64 array of n elements)")
    parser.add_argument("--threads-arg", default=None, metavar="NAME",
                        help="the keyword that takes the function's thread count (default: "
                        "OpenMP's limit for the calling thread, set with threadpoolctl)")
    parser.add_argument("--sizes", type=common_args.positive_int, nargs="+", default=None,
                        metavar="N", help="problem sizes (default: 100 to 1e6, decades)")
    parser.add_argument("--quick", action="store_true",
                        help="two sizes, two sweeps: under a minute, marked as such")
    parser.add_argument("--timeout", type=float, default=300,
                        help="seconds before a function that does not return is stopped "
                        "(default 300)")
    parser.add_argument("--python", default=None, metavar="PATH",
                        help="measure on this interpreter instead, one with gilbench and your "
                        "module installed (a free-threaded build: whether the GIL stays off "
                        "once your module is imported; docs/advise.md)")
    parser.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    parser.add_argument("--html", default=None, metavar="FILE",
                        help="also write the advice as one self-contained HTML page")
    parser.add_argument("--asv-benchmark", default=None, metavar="FILE",
                        help="measure nothing: write an asv benchmark module that tracks the "
                        "function's exact counts and times in your own asv suite (--sizes: "
                        "its sizes, the first two also the counts')")


class Bar:
    """A progress bar on a terminal: one line, redrawn in place
    (``progress(done, total, label)`` of :func:`gilbench.advise.advise`)."""

    WIDTH = 24

    def __init__(self, stream):
        self.stream, self.drawn = stream, 0

    def __call__(self, done: int, total: int, label: str) -> None:
        filled = self.WIDTH * done // total if total else 0
        line = (f"gilbench advise [{'#' * filled}{'.' * (self.WIDTH - filled)}] "
                f"{done}/{total} {label}")
        # One line, however narrow the terminal: a wrapped line cannot be redrawn.
        line = line[:max(shutil.get_terminal_size().columns - 1, 20)]
        self.stream.write("\r" + line.ljust(self.drawn))
        self.stream.flush()
        self.drawn = len(line)

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\r" + " " * self.drawn + "\r")
            self.stream.flush()


def _write_benchmark(spec, args) -> int:
    from pathlib import Path

    from gilbench import asv_track

    path = Path(args.asv_benchmark)
    if path.exists():
        raise ValueError(f"{path} exists: not overwritten")
    if path.suffix != ".py":
        raise ValueError(f"{path} is not a .py file: asv discovers benchmarks in modules")
    command = " ".join(["gilbench advise", args.function,
                        *(["--args", args.args] if args.args else []),
                        *(["--threads-arg", args.threads_arg] if args.threads_arg else []),
                        *(["--sizes", *map(str, args.sizes)] if args.sizes else []),
                        "--asv-benchmark", path.name])
    sizes = sorted(set(args.sizes)) if args.sizes else None
    text = asv_track.module_source(spec, sizes, sizes[:2] if sizes and len(sizes) > 1 else None,
                                   command)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    print(f"gilbench advise: wrote {path}; `asv run` tracks {args.function} from there",
          file=sys.stderr)
    return 0


def run(args) -> int:
    spec = advise.Spec(args.function, args.args, args.threads_arg)
    if args.asv_benchmark:
        if args.python:
            raise ValueError("--asv-benchmark measures nothing now: asv's environments "
                             "choose the interpreter (asv.conf.json's pythons), not --python")
        return _write_benchmark(spec, args)
    bar = Bar(sys.stderr) if sys.stderr.isatty() else None
    try:
        result = advise.advise(spec, sizes=args.sizes, quick=args.quick, timeout=args.timeout,
                               python=args.python, progress=bar)
    finally:
        if bar:
            bar.close()
    out = {"text": advise.to_text, "json": advise.to_json,
           "markdown": advise.to_markdown}[args.format](result)
    if args.html:
        from gilbench import advise_page

        print(f"gilbench advise: page {advise_page.write_html(result, args.html)}",
              file=sys.stderr)
    sys.stdout.write(out)
    return 0
