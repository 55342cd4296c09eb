"""gilbench's command line (also ``python -m gilbench ...``): the parser and
the dispatch to the verbs of :mod:`gilbench.commands`, and the one error
policy.

Arguments after the first ``--`` go to ``asv run`` for the verbs that run it
(``bench``, ``nightly``, ``calibrate``, ``gate``).  Exit codes: 0 done; 1 the verb's own
"no" (``gate``: it failed); 2 it could not run -- bad input (argparse, or a
``ValueError`` from the verb) or a tool that failed (``RuntimeError``, such as
an asv or git command) -- with one line on stderr saying why, never a
traceback.
"""

from __future__ import annotations

import argparse
import os
import sys

from gilbench.commands import COMMANDS
from gilbench.commands.common_args import ASV_ARGS_HELP

#: Exit code when a verb could not run.
COULD_NOT_RUN = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gilbench",
        description="Benchmarks of Cython's 'You probably don't need to release the GIL'.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="VERB")
    for module in COMMANDS:
        p = sub.add_parser(module.NAME, help=module.HELP, description=module.__doc__,
                           epilog=(ASV_ARGS_HELP if getattr(module, "TAKES_ASV_ARGS", False)
                                   else None))
        module.add_arguments(p)
        p.set_defaults(module=module)
    return parser


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0] if len(lines) <= 1 else f"{lines[0]} {lines[-1]}"


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    asv_args: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, asv_args = argv[:cut], argv[cut + 1:]
    parser = build_parser()
    args = parser.parse_args(argv)
    module = args.module
    if asv_args and not getattr(module, "TAKES_ASV_ARGS", False):
        parser.error(f"{module.NAME} takes no arguments after --")
    args.asv_args = asv_args
    try:
        return module.run(args)
    except BrokenPipeError:   # the reader went away (| head): nothing to say
        sys.stdout = open(os.devnull, "w")  # as Python's docs advise
        return 0
    except ImportError as exc:
        print(f"gilbench {module.NAME}: {exc.name or exc} is not installed; "
              "`pip install gilbench` brings asv and matplotlib", file=sys.stderr)
    except (ValueError, RuntimeError, OSError) as exc:
        print(f"gilbench {module.NAME}: {_one_line(exc)}", file=sys.stderr)
    except KeyboardInterrupt:
        print(f"gilbench {module.NAME}: interrupted", file=sys.stderr)
    return COULD_NOT_RUN


if __name__ == "__main__":
    sys.exit(main())
