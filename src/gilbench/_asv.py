"""The one boundary to asv and git: every asv and git process gilbench starts
goes through here.

* :func:`run`, :func:`git`, :func:`asv`: one subprocess runner; a failure
  raises :class:`CommandError` with the command and the tail of its output.
* :func:`machine`: ``asv machine --yes`` with the usable CPU count (after the
  affinity mask) as asv's ``num_cpu``, and the machine name that results are
  filed under (:func:`default_machine` when none is given).
* :func:`resolve`, :func:`first_parent`: commits, as git names them.
* :func:`config`, :func:`absolute_config`, :func:`results_dir`,
  :func:`html_dir`: asv.conf.json read as asv reads it, its paths absolute.
* :func:`worktree_at`, :func:`measuring_config`: a commit's suite checked
  out beside the checkout, and the config that measures with it (the gate).
* :func:`scratch_clone`, :func:`identical_chain`, :func:`identical_commit`:
  the calibrations' clones and their commits of identical code.
* :func:`run_commits`: ``asv run`` over a list of commits (asv's
  ``HASHFILE:``), the file removed whatever happens.
* :func:`step_summary`: the job summary of GitHub Actions.
* :func:`benchmark_environ`: the environment every ``asv run`` gets, with
  the caller's thread-changing variables cleared (or, with
  ``GILBENCH_KEEP_RUNTIME=1``, kept, and the machine name says so:
  :func:`machine`); :mod:`gilbench.harness.runtime` holds the rule.

Only asv's command line and its public module names are used here.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from gilbench.harness import runtime
from gilbench.harness.threads import usable_cpus

__all__ = ["ASV", "CommandError", "run", "git", "asv", "machine", "resolve", "first_parent",
           "hashfile", "run_commits", "step_summary", "ASV_BENCHMARK_FAILED", "default_machine",
           "config", "absolute_config", "results_dir", "html_dir", "worktree_at",
           "measuring_config", "scratch_clone", "identical_chain", "identical_commit",
           "benchmark_environ", "BENCHMARKING", "RECORD_REGEX", "with_record"]

#: asv, run by the interpreter that runs gilbench (so nox's and CI's
#: virtualenvs use their own asv).
ASV = (sys.executable, "-m", "asv")

#: ``asv run`` exits 2 when a benchmark failed and the others were recorded.
ASV_BENCHMARK_FAILED = 2


class CommandError(RuntimeError):
    """A command that exited non-zero: the command, its exit code and the end
    of what it printed."""

    def __init__(self, cmd, returncode: int, stdout: str = "", stderr: str = ""):
        self.cmd = [str(c) for c in cmd]
        self.returncode = returncode
        self.stdout = stdout or ""
        self.stderr = stderr or ""
        tail = (self.stderr.strip() or self.stdout.strip())[-2000:]
        super().__init__(f"{' '.join(self.cmd)} failed (exit {returncode})"
                         + (f": {tail}" if tail else ""))


def run(cmd, *, cwd=None, check: bool = True, env=None, capture: bool = True,
        ok=(0,), stdin: str | None = None) -> subprocess.CompletedProcess:
    """Run ``cmd`` (``stdin``: its input; none by default); with ``check``,
    an exit code outside ``ok`` raises :class:`CommandError`.
    ``capture=False`` lets the output through to the terminal (asv run's
    progress)."""
    feed = {"input": stdin} if stdin is not None else {"stdin": subprocess.DEVNULL}
    r = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, text=True,
                       capture_output=capture, **feed)
    if check and r.returncode not in ok:
        raise CommandError(cmd, r.returncode, r.stdout if capture else "",
                           r.stderr if capture else "")
    return r


def git(*args, cwd, check: bool = True, env=None) -> subprocess.CompletedProcess:
    """git, never asking a terminal for credentials."""
    env = dict(os.environ if env is None else env, GIT_TERMINAL_PROMPT="0")
    return run(["git", *args], cwd=cwd, check=check, env=env)


#: The asv commands that start benchmark processes.
BENCHMARKING = ("run", "continuous", "find", "dev")
_told = set()


def benchmark_environ(env=None) -> dict:
    """``env`` (default os.environ) as asv's benchmark processes get it: the
    thread-changing variables of :mod:`gilbench.harness.runtime` removed,
    unless ``GILBENCH_KEEP_RUNTIME=1`` keeps them.  Says once on stderr what
    it cleared or kept.  ValueError for a bad ``GILBENCH_KEEP_RUNTIME``."""
    out, found, kept = runtime.controlled_environ(env)
    if found and tuple(found.items()) not in _told:
        _told.add(tuple(found.items()))
        names = ", ".join(f"{k}={v}" for k, v in found.items())
        if kept:
            print(f"gilbench: kept {names} for the benchmarks ({runtime.KEEP}=1): the runtime "
                  "record and both pages name them", file=sys.stderr)
        else:
            print(f"gilbench: cleared {names} for the benchmarks (the suite chooses the "
                  f"runtime; {runtime.KEEP}=1 keeps them)", file=sys.stderr)
    return out


#: The benchmarks every run carries whatever ``-b`` selects: the runtime
#: record and what the run ran on (bench_runtime, bench_machine).
RECORD_REGEX = r"^bench_runtime\.|^bench_machine\."


def with_record(asv_args) -> list:
    """``asv_args`` with :data:`RECORD_REGEX` added to a ``-b`` selection, so
    that a run of a subset still records its runtime (no ``-b``: asv runs
    everything, the record included)."""
    args = list(asv_args)
    if any(a in ("-b", "--bench") or a.startswith("--bench=") for a in args):
        args += ["-b", RECORD_REGEX]
    return args


def asv(*args, cwd, check: bool = True, capture: bool = True, env=None,
        ok=(0,)) -> subprocess.CompletedProcess:
    """asv with ``args``; a command that benchmarks (:data:`BENCHMARKING`)
    gets :func:`benchmark_environ`."""
    if args and args[0] in BENCHMARKING:
        env = benchmark_environ(env)
    return run([*ASV, *args], cwd=cwd, check=check, capture=capture, env=env, ok=ok)


def config(repo) -> dict:
    """The project's ``asv.conf.json``, read as asv reads it (comments allowed);
    ValueError when ``repo`` has none."""
    from asv import util

    path = Path(repo) / "asv.conf.json"
    if not path.is_file():
        raise ValueError(f"{repo} has no asv.conf.json: not an asv project")
    return util.load_json(str(path), js_comments=True)


#: asv.conf.json's directories, with the values this project's config gives
#: them (relative to the checkout).
DIRECTORIES = {"repo": ".", "benchmark_dir": "benchmarks", "env_dir": ".asv/env",
               "results_dir": ".asv/results", "html_dir": ".asv/html"}


def absolute_config(repo) -> dict:
    """``repo``'s asv.conf.json with every directory absolute: for a config
    written elsewhere (a matrix, a scratch copy) that must still mean this
    checkout's suite, environments, results and pages."""
    repo = Path(repo).resolve()
    conf = config(repo)
    for key, default in DIRECTORIES.items():
        conf[key] = str((repo / conf.get(key, default)).resolve())
    # {conf_dir} is where asv found the config (it runs from there): this
    # checkout, wherever the copy is written (the per-commit build script).
    for key in ("build_command", "install_command", "uninstall_command"):
        if key in conf:
            conf[key] = [c.replace("{conf_dir}", shlex.quote(str(repo))) for c in conf[key]]
    return conf


