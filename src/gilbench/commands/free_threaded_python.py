"""``gilbench free-threaded-python [--no-build]``: print the path
of a free-threaded CPython (3.13t or newer), building 3.13t with pyenv when
none is found.  Progress goes to stderr, the path alone to stdout, so that
``GILBENCH_PYTHON="$(gilbench free-threaded-python)"`` works.  See
:mod:`gilbench.free_threaded_python`."""

from __future__ import annotations

import sys

from gilbench import free_threaded_python as ftp

NAME = "free-threaded-python"
HELP = "print a free-threaded CPython's path, building 3.13t with pyenv if none is found"


def add_arguments(parser) -> None:
    parser.add_argument("--no-build", action="store_true",
                        help="only look; exit 2 when none is found")
    parser.add_argument("--version", default=ftp.DEFAULT_VERSION,
                        help=f"the release to build when none is found (default "
                        f"{ftp.DEFAULT_VERSION}; pyenv needs a definition <version>t)")


def run(args) -> int:
    def log(msg):
        print(f"gilbench free-threaded-python: {msg}", file=sys.stderr, flush=True)

    python = ftp.find()
    if python is None:
        if args.no_build:
            raise ValueError("no free-threaded Python found (on PATH as python3.13t or "
                             "python3.14t, or among pyenv's versions)")
        python, seconds = ftp.build(args.version, log=log)
        log(f"built {python} in {seconds:.0f} s")
    else:
        log(f"found {python} ({ftp.is_free_threaded(python)})")
    print(python)
    return 0
