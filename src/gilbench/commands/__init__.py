"""gilbench's verbs, one module each (the way ``asv/commands/`` is laid out).

Every module names its verb (``NAME``), says what it does (``HELP``, and its
docstring for ``--help``), adds its arguments (``add_arguments(parser)``) and
does its work (``run(args) -> exit code``).  Options several verbs share live
in :mod:`gilbench.commands.common_args`; the parser and the one error policy
live in :mod:`gilbench.cli`.
"""

from gilbench.commands import (
    advise,
    bench,
    calibrate,
    free_threaded_python,
    gate,
    info,
    nightly,
    plan,
    publish,
    report,
    vendor_html,
)

#: In the order ``gilbench --help`` lists them.
COMMANDS = (info, bench, report, publish, vendor_html, plan, nightly, calibrate, gate,
            advise, free_threaded_python)

__all__ = ["COMMANDS"]