def worktree_at(repo, commit: str, where) -> Path:
    """``where``, a linked worktree of the checkout ``repo``, detached at
    ``commit`` exactly (made, or moved there and cleaned)."""
    repo, where = Path(repo).resolve(), Path(where)
    git("worktree", "prune", cwd=repo)
    listed = git("worktree", "list", "--porcelain", cwd=repo).stdout
    if where.exists() and f"worktree {where.resolve()}\n" not in listed:
        shutil.rmtree(where)   # not a worktree of this checkout
    if not where.exists():
        where.parent.mkdir(parents=True, exist_ok=True)
        git("worktree", "add", "-q", "--detach", str(where), commit, cwd=repo)
    git("checkout", "-q", "--detach", commit, cwd=where)
    git("reset", "-q", "--hard", commit, cwd=where)
    git("clean", "-qfdx", cwd=where)
    return where


def measuring_config(repo, suite) -> Path:
    """An asv config that measures the commits of the checkout ``repo`` with
    the benchmark suite (harness included) and the asv settings of the
    checkout ``suite`` -- BASE's, in the gate -- in ``repo``'s environments
    and results.  Written to ``repo/.asv/measuring.conf.json``."""
    repo = Path(repo).resolve()
    conf = absolute_config(suite)
    mine = absolute_config(repo)
    conf.update({k: mine[k] for k in ("repo", "env_dir", "results_dir", "html_dir")})
    path = repo / ".asv" / "measuring.conf.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(conf, indent=1), encoding="utf-8")
    return path


def results_dir(repo) -> Path:
    """Where asv keeps ``repo``'s results (asv.conf.json's results_dir)."""
    return Path(absolute_config(repo)["results_dir"])


def html_dir(repo) -> Path:
    """Where asv publishes ``repo``'s page (asv.conf.json's html_dir)."""
    return Path(absolute_config(repo)["html_dir"])


def scratch_clone(repo, work, tag: str) -> Path:
    """The scratch clone of an A/A calibration at ``work``: a clone of
    ``repo`` on branch ``main`` at its HEAD, tagged ``tag``.  An existing
    clone is kept (a killed calibration resumes there) when it calibrates the
    same HEAD; ValueError when it calibrates another."""
    repo, work = Path(repo).resolve(), Path(work)
    head = git("rev-parse", "HEAD", cwd=repo).stdout.strip()
    if (work / ".git").exists():
        base = git("rev-parse", tag, cwd=work).stdout.strip()
        if base != head:
            raise ValueError(f"{work} calibrates {base[:8]}, not HEAD {head[:8]}: remove it "
                             "or give another work directory")
        return work
    work.parent.mkdir(parents=True, exist_ok=True)
    git("clone", "--quiet", "--no-local", str(repo), str(work), cwd=repo.parent)
    git("checkout", "--quiet", "-B", "main", head, cwd=work)
    git("tag", tag, head, cwd=work)
    return work


