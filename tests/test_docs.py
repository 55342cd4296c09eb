"""The pages a user reads: every measured figure in README.md and docs/ is
regenerated from the data committed beside it (docs/figures.py) and must equal
what the page says; the README is a newcomer's page whose commands are the
ones CI runs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_figure_equals_its_data():
    r = subprocess.run([sys.executable, str(ROOT / "docs" / "figures.py"), "--check"],
                       cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_a_changed_figure_is_caught(tmp_path, monkeypatch):
    """--check fails and names the page when a generated block is edited by hand."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("figures", ROOT / "docs" / "figures.py")
    figures = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(figures)
    page = tmp_path / "page.md"
    text = (ROOT / "docs" / "noise.md").read_text()
    assert "<!-- figure: noise-summary" in text
    page.write_text(re.sub(r"(\d+) stable", lambda m: f"{int(m.group(1)) + 1} stable", text,
                           count=1))
    monkeypatch.setattr(figures, "PAGES", [page])
    assert figures.main(["--check"]) == 1
    assert figures.main([]) == 0 and page.read_text() == text


def test_every_generated_block_is_filled():
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = page.read_text()
        for m in re.finditer(r"<!-- figure: ([\w-]+) \(docs/figures.py\) -->\n(.*?)"
                             r"<!-- end figure: \1 -->", text, re.S):
            assert m.group(2).strip(), f"{page.name}: figure {m.group(1)} is empty"


def test_readme_is_a_newcomers_page_with_the_commands_ci_runs():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 250
    commands = re.findall(r"^python3 -m pip install nox && python3 -m nox -s (\w+)$", readme,
                          re.M)
    assert commands == ["bench", "tests"]
    ci = (ROOT / ".ci" / "run").read_text()
    assert "python3 -m pip install nox && python3 -m nox -s tests" in ci
    # Every page the README links to exists.
    for link in re.findall(r"\]\((docs/[\w.-]+)\)", readme):
        assert (ROOT / link).is_file(), link


def test_the_gate_figures_judge_the_raw_results_again(tmp_path):
    """An A/A run's figures come from its raw results judged again; a run
    whose recorded failures differ from what its raw results give stops
    the figures (and so their check) with the run named."""
    import importlib.util
    import json
    import shutil

    import pytest

    spec = importlib.util.spec_from_file_location("figures", ROOT / "docs" / "figures.py")
    figures = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(figures)
    runs = sorted((ROOT / "noise" / "gate-aa" / "vm").glob("run*/run.json"))
    assert runs, "no A/A run committed"
    copy = tmp_path / "aa" / "vm" / "run1"
    shutil.copytree(runs[0].parent, copy)
    (got,) = figures._aa_runs(tmp_path / "aa")
    assert got["name"] == "vm/run1" and got["gated"] > 0
    record = json.loads((copy / "gate.json").read_text())
    record["failures"] = record["failures"] + ["bench_x.TimeX.time_x"]
    (copy / "gate.json").write_text(json.dumps(record))
    with pytest.raises(ValueError, match="vm/run1: its raw results give the failures"):
        figures._aa_runs(tmp_path / "aa")
