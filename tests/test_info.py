"""`gilbench info`: works from any directory, as console script and as -m."""

import json
import shutil
import subprocess
import sys

import pytest


def run(args, cwd):
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=True).stdout


def test_info_json_lists_blas_and_cpus(tmp_path):
    data = json.loads(run([sys.executable, "-m", "gilbench", "info", "--json"], tmp_path))
    assert data["cpus"]["usable"] >= 1
    assert data["cpus"]["total"] >= data["cpus"]["usable"]
    assert len(data["blas"]) >= 2
    for lib in data["blas"]:
        assert lib["internal_api"] and lib["filepath"] and lib["num_threads"] >= 1
    assert isinstance(data["openmp"]["compiled_in"], bool)
    assert data["build"]["cython"].split(".")[0] == "3"
    for key in ("python", "numpy", "threadpoolctl", "gilbench"):
        assert data["versions"][key]


def test_info_text(tmp_path):
    out = run([sys.executable, "-m", "gilbench", "info"], tmp_path)
    assert "CPUs:" in out and "BLAS libraries loaded:" in out and "OpenMP:" in out


def test_console_script(tmp_path):
    exe = shutil.which("gilbench")
    if exe is None:
        pytest.skip("the gilbench console script is not on PATH in this environment")
    json.loads(run([exe, "info", "--json"], tmp_path))


def test_unknown_command_is_a_usage_error(tmp_path):
    r = subprocess.run([sys.executable, "-m", "gilbench", "frobnicate"], cwd=tmp_path,
                       capture_output=True, text=True)
    assert r.returncode == 2 and "invalid choice" in r.stderr
