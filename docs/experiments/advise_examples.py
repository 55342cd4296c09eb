"""``gilbench advise`` on the worked examples of README and docs/advise.md:
two of gilbench's own kernels whose advice is known from their source (C1's
``void ... except *`` sum of squares and its ``noexcept`` twin; C7's prange sum of
squares, three runs, beside the suite's own crossover), two functions that
ship in NumPy (a ufunc, and matmul, which calls BLAS), and one ``--quick``;
and, on a free-threaded CPython (``--python``), C3's loop that holds the GIL
beside the same on this interpreter, and C1's ``except *`` sum of squares.

The free-threaded examples run through a virtualenv of the interpreter that
:func:`gilbench.free_threaded_python.find` finds (``gilbench
free-threaded-python`` builds one), with gilbench installed from this
checkout by the command docs/advise.md gives, made in
``.nox/advise-free-threaded`` when missing (``--free-threaded PYTHON``: use
that interpreter, gilbench installed, instead).

Each example runs the installed command as a user would, from a scratch
directory, ``--format json``; its JSON, the command, the exit code and the
wall time go to ``docs/data/advise/<machine>/<example>.json``, which
``docs/figures.py`` reads (figures ``advise-examples`` and ``advise-c7``).
An example already there is kept unless ``--force``::

    python docs/experiments/advise_examples.py --machine vm
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "data" / "advise"
C1, C7 = "gilbench.kernels.c1_gil_held", "gilbench.kernels.c7_prange_overhead"
C3 = "gilbench.kernels.c3_release_for_threads"
#: The free-threaded examples' interpreter, in the arguments.
FT = "{free-threaded}"
SPIN = [f"{C3}:spin_gil", "--args", "gilbench.advise_specs:iterations",
        "--sizes", "1000", "100000", "10000000"]
FT_VENV = ROOT / ".nox" / "advise-free-threaded"

#: name -> the arguments of gilbench advise.
EXAMPLES = {
    "c1-sumsq-except": [f"{C1}:sumsq_except"],
    "c1-sumsq-noexcept": [f"{C1}:sumsq_noexcept"],
    **{f"c1-poly-except-run{k}": [f"{C1}:poly_except", "--args", "gilbench.advise_specs:x_out"]
       for k in (1, 2, 3)},
    **{f"c7-sumsq-run{k}": [f"{C7}:sumsq_prange", "--threads-arg", "num_threads"]
       for k in (1, 2, 3)},
    "c7-sumsq-quick": [f"{C7}:sumsq_prange", "--threads-arg", "num_threads", "--quick"],
    "numpy-sqrt": ["numpy:sqrt"],
    "numpy-matmul": ["numpy:matmul", "--args", "gilbench.advise_specs:square_pair",
                     "--sizes", "32", "64", "128", "256", "512"],
    **{f"c3-spin-gil-run{k}": SPIN for k in (1, 2, 3)},
    **{f"c3-spin-gil-ft-run{k}": [*SPIN, "--python", FT] for k in (1, 2, 3)},
    "c1-sumsq-except-ft": [f"{C1}:sumsq_except", "--python", FT],
}


def free_threaded_venv() -> Path:
    """The interpreter of :data:`FT_VENV`, made when missing."""
    python = FT_VENV / "bin" / "python"
    if not python.exists():
        from gilbench import free_threaded_python

        base = free_threaded_python.find()
        if base is None:
            raise SystemExit("no free-threaded CPython: `gilbench free-threaded-python` "
                             "builds one")
        subprocess.run([str(base), "-m", "venv", str(FT_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--prefer-binary",
                        "--only-binary=numpy,scipy", str(ROOT)], check=True)
    return python


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--machine", required=True)
    parser.add_argument("--force", action="store_true")
    parser.add_argument("--only", nargs="*", default=None, choices=sorted(EXAMPLES))
    parser.add_argument("--free-threaded", default=None, metavar="PYTHON",
                        help="a free-threaded interpreter with gilbench installed "
                        f"(default: made in {FT_VENV.relative_to(ROOT)})")
    args = parser.parse_args(argv)
    ft = None
    out = OUT / args.machine
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="gilbench-advise-") as scratch:
        for name in args.only or EXAMPLES:
            path = out / f"{name}.json"
            if path.exists() and not args.force:
                print(f"{name}: kept ({path})")
                continue
            given = EXAMPLES[name]
            if FT in given:
                ft = ft or args.free_threaded or str(free_threaded_venv())
                given = [ft if a == FT else a for a in given]
            command = [sys.executable, "-m", "gilbench", "advise", *given,
                       "--format", "json"]
            t0 = time.monotonic()
            r = subprocess.run(command, cwd=scratch, capture_output=True, text=True,
                               timeout=900)
            wall = time.monotonic() - t0
            record = {"command": ["gilbench", "advise", *given, "--format", "json"],
                      "exit": r.returncode, "wall_s": round(wall, 1),
                      "stderr": r.stderr[-2000:],
                      "advice": json.loads(r.stdout) if r.returncode == 0 else None}
            path.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
            print(f"{name}: exit {r.returncode}, {wall:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
