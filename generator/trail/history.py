"""The git history of the archive: every version of every record, read in one pass.

The main line (first parents) is the approval trail: each commit on it that
changes ``records/`` is an approval event. ``gitlog`` reads that line with
ONE ``git log`` (per-file logs cost about 1.8 s a file here, 2.5 hours for
an archive), ``diffs`` reads the changed blobs through one persistent
``git cat-file`` process and turns consecutive versions into field-level
diffs ("intake.budget 120000 → 150000"); this module puts them together.

The result is cached (``cache``) keyed by the head it was computed for; a
later head that descends from it is read incrementally, so an unchanged
archive costs one cache load.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from sys import intern
from typing import Protocol

import git

from generator.core.memory import collector_paused
from generator.records.layout import RECORDS_DIR, place_of
from generator.trail.cache import cache_path, load_cache, save_cache
from generator.trail.commits import History, NotOnMainLine, Sharing
from generator.trail.diffs import Step, read_versions
from generator.trail.gitlog import uncommitted_records, walk
from generator.trail.repo import head_of, is_ancestor, is_shallow, open_repository
from generator.trail.rules import ORGANIZATION, POLICY


def read_history(root: Path, use_cache: bool = True, reading: Reading | None = None) -> History | None:
    """The whole history of ``records/`` on the current branch, or None without git or commits.

    With ``reading`` (a ``prefetch`` bringing the cache up to date), the history is taken from the cache it
    wrote, and the work tree's state as it read it."""
    repo = open_repository(root)
    if repo is None:
        return None
    uncommitted = reading.wait() if reading is not None else None  # the prefetch read it as it started
    if uncommitted is None:
        uncommitted = uncommitted_records(repo)
    history = _trail(root, repo, use_cache)
    if history is None:
        return None
    history.shallow = is_shallow(repo)
    history.uncommitted = uncommitted
    return history


class Reading(Protocol):
    """What ``read_history`` waits for: a ``prefetch.Prefetch`` (this module cannot import it: it imports this one)."""

    def wait(self) -> dict[str, str] | None: ...


def update_cache(root: Path) -> History | None:
    """The history cache brought up to the head, the work tree's state not read. The history is returned so
    that the caller chooses when to free it (0.4 s at 10,000 orders)."""
    history, save, _ = brought_up(root)
    save()
    return history


def brought_up(root: Path) -> tuple[History | None, Callable[[], None], int]:
    """The history up to the head, from its cache and git, what writes it into the cache (nothing, where the
    cache was at the head already), and how many commits were read from git: what ``prefetch`` runs, judging
    the history before it writes it."""
    repo = open_repository(root)
    if repo is None:
        return None, _nothing, 0
    history, read = _read(root, repo, use_cache=True)
    return history, partial(save_cache, cache_path(root), history) if read else _nothing, read


def _nothing() -> None:
    pass


def _trail(root: Path, repo: git.Repo, use_cache: bool) -> History | None:
    """The commits and versions up to the head, from the cache and git (the cache then updated)."""
    history, read = _read(root, repo, use_cache)
    if read and use_cache:
        save_cache(cache_path(root), history)
    return history


def _read(root: Path, repo: git.Repo, use_cache: bool) -> tuple[History | None, int]:
    """The commits and versions up to the head, from the cache and git, and how many commits were read from git
    (none: the cache was at the head)."""
    head = head_of(repo)
    if head is None:  # no commits yet
        return None, 0
    cached = load_cache(cache_path(root)) if use_cache else None
    if cached is not None and cached.head == head:
        return cached, 0
    known = len(cached.commits) if cached is not None else 0  # before the cached history is extended in place
    history = None
    if cached is not None and is_ancestor(repo, cached.head, head):
        try:
            history = _extend(repo, cached, head)
        except NotOnMainLine:  # read on another branch: its main line is not this one
            history = None
    if history is None:
        history = _extend(repo, History(head="", commits=[], versions={}), head)
    return history, len(history.commits) - (known if history is cached else 0)


def _extend(repo: git.Repo, history: History, head: str) -> History:
    revisions = f"{history.head}..{head}" if history.head else head
    rules = (history.last_blob.get(ORGANIZATION), history.last_blob.get(POLICY))
    new = walk(repo, revisions, head, since=history.head or None, rules=rules, texts=history.rule_texts)
    steps: dict[str, list[Step]] = {}  # by path, oldest first
    # Whether each path is a record's, asked once a path and not kept: ``place_of``'s own cache would hold every
    # path the history ever had, with its place, in the process that reads it (at 10,000 orders 22 MB).
    is_record: dict[str, bool] = {}
    for offset, commit in enumerate(new):
        for change in commit.changes:
            path = change.path
            known = is_record.get(path)
            if known is None:
                known = is_record[path] = place_of.__wrapped__(path.removeprefix(RECORDS_DIR + "/")) is not None
            if not known:
                continue
            earlier = steps.get(path)
            read_before = change.status == "M" and not (earlier and earlier[-1][3])  # the version before is not read yet
            before = (history.last_blob.get(path) or change.old_blob or "") if read_before else None
            steps.setdefault(path, []).append((len(history.commits) + offset, change.status, before, change.new_blob))
            if change.new_blob:
                history.last_blob[path] = change.new_blob
            else:
                history.last_blob.pop(path, None)
    shared = Sharing()
    for commit in history.commits[-1:] + new:  # a new commit's first parent may be the last one read before
        shared.commit(commit)
    history.commits.extend(new)
    with collector_paused():
        for path, (statuses, diffs) in read_versions(repo.working_tree_dir, steps):
            versions = history.versions.setdefault(intern(path), [])
            for (index, change, _, _), status, diff in zip(steps[path], statuses, diffs, strict=True):
                versions.append(shared.version(index, change, status, diff))
    history.head = head
    return history
