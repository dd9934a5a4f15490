"""When work may go to other processes, and how many cores there are for it.

The history reader, its diffs and the page workers all fork; forking is only
safe while this process runs a single thread (``mkdocs serve`` runs several).
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import multiprocessing
import os
import pickle
import select
import signal
import tempfile
import threading
from collections.abc import Callable, Iterator
from multiprocessing.process import BaseProcess
from typing import Any, BinaryIO, Generic, TypeVar

T = TypeVar("T")

APART = "apart-"
"""The name every thread starts with that never holds a lock a forked child could need: it only moves bytes
between this process, its files and the search index's own processes (``searchindex``), imports nothing and
never logs. The child is given
nothing of it, and only renders pages."""


def can_fork() -> bool:
    """Forking copies one thread; a lock another thread held stays locked in the child. So only while this
    process runs its main thread alone, or beside threads named ``APART``: one edition's search index is written
    while the next edition's pages are made by forked workers."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return False
    return all(t is threading.main_thread() or t.name.startswith(APART) for t in threading.enumerate())


def usable_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def die_with_parent(parent: int) -> None:
    """In a forked helper: the kernel ends it when ``parent`` (the process that forked it) dies, so a killed
    command leaves nothing running on — say, a history reader still writing its cache beside the next run.
    Linux's ``prctl(PR_SET_PDEATHSIG)``; elsewhere the helper finishes its work and ends as before."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the kernel was told
        os._exit(1)


_STOPPING = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Around a fork: the signals that stop the command wait, here until the fork is done, in the new process until
    it has its own handlers (``worker_signals``). Delivered in between, they would run the command's handler in the
    new process, which would print a traceback of its own beside the command's one line."""
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, _STOPPING)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)


def start_helper(context: multiprocessing.context.BaseContext, target: Callable[..., object], args: tuple, **options: Any) -> BaseProcess:
    """Fork ``target(*args)`` as a helper of the command, started: its own signal handlers come before anything
    else it runs (``worker_signals``), and the command's stopping signals wait for them (``signals_held``)."""
    process = context.Process(target=_as_helper, args=(target, *args), **options)
    with signals_held():
        process.start()
    return process


def _as_helper(target: Callable[..., object], *args: object) -> None:
    worker_signals()
    target(*args)


def worker_signals() -> None:
    """First thing in a forked helper: SIGTERM and SIGHUP end it at once (whoever started it stops it so), and
    Ctrl-C, which a terminal sends to the whole group, is left to the command, which stops its helpers."""
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOPPING)


class Beside(Generic[T]):
    """``work()`` done by a forked process while this one goes on with something else; ``result()`` is its value.

    For work whose answer is small beside what it reads (the archive-wide rules read every record and find a
    few thousand problems): the process shares this one's memory, so nothing is sent to it, and only the answer
    comes back, pickled. Where no process can be forked, or the one forked fails in any way (an exception, a
    kill, an answer cut short), ``result()`` does the work here: the same answer, or the same exception, later.
    The process is out of the collector's way: a collection would write into every object it walks, and each
    page of memory so written is copied into it."""

    def __init__(self, work: Callable[[], T], ends_when_done: bool = False) -> None:
        """``ends_when_done``: the answer is written into an unnamed file instead of the pipe, so that the process
        ends once it has worked it out, however long before ``result()`` is asked: through the pipe, an answer of
        more than 64 KB kept the process and its copied memory waiting for the asking (every period's report,
        worked out while a first build reads its history and asked for half a minute later, made the peak of all the
        build's processes). Taken as it comes through the pipe, a large answer is unpickled while it is written."""
        self.work = work
        self.pid: int | None = None
        if not can_fork():
            return
        parent = os.getpid()
        spool = tempfile.TemporaryFile() if ends_when_done else None  # noqa: SIM115 (closed by ``result`` or ``__del__``)
        reading, writing = os.pipe()
        try:
            with signals_held():
                pid = os.fork()
                if pid == 0:  # pragma: no cover - the forked process, still inside the hold: it never leaves it
                    _answer_beside(work, parent, reading, writing, spool)
        except OSError:  # no process to be had (a limit on processes, or memory)
            os.close(reading)
            os.close(writing)
            if spool is not None:
                spool.close()
            return
        os.close(writing)
        self.pid, self.reading, self.owner, self.spool = pid, reading, parent, spool

    def ready(self) -> bool:
        """Whether ``result()`` would return without waiting for the process beside (its answer has begun to come,
        or it ended); True where the work is done here instead, as ``result()`` then does it at once."""
        if self.pid is None or os.getpid() != self.owner:
            return True
        return bool(select.select([self.reading], [], [], 0)[0])

    def result(self) -> T:
        if self.pid is None or os.getpid() != self.owner:  # not forked; or asked in a process forked since: not its child
            return self.work()
        pid, self.pid = self.pid, None
        answer, whole = None, False
        try:
            # Closed on any way out: a process still writing then ends. Unpickled as it comes: a large answer (the
            # history's findings) is never held here twice, as bytes and as values.
            with os.fdopen(self.reading, "rb") as pipe, contextlib.suppress(Exception):  # part of an answer: it failed
                if self.spool is None:
                    answer = pickle.load(pipe)
                    whole = pipe.read(1) == b""
                elif pipe.read() == _WRITTEN:  # the whole answer is in the file
                    self.spool.seek(0)
                    answer = pickle.load(self.spool)
                    whole = self.spool.read(1) == b""
        finally:
            os.waitpid(pid, 0)
            if self.spool is not None:
                self.spool.close()
        return answer if whole else self.work()

    def __del__(self) -> None:
        """Never asked (the command stopped on an error first): the process, told so by its closed pipe, is let end."""
        if self.pid is not None and os.getpid() == self.owner:
            os.close(self.reading)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, 0)
            if self.spool is not None:
                self.spool.close()


def _answer_beside(work: Callable[[], Any], parent: int, reading: int, writing: int, spool: BinaryIO | None) -> None:  # pragma: no cover - a forked process
    """The forked process of ``Beside``: its own signal handlers before the stopping signals, held across the fork,
    reach it (leaving the hold first ran the command's handler for a Ctrl-C sent to the group meanwhile), then the
    work, its answer pickled into the pipe — or into ``spool``, the pipe then told that all of it is there —, and
    the end, whatever happened: it never returns into the code that forked it."""
    try:
        os.close(reading)
        gc.disable()
        worker_signals()
        die_with_parent(parent)
        answer = work()
        with os.fdopen(writing, "wb") as pipe:
            if spool is None:
                pickle.dump(answer, pipe, pickle.HIGHEST_PROTOCOL)  # a frame at a time: never all of it as bytes too
            else:
                pickle.dump(answer, spool, pickle.HIGHEST_PROTOCOL)
                spool.flush()
                pipe.write(_WRITTEN)
    finally:
        os._exit(0)


_WRITTEN = b"written"
"""What a ``Beside`` process that writes its answer into a file says through its pipe once all of it is there."""
