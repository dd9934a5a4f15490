"""Reading the history in a second process while this one loads and validates the records."""

from __future__ import annotations

import contextlib
import marshal
import multiprocessing
import os
import pickle
import queue
import sys
import tempfile
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TypeVar

from generator.core.processes import can_fork, die_with_parent, start_helper
from generator.trail.cache import cached_head
from generator.trail.commits import History, UnreadableHistory
from generator.trail.gitlog import uncommitted_later, uncommitted_records
from generator.trail.history import brought_up
from generator.trail.repo import head_of, is_shallow, open_repository

T = TypeVar("T")
Meanwhile = Callable[[Path, History], object]
"""What the prefetch does with the history it holds while it waits to be asked to judge it (``prefetch``)."""


class Prefetch:
    """The history read into its cache by a second process while this one loads and validates the records.

    On a cold cache both take seconds (at 10,000 orders: about 28 s of history
    against 12 s of records); side by side they take little more than the
    longer of the two. Should the second process fail, ``read_history``
    simply reads the history itself.

    Once it holds the history up to the head (``ready``), the process waits to
    be asked for one more thing: to judge that history (``judge``: the site's
    approvals, findings and timelines), or nothing (``wait``). Either way it
    then writes the cache, and ``wait`` returns once it is written. Judged
    there, the history is never loaded again: after a merge at 10,000 orders
    a process of its own loaded the cache the prefetch had just written
    (1.1 s) before it could judge one commit.

    It asks git for the work tree's state once it holds the history (``git
    status``: 0.5 s of waiting at 10,000 orders, which this process spent after
    checking the records; started at once, it slowed this process's own look
    at the record files) and hands it over with the end of its wait, or with
    the history it judges.

    What it is asked to judge (with the records the judging reads) goes
    through an unnamed file both processes hold, its pipe told only how long
    it is: sent down the pipe, it waited for the process — at a lower priority
    and busy — to take it in 64 KB at a time (0.2 s of this process's thread
    after a merge at 10,000 orders, for 260 KB).
    """

    def __init__(self, root: Path, meanwhile: Meanwhile | None = None):
        context = multiprocessing.get_context("fork")
        self.done, done = context.Pipe(duplex=False)  # whether it holds the history; then the work tree's state, the cache written
        asked, self.ask = context.Pipe(duplex=False)  # the length of the judging written into ``spool``; empty: none
        self.answer, answer = context.Pipe(duplex=False)  # the judging's answer
        self.spool = tempfile.TemporaryFile()  # noqa: SIM115 (closed by ``wait``; the process has its own copy)
        ends = (self.done, self.ask, self.answer)
        arguments = (root, os.getpid(), done, asked, answer, ends, self.spool.fileno(), meanwhile)
        self.process = start_helper(context, _prefetch, arguments, name="history-prefetch")
        for end in (done, asked, answer):
            end.close()
        self.holds: bool | None = None  # whether the process holds the history (None: not said yet)
        self.asked = False

    def ready(self, within: float = 0.0) -> bool:
        """Whether the process holds the history up to the head (or has ended), waiting ``within`` seconds at most."""
        if self.holds is None:
            try:
                if not self.done.poll(within):
                    return False
                self.holds = marshal.loads(self.done.recv_bytes()) is True
            except (EOFError, OSError, ValueError, TypeError):  # ended, or closed: waited for already
                self.holds = False
        return True

    def judge(self, work: Callable[[History, list[Callable[[], object]]], T]) -> Callable[[], T] | None:
        """``work(history, later)`` done by the process, with the history it read (the work tree's state in it),
        once it holds it, and what it adds to ``later`` done once its answer is sent: what gives the answer
        (``EOFError`` where the process could not give one), or None where the process cannot be asked. ``work``
        and its answer are pickled: a function of a module and plain values."""
        if self.asked:
            return None
        self.asked = True
        try:
            asked = pickle.dumps(work, pickle.HIGHEST_PROTOCOL)
            self.spool.write(asked)
            self.spool.flush()
            self.ask.send_bytes(len(asked).to_bytes(8, "little"))
        except Exception:  # the process gone, or ``work`` not to be pickled: judged otherwise
            return None
        finally:
            self.ask.close()
        return self.answer.recv

    def wait(self) -> dict[str, str] | None:
        """Until the cache is written (or the process has ended without writing it), not until the process is
        gone: handing back its memory takes it another 0.4 s at 10,000 orders, which nothing here waits for.
        The record files the work tree has otherwise than the head (``uncommitted_records``) as git found them
        once the process held the history, or None: then the caller asks git itself (or waited already)."""
        if self.done.closed:
            return None
        self.answer.close()  # an answer not taken (asked about other records) is not waited on: it writes its cache
        self.spool.close()
        if not self.asked:
            self.asked = True
            with contextlib.suppress(OSError, ValueError):
                self.ask.send_bytes(b"")  # no judging: the cache, now
            self.ask.close()
        self.ready(None)
        status = None
        with contextlib.suppress(EOFError, OSError, ValueError, TypeError):
            status = marshal.loads(self.done.recv_bytes())
        self.done.close()
        return status if isinstance(status, dict) else None


