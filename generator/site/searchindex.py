"""The Pagefind search index, fed each page as the build converts it.

Running the Pagefind command over the finished site costs about 3 ms a page
after MkDocs is done. Pagefind also runs as a service (``pagefind --service``:
requests and answers are base64-encoded JSON separated by commas, the
protocol of its own Python and Node wrappers); this module hands it every
page the moment it is converted (``plugin``: as the page workers deliver
it), so the indexing runs beside the build, and only the writing of the
bundle is left at the end. (Pagefind's Python wrapper is not used: it sleeps 0.1 s
before reading each answer, which made 1,000 pages take 106 s here.)

Pages reach the service through a writer thread and a bounded queue, so
MkDocs never waits on the pipe unless Pagefind falls far behind.

A site is indexed in parts (``PartedIndex``): Pagefind holds every page it is
given and makes its bundle at about four times that (3 GB at 10,000 orders),
and makes every page again when one changed. A part holds the dossiers of up
to ``PART_ORDERS`` orders of one year, or a year's report pages, one more the
other pages (``part_of``); a part is
indexed by a Pagefind of its own once its last page is in, one part at a time,
and kept in the cache; a later build indexes again only the parts whose pages
changed — a part with a few pages changed, only those pages, spliced into its
last bundle (``PartedIndex._spliced``) —, and ``searchmerge`` joins the parts
into the one bundle the site publishes.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import marshal
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from functools import cache, partial
from importlib.metadata import version
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from generator.core import cachefile
from generator.core.files import leftovers, remove
from generator.core.processes import APART
from generator.records import load
from generator.site import bundleseal, escape


class SearchIndexError(RuntimeError):
    pass


@cache
def executable() -> str:
    """The Pagefind binary the ``pagefind[extended]`` package installed (the extended one segments Chinese)."""
    from pagefind.service import get_executable

    found = get_executable()
    if found is None:
        raise SearchIndexError("Pagefind's binary is missing: install the project again (it needs pagefind[extended])")
    return str(found)


def page_url(dest_uri: str) -> str:
    """The URL Pagefind's own crawler would give a page: site-absolute, without a trailing index.html."""
    url = "/" + dest_uri
    return url[: -len("index.html")] if url.endswith("/index.html") else url


_H1 = re.compile(r'<h1(?: id="[^"]*")?')
IGNORED = escape.UNSEARCHED
"""A region Pagefind takes nothing from, not even a filter or a meta: the text given to it is the same without it
(the reports' figures). A dossier's timeline is marked ``data-pagefind-ignore`` alone and left to Pagefind: cutting
it cost as much here as it saved Pagefind. Record text never holds a tag (``escape``), so no record can open or
close such a region."""


def _closing(content: str, at: int) -> int | None:
    """Where the ``<div>`` opened just before ``at`` ends (after its ``</div>``), counting the divs within."""
    depth = 1
    while depth:
        close = content.find("</div>", at)
        if close < 0:
            return None
        opened = content.find("<div", at, close)
        if opened >= 0:
            depth, at = depth + 1, opened + 4
        else:
            depth, at = depth - 1, close + 6
    return at


def without_ignored(content: str) -> str:
    """``content`` without its ``IGNORED`` regions, so Pagefind never parses them: a year's report pages took
    Pagefind 0.09 s ignoring their figures, 0.05 s without them (0.20 s indexing them). A page with none is looked
    through once (4 µs for a typical dossier of 14 KB, 19 µs for one of 138 KB)."""
    start = content.find(IGNORED)
    if start < 0:
        return content
    kept, done = [], 0
    while start >= 0:
        end = _closing(content, start + len(IGNORED))
        if end is None:
            break
        kept += [content[done:start], " "]
        done = end
        start = content.find(IGNORED, end)
    kept.append(content[done:])
    return "".join(kept)


def searchable(content: str, language: str) -> str:
    """A page's converted content as Pagefind would find it in the built page: the only indexed element.

    Three changes for the index alone (the published page is not touched): the page's title heading weighs
    most, so a query for an order id or a client's name finds that order's dossier first; a field's
    name, its value and a table's cells are kept apart, so an excerpt reads "客戶：宏遠物流 · 聯絡人：…"
    instead of running them together; and what Pagefind takes nothing from is not given to it (``without_ignored``)."""
    content = _H1.sub('<h1 data-pagefind-weight="10"', without_ignored(content), count=1)  # no id: no sub-result repeating the title
    colon = "：" if language.startswith("zh") else ": "
    # str.replace, not a regular expression calling back for each of a dossier's cells: this ran for every page
    # of every build, and was half of MkDocs' own pass over an unchanged site (8.7 of 30 s at 10,000 orders)
    content = content.replace("</dt>", f"</dt>{colon}").replace("</dd>", "</dd> · ").replace("</td>", "</td> · ").replace("</th>", "</th> · ")
    return f'<!doctype html><html lang="{language}"><head><meta charset="utf-8"></head><body><div data-pagefind-body>{content}</div></body></html>'


def _check_bundle(bundle: Path) -> None:
    """A bundle without Pagefind's entry file, or with an empty file, is never published."""
    try:
        entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SearchIndexError(f"the search index has no readable pagefind-entry.json ({exc.__class__.__name__})") from None
    if not isinstance(entry, dict) or "languages" not in entry:
        raise SearchIndexError("the search index's pagefind-entry.json names no languages")
    empty = sorted(p.relative_to(bundle).as_posix() for p in bundle.rglob("*") if p.is_file() and p.stat().st_size == 0)
    if empty:
        raise SearchIndexError(f"the search index has {len(empty)} empty file(s), e.g. {empty[0]}")


