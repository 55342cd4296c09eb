"""A free-threaded CPython to measure gilbench on: find one, or build one.

:func:`find` looks, in order, on ``PATH`` (``python3.14t``, ``python3.13t``)
and in pyenv's versions (``$(pyenv root)/versions/*t``), and keeps the first
interpreter that says it was built without the GIL
(``sysconfig.get_config_var("Py_GIL_DISABLED")``).

:func:`build` makes one with pyenv (``pyenv install 3.13.5t``) when none is
found.  pyenv downloads the source from python.org; where python.org cannot
be reached (the machines this suite was written on reach only PyPI and
Debian), the same tarball comes from Debian's source package ``python3.13``
of trixie, whose ``.orig.tar.xz`` is byte for byte python.org's release:
:func:`debian_tarball` fetches it with ``apt-get source --download-only``
under a private apt configuration (its own sources list, lists and cache in a
temporary directory), so the system's apt state is never touched, and the
file is accepted only when its sha256 is the one pyenv's definition
expects.  Nothing is installed into the system Python: pyenv builds into its
own root.  ``gilbench free-threaded-python`` (``nox -s free-threaded-python``)
prints the interpreter's path.
"""

from __future__ import annotations

import glob
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

__all__ = ["DEFAULT_VERSION", "build_of", "is_free_threaded", "find", "build", "debian_tarball",
           "pyenv_root", "pyenv_pythons", "expected_sha256"]

#: The release pyenv builds (its definition ``3.13.5t``) when none is found:
#: the one whose source Debian trixie serves.
DEFAULT_VERSION = "3.13.5"
#: The interpreter names searched on PATH, newest first.
NAMES = ("python3.14t", "python3.13t")
#: Debian's source package, suite and mirror for the fallback download.
DEBIAN_SOURCE = ("python3.13", "trixie", "http://deb.debian.org/debian")
DEBIAN_KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"

_PROBE = ("import sys, sysconfig; print('%d.%d' % sys.version_info[:2] + "
          "('t' if sysconfig.get_config_var('Py_GIL_DISABLED') else ''))")
_BUILD = re.compile(r"3\.\d+t?")


