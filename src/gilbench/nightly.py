"""One night of benchmarking: fetch the stored results, benchmark what is new,
store each commit's results as soon as it is measured, publish.
``gilbench nightly`` / ``nox -s nightly`` run it on any machine (a CI runner,
a lab machine from cron).

**The store** is a branch (``benchmark-results`` by default) of a git
remote, checked out as a linked worktree of the checkout, so every fetch and
push uses the checkout's credentials (:mod:`gilbench.store`).

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
from pathlib import Path

from gilbench import _asv, cython_releases, python_builds, report, results
from gilbench.publish import publish
from gilbench.store import (
    NO_RESULT,
    PUSH_TRIES,
    PushRefused,
    Store,
    nights_measured,
    per_environment,
)

__all__ = ["Night", "Store", "run_night", "publish_stored", "pending",
           "PushRefused", "RETRIES", "PUSH_TRIES"]

#: Nights that measure a commit whose benchmarks failed, in all, before its
#: failure is kept for good.
RETRIES = 3
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


def _log(message):
    print(f"gilbench nightly: {message}", flush=True)


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
        nights = nights_measured(retries, commit, NO_RESULT)
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
        elif any(nights_measured(retries, commit, env) < RETRIES
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
    if not (repo / ".git").exists():
        raise ValueError(f"{repo} is not a git checkout")
    if _asv.resolve(repo, tracked) is None:
        raise ValueError(f"{tracked!r} is not a branch or commit of {repo}")
    releases, unknown = cython_releases.installable(cython)
    results_dir = _asv.results_dir(repo)
    machine = _asv.machine(repo, machine)
    store = Store(repo, remote, machine, results_branch)
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
    for commit in store.unstored(results_dir):
        _log(f"{commit[:8]}: measured here, but the store lacks it or holds it unreadable: "
             "storing it first")
        if not _store(store, results_dir, commit, night):
            break
        night.recovered.append(commit)
    loaded = store.load(results_dir)
    night.corrupt += loaded.corrupt
    night.retries = loaded.retries
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
            counts = per_environment(night.retries.get(commit, {}))
            for env in _failing_environments(results_dir, machine, commit):
                counts[env] = nights_measured(night.retries, commit, env) + 1
            night.retries[commit] = counts
            _log(f"{commit[:8]}: {len(failed)} benchmark(s) failed; measured "
                 f"{max(counts.values())} of {RETRIES} nights")
        if not _store(store, results_dir, commit, night):
            break   # the store cannot be reached: measure no more tonight
    if publish_pages:
        _publish(repo, night)
    return night


def _store(store: Store, results_dir: Path, commit: str, night: Night) -> bool:
    """Store ``commit`` now, what was stored kept on the night; False (and
    the commit and git's words kept on the night) when the remote refused
    after every try."""
    try:
        saved = store.save(results_dir, commit, night.retries)
        night.stored += [r for r in saved.stored if r not in night.stored]
        night.repaired += saved.repaired
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


# --------------------------------------------------------------------------
# A fleet: one night per machine, one publish of what they stored


def _newest(results_dir: Path, machine: str) -> tuple[int, str] | None:
    """(commit date, commit) of the newest commit ``machine`` has results
    of, or None."""
    try:
        (run, *_) = results.load(results_dir, machine=machine)
    except ValueError:
        return None
    return (run.date or 0), run.commit


def fleet_notes(results_dir: Path, expected=()) -> list[str]:
    """What the page says about the machines: each of ``expected`` that has
    no results on the branch (its leg failed, was cancelled, or never ran),
    and each machine whose newest result is of an older commit than the
    newest any machine has (stale)."""
    newest = {m: _newest(results_dir, m) for m in sorted(set(results.machines(results_dir))
                                                         | set(expected))}
    notes = [f"{m}: no results stored (its night failed, was cancelled or never ran)"
             for m, got in newest.items() if got is None]
    have = {m: got for m, got in newest.items() if got is not None}
    if have:
        latest_date, latest = max(have.values())
        notes += [f"{m}: stale: its newest results are of {commit[:8]}, older than "
                  f"{latest[:8]} (measured elsewhere)"
                  for m, (date, commit) in sorted(have.items()) if date < latest_date]
    return notes


def publish_stored(repo, *, remote: str, results_branch: str = "benchmark-results",
                   expected=()) -> list[str]:
    """The fleet's publish: load every machine's results from the store
    alone (nothing measured here), publish both pages (:mod:`gilbench.publish`)
    and say which of the ``expected`` machines is missing or stale.
    Returns those notes."""
    repo = Path(repo).resolve()
    if not (repo / ".git").exists():
        raise ValueError(f"{repo} is not a git checkout")
    store = Store(repo, remote, None, results_branch)
    store.open()
    results_dir = _asv.results_dir(repo)
    loaded = store.load(results_dir)
    notes = [f"{c}: corrupt in the store, left out" for c in loaded.corrupt]
    notes += fleet_notes(results_dir, expected)
    for note in notes:
        _log(note)
    published = publish(repo, notes=notes)
    summary = ["## gilbench nightly: the fleet's pages", "",
               "Machines: " + (", ".join(f"`{m}`" for m in results.machines(results_dir))
                               or "none") + ".", ""]
    summary += [f"- {n}" for n in notes] + ([""] if notes else [])
    summary += ["### Verdicts", "", report.to_markdown(published.judged)]
    text = "\n".join(summary)
    print(report.to_text(published.judged))
    _asv.step_summary(text)
    (published.html.parent / "nightly-summary.md").write_text(text, encoding="utf-8")
    _log("published .asv/html (asv's page) and .asv/html/claims (the claims page) from "
         f"{results_branch} alone")
    return notes
