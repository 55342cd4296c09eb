"""One night of benchmarking: fetch the stored results, benchmark what is new,
store each commit's results as soon as it is measured, publish.
``gilbench nightly`` / ``nox -s nightly`` run it on any machine (a CI runner,
a lab machine from cron).

**The store** is a branch (``benchmark-results`` by default) of a git remote:
``results/<machine>/*.json`` as asv writes them, ``benchmarks/<commit>.json``
(asv's benchmark list) and ``retries/<machine>.json`` (how many nights
measured a commit whose benchmarks failed).  It is checked out as a linked
worktree of the checkout itself (``.asv/store``), so every fetch and push
uses the credentials the checkout was given (actions/checkout keeps the
job's token in the checkout's own ``.git/config``); git never asks a
terminal.

**No night lost.**  Each commit's results are committed and pushed as soon as
that commit is measured, so a night killed at any point loses at most the
commit it was measuring, and the next night measures the rest.  Two nights
racing both end up stored: a push refused because the branch moved is
redone on top of the other night's.  A push refused for any other reason
(credentials, permissions, a protected branch) fails the night at once with
git's own message.

**Repair, never deletion of a good result.**  A stored file that asv cannot
read is named, left out of the publish, and replaced by a good measurement
of its commit; a corrupt ``machine.json`` is rewritten.  A commit whose
benchmarks failed (a build error, a timeout, a crash) is measured again on
the next nights, :data:`RETRIES` times in all, and then kept with the failure
recorded.  A stored result without a failure is never replaced.

**Every commit measured.**  The commits of the tracked branch (first-parent
history) after the first one this machine measured and not yet done are
measured oldest first, ``max_commits`` a night, so a backlog drains and no
commit is skipped for good.  A machine with no results starts at the tip.

**Several Cython releases.**  ``cython=("3.1.8", "3.3.1")`` (``--cython`` or
``$GILBENCH_CYTHON``) measures every commit once per release, with asv's
matrix (:mod:`gilbench.cython_releases`); a commit is done when each release
has a result for it.  A release pip does not know is named and left out, the
others run.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import time
from pathlib import Path

from gilbench import _asv, cython_releases, python_builds, report, results
from gilbench.publish import publish

__all__ = ["Night", "Store", "run_night", "pending",
           "PushRefused", "RETRIES", "PUSH_TRIES"]

#: Nights that measure a commit whose benchmarks failed, in all, before its
#: failure is kept for good.
RETRIES = 3
#: Pushes tried when another night pushed in between.
PUSH_TRIES = 5
#: Seconds waited before each new try of a push that failed for another
#: reason (a remote answering 5xx, a network gone); then the night gives up,
#: says what is unstored, and the next night stores it first.
#: ``$GILBENCH_PUSH_BACKOFF`` (comma-separated seconds) overrides it.
PUSH_BACKOFF = (10.0, 60.0, 300.0)
#: Where the fetched results branch is kept in the checkout.
STORE_REF = "refs/gilbench/store"
#: git's words for a push refused because the branch moved (a lost race).
_RACE = ("[rejected]", "fetch first", "non-fast-forward", "stale info", "cannot lock ref",
         "failed to update ref", "incorrect old value")


class PushRefused(RuntimeError):
    """The remote refused the push for a reason other than a lost race."""


@dataclasses.dataclass
class Night:
    """What one night did."""

    machine: str
    benchmarked: list = dataclasses.field(default_factory=list)   # commit hashes
    stored: list = dataclasses.field(default_factory=list)        # files written to the store
    corrupt: list = dataclasses.field(default_factory=list)       # store files skipped
    repaired: list = dataclasses.field(default_factory=list)      # store files replaced
    failed: list = dataclasses.field(default_factory=list)        # benchmarks that failed
    retries: dict = dataclasses.field(default_factory=dict)  # commit -> {environment: nights}
    asv_exit: int = 0
    cython: list = dataclasses.field(default_factory=list)        # releases measured
    cython_unknown: dict = dataclasses.field(default_factory=dict)  # release -> why left out
    recovered: list = dataclasses.field(default_factory=list)     # measured earlier, stored now
    unstored: list = dataclasses.field(default_factory=list)      # measured, not stored
    push_error: str = ""                                           # git's words, when unstored
    unmeasurable: dict = dataclasses.field(default_factory=dict)  # commit -> why given up


def _git(*args, cwd, check=True):
    return _asv.git(*args, cwd=cwd, check=check, env=_identity())


def _identity() -> dict:
    env = dict(os.environ)
    env.setdefault("GIT_AUTHOR_NAME", "gilbench nightly")
    env.setdefault("GIT_AUTHOR_EMAIL", "gilbench@localhost")
    env.setdefault("GIT_COMMITTER_NAME", env["GIT_AUTHOR_NAME"])
    env.setdefault("GIT_COMMITTER_EMAIL", env["GIT_AUTHOR_EMAIL"])
    return env


def _log(message):
    print(f"gilbench nightly: {message}", flush=True)


# --------------------------------------------------------------------------
# The store: a worktree of the checkout at the remote's results branch


def _backoff() -> tuple:
    text = os.environ.get("GILBENCH_PUSH_BACKOFF", "").strip()
    if not text:
        return PUSH_BACKOFF
    try:
        waits = tuple(float(w) for w in text.split(","))
    except ValueError:
        raise ValueError(f"GILBENCH_PUSH_BACKOFF must be comma-separated seconds, "
                         f"got {text!r}") from None
    if any(w < 0 for w in waits):
        raise ValueError(f"GILBENCH_PUSH_BACKOFF must not be negative, got {text!r}")
    return waits


#: The environment key of a night that recorded no result file at all.
NO_RESULT = "*"


def _per_environment(value) -> dict:
    """{environment: nights} from a stored entry (an older store kept one
    number per commit: it counts for every environment)."""
    if isinstance(value, dict):
        return {str(k): int(v) for k, v in value.items()}
    return {NO_RESULT: int(value)}


def _nights(retries: dict, commit: str, env: str) -> int:
    """Nights that measured ``env`` of ``commit`` with failures (or
    recorded nothing for it)."""
    got = _per_environment(retries.get(commit, {}))
    return got.get(env, got.get(NO_RESULT, 0))


def _retries(worktree: Path, machine: str) -> dict:
    path = worktree / "retries" / f"{machine}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {str(k): _per_environment(v) for k, v in data.items()}
    except (OSError, ValueError, AttributeError, TypeError):
        return {}


@dataclasses.dataclass(frozen=True)
class Store:
    """Where the nights keep their results: branch ``branch`` of the
    checkout's remote ``remote`` (a name or URL), checked out as the linked
    worktree ``.asv/store`` of the checkout ``checkout``, whose credentials
    every fetch and push uses."""

    checkout: Path
    remote: str
    branch: str = "benchmark-results"
    backoff: tuple = dataclasses.field(default_factory=lambda: _backoff())

    @property
    def worktree(self) -> Path:
        return Path(self.checkout) / ".asv" / "store"

    def _fetch(self) -> str:
        """The remote's branch fetched into the checkout (its commit), or an
        empty root commit when the remote has no such branch yet."""
        repo = self.checkout
        heads = _git("ls-remote", "--heads", self.remote, self.branch, cwd=repo).stdout.strip()
        if heads:
            _git("fetch", "-q", "--no-tags", self.remote,
                 f"+refs/heads/{self.branch}:{STORE_REF}", cwd=repo)
            return _git("rev-parse", STORE_REF, cwd=repo).stdout.strip()
        empty = _asv.run(["git", "hash-object", "-t", "tree", "-w", "--stdin"], cwd=repo,
                         env=_identity(), stdin="").stdout.strip()
        return _git("commit-tree", empty, "-m", f"{self.branch}: gilbench results store",
                    cwd=repo).stdout.strip()

    def open(self) -> str:
        """The worktree at the remote's branch exactly (detached; an empty
        root commit when the remote has none yet).  Returns its commit."""
        start = self._fetch()
        _asv.worktree_at(self.checkout, start, self.worktree)
        return start

    def load(self, results_dir: Path, night: Night) -> None:
        """Copy every readable stored file into ``results_dir``; name the rest."""
        store = self.worktree
        stored_results = store / "results"
        for path in sorted(stored_results.rglob("*.json")) if stored_results.is_dir() else []:
            why = results.unreadable(path)
            if why:
                night.corrupt.append(f"{path.relative_to(store)} ({why})")
                _log(f"corrupt file in the store, left out (a good measurement will replace "
                     f"it): {path.relative_to(store)}: {why}")
                continue
            dest = results_dir / path.relative_to(stored_results)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, dest)
        # A machine whose stored machine.json is corrupt keeps its results
        # visible (asv would skip them all) until this night's asv run writes
        # a full one.
        for machine_dir in sorted(p for p in results_dir.iterdir() if p.is_dir()) \
                if results_dir.is_dir() else []:
            if any(f.name != "machine.json" for f in machine_dir.glob("*.json")):
                results.restore_machine_json(machine_dir)
        night.retries = _retries(store, night.machine)
        if (store / "benchmarks").is_dir() and not (results_dir / "benchmarks.json").is_file():
            # asv publish needs a benchmark list even on a night with nothing
            # new: the one stored most recently (git's history, newest first).
            added = _git("log", "--diff-filter=AM", "--name-only", "--format=", "--",
                         "benchmarks", cwd=store, check=False).stdout.split()
            readable = [store / f for f in added
                        if (store / f).is_file() and results.unreadable(store / f) is None]
            if readable:
                results_dir.mkdir(parents=True, exist_ok=True)
                shutil.copy2(readable[0], results_dir / "benchmarks.json")

    def _stage(self, results_dir: Path, machine: str, commit: str, night: Night) -> list:
        """Copy ``commit``'s results (and what goes with them) into the
        worktree by the repair rules; the paths written."""
        store = self.worktree
        written = []

        def put(src: Path, dest: Path, repaired: bool = False):
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest)
            written.append(dest)
            if repaired:
                night.repaired.append(str(dest.relative_to(store)))

        for src in sorted((results_dir / machine).glob(f"{commit[:8]}-*.json")):
            if results.unreadable(src):
                continue   # never store what asv cannot read
            dest = store / "results" / machine / src.name
            if not dest.exists():
                put(src, dest)
            elif results.unreadable(dest):
                put(src, dest, repaired=True)
            elif (0 < results.file_failures(dest)
                  and results.file_failures(src) <= results.file_failures(dest)
                  and src.read_bytes() != dest.read_bytes()):
                # A retry of a measurement with failures, no worse than it, in
                # the same environment (one file is one environment: a Python
                # build, a Cython release): a result without failures is
                # never replaced.
                put(src, dest, repaired=True)
        info = results_dir / machine / "machine.json"
        dest = store / "results" / machine / "machine.json"
        if info.is_file() and (not dest.exists() or results.unreadable(dest)):
            put(info, dest, repaired=dest.exists())
        bench_list = results_dir / "benchmarks.json"
        dest = store / "benchmarks" / f"{commit}.json"
        if bench_list.is_file() and not dest.exists():
            put(bench_list, dest)
        if commit in night.retries:
            path = store / "retries" / f"{machine}.json"
            merged = dict(_retries(store, machine),
                          **{commit: _per_environment(night.retries[commit])})
            path.parent.mkdir(parents=True, exist_ok=True)
            text = json.dumps(merged, indent=1, sort_keys=True) + "\n"
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                path.write_text(text, encoding="utf-8")
                written.append(path)
        return written

    def save(self, results_dir: Path, machine: str, commit: str, night: Night) -> None:
        """Store ``commit``'s results on the remote's branch now: one commit,
        one push, redone on top of the remote's branch when another night
        pushed first; :class:`PushRefused` with git's message for any other
        refusal."""
        store = self.worktree
        last, races, waits, first = "", 0, list(self.backoff), True
        while True:
            if not first:
                try:
                    self.open()
                except _asv.CommandError as exc:   # the remote cannot even be read
                    last = str(exc).strip()
                    if not waits:
                        raise PushRefused(f"git push to {self.branch} failed: {last}") from None
                    self._wait(waits, last)
                    continue
            first = False
            written = self._stage(results_dir, machine, commit, night)
            if not written:
                _log(f"{commit[:8]}: nothing new to store")
                return
            rel = [str(p.relative_to(store)) for p in written]
            _git("add", "--", *rel, cwd=store)
            _git("commit", "-q", "-m", f"results: {machine} {commit[:8]}", cwd=store)
            push = _git("push", "-q", self.remote, f"HEAD:refs/heads/{self.branch}", cwd=store,
                        check=False)
            if push.returncode == 0:
                night.stored += [r for r in rel if r not in night.stored]
                _log(f"{commit[:8]}: stored {len(rel)} file(s) on {self.branch}")
                return
            last = (push.stderr or push.stdout).strip()
            if any(word in last for word in _RACE):
                races += 1
                if races >= PUSH_TRIES:
                    raise PushRefused(f"could not push to {self.branch} after {PUSH_TRIES} "
                                      f"tries: {last}")
                _log(f"push rejected (attempt {races}), another night pushed first: redoing "
                     "it on top of theirs")
                continue
            if not waits:
                raise PushRefused(f"git push to {self.branch} was refused: {last}")
            self._wait(waits, last)

    @staticmethod
    def _wait(waits: list, why: str) -> None:
        wait = waits.pop(0)
        line = why.splitlines()[-1] if why else "no message"
        _log(f"push failed ({line}); trying again in {wait:g} s ({len(waits)} more tries "
             "after that)")
        time.sleep(wait)

    def unstored(self, results_dir: Path, machine: str) -> list[str]:
        """Commits this machine measured (readable results in ``results_dir``)
        whose files the store lacks or holds unreadable: a night killed, or
        refused, between asv's save and its push.  Oldest measured first."""
        mine = self.worktree / "results" / machine
        out = []
        for r in sorted(results.read_machine(results_dir, machine)[0],
                        key=lambda r: max(r.started_at.values(), default=0)):
            there = mine / f"{r.commit_hash[:8]}-{r.env_name}.json"
            if (not there.is_file() or results.unreadable(there)) and r.commit_hash not in out:
                out.append(r.commit_hash)
        return out