def build_of(python) -> str | None:
    """What ``python`` says it is: ``"3.13t"`` for a free-threaded 3.13,
    ``"3.11"`` for a GIL build; None when it does not run."""
    try:
        r = subprocess.run([str(python), "-c", _PROBE], capture_output=True, text=True,
                           timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    out = r.stdout.strip()
    return out if r.returncode == 0 and _BUILD.fullmatch(out) else None


def is_free_threaded(python) -> str | None:
    """``"3.13t"``-style name of ``python`` when it runs and was built
    without the GIL, else None."""
    build = build_of(python)
    return build if build and build.endswith("t") else None


def pyenv_root() -> Path | None:
    """pyenv's root (``$PYENV_ROOT``, or what ``pyenv root`` says), or None
    without pyenv."""
    if os.environ.get("PYENV_ROOT"):
        return Path(os.environ["PYENV_ROOT"])
    exe = shutil.which("pyenv")
    if exe is None:
        return None
    r = subprocess.run([exe, "root"], capture_output=True, text=True)
    return Path(r.stdout.strip()) if r.returncode == 0 and r.stdout.strip() else None


def _pyenv() -> str | None:
    root = pyenv_root()
    for cand in ([str(root / "bin" / "pyenv")] if root else []) + [shutil.which("pyenv")]:
        if cand and os.access(cand, os.X_OK):
            return cand
    return None


def pyenv_pythons(version_glob: str, exe_glob: str) -> list[str]:
    """pyenv's interpreters ``versions/<version_glob>/bin/<exe_glob>``,
    newest release first (3.13.10 before 3.13.9); [] without pyenv."""
    root = pyenv_root()
    if root is None:
        return []
    found = glob.glob(str(root / "versions" / version_glob / "bin" / exe_glob))
    return sorted(found, key=lambda p: [int(x) for x in re.findall(r"\d+", Path(p).parts[-3])],
                  reverse=True)


def find() -> Path | None:
    """The first free-threaded CPython found (see the module), or None."""
    candidates = [shutil.which(n) for n in NAMES] + pyenv_pythons("*t", "python3.*t")
    for cand in candidates:
        if cand and is_free_threaded(cand):
            return Path(cand)
    return None


def expected_sha256(version: str, root: Path) -> str:
    """The sha256 pyenv's definition of ``version`` expects of
    ``Python-<version>.tar.xz``; ValueError when pyenv has no definition."""
    definition = root / "plugins" / "python-build" / "share" / "python-build" / version
    if not definition.is_file():
        raise ValueError(f"pyenv has no definition of Python {version} (update pyenv)")
    m = re.search(rf"Python-{re.escape(version)}\.tar\.xz#([0-9a-f]{{64}})",
                  definition.read_text())
    if m is None:
        raise ValueError(f"pyenv's definition of {version} names no Python-{version}.tar.xz")
    return m.group(1)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _python_org(version: str, dest: Path) -> bool:
    url = f"https://www.python.org/ftp/python/{version}/Python-{version}.tar.xz"
    try:
        with urllib.request.urlopen(url, timeout=20) as r, open(dest, "wb") as f:
            shutil.copyfileobj(r, f)
        return True
    except OSError:
        dest.unlink(missing_ok=True)
        return False


def debian_tarball(version: str, dest: Path, log=print) -> None:
    """Put Debian's ``<package>_<version>.orig.tar.xz`` at ``dest`` (see the
    module); RuntimeError saying why when apt cannot get it."""
    if shutil.which("apt-get") is None:
        raise RuntimeError("python.org cannot be reached and this machine has no apt-get "
                           f"for Debian's copy of Python-{version}.tar.xz")
    package, suite, mirror = DEBIAN_SOURCE
    with tempfile.TemporaryDirectory(prefix="gilbench-apt-") as tmp:
        t = Path(tmp)
        (t / "lists" / "partial").mkdir(parents=True)
        (t / "cache" / "archives" / "partial").mkdir(parents=True)
        signed = f" [signed-by={DEBIAN_KEYRING}]" if Path(DEBIAN_KEYRING).is_file() else ""
        (t / "sources.list").write_text(f"deb-src{signed} {mirror} {suite} main\n")
        opts = ["-o", f"Dir::Etc::SourceList={t / 'sources.list'}",
                "-o", f"Dir::Etc::SourceParts={t / 'no-parts'}",
                "-o", f"Dir::State::Lists={t / 'lists'}",
                "-o", f"Dir::Cache={t / 'cache'}", "-o", "APT::Sandbox::User=root", "-qq"]
        log(f"fetching Python {version}'s source from Debian {suite} ({mirror})")
        for cmd in (["update"], ["source", "--download-only", package]):
            r = subprocess.run(["apt-get", *opts, *cmd], cwd=t, capture_output=True, text=True)
            if r.returncode != 0:
                last = (r.stderr or r.stdout).strip().splitlines()
                raise RuntimeError(f"apt-get {cmd[0]} failed: "
                                   f"{last[-1] if last else r.returncode}")
        orig = t / f"{package}_{version}.orig.tar.xz"
        if not orig.is_file():
            have = sorted(p.name for p in t.glob("*.orig.tar.*"))
            raise RuntimeError(f"Debian {suite}'s {package} is not Python {version} "
                               f"(it serves {', '.join(have) or 'nothing'})")
        shutil.move(orig, dest)


def build(version: str = DEFAULT_VERSION, log=print) -> tuple[Path, float]:
    """Build CPython ``version`` without the GIL with pyenv (definition
    ``<version>t``) and return its interpreter and the seconds the build
    took.  RuntimeError when there is no pyenv or the build fails."""
    pyenv = _pyenv()
    root = pyenv_root()
    if pyenv is None or root is None:
        raise RuntimeError("no free-threaded Python found and no pyenv to build one: "
                           "install pyenv (https://github.com/pyenv/pyenv) or put a "
                           "python3.13t on PATH")
    want = expected_sha256(version, root)
    cache = root / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    tarball = cache / f"Python-{version}.tar.xz"
    if not tarball.is_file() or _sha256(tarball) != want:
        tarball.unlink(missing_ok=True)
        if not _python_org(version, tarball):
            debian_tarball(version, tarball, log=log)
        got = _sha256(tarball)
        if got != want:
            tarball.unlink()
            raise RuntimeError(f"Python-{version}.tar.xz has sha256 {got}, pyenv expects {want}")
    log(f"building Python {version}t with pyenv (a few minutes)")
    env = dict(os.environ, PYTHON_BUILD_CACHE_PATH=str(cache), PYENV_ROOT=str(root))
    t0 = time.monotonic()
    r = subprocess.run([pyenv, "install", "--skip-existing", f"{version}t"], env=env,
                       capture_output=True, text=True)
    seconds = time.monotonic() - t0
    if r.returncode != 0:
        tail = (r.stderr or r.stdout).strip().splitlines()[-5:]
        raise RuntimeError(f"pyenv install {version}t failed: " + " | ".join(tail))
    minor = ".".join(version.split(".")[:2])
    python = root / "versions" / f"{version}t" / "bin" / f"python{minor}t"
    if not is_free_threaded(python):
        raise RuntimeError(f"pyenv built {python}, but it is not a free-threaded CPython")
    return python, seconds
