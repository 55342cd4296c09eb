"""One night of benchmarking: fetch the stored results, benchmark what is new,
publish, store the new results back.  ``gilbench nightly`` / ``nox -s
nightly`` run it on any machine (a CI runner, a lab machine from cron).

The store is a branch (``benchmark-results`` by default) of a git remote:
``results/<machine>/*.json`` as asv writes them, and one
``benchmarks/<commit>.json`` (asv's benchmark list) per night.  It is
append-only: a night adds files that are not there yet and never rewrites or
deletes one.  Results reach the remote in one push at the very end, so a
night that is killed leaves the store exactly as it was; two nights racing
both end up stored (the loser rebases its new files onto the winner's and
pushes again).  A corrupt file in the store is reported by name and left out
of the publish, never fatal.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path

from gilbench import _asv, report, results
from gilbench.publish import publish

__all__ = ["Night", "run_night"]

#: Pushes tried when another night pushed in between.
PUSH_TRIES = 5


@dataclasses.dataclass
class Night:
    """What one night did."""

    machine: str
    benchmarked: list = dataclasses.field(default_factory=list)   # commit hashes
    stored: list = dataclasses.field(default_factory=list)        # files added to the store
    corrupt: list = dataclasses.field(default_factory=list)       # store files skipped
    failed: list = dataclasses.field(default_factory=list)        # benchmarks that failed
    asv_exit: int = 0


def _git(*args, cwd, check=True):
    return _asv.git(*args, cwd=cwd, check=check)


def _log(message):
    print(f"gilbench nightly: {message}", flush=True)


def open_store(store: Path, remote: str, branch: str) -> None:
    """``store`` as a checkout of ``branch`` exactly as the remote has it (an
    empty orphan branch when the remote has none yet)."""
    if not (store / ".git").is_dir():
        store.mkdir(parents=True, exist_ok=True)
        _git("init", "-q", cwd=store)
        _git("config", "user.name", os.environ.get("GIT_AUTHOR_NAME", "gilbench nightly"),
             cwd=store)
        _git("config", "user.email", os.environ.get("GIT_AUTHOR_EMAIL", "gilbench@localhost"),
             cwd=store)
    has = _git("ls-remote", "--heads", remote, branch, cwd=store).stdout.strip()
    if has:
        _git("fetch", "-q", remote, f"+refs/heads/{branch}:refs/remotes/store/{branch}",
             cwd=store)
        _git("checkout", "-q", "-B", branch, f"refs/remotes/store/{branch}", cwd=store)
        _git("reset", "-q", "--hard", f"refs/remotes/store/{branch}", cwd=store)
    else:
        _git("checkout", "-q", "--orphan", branch, cwd=store, check=False)
        _git("rm", "-rfq", "--ignore-unmatch", ".", cwd=store)
    _git("clean", "-qfdx", cwd=store)


def load_store(store: Path, results_dir: Path, night: Night) -> None:
    """Copy every readable stored file into ``results_dir``; name the rest."""
    stored_results = store / "results"
    for path in sorted(stored_results.rglob("*.json")) if stored_results.is_dir() else []:
        why = results.unreadable(path)
        if why:
            night.corrupt.append(f"{path.relative_to(store)} ({why})")
            _log(f"corrupt result file in the store, left out: {path.relative_to(store)}: {why}")
            continue
        dest = results_dir / path.relative_to(stored_results)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, dest)
    if (store / "benchmarks").is_dir() and not (results_dir / "benchmarks.json").is_file():
        # asv publish needs a benchmark list even on a night with nothing new:
        # the one stored most recently (git's history, newest first).
        added = _git("log", "--diff-filter=A", "--name-only", "--format=", "--", "benchmarks",
                     cwd=store, check=False).stdout.split()
        readable = [store / f for f in added
                    if (store / f).is_file() and results.unreadable(store / f) is None]
        if readable:
            results_dir.mkdir(parents=True, exist_ok=True)
            shutil.copy2(readable[0], results_dir / "benchmarks.json")


def new_commits(repo: Path, branch: str, results_dir: Path, machine: str,
                max_commits: int) -> list[str]:
    """Commits of ``branch`` newer than every commit measured on ``machine``
    (oldest first, at most ``max_commits``); the tip alone on a machine with
    no results yet."""
    done = results.commits(results_dir, machine)
    history = _asv.first_parent(repo, branch)
    if not history:
        raise ValueError(f"branch {branch!r} has no commits")
    if not done:
        return history[:1]
    fresh = []
    for commit in history:
        if commit in done:
            break
        fresh.append(commit)
    return list(reversed(fresh[:max_commits]))


def save_store(store: Path, results_dir: Path, machine: str, remote: str, branch: str,
               tip: str, night: Night) -> None:
    """Add this night's new files to the store and push them (append-only)."""
    added = []
    for src in sorted((results_dir / machine).glob("*.json")):
        dest = store / "results" / machine / src.name
        if not dest.exists():
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest)
            added.append(dest)
    bench_list = results_dir / "benchmarks.json"
    dest = store / "benchmarks" / f"{tip}.json"
    if bench_list.is_file() and not dest.exists() and night.benchmarked:
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(bench_list, dest)
        added.append(dest)
    if not added:
        _log("nothing new to store")
        return
    rel = [str(p.relative_to(store)) for p in added]
    _git("add", "--", *rel, cwd=store)
    message = (f"results: {machine}, {len(night.benchmarked)} commit(s) "
               + " ".join(c[:8] for c in night.benchmarked))
    _git("commit", "-q", "-m", message, cwd=store)
    for attempt in range(1, PUSH_TRIES + 1):
        push = _git("push", "-q", remote, f"HEAD:refs/heads/{branch}", cwd=store, check=False)
        if push.returncode == 0:
            night.stored = rel
            _log(f"stored {len(rel)} file(s) on {branch}")
            return
        _log(f"push rejected (attempt {attempt}), another night pushed first: rebasing")
        _git("fetch", "-q", remote, f"+refs/heads/{branch}:refs/remotes/store/{branch}",
             cwd=store)
        # Files are never rewritten, so a rebase only meets the same new file
        # added by both nights; the one already stored wins.
        rebase = _git("rebase", "-q", "-X", "ours", f"refs/remotes/store/{branch}", cwd=store,
                      check=False)
        if rebase.returncode != 0:
            _git("rebase", "--abort", cwd=store, check=False)
            raise RuntimeError(f"could not rebase the new results onto {branch}:\n"
                               f"{rebase.stderr[-2000:]}")
    raise RuntimeError(f"could not push to {branch} after {PUSH_TRIES} tries")