# --------------------------------------------------------------------------
# What to measure


def _failing_environments(results_dir: Path, machine: str, commit: str) -> list[str]:
    """The environments of ``commit`` whose result file holds a failure; for
    a commit with no result file, ``[NO_RESULT]``."""
    files = sorted((Path(results_dir) / machine).glob(f"{commit[:8]}-*.json"))
    if not files:
        return [NO_RESULT]
    return [f.stem[len(commit[:8]) + 1:] for f in files if results.file_failures(f) > 0]


def _done(have: set, releases, builds) -> bool:
    """Whether a commit's measured environments ``have`` ({(Python build,
    Cython release)}) cover every build with every release asked for (an
    axis not asked for: any)."""
    return all(any((b is None or p == b) and (r is None or rel == r) for p, rel in have)
               for b in (builds or [None]) for r in (releases or [None]))


def pending(repo, tracked: str, results_dir: Path, machine: str, retries: dict,
            max_commits: int, releases=(), given_up: dict | None = None,
            builds=()) -> list[str]:
    """The commits to measure tonight, oldest first, at most ``max_commits``:
    those of the tracked branch's first-parent history after the first one this
    machine measured that are not done (no result -- for one of ``releases``
    of Cython and ``builds`` of Python when given, each with each --, or a
    result with failures measured fewer than :data:`RETRIES` nights); the
    tip alone on a machine with no results yet.
    A commit measured :data:`RETRIES` nights that recorded nothing is given
    up: named, with why, in ``given_up``, and not measured again."""
    given_up = {} if given_up is None else given_up

    def give_up(commit) -> bool:
        nights = _nights(retries, commit, NO_RESULT)
        if nights >= RETRIES:
            given_up[commit] = (f"measured {nights} nights and asv recorded no result "
                                "(does it build?)")
            return True
        return False

    history = _asv.first_parent(repo, tracked)
    if not history:
        raise ValueError(f"branch {tracked!r} has no commits")
    if releases or builds:
        have = results.measured_environments(results_dir, machine, values=False)
        measured = {c for c, got in have.items() if _done(got, releases, builds)}
    else:
        measured = results.commits(results_dir, machine)
    if not measured & set(history):
        return [] if give_up(history[0]) else history[:1]
    first = max(i for i, c in enumerate(history) if c in measured)
    todo = []
    for commit in reversed(history[:first + 1]):
        if commit not in measured:
            if not give_up(commit):
                todo.append(commit)
        elif any(_nights(retries, commit, env) < RETRIES
                 for env in _failing_environments(results_dir, machine, commit)):
            # A result with failures is measured again, RETRIES nights in
            # all -- counted per environment (a Python build, a Cython
            # release), never summed over a commit's environments.
            todo.append(commit)
    return todo[:max_commits]


