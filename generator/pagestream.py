"""Dossiers rendered in a second process while MkDocs converts the ones before them.

MkDocs is single-threaded: on a cold build, rendering 10,000 dossiers first
and only then handing them to MkDocs puts both on one core, one after the
other. ``PageStream`` forks a process that renders the dossiers in the order
MkDocs will read them and sends each one down a pipe; MkDocs asks for a page
when it reaches it (``get``) and usually finds it already there.

Where forking is not safe or not possible (another thread is running, as
under ``mkdocs serve``, or a platform without ``fork``) the same object
renders each page in-process when it is asked for: same pages, one core.
"""

from __future__ import annotations

import gc
import multiprocessing
import threading
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection

Plan = list[tuple[str, Callable[[], str]]]
"""Pages in the order they will be read: (path, function that renders it)."""

_FAILED = b"\x00failed\x00"


class PageStreamError(RuntimeError):
    """A page could not be rendered (the second process's traceback is the message)."""


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


class PageStream:
    def __init__(self, plan: Plan, parallel: bool | None = None):
        self.paths = [path for path, _ in plan]
        self.index = {path: i for i, path in enumerate(self.paths)}
        self.received: dict[int, str] = {}
        self.next = 0  # the index of the next page the pipe will deliver
        self.process: multiprocessing.process.BaseProcess | None = None
        self.connection: Connection | None = None
        self.renderers: list[Callable[[], str]] | None = [render for _, render in plan]
        if plan and (can_fork() if parallel is None else parallel):
            context = multiprocessing.get_context("fork")
            receiver, sender = context.Pipe(duplex=False)
            gc.freeze()  # the child only reads the archive: keep the collector from copying every page of memory
            self.process = context.Process(target=_render_all, args=(plan, sender), daemon=True)
            self.process.start()
            gc.unfreeze()
            sender.close()
            self.connection = receiver
            self.renderers = None  # the child has them: what they hold (the archive, its history) can go from here

    @property
    def parallel(self) -> bool:
        return self.process is not None

    def get(self, path: str) -> str:
        """The Markdown of ``path``; waits for the second process when it has not got there yet."""
        i = self.index[path]
        if i in self.received:
            return self.received[i]
        if self.renderers is not None:
            self.received[i] = self.renderers[i]()
            return self.received[i]
        while self.next <= i:
            self.received[self.next] = self._receive()
            self.next += 1
        return self.received[i]

    def pages(self) -> dict[str, str]:
        """Every page of the plan, rendered (what the page cache keeps)."""
        return {path: self.get(path) for path in self.paths}

    def _receive(self) -> str:
        assert self.connection is not None and self.process is not None
        try:
            while not self.connection.poll(1):
                if not self.process.is_alive() and not self.connection.poll(0):  # killed, say, by the kernel for memory
                    raise EOFError
            data = self.connection.recv_bytes()
        except EOFError:
            self.close()
            raise PageStreamError("the process rendering the dossiers stopped without a word") from None
        if data.startswith(_FAILED):
            self.close()
            raise PageStreamError(data[len(_FAILED) :].decode())
        return data.decode()

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None
        if self.process is not None:
            self.process.join(timeout=5)
            if self.process.is_alive():
                self.process.kill()
                self.process.join()
            self.process = None

    def __enter__(self) -> PageStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _render_all(plan: Plan, connection: Connection) -> None:
    """In the second process: render every page in order and send it."""
    try:
        for _, render in plan:
            connection.send_bytes(render().encode())
    except BrokenPipeError:  # the build stopped reading (it failed): nothing left to do
        return
    except BaseException:
        connection.send_bytes(_FAILED + traceback.format_exc().encode())
    finally:
        connection.close()