class SearchIndex:
    def __init__(self) -> None:
        self.process = subprocess.Popen([executable(), "--service"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        with contextlib.suppress(OSError, AttributeError):  # behind MkDocs and the page workers, which the build waits for;
            os.setpriority(os.PRIO_PROCESS, self.process.pid, 5)  # Pagefind catches up on what they leave (5,000 orders: −5 s)
        self.answers: dict[int, dict[str, Any]] = {}  # to the requests waited for (``_ask``), until taken
        self.answered = 0  # answers in, to any request (Pagefind answers each as it finishes it)
        self.indexed = 0  # pages the index begun last took
        self.errors: list[str] = []
        self.ended = False  # Pagefind's output has ended: no more answers will come
        self.closed = False  # close() was called: nothing more is sent
        self.arrived = threading.Condition()
        self.outbox: queue.Queue[bytes | None] = queue.Queue(maxsize=64)
        self.sent = 0
        self.asked: set[int] = set()
        self.reader = threading.Thread(target=self._read, daemon=True, name=f"{APART}pagefind-reader")
        self.writer = threading.Thread(target=self._write, daemon=True, name=f"{APART}pagefind-writer")
        self.reader.start()
        self.writer.start()
        self.index_id: int | None = None
        self.begin()

    def begin(self) -> None:
        """Start an index of its own (the one before deleted): each part of a site is indexed by the same Pagefind,
        which loads its Chinese segmenter once (0.2 s a part of Chinese pages otherwise)."""
        if self.index_id is not None:
            self._ask({"type": "DeleteIndex", "index_id": self.index_id})
        self._wait(self.sent)
        self.errors, self.indexed = [], 0
        self.index_id = self._ask({"type": "NewIndex", "config": None})["index_id"]

    def add(self, url: str, html: str) -> None:
        """Queue one page for indexing; returns at once."""
        self._send({"type": "AddFile", "index_id": self.index_id, "url": url, "file_path": None, "file_contents": html})

    def write(self, bundle: Path) -> int:
        """Wait for every page to be indexed, then write the bundle into ``bundle``; the number of pages indexed.

        Pagefind is asked for the files (``GetFiles``) and this process writes them. Asked to write them itself
        (``WriteFiles``), it answers before its last writes reach the disk, and may exit without them: under
        load, 4 writes in 40 left ``pagefind-entry.json`` empty, even after the process had ended."""
        self._wait(self.sent)  # the service answers requests as they finish: the last page may not be the last answer
        answer = self._ask({"type": "GetFiles", "index_id": self.index_id})
        if self.errors:
            raise SearchIndexError(f"Pagefind refused {len(self.errors)} page(s): {self.errors[0]}")
        files = answer.get("files")
        if answer.get("type") != "GetFiles" or not isinstance(files, list):
            raise SearchIndexError(f"Pagefind could not make the search index: {str(answer)[:500]}")
        for item in files:
            name = PurePosixPath(str(item.get("path", "")))
            if name.is_absolute() or not name.parts or ".." in name.parts:
                raise SearchIndexError(f"Pagefind named a file outside its bundle: {str(name)[:200]!r}")
            target = bundle.joinpath(*name.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(base64.b64decode(item.get("content", ""), validate=True))
        _check_bundle(bundle)
        return self.indexed

    def close(self) -> None:
        """Stop the service (again: nothing), also while pages are still being added from another thread."""
        self.closed = True
        with contextlib.suppress(queue.Full):  # full: the writer is stuck on the pipe until the kill below
            self.outbox.put_nowait(None)
        self.writer.join(timeout=5)
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.reader.join(timeout=5)
        for stream in (self.process.stdin, self.process.stdout):
            with contextlib.suppress(OSError, ValueError):
                stream.close()

    def __enter__(self) -> SearchIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the pipe ------------------------------------------------------------
    def _send(self, payload: dict[str, Any]) -> int:
        self.sent += 1
        message = base64.b64encode(json.dumps({"message_id": self.sent, "payload": payload}, ensure_ascii=False).encode()) + b","
        while not self.closed:
            with contextlib.suppress(queue.Full):
                self.outbox.put(message, timeout=0.2)
                return self.sent
        raise SearchIndexError("the search index was stopped")

    def _next(self) -> bytes | None:
        """The next message to send; None once the queue is ended or empty after close()."""
        while True:
            try:
                return self.outbox.get(timeout=0.2)
            except queue.Empty:
                if self.closed:
                    return None

    def _ask(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Send a request and wait for its answer."""
        with self.arrived:
            message_id = self.sent + 1
            self.asked.add(message_id)  # before it is sent: the answer may come before _send returns
        if self._send(payload) != message_id:
            raise SearchIndexError("the search index was asked from two threads at once")
        self._until(lambda: message_id in self.answers)
        with self.arrived:
            return self.answers.pop(message_id)

    def _wait(self, count: int) -> None:
        """Until requests 1 … ``count`` are all answered (as many answers as requests: each is answered once), or
        Pagefind has stopped."""
        self._until(lambda: self.answered >= count)

    def _until(self, done: Callable[[], bool]) -> None:
        with self.arrived:
            while not done() and not self.ended:
                self.arrived.wait(timeout=1)
                if self.process.poll() is not None and not self.reader.is_alive():
                    break
            if not done():
                raise SearchIndexError(f"Pagefind stopped (exit status {self.process.poll()})")

    def _write(self) -> None:
        stdin = self.process.stdin
        assert stdin is not None
        try:
            while (message := self._next()) is not None:
                stdin.write(message)
                stdin.flush()
        except (BrokenPipeError, ValueError):  # Pagefind stopped (_wait says so): keep emptying the queue so add() never blocks
            while self._next() is not None:
                pass
        finally:
            with contextlib.suppress(BrokenPipeError, ValueError):
                stdin.close()

    def _read(self) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        parts: list[bytes] = []  # of an answer not yet ended (the bundle's files come as one answer of tens of MB)
        try:
            while chunk := stdout.read1(1 << 20):
                start = 0
                while (end := chunk.find(b",", start)) >= 0:
                    parts.append(chunk[start:end])
                    self._answer(b"".join(parts))
                    parts, start = [], end + 1
                if start < len(chunk):
                    parts.append(chunk[start:])
        finally:
            with self.arrived:
                self.ended = True
                self.arrived.notify_all()

    def _answer(self, raw: bytes) -> None:
        try:
            answer = json.loads(base64.b64decode(raw))
        except ValueError:
            answer = {"payload": {"type": "Error", "message": f"an answer that is not Pagefind's protocol: {raw[:200]!r}"}}
        payload = answer.get("payload") or {}
        with self.arrived:
            if payload.get("type") == "Error":
                self.errors.append(str(payload.get("message")))
            elif payload.get("type") == "IndexedFile":
                self.indexed += 1
            message_id = answer.get("message_id")
            if message_id is not None:
                self.answered += 1
                if message_id in self.asked:
                    self.asked.discard(message_id)
                    self.answers[message_id] = payload
            self.arrived.notify_all()


_DOSSIER = re.compile(r"/dossiers/ORD-(\d{4})-(\d+)")
_REPORT = re.compile(r"/reports/(\d{4})(?:-Q[1-4]|-0[1-9]|-1[0-2])?\.html$")
"""A year's, a quarter's or a month's report page (``reports.period``'s labels)."""
OTHER_PAGES = "pages"
PART_ORDERS = 64
"""Orders of one year a part holds at most, by their number: a merged pull request indexes again the part of the
order it touched, and Pagefind took 7–9 s to index a year of 1,000 dossiers for one changed page; 250 dossiers
1.4 s, 125 dossiers 0.8 s (alone; beside the build's second edition 2.2–2.6 s, the last seconds of a merge). With
64 a merge at 10,000 orders took 8.30 against 8.77 s (125), six turns each, faster in six; a cold build of 1,000
orders was no slower (each part costs Pagefind about 27 ms of its own, 8 more parts there)."""


@cache  # asked of each page three times a build (foreseen, ranked, indexed): 30,000 times an edition at 10,000 orders
def part_of(url: str) -> str:
    """The part a page is indexed in: a dossier's order year and number range (``2021-03``: its orders 0192 to
    0255), a year's report pages (``reports-2021``: the year's, its quarters' and its months'), or the part of
    every other page. The reports had the other pages' part: a merge that changed a figure (a budget, a date)
    made a few report pages again, and Pagefind indexed all 173 of the edition's with them, 2.1–2.6 s an edition
    one after the other, the last seconds of the build (8.2–9.5 s at 10,000 orders, against 5.6–6.6 s for an
    edit no report reads). Since the figures are not searched (``without_ignored``), a changed figure indexes no
    report part again; a year's part is indexed again when its pages' words change (a new period, the day the
    notes are as of)."""
    found = _DOSSIER.match(url)
    if found:
        return f"{found.group(1)}-{int(found.group(2)) // PART_ORDERS:02d}"
    report = _REPORT.match(url)
    return f"reports-{report.group(1)}" if report else OTHER_PAGES


@cache
def _pagefind_version() -> str:
    return version("pagefind")


def _part_key(digests: Iterable[bytes]) -> str:
    """What a part's bundle is made of: its pages' digests (``page_digest``), whatever order they came in."""
    return hashlib.sha1(f"pagefind-part 3 {_pagefind_version()}".encode() + b"".join(sorted(digests))).hexdigest()


PAGES_FILE = ".pages"
"""In a part's bundle, sealed with it: its pages' URLs and digests in Pagefind's order (``_Spool.listed``)."""

SPLICED_AT_MOST = 4
"""A part with at most this many pages changed since its bundle was made is that bundle's pages around them and
Pagefind's of the changed pages alone, spliced (``_spliced``); more, and Pagefind indexes the part's pages again."""


def page_digest(url: str, data: bytes) -> bytes:
    """What a page gives its part's key: its URL and its searchable text (UTF-8), each with its length."""
    digest = hashlib.sha1(f"{len(url)}:{url}{len(data)}:".encode("utf-8", errors="surrogatepass"))
    digest.update(data)
    return digest.digest()


class _Spool:
    """One part's pages as they arrive, on disk, and the key of what they are (whatever order they came in).

    A page the last build indexed as it is (``add_kept``) gives only its digest: its text is fetched, in the
    thread that adds pages, only if another page of its part changed (``settle``).

    Pagefind numbers pages in the order it is given them, so they are given in the order of their URLs, however
    they came: the same pages make the same part, and the joined bundle's files are the last one's but where a
    page changed (fetched when settled, kept pages came after the changed ones, and the first merge after a
    full build packed the joined word index anew: 5.2 and 8.8 s of gzip in two such merges at 10,000 orders)."""

    def __init__(self, folder: Path, name: str) -> None:
        self.path = f"{folder}/{name}.pages"
        self.file: BinaryIO | None = None  # opened with the first page written: a part whose bundle fits writes none
        self.count = 0
        self.listing: list[tuple[str, bytes]] = []  # each page's URL and digest (``page_digest``), as they came
        self.waiting: list[tuple[str, Callable[[], str]]] = []
        self.stored: list[tuple[str, int]] = []  # each page's URL and where it starts in the file

    def add(self, url: str, html: str) -> bytes:
        digest = page_digest(url, self._write(url, html))
        self.listing.append((url, digest))
        self.count += 1
        return digest

    def add_kept(self, url: str, digest: bytes, text: Callable[[], str]) -> None:
        self.listing.append((url, digest))
        self.waiting.append((url, text))
        self.count += 1

    @property
    def key(self) -> str:
        return _part_key(digest for _, digest in self.listing)

    def listed(self) -> list[tuple[str, bytes]]:
        """Each page's URL and digest, in the order of the URLs: Pagefind's order of the part's pages."""
        return sorted(self.listing)

    def settle(self, cached: Callable[[str], bool]) -> bool | None:
        """Fetch the kept pages' text unless the part's bundle in the cache is made of these very pages (``cached``,
        given the part's key); whether it is, when there were kept pages to ask it for (None: not asked)."""
        if not self.waiting:
            return None
        fits = cached(self.key)
        if not fits:
            for url, text in self.waiting:
                self._write(url, text())
            self.waiting = []
        return fits

    def _write(self, url: str, html: str) -> bytes:
        """Pagefind leaves out every page without ``data-pagefind-body`` only when some page of the same index
        has one: each part would decide alone. ``searchable`` gives every page one."""
        if "data-pagefind-body" not in html:
            raise SearchIndexError(f"{url}: a page for the search index without data-pagefind-body")
        data = html.encode("utf-8", errors="surrogatepass")  # once, for the digest and the file alike
        if self.file is None:
            self.file = open(self.path, "wb")  # noqa: SIM115 -- open for the part's pages, closed by ``pages`` or ``close``
        self.stored.append((url, self.file.tell()))
        marshal.dump((url, data), self.file)
        return data

    def pages(self, only: set[str] | None = None) -> Iterator[tuple[str, str]]:
        """The part's pages in the order of their URLs (``only`` those of these URLs)."""
        if self.waiting:
            raise SearchIndexError("a part's kept pages were never fetched")
        self.close()
        if not self.stored:
            return
        with open(self.path, "rb") as stored:
            for _url, start in sorted(self.stored):
                if only is not None and _url not in only:
                    continue
                stored.seek(start)
                url, data = marshal.load(stored)
                yield url, data.decode("utf-8", errors="surrogatepass")

    def close(self) -> None:
        if self.file is not None:
            self.file.close()

    def discard(self) -> None:
        self.close()
        if self.stored:
            os.unlink(self.path)


class _Pagefinds:
    """The Pagefinds that index a build's parts, one part each at a time, the editions' parts too: a Pagefind holds
    70–140 MB while it indexes a part, and the first edition's last parts, indexed beside the next edition's own,
    made the peak of a cold build's memory (1,341 MB in all at 10,000 orders). So one indexes while the page
    workers and MkDocs' pass have the cores, and a second joins it once the last edition's pages are all made
    (``hurry``): from there Pagefind was the build's only work on one core of two, 3 s of a cold build of 1,000
    orders (15 s), the joining after it the last second. Each goes on from one part to the next while another
    part waits for it, so its Chinese segmenter is loaded once (0.2 s a part of Chinese pages otherwise), and
    stops when none does: idle, it keeps the 100-odd MB it grew to."""

    def __init__(self) -> None:
        self.state = threading.Condition()  # held while what follows is looked at or changed
        self.waiting = 0  # parts sent to be indexed, or looked up in the cache, that have not started
        self.busy = 0  # parts being indexed
        self.most = 1  # Pagefinds that may index at once (``HURRIED`` once hurried, until none is busy or waited for)
        self.idle: list[SearchIndex] = []  # started, indexing nothing
        self.warming = False  # a Pagefind being started ahead of the first part (``warm``)
        self.wanted = False  # what is being started ahead is still wanted: the build is not done (``cool``)
        self.reserved = 0  # the first parts the Pagefind started ahead is kept for, idle between them (``warm``)

    def expect(self) -> None:
        """One more part will start: ``part``, or ``passed`` (its bundle is the cache's, or it is cancelled)."""
        with self.state:
            self.waiting += 1

    def passed(self) -> None:
        with self.state:
            self.waiting -= 1
            self._settle()

    def warm(self, page: str, parts: int = 1) -> None:
        """A Pagefind started ahead of the build's first part, in a thread apart, and given ``page`` to index, so that it
        loads what a first page of that language makes it load (its Chinese segmenter: a first page took it 0.19 s, the
        next 0.02 s); kept for the first ``parts`` parts (``part``), idle between them, until the build is done
        (``cool``). Started as a merge's check ends, where the build's thread runs alone and the second core idles, it
        takes the segmenter's load off the way to the first edition's search joined; kept for the next edition's part
        (a merge changes one part an edition), it takes a Pagefind's start off the way to the last edition's join, the
        end of the build. Nothing where one is started or being started."""
        with self.state:
            if self.busy or self.idle or self.warming:
                return
            self.warming = self.wanted = True
        threading.Thread(target=self._warm, args=(page, parts), daemon=True, name=f"{APART}pagefind-warm").start()

    def _warm(self, page: str, parts: int) -> None:
        index, ready = None, False
        try:
            index = SearchIndex()
            index.add("/warm.html", page)
            index.begin()  # once the page is indexed: a new index, empty, for the part
            ready = True
        except Exception:  # whatever failed, the first part starts a Pagefind of its own, as before
            pass
        finally:  # however it ended: nothing waits for it any more
            with self.state:
                self.warming = False
                kept = ready and self.wanted
                if kept:
                    self.idle.append(index)
                    self.reserved = parts
                self.state.notify_all()
            if index is not None and not kept:  # failed, or the build is done
                index.close()

    def cool(self) -> None:
        """The build is done: a Pagefind started ahead that no part took is stopped (one still starting, once started)."""
        with self.state:
            self.wanted = False
            while self.warming:
                self.state.wait()
            self.reserved = 0
            self._settle()

    def hurry(self) -> None:
        """The build has nothing left to do but its search index: the parts still waiting are indexed two at a time."""
        with self.state:
            if self.busy or self.waiting > 0:
                self.most = HURRIED
                self.state.notify_all()

    @contextlib.contextmanager
    def part(self, owner: PartedIndex) -> Iterator[SearchIndex]:
        """A Pagefind with an index begun for one part, which ``owner.close`` can stop meanwhile."""
        with self.state:
            while self.busy >= self.most or self.warming:  # one being started ahead is this part's (``warm``)
                self.state.wait()
            self.waiting -= 1
            self.busy += 1
            index = self.idle.pop() if self.idle else None
            self.reserved = max(0, self.reserved - 1)
        try:
            if index is None or index.closed:
                index = SearchIndex()
            else:
                index.begin()
            owner.pagefinds.add(index)
            if owner.stopped:
                raise SearchIndexError("stopped")
            yield index
        except BaseException:
            if index is not None:
                index.close()  # whatever it holds is not the next part's
            raise
        finally:
            owner.pagefinds.discard(index)
            with self.state:
                self.busy -= 1
                if index is not None and not index.closed:
                    self.idle.append(index)
                self._settle()
                self.state.notify_all()

    def _settle(self) -> None:
        """Stop the idle Pagefinds no waiting part will take; calm again once no part is busy or waiting."""
        if not self.busy and self.waiting <= 0:
            self.most = 1
        keep = max(0, min(self.waiting + self.reserved, self.most - self.busy))
        while len(self.idle) > keep:
            self.idle.pop().close()

    @property
    def running(self) -> int:
        """Pagefinds started and not stopped (for the tests: none once a build is done)."""
        with self.state:
            return self.busy + len(self.idle)


HURRIED = 2
"""Pagefinds indexing at once once only the search index is left to make (``_Pagefinds.hurry``): one a core."""


_PAGEFIND = _Pagefinds()


def warm(page: str, parts: int = 1) -> None:
    """A Pagefind started now for the build's first ``parts`` parts, ``page`` indexed to load what its language needs
    (``_Pagefinds.warm``); ``cool`` once the build is done."""
    _PAGEFIND.warm(page, parts)


def cool() -> None:
    _PAGEFIND.cool()


CHECKED = ".checked"
"""Beside the parts: each part's key and ``bundleseal.bundle_signature`` when a build last found it as written."""
_CHECKED_VERSION = 1


def _end(process: subprocess.Popen) -> None:
    """A joining not needed (or no longer): stopped, and waited for."""
    with process:
        process.kill()
        process.communicate()


def _settled(signature: tuple, when: int) -> bool:
    """Whether every time in ``signature`` was older than ``load.SETTLED_NS`` at ``when``: a folder changed twice in
    one tick of the file system's clock keeps the first change's time."""
    return all(row[-1] < when - load.SETTLED_NS for row in signature)


class PartedIndex:
    """The search index made a part at a time (module docstring); ``add``, ``write_and_end``, ``close`` as
    ``SearchIndex``. ``store`` keeps each part's bundle for the next build; ``pages`` are the URLs the build
    foresees, so a part is indexed as soon as its last page is in (the others wait for ``write_and_end``), and,
    given where to (``join_early``), the parts are joined as soon as every page foreseen is in or left out.
    Small parts leave less to index after the last page: years taken together until a part had 500 dossiers
    made the cold build of 1,000 orders slower (19.5 s against 16.6 s, medians of 3), so no part holds more than
    a year, nor more than ``PART_ORDERS`` orders (``part_of``)."""

    def __init__(self, store: Path, pages: Iterable[str]) -> None:
        self.store = store
        store.mkdir(parents=True, exist_ok=True)
        executable(), _pagefind_version()  # looked up here: no import in the thread below while workers fork
        self.awaited = set(pages)  # foreseen, and neither in nor left out yet
        self.expected = Counter(map(part_of, self.awaited))
        self.spools: dict[str, _Spool] = {}
        self.parts: dict[str, Future[Path]] = {}
        self.indexed: list[str] = []
        """The parts Pagefind indexed in this build (the others were the cache's)."""
        self.temporary = tempfile.TemporaryDirectory(prefix="order-archive-search-")
        self.jobs = ThreadPoolExecutor(HURRIED, thread_name_prefix=f"{APART}pagefind-parts")
        self.joiner = ThreadPoolExecutor(1, thread_name_prefix=f"{APART}search-join")
        self.checked: dict[str, tuple] = cachefile.read(store / CHECKED, _CHECKED_VERSION, "") or {}  # ``_fits``
        self.fitting: dict[str, tuple] = {}  # what ``_fits`` found in this build, for the next
        self.pagefinds: set[SearchIndex] = set()  # indexing its parts (``_Pagefinds``)
        self.running: subprocess.Popen | None = None  # joining them
        self.ahead: tuple[list[str], subprocess.Popen] | None = None  # a joining started before the parts were had: its command
        self.telling = threading.Lock()  # the parts made, told to ``ahead`` by the threads making them (``_made``)
        self.aim: tuple[Path, str, Path | None, bool] | None = None  # ``join_early``'s
        self.early: tuple[tuple, list[str], Future[int]] | None = None  # the join begun early: for where, of which parts
        self.splicing: Any = None  # ``searchmerge``, once a part's bundle may be spliced (``_spliced``)
        self.stopped = False

    def add(self, url: str, html: str) -> bytes:
        """Spool a page for its part (a page without ``data-pagefind-body`` is refused: ``_Spool._write``). Returns
        the page's digest (``page_digest``), which a later build gives ``add_kept`` for the same page."""
        spool, name = self._spool(url)
        digest = spool.add(url, html)
        self._sent_if_whole(spool, name)
        self._in(url)
        return digest

    def add_kept(self, url: str, digest: bytes, text: Callable[[], str]) -> None:
        """A page whose searchable text has ``digest`` (as ``add`` returned it): ``text`` gives that text, and is
        called, before this method or ``send_rest`` returns, only if the part must be indexed again."""
        self.add_kept_many([(url, digest, text)], [])

    def add_kept_many(self, pages: list[tuple[str, bytes, Callable[[], str]]], left_out: list[str]) -> None:
        """``add_kept`` of each of ``pages`` and ``left_out`` of each of ``left_out``, the join started (if this
        completes the pages foreseen) once all are in: the pages the last build made, as a build finds them."""
        for url, digest, text in pages:
            spool, name = self._spool(url)
            spool.add_kept(url, digest, text)
            self._sent_if_whole(spool, name)
        self.awaited.difference_update([url for url, _, _ in pages])
        self.awaited.difference_update(left_out)
        self._join_if_all_in()

    def left_out(self, url: str) -> None:
        """A page foreseen that the index does not get (its Markdown keeps it out of search)."""
        self._in(url)

    def _in(self, url: str) -> None:
        self.awaited.discard(url)
        self._join_if_all_in()

    def _join_if_all_in(self) -> None:
        """The join begun, once told where (``join_early``) and every page foreseen is in or left out."""
        if not self.awaited and self.aim is not None and self.early is None:
            self._join_now()

    def join_early(self, bundle: Path, key: str, previous: Path | None = None, recycled: bool = False) -> None:
        """Join the parts into ``bundle`` as soon as every page foreseen is in or left out (``write_and_end``'s
        ``key``, ``previous`` and ``recycled``), not when ``write_and_end`` is called: a merge's build was done with
        its pages 0.2 s before MkDocs' pass was, and the joining of its last edition is the last of the build."""
        self.aim = (bundle, key, previous, recycled)
        if self.ahead is None and not self.stopped:
            command = self._command(bundle, key, previous, recycled)
            foreseen = [os.path.abspath(self.store / name) for name in sorted(self.expected)]
            self.ahead = (command, self._start([*command[:-1], "--ahead", command[-1], *foreseen], stdin=subprocess.PIPE))
        self._join_if_all_in()

    def _join_now(self) -> None:
        """Every part handed over (in the thread that adds pages: ``send_rest``), joined in a thread of its own."""
        self.send_rest()
        names = sorted(self.parts)
        self.early = (self.aim, names, self.joiner.submit(self._join, names, *self.aim))

    def _join(self, names: list[str], bundle: Path, key: str, previous: Path | None, recycled: bool) -> int:
        return self._merge([self.parts[name].result() for name in names], bundle, key, previous, recycled)

    def _spool(self, url: str) -> tuple[_Spool, str]:
        name = part_of(url)
        if name in self.parts:  # a page no count foresaw, after its part was sent: the other pages' part takes it …
            name, later = OTHER_PAGES, 1
            while name in self.parts:  # … or, sent already (``join_early``), a part after it: pages-2, pages-3 …
                later += 1
                name = f"{OTHER_PAGES}-{later}"
        spool = self.spools.get(name)
        if spool is None:
            spool = self.spools[name] = _Spool(Path(self.temporary.name), name)
        return spool, name

    def _sent_if_whole(self, spool: _Spool, name: str) -> None:
        if spool.count == self.expected.get(name) and name != OTHER_PAGES:
            self._send(name)

    def send_rest(self) -> None:
        """Hand over every part still waiting, in the thread that adds pages (their kept pages' text is fetched
        here, while whatever it comes from is open)."""
        for name in sorted(self.spools):
            self._send(name)

    def _send(self, name: str) -> None:
        spool = self.spools.pop(name)
        fits = spool.settle(partial(self._fits, name))
        if fits:  # the cache's bundle, made of these very pages: nothing for a thread to do (an edition has some 160)
            spool.discard()
            self.parts[name] = done = Future()
            done.set_result(self.store / name)
            return
        if self.splicing is None and os.path.exists(self.store / name / PAGES_FILE):  # its bundle may be spliced
            from generator.site import searchmerge  # here, not in the thread beside which page workers fork (16 ms, once)

            self.splicing = searchmerge
        _PAGEFIND.expect()
        self.parts[name] = self.jobs.submit(self._part, name, spool, fits is not None)

    def _part(self, name: str, spool: _Spool, asked: bool) -> Path:
        """The part's bundle: the cache's if it was made from these very pages (asked here unless ``asked`` when the
        part was settled, where it did not fit: ``_send`` takes a fitting part itself), else Pagefind's, kept for next time."""
        folder = self.store / name
        key = spool.key
        if not asked and self._fits(name, key):
            _PAGEFIND.passed()
            spool.discard()
            return folder
        staged = self.store / f".{name}.new.{os.getpid()}"
        shutil.rmtree(staged, ignore_errors=True)
        listed = spool.listed()
        with _PAGEFIND.part(self) as index:
            if not self._spliced(folder, listed, spool, staged, index):
                for url, html in spool.pages():
                    index.add(url, html)
                index.write(staged)
        spool.discard()
        (staged / PAGES_FILE).write_bytes(marshal.dumps(listed))
        bundleseal.seal_bundle(staged, key)
        old = self.store / f".{name}.old.{os.getpid()}"
        # Not files.replace_folder: it looks up a system call, importing as it does, in this thread,
        # beside which page workers fork. A moment without the part costs the next build its indexing, nothing else.
        if folder.exists():
            folder.rename(old)
        staged.rename(folder)
        self._made(folder)
        shutil.rmtree(old, ignore_errors=True)
        self.indexed.append(name)
        return folder

    def _made(self, folder: Path) -> None:
        """Tell the joining started ahead, if any, that the part in ``folder`` is made: it reads the part then, while
        the build goes on (``searchmerge.read_ahead``), not once every part is in. A joining that has ended is told
        nothing more: asked for its bundle at the end (``_merge``), it says what went wrong."""
        with self.telling:
            stdin = self.ahead[1].stdin if self.ahead is not None else None
            if stdin is not None:
                with contextlib.suppress(OSError, ValueError):
                    stdin.write(b"+" + os.fsencode(os.path.abspath(folder)) + b"\0")
                    stdin.flush()

    def _spliced(self, folder: Path, listed: list[tuple[str, bytes]], spool: _Spool, staged: Path, index: SearchIndex) -> bool:
        """Whether the part's bundle is made at ``staged`` from its last one (at ``folder``) and ``index``'s of the pages
        that changed since, alone: where the last one holds the same pages in the same order but at most
        ``SPLICED_AT_MOST`` (by its sealed list of them, ``PAGES_FILE``), and Pagefind gives the changed pages the
        meta fields the part has. Pagefind indexes each page on its own (``searchmerge.splice``); a merge's part of
        64 dossiers took it 0.26–0.33 s in English and 0.47 s in Chinese, the changed page alone 0.03 and 0.19 s (its
        segmenter loaded), the splice 0.06–0.10 s. Otherwise False, with nothing left at ``staged`` and ``index``
        begun again."""
        searchmerge = self.splicing
        if searchmerge is None:
            return False
        try:
            last = marshal.loads((folder / PAGES_FILE).read_bytes())
            if type(last) is not list or [url for url, _ in last] != [url for url, _ in listed]:
                return False
            changed = [i for i, ((_, before), (_, now)) in enumerate(zip(last, listed, strict=True)) if before != now]
            if not 0 < len(changed) <= SPLICED_AT_MOST or not bundleseal.bundle_fits(folder, _part_key(digest for _, digest in last)):
                return False
        except (OSError, ValueError, EOFError, TypeError):
            return False
        alone = Path(self.temporary.name) / f"{folder.name}.changed"
        shutil.rmtree(alone, ignore_errors=True)
        try:
            for url, html in spool.pages(only={listed[i][0] for i in changed}):
                index.add(url, html)
            index.write(alone)
            before, now = searchmerge.Part.open(folder, self._decoded), searchmerge.Part.open(alone)
            if now.meta[5] == before.meta[5]:  # else a field only the changed pages have, or had: the part's are Pagefind's to say
                pieces, start = [], 0
                for number, i in enumerate(changed):
                    pieces += [(before, start, i)] if start < i else []
                    pieces.append((now, number, number + 1))
                    start = i + 1
                pieces += [(before, start, len(listed))] if start < len(listed) else []
                searchmerge.splice(pieces, staged)
                return True
        except (OSError, ValueError, EOFError, TypeError, IndexError, searchmerge.BundleMergeError):
            pass  # what the last bundle or what a join kept of it holds is not as this reads it: Pagefind indexes the part
        finally:
            shutil.rmtree(alone, ignore_errors=True)
        shutil.rmtree(staged, ignore_errors=True)
        index.begin()
        return False

    def _fits(self, name: str, key: str) -> bool:
        """Whether the part's bundle in the cache was made for ``key`` and is as it was written (``bundleseal.bundle_fits``,
        which looks at each of its files). A part found so by an earlier build, whose folders and manifest are as
        they were then (``bundleseal.bundle_signature``) and were already older than ``load.SETTLED_NS`` then, fits
        without its files looked at: a merge's build asked it of some 180 unchanged parts, 20,000 files an edition
        at 10,000 orders, in the thread that takes in the pages (0.4 s an edition)."""
        folder = self.store / name
        signature = bundleseal.bundle_signature(folder)
        known = self.checked.get(name)
        if signature is not None and known is not None and known[:2] == (key, signature) and _settled(signature, known[2]):
            self.fitting[name] = known
            return True
        fits = bundleseal.bundle_fits(folder, key)
        if fits and signature is not None:
            self.fitting[name] = (key, signature, time.time_ns())
        return fits

    def hurry(self) -> None:
        """Nothing is left to make but the search index, every part sent (``send_rest``): the parts still waiting,
        every edition's, are indexed two at a time (``_Pagefinds.hurry``)."""
        _PAGEFIND.hurry()

    def write_and_end(self, bundle: Path, key: str, previous: Path | None = None, recycled: bool = False) -> int:
        """Index the parts still waiting, then join every part into ``bundle`` and seal it for ``key``; the number
        of pages in it. ``previous``: the last build's joined bundle, whose files are linked where they are this one's;
        ``recycled``: ``bundle`` may hold the site before last's, made into this one (``searchmerge._Recycled``)."""
        try:
            self.send_rest()
            names, count = sorted(self.parts), None
            if self.early is not None:  # begun as the last page came in (``join_early``)
                aim, joined, joining = self.early
                done = joining.result()
                if (aim, joined) == ((bundle, key, previous, recycled), names):
                    count = done
                elif aim[0] == bundle:  # pages no count foresaw came since: joined again, into what that join left
                    recycled = True
            if count is None:
                count = self._merge([self.parts[name].result() for name in names], bundle, key, previous, recycled)
            cachefile.write(self.store / CHECKED, _CHECKED_VERSION, "", {name: self.fitting[name] for name in self.parts if name in self.fitting})
            gone = [p for p in self.store.iterdir() if not p.name.startswith(".") and p.name not in self.parts]  # a year no page has now
            gone += [p for p in self._decoded.glob("*.words") if p.name.removesuffix(".words") not in self.parts]
            for stale in gone + leftovers(self.store, ".*.new.*") + leftovers(self.store, ".*.old.*") + leftovers(self._decoded, ".*.tmp"):
                remove(stale)  # and what killed builds left
            return count
        finally:
            self.close()

    @property
    def _decoded(self) -> Path:
        """Where each part's join keeps what it read of the part for the next (``searchmerge._Kept``)."""
        return self.store / ".decoded"

    def _merge(self, folders: list[Path], bundle: Path, key: str, previous: Path | None = None, recycled: bool = False) -> int:
        """In a process of its own, which seals the bundle for ``key`` too: joining and sealing are CPU work that
        would hold this process's lock from MkDocs (the seal 0.14 s an edition after a merge at 10,000 orders, its
        files' hashes taken from the parts' manifests). The process ``join_early`` started for these very options,
        where there is one, is given the parts: it has started Python and opened the parts it foresaw meanwhile
        (about 0.2 s of the last joining of a merge's build at 10,000 orders, timed inside it)."""
        command, paths = self._command(bundle, key, previous, recycled), [os.path.abspath(p) for p in folders]
        with self.telling:
            ahead, self.ahead, given = self.ahead, None, None
        if ahead is not None and ahead[0] == command:
            merging, given = ahead[1], b"".join(os.fsencode(path) + b"\0" for path in paths)
        else:
            if ahead is not None:
                _end(ahead[1])
            merging = self._start([*command, *paths])
        with merging:
            self.running = merging
            if self.stopped:
                merging.kill()
            out, err = merging.communicate(given)
        if merging.returncode != 0:
            raise SearchIndexError(f"the search index's parts could not be joined: {err.decode(errors='replace').strip()[-500:] or merging.returncode}")
        return int(out)

    def _command(self, bundle: Path, key: str, previous: Path | None, recycled: bool) -> list[str]:
        """The joining's command but for the parts, its bundle last. ``-P`` and a folder of its own: ``python -m``
        puts the working folder first on the module path, and a build runs in the archive, where anyone can commit a
        ``generator/`` folder."""
        last = ["--previous", os.path.abspath(previous)] if previous is not None and previous.is_dir() else []
        last += ["--recycled"] if recycled else []
        last += ["--seal", key, "--decoded", os.path.abspath(self._decoded)]
        return [sys.executable, "-P", "-m", "generator.site.searchmerge", *last, os.path.abspath(bundle)]

    def _start(self, command: list[str], stdin: int | None = None) -> subprocess.Popen:
        """In a process group of its own: Ctrl-C at the terminal is the command's to handle (it stops this one)."""
        return subprocess.Popen(command, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, process_group=0, cwd=self.temporary.name)

    def close(self) -> None:
        """Stop whatever Pagefind or joining still runs (again: nothing)."""
        self.stopped = True
        for future in self.parts.values():
            if future.cancel():
                _PAGEFIND.passed()
        for indexing in list(self.pagefinds):
            indexing.close()
        running = self.running
        if running is not None and running.poll() is None:
            running.kill()
        with self.telling:
            ahead, self.ahead = self.ahead, None
        if ahead is not None:
            _end(ahead[1])
        self.jobs.shutdown(wait=True)
        self.joiner.shutdown(wait=True)
        for spool in self.spools.values():
            spool.close()
        self.temporary.cleanup()
