"""Pages rendered in other processes while MkDocs works through the ones before them.

MkDocs is single-threaded, and converting a dossier's Markdown to HTML is most
of its time (10 of 12 s for 1,000 dossiers here; writing them into the theme
is the other 2). ``PageStream`` forks one worker per core. Each worker takes
the next page of the plan that no worker has taken yet (a shared counter),
renders it, applies ``finish`` to it (the plugin's MkDocs conversion),
encodes both into one record (``pagefile``) and sends it, numbered, down
its own pipe. This process takes in every page that arrives, from any
worker and in any order, whenever it waits, and stores the record without
reading it, so no worker stands blocked on a full pipe while another
converts a 3 MB index page; MkDocs asks for a page when it reaches it
(``get``) and usually finds it there already.

Where forking is not safe or not possible (another thread is running, as
under ``mkdocs serve``, or a platform without ``fork``) the same object
renders each page in-process when it is asked for and leaves ``finish`` to
MkDocs: same pages, one core.
"""

from __future__ import annotations

import gc
import multiprocessing
import pickle
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection, wait
from typing import Any

from generator.core.processes import can_fork, usable_cores
from generator.site.pagefile import Delivered, Finished, Kept, MemoryPages, encode

Skip = Callable[[str, Callable[[], str]], Any]
"""Asked in a worker before a page is rendered, (path, its render function) → ``Kept`` when the earlier build's
page holds without rendering it, else None."""

Plan = list[tuple[str, Callable[[], str]]]
"""Pages in the order they will be read: (path, function that renders its Markdown)."""

Finish = Callable[[str, str], Any]
"""Work a worker does on each rendered page, (path, Markdown) → anything picklable; a ``Finished`` page is stored
with its facts, a ``Kept`` one is copied from the earlier build's pages (``earlier``)."""


class PageStreamError(RuntimeError):
    """A page could not be rendered (the worker's traceback is the message)."""


class PageStream:
    def __init__(
        self,
        plan: Plan,
        parallel: bool | None = None,
        finish: Finish | None = None,
        workers: int | None = None,
        store=None,
        earlier=None,
        skip: Skip | None = None,
    ):
        self.paths = [path for path, _ in plan]
        self.earlier = earlier  # an earlier build's pages, which a worker may find still hold (``Kept``)
        self.copied = 0  # pages taken from ``earlier``
        self.index = {path: i for i, path in enumerate(self.paths)}
        self.store = MemoryPages() if store is None else store  # where arrived pages are kept (``pagefile``)
        self.received: set[int] = set()
        self.failed: dict[int, str] = {}  # page number → the worker's traceback
        self.processes: list[multiprocessing.process.BaseProcess] = []
        self.open: dict[Connection, multiprocessing.process.BaseProcess] = {}  # pipes still delivering
        self.renderers: list[Callable[[], str]] | None = [render for _, render in plan]
        self.froze = False
        if plan and (can_fork() if parallel is None else parallel):
            context = multiprocessing.get_context("fork")
            taken = context.Value("q", 0)  # how many pages of the plan workers have taken
            # Workers only read the archive. Frozen, its objects are never walked by a collection, in the workers nor
            # here: one full collection in this process would write into every object's header, and each page so
            # written becomes a private copy in every worker too (10,000 orders: 1.2 GB a worker). They thaw in close().
            gc.freeze()
            self.froze = True
            for _ in range(max(1, min(workers or usable_cores(), len(plan)))):
                receiver, sender = context.Pipe(duplex=False)
                inherited = [receiver, *self.open]
                process = context.Process(target=_render_taken, args=(plan, taken, finish, skip, sender, inherited), daemon=True)
                process.start()
                sender.close()
                self.processes.append(process)
                self.open[receiver] = process
            self.renderers = None  # the workers have them: what they hold (the archive, its history) can go from here

    @property
    def parallel(self) -> bool:
        return bool(self.processes)

    def get(self, path: str, html: bool = True) -> Delivered:
        """The page at ``path`` (without ``html``, its conversion holds None for its HTML: ``store.html`` reads it);
        waits for the workers when none has delivered it yet."""
        i = self.index[path]
        if self.renderers is not None:
            if i not in self.received:
                self.store.put(path, (self.renderers[i](), None))
                self.received.add(i)
            return self.store.get(path, html)
        self._take_in(block=False)
        while i not in self.received:
            if i in self.failed:
                self.close()
                raise PageStreamError(self.failed[i])
            if not self.open:
                self.close()
                raise PageStreamError("the processes rendering the pages ended without this page")
            self._take_in(block=True)
        return self.store.get(path, html)

    def wait_all(self) -> None:
        """Until every page of the plan is in the store (what the page cache keeps)."""
        for path in self.paths:
            self.get(path, html=False)

    def pages(self) -> dict[str, Delivered]:
        """Every page of the plan, whole."""
        return {path: self.get(path) for path in self.paths}

    def _take_in(self, block: bool) -> None:
        """Every page waiting in a pipe; with ``block``, at least one page or one ended pipe."""
        for connection in wait(list(self.open), timeout=1 if block else 0):
            try:
                data = connection.recv_bytes()
            except EOFError:  # this worker is done, or was killed (say, by the kernel for memory)
                process = self.open.pop(connection)
                connection.close()
                process.join(timeout=5)
                if process.exitcode != 0:
                    self.close()
                    raise PageStreamError(f"a process rendering the pages stopped (exit code {process.exitcode})") from None
                continue
            number, record, lengths, facts = pickle.loads(data)  # a failed page: its traceback, and no lengths
            if isinstance(record, str):
                self.failed[number] = record
                continue
            if record is None:
                self.store.copy_from(self.earlier, self.paths[number], facts)
                self.copied += 1
            else:
                self.store.put_record(self.paths[number], record, lengths, facts)
            self.received.add(number)

    def close(self) -> None:
        for connection in self.open:
            connection.close()
        self.open = {}
        for process in self.processes:
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
                process.join()
        self.processes = []
        if self.froze:
            gc.unfreeze()
            self.froze = False

    def __enter__(self) -> PageStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _render_taken(plan: Plan, taken: Any, finish: Finish | None, skip: Skip | None, connection: Connection, inherited: list[Connection]) -> None:
    """In a worker: take the next page nobody has taken, render (and finish) it, send it; until none is left."""
    for reader in inherited:  # the reading ends of the pipes: held open here, they would hide the build's end
        reader.close()
    number = -1
    try:
        while True:
            with taken.get_lock():
                number = taken.value
                taken.value += 1
            if number >= len(plan):
                return
            path, render = plan[number]
            finished = skip(path, render) if skip is not None else None
            if finished is None:
                markdown = render()
                finished = finish(path, markdown) if finish is not None else None
            if isinstance(finished, Kept):
                sent = (number, None, None, finished.facts)
            elif isinstance(finished, Finished):
                sent = (number, *finished.encode(markdown))
            else:
                sent = (number, *encode((markdown, finished)), None)
            connection.send_bytes(pickle.dumps(sent, pickle.HIGHEST_PROTOCOL))
    except BrokenPipeError:  # the build stopped reading (it failed): nothing left to do
        return
    except BaseException:  # reported when that page is asked for; this worker stops taking pages
        connection.send_bytes(pickle.dumps((number, traceback.format_exc(), None, None)))
    finally:
        connection.close()