def identical_chain(work, tag: str) -> list[str]:
    """The commits of a scratch clone, all of identical code: the one tagged
    ``tag``, then the empty commits over it, oldest first."""
    base = git("rev-parse", tag, cwd=work).stdout.strip()
    return [base] + git("rev-list", "--reverse", f"{tag}..main", cwd=work).stdout.split()


def identical_commit(work, tag: str, env=None) -> str:
    """Commit, in the scratch clone ``work``, an empty commit over its HEAD
    (code identical to ``tag``) and return its hash.  Its author and message
    are fixed, so with fixed ``GIT_AUTHOR_DATE`` and ``GIT_COMMITTER_DATE``
    the same parent always gives the same commit (the tests share asv's
    builds that way)."""
    git("-c", "user.name=gilbench calibrate", "-c", "user.email=calibrate@gilbench",
        "commit", "--quiet", "--allow-empty", "-m", f"A/A: code identical to {tag}",
        cwd=work, env=env)
    return git("rev-parse", "HEAD", cwd=work).stdout.strip()


def default_machine() -> str | None:
    """The asv machine name when none is given: ``$GILBENCH_MACHINE``; on a
    GitHub-hosted runner, whose host name changes every run, a fixed name per
    OS and architecture (``github-hosted-linux-x64``), so that its history
    builds up under one machine; else None (asv's default: the host name)."""
    name = os.environ.get("GILBENCH_MACHINE", "").strip()
    if name:
        return name
    if os.environ.get("RUNNER_ENVIRONMENT") == "github-hosted":
        return "-".join(["github-hosted", os.environ.get("RUNNER_OS", "unknown"),
                         os.environ.get("RUNNER_ARCH", "unknown")]).lower()
    return None


def machine(repo, name: str | None = None, *, env=None) -> str:
    """Record this machine for asv (``asv machine --yes``; the usable CPUs,
    after the affinity mask, as its ``num_cpu``) and return the name its
    results are filed under: ``name``, else :func:`default_machine`, else
    asv's own default (the host name); with the caller's thread-changing
    variables kept (``GILBENCH_KEEP_RUNTIME=1``), that name followed by
    them (``vm+OMP_WAIT_POLICY=PASSIVE``), so that asv never files such a
    run with the default runs."""
    name = name or default_machine()
    if name is not None and (not name.strip() or "/" in name or name in (".", "..")):
        raise ValueError(f"not a usable machine name: {name!r}")
    _, found, kept = runtime.controlled_environ(env)
    if kept and found:
        if name is None:
            from asv.machine import Machine

            name = Machine.get_unique_machine_name()
        suffix = runtime.machine_suffix(found)
        if not name.endswith(suffix):
            name += suffix
    args = ["machine", "--yes", "--num_cpu", str(usable_cpus())]
    if name:
        args += ["--machine", name]
    asv(*args, cwd=repo, env=env)
    if name:
        return name
    from asv.machine import Machine

    return Machine.get_unique_machine_name()


def resolve(repo, rev: str) -> str | None:
    """The full hash of commit ``rev`` in ``repo``, or None."""
    r = git("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", cwd=repo, check=False)
    return r.stdout.strip() if r.returncode == 0 else None


def first_parent(repo, branch: str) -> list[str]:
    """The first-parent history of ``branch``, newest first."""
    return git("rev-list", "--first-parent", branch, cwd=repo).stdout.split()


@contextlib.contextmanager
def hashfile(commits):
    """A file listing ``commits`` for ``asv run HASHFILE:...``, removed on exit."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("".join(f"{c}\n" for c in commits))
    try:
        yield f.name
    finally:
        os.unlink(f.name)


def run_commits(repo, commits, *args, machine: str, env=None) -> int:
    """``asv run`` over ``commits`` (asv builds each) with ``args``; asv's
    output goes to the terminal.  Returns asv's exit code: 0, or
    :data:`ASV_BENCHMARK_FAILED` when a benchmark failed (the rest were
    recorded); anything else raises."""
    with hashfile(commits) as path:
        r = asv("run", f"HASHFILE:{path}", "--machine", machine, *args, cwd=repo,
                capture=False, env=env, ok=(0, ASV_BENCHMARK_FAILED))
    return r.returncode


def step_summary(text: str, *also) -> None:
    """Append ``text`` to GitHub Actions' job summary (``$GITHUB_STEP_SUMMARY``,
    when set) and to each path in ``also``."""
    for path in (os.environ.get("GITHUB_STEP_SUMMARY"), *also):
        if path:
            with open(Path(path), "a", encoding="utf-8") as f:
                f.write(text.rstrip("\n") + "\n")
