"""Reading the history in a second process while this one loads and validates the records."""

from __future__ import annotations

import contextlib
import marshal
import multiprocessing
import os
from multiprocessing.connection import Connection
from pathlib import Path

from generator.core.processes import can_fork, die_with_parent, start_helper
from generator.trail.cache import cached_head
from generator.trail.commits import UnreadableHistory
from generator.trail.gitlog import uncommitted_records
from generator.trail.history import update_cache
from generator.trail.repo import head_of, open_repository


class Prefetch:
    """The history read into its cache by a second process while this one loads and validates the records.

    On a cold cache both take seconds (at 10,000 orders: about 28 s of history
    against 12 s of records); side by side they take little more than the
    longer of the two. ``wait`` returns once the cache is written, and
    ``read_history`` then finds it. Should the second process fail,
    ``read_history`` simply reads the history itself.

    It reads the work tree's state first (``git status``: 0.5 s of waiting
    at 10,000 orders, which this process spent after checking the records)
    and hands it over with the end of its wait.
    """

    def __init__(self, root: Path):
        context = multiprocessing.get_context("fork")
        self.done, theirs = context.Pipe(duplex=False)
        self.process = start_helper(context, _prefetch, (root, os.getpid(), theirs, self.done), name="history-prefetch")
        theirs.close()

    def ready(self, within: float = 0.0) -> bool:
        """Whether ``wait`` would return at once (or ``within`` seconds): the cache is written, or the process has
        ended."""
        try:
            return self.done.poll(within)
        except (OSError, ValueError):  # closed: waited for already
            return True

    def wait(self) -> dict[str, str] | None:
        """Until the cache is written (or the process has ended without writing it), not until the process is
        gone: handing back its memory takes it another 0.4 s at 10,000 orders, which nothing here waits for.
        The record files the work tree has otherwise than the head (``uncommitted_records``) as the process
        found them when it started, or None: then the caller asks git itself."""
        status = None
        with contextlib.suppress(EOFError, OSError, ValueError, TypeError):
            status = marshal.loads(self.done.recv_bytes())
        self.done.close()
        return status if isinstance(status, dict) else None


def prefetch(root: Path) -> Prefetch | None:
    """Start reading the history in a second process when it will be read from git (its cache is behind the head)."""
    repo = open_repository(root)
    if repo is None or not can_fork():
        return None
    try:
        head = head_of(repo)
    except UnreadableHistory:  # the caller reads it and reports
        return None
    if head is None:
        return None
    if cached_head(root) == head:  # nothing to read
        return None
    return Prefetch(root)


def _prefetch(root: Path, parent: int, done: Connection, other: Connection) -> None:
    die_with_parent(parent)
    other.close()  # the parent's end: should the parent die, nothing here holds it open
    status = history = None
    with contextlib.suppress(Exception):  # whatever fails here, the caller meets again and reports
        repo = open_repository(root)
        status = uncommitted_records(repo) if repo is not None else None
    # Lower priority: the records' own check is the shorter chain of work and MkDocs waits for both; run
    # first, it leaves both cores to the history sooner (measured at 5,000 orders: 20.7 s → 18.6 s before MkDocs).
    os.nice(5)
    with contextlib.suppress(Exception):
        history = update_cache(root)
    with contextlib.suppress(OSError):
        done.send_bytes(marshal.dumps(status))  # before the history is freed, which the caller need not wait for
    done.close()
    del history
