"""The nights' store of results: a branch (``benchmark-results`` by
default) of a git remote, checked out as a linked worktree of the checkout
(``.asv/store``), so that every fetch and push uses the credentials the
checkout was given (actions/checkout keeps the job's token in the
checkout's own ``.git/config``); git never asks a terminal.

It holds ``results/<machine>/*.json`` as asv writes them,
``benchmarks/<commit>.json`` (asv's benchmark list) and
``retries/<machine>.json`` (how many nights measured a commit whose
benchmarks failed).  :class:`Store` is one machine's view of it: it opens
the branch, loads what is readable (:class:`Loaded`), stores one commit at a
time by the repair rules and says what it wrote (:class:`Saved`), and lists
what this machine measured that the store lacks.  What a night does with
that is :mod:`gilbench.nightly`'s.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import time
from pathlib import Path

from gilbench import _asv, results

__all__ = ["Store", "Loaded", "Saved", "PushRefused", "PUSH_TRIES", "PUSH_BACKOFF",
           "NO_RESULT", "per_environment", "nights_measured"]

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


@dataclasses.dataclass
class Loaded:
    """What :meth:`Store.load` found: the stored files it left out, and the
    machine's retry counts ({commit: {environment: nights}})."""

    corrupt: list = dataclasses.field(default_factory=list)
    retries: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class Saved:
    """What :meth:`Store.save` stored: the files written to the branch, and
    those of them that replaced a stored file (the repair rules)."""

    stored: list = dataclasses.field(default_factory=list)
    repaired: list = dataclasses.field(default_factory=list)




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


def per_environment(value) -> dict:
    """{environment: nights} from a stored entry (an older store kept one
    number per commit: it counts for every environment)."""
    if isinstance(value, dict):
        return {str(k): int(v) for k, v in value.items()}
    return {NO_RESULT: int(value)}


def nights_measured(retries: dict, commit: str, env: str) -> int:
    """Nights that measured ``env`` of ``commit`` with failures (or
    recorded nothing for it)."""
    got = per_environment(retries.get(commit, {}))
    return got.get(env, got.get(NO_RESULT, 0))


def _retries(worktree: Path, machine: str) -> dict:
    path = worktree / "retries" / f"{machine}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {str(k): per_environment(v) for k, v in data.items()}
    except (OSError, ValueError, AttributeError, TypeError):
        return {}


@dataclasses.dataclass(frozen=True)
class Store:
    """Where the nights keep their results, as machine ``machine`` sees them:
    branch ``branch`` of the checkout's remote ``remote`` (a name or URL),
    checked out as the linked worktree ``.asv/store`` of the checkout
    ``checkout``, whose credentials every fetch and push uses."""

    checkout: Path
    remote: str
    machine: str | None          # None: a reader of every machine's results (a publish)
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

    def load(self, results_dir: Path) -> Loaded:
        """Copy every readable stored file into ``results_dir``; name the rest."""
        store = self.worktree
        loaded = Loaded()
        stored_results = store / "results"
        for path in sorted(stored_results.rglob("*.json")) if stored_results.is_dir() else []:
            why = results.unreadable(path)
            if why:
                loaded.corrupt.append(f"{path.relative_to(store)} ({why})")
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
        loaded.retries = _retries(store, self.machine) if self.machine else {}
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
        return loaded

    def _stage(self, results_dir: Path, commit: str, retries: dict) -> tuple[list, list]:
        """Copy ``commit``'s results (and what goes with them) into the
        worktree by the repair rules; the paths written, and those of them
        that replaced a stored file (relative to the worktree)."""
        store, machine = self.worktree, self.machine
        written, repaired = [], []

        def put(src: Path, dest: Path, replaces: bool = False):
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest)
            written.append(dest)
            if replaces:
                repaired.append(str(dest.relative_to(store)))

        for src in sorted((results_dir / machine).glob(f"{commit[:8]}-*.json")):
            if results.unreadable(src):
                continue   # never store what asv cannot read
            dest = store / "results" / machine / src.name
            if not dest.exists():
                put(src, dest)
            elif results.unreadable(dest):
                put(src, dest, replaces=True)
            elif (0 < results.file_failures(dest)
                  and results.file_failures(src) <= results.file_failures(dest)
                  and src.read_bytes() != dest.read_bytes()):
                # A retry of a measurement with failures, no worse than it, in
                # the same environment (one file is one environment: a Python
                # build, a Cython release): a result without failures is
                # never replaced.
                put(src, dest, replaces=True)
        info = results_dir / machine / "machine.json"
        dest = store / "results" / machine / "machine.json"
        if info.is_file() and (not dest.exists() or results.unreadable(dest)):
            put(info, dest, replaces=dest.exists())
        bench_list = results_dir / "benchmarks.json"
        dest = store / "benchmarks" / f"{commit}.json"
        if bench_list.is_file() and not dest.exists():
            put(bench_list, dest)
        if commit in retries:
            path = store / "retries" / f"{machine}.json"
            merged = dict(_retries(store, machine),
                          **{commit: per_environment(retries[commit])})
            path.parent.mkdir(parents=True, exist_ok=True)
            text = json.dumps(merged, indent=1, sort_keys=True) + "\n"
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                path.write_text(text, encoding="utf-8")
                written.append(path)
        return written, repaired

    def save(self, results_dir: Path, commit: str, retries: dict | None = None) -> Saved:
        """Store ``commit``'s results on the remote's branch now, with its
        entry of ``retries`` ({commit: {environment: nights}}) if it has one:
        one commit, one push, redone on top of the remote's branch when
        another night pushed first; :class:`PushRefused` with git's message
        for any other refusal.  Returns what it stored."""
        store, machine = self.worktree, self.machine
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
            written, repaired = self._stage(results_dir, commit, retries or {})
            if not written:
                _log(f"{commit[:8]}: nothing new to store")
                return Saved()
            rel = [str(p.relative_to(store)) for p in written]
            _git("add", "--", *rel, cwd=store)
            _git("commit", "-q", "-m", f"results: {machine} {commit[:8]}", cwd=store)
            push = _git("push", "-q", self.remote, f"HEAD:refs/heads/{self.branch}", cwd=store,
                        check=False)
            if push.returncode == 0:
                _log(f"{commit[:8]}: stored {len(rel)} file(s) on {self.branch}")
                return Saved(stored=rel, repaired=repaired)
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

    def unstored(self, results_dir: Path) -> list[str]:
        """Commits this machine measured (readable results in ``results_dir``)
        whose files the store lacks or holds unreadable: a night killed, or
        refused, between asv's save and its push.  Oldest measured first."""
        mine = self.worktree / "results" / self.machine
        out = []
        for r in sorted(results.read_machine(results_dir, self.machine)[0],
                        key=lambda r: max(r.started_at.values(), default=0)):
            there = mine / f"{r.commit_hash[:8]}-{r.env_name}.json"
            if (not there.is_file() or results.unreadable(there)) and r.commit_hash not in out:
                out.append(r.commit_hash)
        return out