def prefetch(root: Path, meanwhile: Meanwhile | None = None) -> Prefetch | None:
    """Start reading the history in a second process when it will be read from git (its cache is behind the head).
    ``meanwhile(root, history)``: what the process does once it holds the history while it waits to be asked to
    judge it (where it read little from git): what the judging will read, read (``pipeline.prepare_judging``)."""
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
    return Prefetch(root, meanwhile)


def _prefetch(
    root: Path,
    parent: int,
    done: Connection,
    asked: Connection,
    answer: Connection,
    ends: tuple[Connection, ...],
    spool: int,
    meanwhile: Meanwhile | None,
) -> None:
    die_with_parent(parent)
    for end in ends:  # the parent's: should the parent die, nothing here holds them open
        end.close()
    requests: queue.SimpleQueue = queue.SimpleQueue()
    threading.Thread(target=_receive, args=(asked, spool, requests), daemon=True).start()
    status = history = None
    save = asking = _nothing
    # Lower priority: the records' own check is the shorter chain of work and MkDocs waits for both; run
    # first, it leaves both cores to the history sooner (measured at 5,000 orders: 20.7 s → 18.6 s before MkDocs).
    os.nice(5)
    read = 0
    with contextlib.suppress(Exception):  # whatever fails here, the caller meets again and reports
        history, save, read = brought_up(root)
    with contextlib.suppress(Exception):
        repo = open_repository(root)
        asking = uncommitted_later(repo) if repo is not None else _nothing  # git looks while the records are checked
    with contextlib.suppress(OSError):
        done.send_bytes(marshal.dumps(history is not None))
    judges = history is not None and read <= JUDGED_AFTER_READING_AT_MOST
    if judges and meanwhile is not None:
        with contextlib.suppress(Exception):  # whatever it does is only ever an earlier start
            meanwhile(root, history)
    work = requests.get()
    with contextlib.suppress(Exception):
        status = asking()
    later: list[Callable[[], object]] = [save]
    if work is not None and judges:
        with contextlib.suppress(Exception):  # no answer: the caller judges the history itself
            repo = open_repository(root)
            history.shallow = is_shallow(repo)
            history.uncommitted = status if status is not None else uncommitted_records(repo)
            answer.send(work(history, later))
    answer.close()
    for step in later:  # the caches, once the answer is sent
        with contextlib.suppress(Exception):
            step()
    with contextlib.suppress(OSError):
        done.send_bytes(marshal.dumps(status))
    done.close()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # now: nothing waits for the history's millions of objects to be freed one by one


JUDGED_AFTER_READING_AT_MOST = 5_000
"""Commits read from git beyond which the prefetch does not judge the history but leaves it to a process that
loads the cache it writes: having read 220,700 commits (a cold build at 10,000 orders), it holds what the
reading left as well, and judging beside that took all the build's processes together from 914 to 1,104 MB.
After a merge it reads two."""


def _receive(asked: Connection, spool: int, requests: queue.SimpleQueue) -> None:
    """The judging asked for, or None (none, or the parent's end closed), read from ``spool`` once the pipe says
    how long it is."""
    work = None
    with contextlib.suppress(Exception):
        length = int.from_bytes(asked.recv_bytes(8), "little")
        if length:
            data = os.pread(spool, length, 0)
            work = pickle.loads(data) if len(data) == length else None
    requests.put(work)


def _nothing() -> None:
    return None
