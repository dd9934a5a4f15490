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

A worker shares this process's memory until it writes to it, and reading
an object writes to it (its reference count): each page of memory a rendered
page reads is copied into the worker. Over a whole edition each worker came
to copy half the archive (0.8 GB each at 10,000 orders). So a worker retires
after a few hundred pages (``RETIRE``) and a new one, forked then and sharing
everything again, takes its place; where none can be forked, this process
renders the rest itself and leaves their finishing to MkDocs, as below.

After a merge nearly every page is the earlier build's (``skip`` says so from
a digest of what the page reads). Asked in the workers, that question kept
MkDocs waiting: each worker first copied into itself what the digests read,
and the few pages really made (an order's lists, a second each) came last.
With ``skip_here`` it is asked here and the workers take only the pages left
to make, each as soon as it is known (``order``, shared, filled as the
questions are answered, in the order ``ask`` gives, and made in the plan's):
the first is forked when the first page is left, so an order's lists are
made while the ten thousand dossiers are asked about, not after.

Where forking is not safe or not possible (another thread is running, as
under ``mkdocs serve``, or a platform without ``fork``) the same object
renders each page in-process when it is asked for and leaves ``finish`` to
MkDocs: same pages, one core.
"""

from __future__ import annotations

import gc
import multiprocessing
import pickle
import resource
import time
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection, wait
from typing import Any

from generator.core.processes import can_fork, start_helper, usable_cores
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


SKIP_HERE_UNTIL = 200
"""``skip_here`` stops asking here once the pages it could not keep outnumber those it kept by this many (the
templates' or the organisation's change: every page is made again, and the workers ask the rest themselves)."""

RETIRE = (500, 64 << 20, 48 << 20)
"""A worker ends after this many pages, this many bytes of them sent, or this much memory of its own, whichever
comes first. Its own memory is what it wrote to, copied from this process's or new (the kernel counts each such
page as it is first touched: ``ru_minflt``): a dossier about 50 KB, the first dozen pages of a worker 12 MB, an
order list or the orders' index, which read every order, up to 60 MB each (at 10,000 orders). A page the earlier
build's holds without rendering counts ``UNRENDERED`` toward the pages: it reads what its inputs digest covers,
not all the page would show."""

UNRENDERED = 0.25
"""What a page kept unrendered counts toward ``RETIRE``: at 1, a merge build at 10,000 orders forked about 20
workers an edition, each starting with none of what the last one had worked out (its rows, its lookups)."""

POLL_EVERY = 64
"""A page already here is handed over without looking into the pipes but every this many pages: in a merge's build
nearly every page is (the earlier build's), and looking took 0.5 s of MkDocs' passes at 10,000 orders. A worker
with a full pipe waits that many pages at most (MkDocs passes over one in about 0.2 ms: about 13 ms)."""

Sent = tuple[int, Any, Any, Any, bool]
"""What a worker sends for page ``number``: (number, record, lengths, facts, whether its Markdown was rendered); a
record None is the earlier build's page (``Kept``), a record str the traceback of a page that failed."""


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
        retire: tuple[int, int, int] = RETIRE,
        skip_here: bool = False,
        settle: Callable[[], Any] | None = None,
        settled: Callable[[], bool] | None = None,
        arrived: Callable[[str, bool], Any] | None = None,
        ask: list[int] | None = None,
        arrived_kept: Callable[[list[str]], Any] | None = None,
        carried: set[int] | frozenset[int] = frozenset(),
    ):
        self.plan: Plan | None = plan
        self.arrived = arrived  # told each page as it is taken in: its path, whether it was made (not the earlier build's)
        self.arrived_kept = arrived_kept
        """Told the earlier build's pages ``skip_here`` finds, a batch at a time (else ``arrived``, each)."""
        self.paths = [path for path, _ in plan]
        self.finish, self.skip, self.retire = finish, skip, retire
        self.carried = carried
        """With ``skip_here``: pages the caller knows to be the earlier build's, facts and all (``_skip_here``)."""
        self.earlier = earlier  # an earlier build's pages, which a worker may find still hold (``Kept``)
        self.copied = 0  # pages taken from ``earlier``
        self.rendered: list[str] = []  # pages whose Markdown was rendered (the others' inputs were the earlier build's)
        self.started = 0  # workers forked, the retired included
        self.index = {path: i for i, path in enumerate(self.paths)}
        self.store = MemoryPages() if store is None else store  # where arrived pages are kept (``pagefile``)
        self.received: set[int] = set()
        self.failed: dict[int, str] = {}  # page number → the worker's traceback
        self.processes: list[multiprocessing.process.BaseProcess] = []  # the workers not yet ended
        self.open: dict[Connection, multiprocessing.process.BaseProcess] = {}  # pipes still delivering
        self.taken: Any = None  # how many pages of the plan have been taken, by any worker (shared)
        self.froze = False
        self.asked = 0  # pages asked for (``wait_for``)
        self.settle, self.workers = settle, workers or usable_cores()
        self.settled = settled  # whether ``settle`` would return at once: no worker waits for it while pages are asked
        if plan and (can_fork() if parallel is None else parallel):
            self.context = multiprocessing.get_context("fork")
            self.taken = self.context.Value("q", 0)
            # The pages the workers take, in this order: the first ``known`` of them are filled in, and more may
            # come while ``asking``. Both are read and written under ``taken``'s lock.
            self.order = self.context.Array("q", len(plan), lock=False)
            self.known, self.asking = self.context.RawValue("q", 0), self.context.RawValue("b", 1)
            try:
                if skip_here and skip is not None:
                    self._skip_here(plan, skip, range(len(plan)) if ask is None else ask)
                else:
                    self._offer(range(len(plan)))
            except BaseException:  # the workers forked meanwhile would wait for more pages: none will come
                with self.taken.get_lock():
                    self.asking.value = 0
                self.close()
                raise
            with self.taken.get_lock():
                self.asking.value = 0
            self._staff()
            if self.settle is not None:  # no page to make: had here all the same, as the next edition shares it
                self.settle()
                self.settle = None

    def _skip_here(self, plan: Plan, skip: Skip, ask: range | list[int]) -> None:
        """The earlier build's pages that hold, delivered here; the others offered to the workers as they are
        found. A page whose question fails is left to them: its failure is reported as any worker's is (``get``)."""
        left = kept = 0
        batch: list[tuple[int, Any]] = []
        carried = self.carried
        for step, number in enumerate(ask):
            if left - kept >= SKIP_HERE_UNTIL:
                self._kept(batch)
                self._offer(ask[step:])
                return
            if step % POLL_EVERY == 0:
                self._kept(batch)
                if self.open:  # a worker with a full pipe would stand still until asked
                    self._take_in(block=False)
                elif self.settle is not None:  # pages wait for the first worker, which waited for ``settle``
                    self._staff()
            if number in carried:  # known to hold as the earlier build has it: nothing to ask
                kept += 1
                batch.append((number, None))
                continue
            path, render = plan[number]
            try:
                found = skip(path, render)
            except Exception:
                found = None
            if found is None:
                left += 1
                self._offer((number,))
            else:
                kept += 1
                batch.append((number, found.facts))
        self._kept(batch)

    def _kept(self, batch: list[tuple[int, Any]]) -> None:
        """The earlier build's pages found to hold, (number, facts) each, taken in together and ``batch`` emptied:
        after a merge nearly every page is, and taken in one by one (the page file's index, the search index)
        they were 0.3 s of the asking at 10,000 orders."""
        if not batch:
            return
        paths = self.paths
        named = [(paths[number], facts) for number, facts in batch]
        self.store.copy_many(self.earlier, named)
        self.copied += len(named)
        self.received.update(number for number, _ in batch)
        batch.clear()
        if self.arrived_kept is not None:
            self.arrived_kept([path for path, _ in named])
        elif self.arrived is not None:
            for path, _ in named:
                self.arrived(path, False)

    def _offer(self, numbers) -> None:
        """Pages for the workers to make: added to ``order``, where the pages no worker took yet are kept in the
        plan's order — the order MkDocs reads them in —, whatever order they were found in: an edited dossier found
        after its order's lists is made before them (MkDocs reads it first, and its search part waits for it)."""
        with self.taken.get_lock():
            step, known = self.taken.value, self.known.value
            waiting = sorted([*self.order[step:known], *numbers])
            self.order[step : step + len(waiting)] = waiting
            self.known.value = step + len(waiting)
        self._staff()

    def _staff(self) -> None:
        """Workers forked while pages wait that no worker took: one fewer than wanted while this process still asks
        (it keeps a core of its own: with both taken, the asking took as long again and nothing was gained), and
        never more than the pages known, nor more at once than are waiting."""
        with self.taken.get_lock():
            untaken, asking, known = self.known.value - self.taken.value, self.asking.value, self.known.value
        if asking and self.settle is not None and self.settled is not None and not self.settled():
            return  # this process asks on meanwhile: the first worker is forked once ``settle`` would not wait
        wanted = min(max(1, self.workers - 1) if asking else self.workers, known)
        working = sum(process.is_alive() for process in self.processes)  # one that ended idle is taken in later
        while untaken > 0 and working < wanted:
            self._start()
            working, untaken = working + 1, untaken - 1

    @property
    def parallel(self) -> bool:
        return self.taken is not None

    def _start(self) -> None:
        """Fork one more worker. The archive is frozen first (and thawed in ``close``): a full collection here
        would write into every object's header, and each page of memory so written is copied, here and in a
        worker (10,000 orders: 0.4 GB here, 1.2 GB a worker)."""
        if self.settle is not None:  # what the renderers left to a process beside, had before any is forked
            self.settle()
            self.settle = None
        gc.freeze()
        self.froze = True
        receiver, sender = self.context.Pipe(duplex=False)
        inherited = [receiver, *self.open]
        arguments = (self.plan, (self.order, self.known, self.asking), self.taken, self.finish, self.skip, sender, inherited, self.retire)
        process = start_helper(self.context, _render_taken, arguments, daemon=True)
        sender.close()
        self.started += 1
        self.processes.append(process)
        self.open[receiver] = process

    def get(self, path: str, html: bool = True) -> Delivered:
        """The page at ``path`` (without ``html``, its conversion holds None for its HTML: ``store.html`` reads it);
        waits for the workers when none has delivered it yet."""
        self.wait_for(path)
        return self.store.get(path, html)

    def wait_for(self, path: str) -> None:
        """Until the page at ``path`` is in the store (read nothing of it)."""
        i = self.index[path]
        if not self.parallel:
            if i not in self.received:
                self.store.put(path, (self.plan[i][1](), None))
                self.received.add(i)
                self.rendered.append(path)
            return
        self.asked += 1
        if i in self.received and self.asked % POLL_EVERY:
            return
        self._take_in(block=False)
        while i not in self.received:
            if i in self.failed:
                self.close()
                raise PageStreamError(self.failed[i])
            if self.open:
                self._take_in(block=True)
            elif (number := _take(self.taken, (self.order, self.known, self.asking))) is not None:
                # No worker could be forked: rendered here and, as without workers, left for MkDocs to convert
                # (``finish`` belongs in a worker: the plugin's takes over the logging to send it with the page).
                self._arrived(_make(self.plan, number, None, self.skip))
            else:
                self.close()
                raise PageStreamError("the processes rendering the pages ended without this page")

    def wait_all(self) -> None:
        """Until every page of the plan is in the store (what the page cache keeps)."""
        for path in self.paths:
            self.wait_for(path)
        self.plan = None  # what the renderers hold (the archive, its history) may go

    def pages(self) -> dict[str, Delivered]:
        """Every page of the plan, whole."""
        return {path: self.get(path) for path in self.paths}

    def _take_in(self, block: bool) -> None:
        """Every page waiting in a pipe; with ``block``, at least one page or one ended pipe."""
        for connection in wait(list(self.open), timeout=1 if block else 0):
            try:
                data = connection.recv_bytes()
            except EOFError:  # this worker is done or retired, or was killed (say, by the kernel for memory)
                self._ended(connection)
                continue
            self._arrived(pickle.loads(data))

    def _ended(self, connection: Connection) -> None:
        process = self.open.pop(connection)
        connection.close()
        process.join(timeout=5)
        self.processes.remove(process)
        if process.exitcode != 0:
            self.close()
            raise PageStreamError(f"a process rendering the pages stopped (exit code {process.exitcode})") from None
        with self.taken.get_lock():
            left = self.taken.value < self.known.value
        if left and can_fork():  # retired, or ended idle before more came: another takes its place (else ``get`` renders the rest here)
            self._staff()

    def _arrived(self, sent: Sent) -> None:
        number, record, lengths, facts, rendered = sent
        if isinstance(record, str):
            self.failed[number] = record
            return
        if rendered:
            self.rendered.append(self.paths[number])
        if record is None:  # the earlier build's, as a worker found it: taken in as those found here are
            self._kept([(number, facts)])
            return
        self.store.put_record(self.paths[number], record, lengths, facts)
        self.received.add(number)
        if self.arrived is not None:
            self.arrived(self.paths[number], True)

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


Order = tuple[Any, Any, Any]
"""The pages the workers take, shared: (page numbers in order, how many are filled in, whether more may come)."""

WAIT_FOR_MORE = 0.002
"""How long a worker that found no page waits before it looks again while pages are still being asked about here."""

IDLE_END = 0.05
"""A worker that found no page for this long while pages are still being asked about here ends: another is forked
when the next page is left to make. Idle, it held its copy of every page of memory this process wrote to meanwhile
(after a merge at 10,000 orders a worker made an order's lists in 0.4 s, then waited 1.1 s for the ten thousand
dossiers to be asked about, and ended holding 300 MB of its own, beside the search's indexer)."""


def _take(taken: Any, order: Order) -> int | None:
    """The number of the next page of ``order`` nobody has taken, now taken; None when every page is and no more
    can come, or none came for ``IDLE_END`` while more can."""
    numbers, known, asking = order
    idle_until = time.monotonic() + IDLE_END
    while True:
        with taken.get_lock():
            step = taken.value
            if step < known.value:
                taken.value = step + 1
                return numbers[step]
            if not asking.value:
                return None
        if time.monotonic() > idle_until:
            return None
        time.sleep(WAIT_FOR_MORE)


def _make(plan: Plan, number: int, finish: Finish | None, skip: Skip | None) -> Sent:
    """Page ``number`` rendered and finished, as a worker sends it; a failure sends its traceback."""
    path, render = plan[number]
    try:
        finished = skip(path, render) if skip is not None else None
        if finished is not None:
            return (number, None, None, finished.facts, False)
        markdown = render()
        finished = finish(path, markdown) if finish is not None else None
        if isinstance(finished, Kept):
            return (number, None, None, finished.facts, True)
        if isinstance(finished, Finished):
            return (number, *finished.encode(markdown), True)
        return (number, *encode((markdown, finished)), None, True)
    except Exception:
        return (number, traceback.format_exc(), None, None, True)


def _own_pages() -> int:
    """Pages of memory this process touched first since it was forked (each a copy of the build's, or new): one
    system call, where reading the process's memory map took milliseconds."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def _render_taken(
    plan: Plan, order: Order, taken: Any, finish: Finish | None, skip: Skip | None, connection: Connection, inherited: list[Connection], retire
) -> None:
    """In a worker: take the next page nobody has taken, render (and finish) it, send it; until none is left, or
    until it has made its share (``RETIRE``), or a page failed."""
    for reader in inherited:  # the reading ends of the pipes: held open here, they would hide the build's end
        reader.close()
    pages, sent_bytes, own = retire
    touched = own // resource.getpagesize()  # pages of memory this process may come to hold of its own
    try:
        while pages > 0 and sent_bytes > 0 and _own_pages() < touched and (number := _take(taken, order)) is not None:
            sent = _make(plan, number, finish, skip)
            data = pickle.dumps(sent, pickle.HIGHEST_PROTOCOL)
            connection.send_bytes(data)
            if isinstance(sent[1], str):
                return  # reported when that page is asked for; this worker takes no more pages
            pages, sent_bytes = pages - (UNRENDERED if sent[1] is None and not sent[4] else 1), sent_bytes - len(data)
    except BrokenPipeError:  # the build stopped reading (it failed): nothing left to do
        return
    finally:
        connection.close()
