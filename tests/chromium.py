"""Real headless Chromium for the tests that look at a page: find it (a test
fails in CI without it, and skips only outside CI), serve a directory on
127.0.0.1, dump the rendered DOM, take a screenshot.

Chromium runs with every host but 127.0.0.1 mapped to "not found", so a page
that tries to load anything from outside fails visibly instead of quietly
using the network.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Where screenshots are kept for a person to look at (git ignores it).
ARTIFACTS = Path(os.environ.get("GILBENCH_ARTIFACTS", ROOT / "test-artifacts"))

_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
          "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run",
          "--disable-extensions", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]


def chromium() -> str:
    """Path of Debian's chromium; a failure in CI (CI=true), a skip elsewhere."""
    path = (shutil.which("chromium") or shutil.which("chromium-browser")
            or shutil.which("google-chrome"))
    if path is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("chromium is not installed, and CI must check pages in a real browser "
                        "(.ci/run installs Debian's chromium as root)")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium); "
                    "in CI this test fails instead")
    return path


@contextlib.contextmanager
def serve(directory):
    """An HTTP server for ``directory`` on 127.0.0.1; yields (base URL, request log)."""
    log = []
    server = subprocess.Popen(
        [sys.executable, "-u", "-m", "http.server", "--bind", "127.0.0.1", "0", "--directory",
         str(directory)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        line = server.stdout.readline()
        port = int(re.search(r"port (\d+)", line).group(1))
        yield f"http://127.0.0.1:{port}/", log
    finally:
        server.terminate()
        out, _ = server.communicate(timeout=30)
        log.extend(out.splitlines())


def _run(args, profile, timeout=120):
    r = subprocess.run([chromium(), *_FLAGS, f"--user-data-dir={profile}", *args],
                       capture_output=True, text=True, timeout=timeout)
    return r


def dump_dom(url, profile, budget_ms=10000) -> str:
    """The DOM after the page's scripts ran (virtual time ``budget_ms``)."""
    return _run([f"--virtual-time-budget={budget_ms}", "--dump-dom", url], profile).stdout


def screenshot(url, path, profile, size=(1280, 1000), budget_ms=10000) -> Path:
    """A PNG of the rendered page at ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _run([f"--virtual-time-budget={budget_ms}", f"--window-size={size[0]},{size[1]}",
          "--hide-scrollbars", f"--screenshot={path}", url], profile)
    assert path.is_file() and path.stat().st_size > 0, f"no screenshot of {url}"
    return path
