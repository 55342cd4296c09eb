"""The README's test command runs pytest-xdist with ``--dist loadgroup``;
conftest.py puts the tests that share a heavy session fixture into one group,
so that the fixture is made once.  Checked for real, with the installed
pytest and pytest-xdist (pytest 9.2 changed how a test's id is stored, and
pytest-xdist 3.8's groups then silently stop working): a small project that
uses conftest.py's hook, run on two workers."""

import re
import subprocess
import sys

from conftest import SHARED_FIXTURES
from helpers import ROOT

PROJECT_CONFTEST = f'''
import importlib.util
import pytest

spec = importlib.util.spec_from_file_location("suite_conftest",
                                              {str(ROOT / "tests" / "conftest.py")!r})
suite = importlib.util.module_from_spec(spec)
spec.loader.exec_module(suite)
pytest_collection_modifyitems = suite.pytest_collection_modifyitems


@pytest.fixture(scope="session")
def smoke_run():
    return "made once per worker"
'''

PROJECT_TESTS = '''
def test_a(smoke_run): pass
def test_b(smoke_run): pass
def test_c(): pass
def test_d(): pass
def test_e(): pass
def test_f(): pass
'''


def test_the_tests_that_share_a_fixture_run_in_one_worker_and_are_slow(tmp_path):
    (tmp_path / "conftest.py").write_text(PROJECT_CONFTEST)
    (tmp_path / "test_p.py").write_text(PROJECT_TESTS)
    (tmp_path / "pytest.ini").write_text(
        # as pyproject.toml's (the suite's harness), and tests/ (conftest's helpers)
        f"[pytest]\npythonpath = {ROOT} {ROOT / 'tests'}\n"
        "markers =\n    slow: slow\n    xdist_group: group\n")
    r = subprocess.run([sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "-v",
                        "-p", "no:cacheprovider", "--strict-markers"],
                       cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    ran = {test: worker for worker, test in re.findall(
        r"\[(gw\d)\][^\n]*PASSED test_p\.py::(test_[\w@-]+)", r.stdout)}
    group = SHARED_FIXTURES["smoke_run"]
    assert set(ran) == {f"test_a@{group}", f"test_b@{group}", "test_c", "test_d", "test_e",
                        "test_f"}, r.stdout
    assert ran[f"test_a@{group}"] == ran[f"test_b@{group}"]
    assert len(set(ran.values())) == 2, "the other tests were not spread over both workers"
    slow = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-m", "slow",
                           "-p", "no:cacheprovider"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert re.findall(r"test_p\.py::(\w+)", slow.stdout) == ["test_a", "test_b"], slow.stdout