# --------------------------------------------------------------------------
# The night


def _failed_benchmarks(results_dir: Path, machine: str, commit: str) -> list[str]:
    try:
        runs = results.load(results_dir, machine=machine, commit=commit)
    except ValueError:
        return [f"{commit[:8]} (no results recorded)"]
    return sorted({f"{commit[:8]} {p.benchmark}"
                   + (f" (Cython {run.cython})" if len(runs) > 1 and run.cython else "")
                   for run in runs for p in run.failed()})


def run_night(repo, *, remote: str, results_branch: str = "benchmark-results",
              tracked: str = "main", machine: str | None = None, max_commits: int = 5,
              asv_args: tuple = (), publish_pages: bool = True, cython=(),
              python=()) -> Night:
    """Do one night's work in the asv project at ``repo`` (see the module);
    ``cython``: the Cython releases to measure each commit with (none: the
    project's one build); ``python``: the Python builds to measure each
    commit on (:mod:`gilbench.python_builds`' entries; none: the interpreter
    that runs asv), each with each release; ``tracked``: the branch whose commits are measured;
    ``remote`` and ``results_branch``: the :class:`Store`."""
    if isinstance(max_commits, bool) or not isinstance(max_commits, int) or max_commits < 1:
        raise ValueError(f"max_commits must be an integer >= 1, got {max_commits!r}")
    repo = Path(repo).resolve()
    store = Store(repo, remote, results_branch)
    if not (repo / ".git").exists():
        raise ValueError(f"{repo} is not a git checkout")
    if _asv.resolve(repo, tracked) is None:
        raise ValueError(f"{tracked!r} is not a branch or commit of {repo}")
    releases, unknown = cython_releases.installable(cython)
    results_dir = _asv.results_dir(repo)
    machine = _asv.machine(repo, machine)
    night = Night(machine=machine, cython=releases, cython_unknown=unknown)
    for release, why in unknown.items():
        _log(f"Cython {release} left out: pip cannot install it ({why})")
    builds = python_builds.resolve(python)
    config = cython_releases.matrix_config(repo, releases) if releases else None
    if releases:
        _log(f"measuring each commit with Cython {', '.join(releases)}")
    if builds:
        config = python_builds.config(repo, [b for b, _, _ in builds], base=config)
        _log("measuring each commit on Python " + ", ".join(b for b, _, _ in builds))
    if config:
        asv_args = ("--config", str(config), *asv_args)
    asv_env = python_builds.path_env(repo, builds) if builds else None

    store.open()
    # What is stored is what counts: first what this machine measured and the
    # store lacks (a night killed or refused between asv's save and its
    # push), then the commits the store has no results of.
    for commit in store.unstored(results_dir, machine):
        _log(f"{commit[:8]}: measured here, but the store lacks it or holds it unreadable: "
             "storing it first")
        if not _store(store, results_dir, machine, commit, night):
            break
        night.recovered.append(commit)
    store.load(results_dir, night)
    stored = store.worktree / "results"
    commits = [] if night.unstored else pending(
        repo, tracked, stored, machine, night.retries, max_commits, releases,
        given_up=night.unmeasurable, builds=[b for b, _, _ in builds])
    for commit, why in night.unmeasurable.items():
        _log(f"{commit[:8]}: not measurable, given up: {why}")
    if not commits and not night.unstored:
        _log(f"nothing new on {tracked} for {machine}")
    for k, commit in enumerate(commits, 1):
        _log(f"benchmarking commit {k}/{len(commits)} of {tracked} on {machine}: {commit[:8]}")
        try:
            night.asv_exit = max(night.asv_exit,
                                 _asv.run_commits(repo, [commit], *_asv.with_record(asv_args),
                                                  machine=machine,
                                                  env=asv_env))
        except _asv.CommandError as exc:
            night.asv_exit = exc.returncode
            _log(f"asv run exited {exc.returncode}; storing whatever it recorded")
        night.benchmarked.append(commit)
        failed = _failed_benchmarks(results_dir, machine, commit)
        if failed:
            night.failed += failed
            counts = _per_environment(night.retries.get(commit, {}))
            for env in _failing_environments(results_dir, machine, commit):
                counts[env] = _nights(night.retries, commit, env) + 1
            night.retries[commit] = counts
            _log(f"{commit[:8]}: {len(failed)} benchmark(s) failed; measured "
                 f"{max(counts.values())} of {RETRIES} nights")
        if not _store(store, results_dir, machine, commit, night):
            break   # the store cannot be reached: measure no more tonight
    if publish_pages:
        _publish(repo, night)
    return night


