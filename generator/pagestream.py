"""Pages rendered in other processes while MkDocs works through the ones before them.

MkDocs is single-threaded, and converting a dossier's Markdown to HTML is most
of its time (10 of 12 s for 1,000 dossiers here; writing them into the theme
is the other 2). ``PageStream`` forks one worker per core; worker *k* renders
every page whose place in the plan is *k* modulo the number of workers, in
the order MkDocs reads them, applies ``finish`` to it (the plugin's MkDocs
conversion) and sends both down its own pipe. MkDocs asks for a page when it
reaches it (``get``) and usually finds it already there.

Where forking is not safe or not possible (another thread is running, as
under ``mkdocs serve``, or a platform without ``fork``) the same object
renders each page in-process when it is asked for and leaves ``finish`` to
MkDocs: same pages, one core.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

Plan = list[tuple[str, Callable[[], str]]]
"""Pages in the order they will be read: (path, function that renders its Markdown)."""

Finish = Callable[[str, str], Any]
"""Work a worker does on each rendered page, (path, Markdown) → anything picklable."""

Delivered = tuple[str, Any]
"""A page as delivered: its Markdown, and what ``finish`` made of it (None when rendered in-process)."""

_FAILED = b"\x00failed\x00"


class PageStreamError(RuntimeError):
    """A page could not be rendered (the worker's traceback is the message)."""


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def usable_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@dataclass
class _Worker:
    process: multiprocessing.process.BaseProcess
    connection: Connection
    next: int  # the index of the next page its pipe will deliver


class PageStream:
    def __init__(self, plan: Plan, parallel: bool | None = None, finish: Finish | None = None, workers: int | None = None):
        self.paths = [path for path, _ in plan]
        self.index = {path: i for i, path in enumerate(self.paths)}
        self.received: dict[int, Delivered] = {}
        self.workers: list[_Worker] = []
        self.renderers: list[Callable[[], str]] | None = [render for _, render in plan]
        if plan and (can_fork() if parallel is None else parallel):
            count = max(1, min(workers or usable_cores(), len(plan)))
            context = multiprocessing.get_context("fork")
            gc.freeze()  # workers only read the archive: keep the collector from copying every page of memory
            for k in range(count):
                receiver, sender = context.Pipe(duplex=False)
                inherited = [receiver, *(worker.connection for worker in self.workers)]
                process = context.Process(target=_render_share, args=(plan, k, count, finish, sender, inherited), daemon=True)
                process.start()
                sender.close()
                self.workers.append(_Worker(process, receiver, k))
            gc.unfreeze()
            self.renderers = None  # the workers have them: what they hold (the archive, its history) can go from here

    @property
    def parallel(self) -> bool:
        return bool(self.workers)

    def get(self, path: str) -> Delivered:
        """The page at ``path``; waits for its worker when it has not got there yet."""
        i = self.index[path]
        if i in self.received:
            return self.received[i]
        if self.renderers is not None:
            self.received[i] = (self.renderers[i](), None)
            return self.received[i]
        worker = self.workers[i % len(self.workers)]
        while worker.next <= i:
            self.received[worker.next] = self._receive(worker)
            worker.next += len(self.workers)
        return self.received[i]

    def pages(self) -> dict[str, Delivered]:
        """Every page of the plan (what the page cache keeps)."""
        return {path: self.get(path) for path in self.paths}

    def _receive(self, worker: _Worker) -> Delivered:
        try:
            while not worker.connection.poll(1):
                if not worker.process.is_alive() and not worker.connection.poll(0):  # killed, say, by the kernel for memory
                    raise EOFError
            data = worker.connection.recv_bytes()
        except EOFError:
            self.close()
            raise PageStreamError("a process rendering the pages stopped without a word") from None
        if data.startswith(_FAILED):
            self.close()
            raise PageStreamError(data[len(_FAILED) :].decode())
        return pickle.loads(data)

    def close(self) -> None:
        for worker in self.workers:
            worker.connection.close()
        for worker in self.workers:
            worker.process.join(timeout=5)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
        self.workers = []

    def __enter__(self) -> PageStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _render_share(plan: Plan, k: int, count: int, finish: Finish | None, connection: Connection, inherited: list[Connection]) -> None:
    """In worker ``k``: render (and finish) every ``count``-th page from the ``k``-th, in order, and send each."""
    for reader in inherited:  # the reading ends of the pipes: held open here, they would hide the build's end
        reader.close()
    try:
        for path, render in plan[k::count]:
            markdown = render()
            finished = finish(path, markdown) if finish is not None else None
            connection.send_bytes(pickle.dumps((markdown, finished), pickle.HIGHEST_PROTOCOL))
    except BrokenPipeError:  # the build stopped reading (it failed): nothing left to do
        return
    except BaseException:
        connection.send_bytes(_FAILED + traceback.format_exc().encode())
    finally:
        connection.close()