def _failed_benchmarks(results_dir: Path, machine: str, commits: list[str]) -> list[str]:
    """Benchmarks of ``commits`` for which asv recorded a failure (no value)."""
    failed = set()
    for commit in commits:
        try:
            run = results.load_commit(results_dir, machine, commit)
        except ValueError:
            continue
        failed |= {f"{commit[:8]} {p.benchmark}" for p in run.failed()}
    return sorted(failed)


def run_night(repo, *, remote: str, results_branch: str = "benchmark-results",
              branch: str = "main", machine: str | None = None, max_commits: int = 5,
              asv_args: tuple = (), publish: bool = True) -> Night:
    """Do one night's work in the asv project at ``repo`` (see the module)."""
    repo = Path(repo).resolve()
    asv_dir = repo / ".asv"
    results_dir = asv_dir / "results"
    store = asv_dir / "store"
    if not (repo / ".git").exists():
        raise ValueError(f"{repo} is not a git checkout")
    if remote in _git("remote", cwd=repo).stdout.split():
        remote = _git("remote", "get-url", remote, cwd=repo).stdout.strip()
    machine = _asv.machine(repo, machine)
    night = Night(machine=machine)

    open_store(store, remote, results_branch)
    load_store(store, results_dir, night)
    commits = new_commits(repo, branch, results_dir, machine, max_commits)
    tip = _git("rev-parse", branch, cwd=repo).stdout.strip()
    if commits:
        _log(f"benchmarking {len(commits)} new commit(s) of {branch} on {machine}: "
             + " ".join(c[:8] for c in commits))
        try:
            night.asv_exit = _asv.run_commits(repo, commits, *asv_args, machine=machine)
        except _asv.CommandError as exc:
            night.asv_exit = exc.returncode
            _log(f"asv run exited {exc.returncode}; storing whatever it recorded")
        night.benchmarked = commits
        night.failed = _failed_benchmarks(results_dir, machine, commits)
    else:
        _log(f"nothing new on {branch} for {machine}")
    save_store(store, results_dir, machine, remote, results_branch, tip, night)
    if publish:
        _publish(repo, night)
    return night


def _publish(repo: Path, night: Night) -> None:
    """The publish pipeline (:mod:`gilbench.publish`) and the night's summary
    (job summary on GitHub Actions, and ``.asv/html/nightly-summary.md``)."""
    try:
        published = publish(repo)
    except ValueError as exc:
        _log(f"nothing published: {exc}")
        return
    runs = published.runs
    summary = ["## gilbench nightly", "",
               f"Machine `{night.machine}`: benchmarked "
               + (", ".join(f"`{c[:8]}`" for c in night.benchmarked) or "nothing new") + ".", ""]
    if night.failed:
        summary += ["Failed benchmarks (recorded as failed; the others were stored):", ""]
        summary += [f"- `{f}`" for f in night.failed] + [""]
    if night.corrupt:
        summary += ["Corrupt files in the store, left out:", ""]
        summary += [f"- `{c}`" for c in night.corrupt] + [""]
    summary += ["### Verdicts", "", report.to_markdown(runs)]
    text = "\n".join(summary)
    print(report.to_text(runs))
    _asv.step_summary(text)
    (published.html.parent / "nightly-summary.md").write_text(text, encoding="utf-8")
    _log("published .asv/html (asv's page) and .asv/html/claims (the claims page)")
