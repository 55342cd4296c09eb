"""`gilbench vendor-html`: asv's page gets local copies of its CDN files, from
npm (real ``npm pack``), with integrity hashes that match the bytes served.

The page itself is checked in a real browser in test_suite_runs.py.
"""

import base64
import hashlib
import re
import shutil
from pathlib import Path

import asv
import pytest

from gilbench import cli
from gilbench import vendor_html as vh

ASV_WWW = Path(asv.__file__).parent / "www"
TAG = re.compile(r'<(?:script|link)\b[^>]*?\b(?:src|href)="([^"]+)"[^>]*>')


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """One npm cache for the module: the first vendoring fills it."""
    return tmp_path_factory.mktemp("npm-cache")


@pytest.fixture
def site(tmp_path):
    """A fresh copy of the pages `asv publish` writes (asv's own www files)."""
    return Path(shutil.copytree(ASV_WWW, tmp_path / "html"))


def _sri(data, algorithm):
    return f"{algorithm}-" + base64.b64encode(hashlib.new(algorithm, data).digest()).decode()


def test_every_external_file_becomes_local_with_a_matching_hash(site, cache):
    before = (site / "index.html").read_text()
    external = [u for u in TAG.findall(before) if u.startswith("http")]
    assert len(external) == len(vh.ASSETS)  # the page asv 0.6 publishes
    manifest = vh.vendor_html(site, cache)
    assert set(manifest) == set(external)
    page = (site / "index.html").read_text()
    for tag in re.finditer(TAG, page):
        url = tag.group(1)
        assert not url.startswith("http"), f"still external: {url}"
        if url.startswith("vendor/"):
            algorithm, _ = re.search(r'integrity="(sha\d+)-([^"]+)"', tag.group(0)).groups()
            data = (site / url).read_bytes()
            assert f'integrity="{_sri(data, algorithm)}"' in tag.group(0), url
    # Where npm's file is the CDN's file, asv's own hash was kept.
    for url, entry in manifest.items():
        original = re.search(rf'"{re.escape(url)}"[^>]*integrity="([^"]+)"', before).group(1)
        assert (entry["integrity"] == original) == entry["same_bytes_as_cdn"], url
    assert (site / "vendor" / "manifest.json").is_file()


def test_second_publish_works_from_the_cache_without_npm(site, cache, monkeypatch):
    vh.vendor_html(site, cache)  # fills the cache if the first test did not

    def no_npm():
        raise AssertionError("npm was called although every tarball is cached")

    monkeypatch.setattr(vh, "_npm", no_npm)
    fresh = Path(shutil.copytree(ASV_WWW, site.parent / "html2"))
    assert len(vh.vendor_html(fresh, cache)) == len(vh.ASSETS)


def test_vendoring_twice_changes_nothing(site, cache):
    vh.vendor_html(site, cache)
    page = (site / "index.html").read_text()
    manifest = (site / "vendor" / "manifest.json").read_text()
    assert vh.vendor_html(site, cache) == {}
    assert (site / "index.html").read_text() == page
    assert (site / "vendor" / "manifest.json").read_text() == manifest


def test_unknown_cdn_file_is_named(site, cache):
    index = site / "index.html"
    index.write_text(index.read_text().replace(
        "</head>", '<script src="https://cdn.example/new.js"></script></head>'))
    with pytest.raises(ValueError, match="https://cdn.example/new.js"):
        vh.vendor_html(site, cache)


def test_directory_without_a_published_site(tmp_path, capsys):
    with pytest.raises(ValueError, match="asv publish"):
        vh.vendor_html(tmp_path)
    assert cli.main(["vendor-html", str(tmp_path / "missing")]) == 2
    assert "asv publish" in capsys.readouterr().err
