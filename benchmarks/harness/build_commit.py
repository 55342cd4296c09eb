"""asv's per-commit build of gilbench: the wheel of one commit's kernels.

asv.conf.json's build command runs this file, the checkout's, for every
commit it measures (``python {conf_dir}/benchmarks/harness/build_commit.py
{build_dir} {env_dir}/meson-build {build_cache_dir}``), so that how a commit
is built stays the same whichever commit is measured, as the suite and its
harness do.  Standard library only: it runs in asv's environment before
anything of gilbench is installed there.

- One meson build directory per environment: a commit recompiles only the
  kernels that changed since the last one built there, and a second build of
  identical code compiles nothing.
- meson keeps an option's value in its build directory: a commit whose
  ``meson.options`` (or top-level ``meson.build``) differs from the last one
  built there gets a fresh build directory, or it would be built with the old
  defaults (a HEAD that turns OpenMP off would still be measured with it).
- The wheel leaves the tool out (``-Dtool=false``): asv measures the kernels
  and what they need to run, never the tool.  A commit from before the
  option existed (its ``meson.options`` declares no ``tool``) gets no such
  argument, which meson would refuse: it is built as it was then, with its
  tool in its wheel, unused (the suite and harness come from the checkout).
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
from pathlib import Path

#: The files whose content decides meson's options: a change starts afresh.
OPTION_FILES = ("meson.options", "meson.build")
#: The meson option that adds the tool to the wheel.
TOOL_OPTION = "tool"


def options_key(src: Path) -> str:
    """What the build directory's options depend on: the option files."""
    return hashlib.sha256(b"".join((src / f).read_bytes() for f in OPTION_FILES
                                   if (src / f).is_file())).hexdigest()


def fresh_if_options_changed(build: Path, src: Path) -> bool:
    """Remove ``build`` when ``src``'s option files differ from those it was
    configured with (a stamp beside it); True when it was removed."""
    key = options_key(src)
    stamp = build.with_name(build.name + ".options-sha256")
    same = stamp.is_file() and stamp.read_text() == key
    if not same:
        shutil.rmtree(build, ignore_errors=True)
    build.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(key)
    return not same


def declares_option(src: Path, name: str) -> bool:
    """Whether ``src``'s ``meson.options`` (``meson_options.txt`` before
    meson 1.1) declares the option ``name``."""
    for f in ("meson.options", "meson_options.txt"):
        path = src / f
        if path.is_file() and re.search(rf"""option\(\s*['"]{re.escape(name)}['"]""",
                                        path.read_text()):
            return True
    return False


def build_command(src: Path, build: Path, out: Path, extra=()) -> list[str]:
    """The ``python -m build`` command of the commit checked out at ``src``
    (``extra``: more ``-C`` settings, e.g. ``-Csetup-args=-Dopenmp=disabled``)."""
    cmd = [sys.executable, "-m", "build", "--wheel", "--no-isolation",
           f"-Cbuild-dir={build}", "-o", str(out)]
    if declares_option(src, TOOL_OPTION):
        cmd.append(f"-Csetup-args=-D{TOOL_OPTION}=false")
    return [*cmd, *extra, str(src)]


USAGE = "usage: build_commit.py SOURCE_DIR MESON_BUILD_DIR WHEEL_DIR [-Ckey=value ...]"


def main(argv: list[str]) -> int:
    if len(argv) < 3 or not all(a.startswith("-C") for a in argv[3:]):
        print(USAGE, file=sys.stderr)
        return 2
    src, build, out = (Path(a) for a in argv[:3])
    if not (src / "pyproject.toml").is_file():
        print(f"build_commit.py: {src} has no pyproject.toml: not a gilbench checkout",
              file=sys.stderr)
        return 2
    fresh_if_options_changed(build, src)
    return subprocess.run(build_command(src, build, out, argv[3:])).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