def _store(store: Store, results_dir: Path, machine: str, commit: str, night: Night) -> bool:
    """Store ``commit`` now; False (and the commit and git's words kept on
    the night) when the remote refused after every try."""
    try:
        store.save(results_dir, machine, commit, night)
        return True
    except PushRefused as exc:
        night.unstored.append(commit)
        night.push_error = str(exc)
        _log(f"{commit[:8]}: not stored ({exc}); it stays in {results_dir} and the next "
             "night stores it first")
        return False


def _publish(repo: Path, night: Night) -> None:
    """The publish pipeline (:mod:`gilbench.publish`) and the night's summary
    (job summary on GitHub Actions, and ``.asv/html/nightly-summary.md``)."""
    try:
        published = publish(repo, notes=[
            *(f"{c[:8]}: not measurable on {night.machine}, given up: {why}"
              for c, why in night.unmeasurable.items()),
            *(f"{c[:8]}: measured on {night.machine} but not stored yet ({night.push_error})"
              for c in night.unstored)])
    except ValueError as exc:
        _log(f"nothing published: {exc}")
        return
    judged = published.judged
    summary = ["## gilbench nightly", "",
               f"Machine `{night.machine}`: benchmarked "
               + (", ".join(f"`{c[:8]}`" for c in night.benchmarked) or "nothing new") + ".", ""]
    if night.failed:
        summary += ["Failed benchmarks (recorded as failed; the others were stored):", ""]
        summary += [f"- `{f}`" for f in night.failed] + [""]
    if night.corrupt:
        summary += ["Corrupt files in the store, left out:", ""]
        summary += [f"- `{c}`" for c in night.corrupt] + [""]
    if night.repaired:
        summary += ["Files of the store replaced by a new measurement:", ""]
        summary += [f"- `{c}`" for c in night.repaired] + [""]
    if night.recovered:
        summary += ["Measured by an earlier night and stored only now:", ""]
        summary += [f"- `{c[:8]}`" for c in night.recovered] + [""]
    if night.unstored:
        summary += ["**Not stored** (kept on this machine; the next night stores them "
                    f"first): {night.push_error}", ""]
        summary += [f"- `{c[:8]}`" for c in night.unstored] + [""]
    if night.unmeasurable:
        summary += ["Not measurable, given up:", ""]
        summary += [f"- `{c[:8]}`: {why}" for c, why in night.unmeasurable.items()] + [""]
    summary += ["### Verdicts", "", report.to_markdown(judged)]
    text = "\n".join(summary)
    print(report.to_text(judged))
    _asv.step_summary(text)
    (published.html.parent / "nightly-summary.md").write_text(text, encoding="utf-8")
    _log("published .asv/html (asv's page) and .asv/html/claims (the claims page)")
