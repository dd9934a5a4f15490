"""Where a build keeps its pages: on disk, one record a page, read back only when MkDocs needs a part of it.

At 10,000 orders the pages are over a gigabyte of Markdown and HTML. MkDocs
converts every page before it writes any, so a build that holds them all
in memory peaks at the very end with every page twice (its own copy for
the page cache, and MkDocs'). Here a worker encodes each page into its
record (``encode``), the build appends the bytes as they arrive without
reading them (``PageFile``), and MkDocs gets each page's source when it
reads the page and its HTML when it writes it. Once every page is in, the
file is sealed as the next build's page cache (``StoredPages`` reads it).

A record is the Markdown (UTF-8), the conversion without its HTML
(marshal), then the HTML (UTF-8): the HTML, most of a record, is read only
when the page is written.

Beside each record the index keeps its ``Facts``: what a later build needs
to know, without reading the record, whether the page it makes is this one
(``site.reuse``). A record an earlier build sealed stays in that build's file,
which the new index names beside the new file (``copy_from``): a merged pull
request makes 14 pages of 10,224 an edition, and copying the others into a
new file wrote 900 MB a merge. A cache is therefore a few files; ``seal``
copies the records of a file that is mostly dead, or of the smallest once
there are more than ``MAX_FILES``.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import tempfile
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.core import cachefile
from generator.core.files import leftovers

Delivered = tuple[str, Any]
"""A page: its Markdown, and what the conversion made of it (a tuple whose third item is the HTML), or None
where MkDocs converts it itself."""

Lengths = tuple[int, int, int]
"""A record's parts: the Markdown, the conversion without its HTML, the HTML (bytes each; -1: the conversion
has no HTML to set apart, and is whole in the second part)."""

Facts = tuple
"""(digest of the Markdown, digest of the whole record, the file lookups its conversion made, digest of what the
page was rendered from where the renderer says — ``render.Planned``), then, once the build has been through the
page, the digest of its searchable text (``searchindex.page_digest``; "" when it is not searched), set only when
its conversion said nothing and links to no anchor, so a later build may leave it out of MkDocs' pass (``QUIET``):
see ``site.reuse``."""

QUIET = 4
"""Where a page's facts keep its searchable digest (``Facts``)."""

Entry = tuple[int, Lengths, "Facts | None", int]
"""Where a record is in its file, its parts, its facts (None: a page MkDocs converted itself, never reused), and
which of the store's files holds it (0: the build's own)."""

MAX_FILES = 4
"""The most files one page cache is kept in: its own, and earlier builds' whose records it left where they were."""

_HTML = 2  # where the HTML is in a conversion


@dataclass(frozen=True)
class Finished:
    """A worker's conversion of a page, with what a later build needs to know to reuse it."""

    conversion: Any
    markdown_digest: str
    lookups: tuple
    inputs: str | None = None

    def encode(self, markdown: str) -> tuple[bytes, Lengths, Facts]:
        record, lengths = encode((markdown, self.conversion))
        return record, lengths, (self.markdown_digest, hashlib.sha1(record).hexdigest(), self.lookups, self.inputs)


@dataclass(frozen=True)
class Kept:
    """A worker found that an earlier build's record of this page holds: the build copies it across (``copy_from``)."""

    facts: Facts


def encode(delivered: Delivered) -> tuple[bytes, Lengths]:
    """A page as one record (in a worker, so the build only has to write the bytes)."""
    markdown, finished = delivered
    source = markdown.encode("utf-8", "surrogatepass")
    if isinstance(finished, tuple) and len(finished) > _HTML and isinstance(finished[_HTML], str):
        rest = marshal.dumps((*finished[:_HTML], None, *finished[_HTML + 1 :]))
        html = finished[_HTML].encode("utf-8", "surrogatepass")
        return source + rest + html, (len(source), len(rest), len(html))
    rest = marshal.dumps(finished)
    return source + rest, (len(source), len(rest), -1)


def _decode(record: bytes, lengths: Lengths, html: bool) -> Delivered:
    source, rest, apart = lengths
    finished = marshal.loads(record[source : source + rest])
    if apart >= 0 and html:
        finished = (*finished[:_HTML], record[source + rest :].decode("utf-8", "surrogatepass"), *finished[_HTML + 1 :])
    return record[:source].decode("utf-8", "surrogatepass"), finished


class _Records:
    """Records in a few files, found through an index of (offset, lengths, facts, file)."""

    def __init__(self, fds: list[int], index: dict[str, Entry]):
        self.fds, self.index = fds, index

    def get(self, path: str, html: bool = True) -> Delivered:
        """The page; without ``html`` its conversion has None where the HTML would be (read it with ``html``)."""
        offset, lengths, _, file = self.index[path]
        size = lengths[0] + lengths[1] + (max(lengths[2], 0) if html else 0)
        return _decode(self._read(file, offset, size), lengths, html)

    def html(self, path: str) -> str:
        offset, (source, rest, html), _, file = self.index[path]
        return self._read(file, offset + source + rest, html).decode("utf-8", "surrogatepass")

    def conversion(self, path: str) -> Any:
        """The page's conversion with None where its HTML is, read alone (neither its Markdown nor its HTML)."""
        offset, (source, rest, _), _, file = self.index[path]
        return marshal.loads(self._read(file, offset + source, rest))

    def facts(self, path: str) -> Facts | None:
        entry = self.index.get(path)
        return None if entry is None else entry[2]

    def quiet(self, path: str) -> str | None:
        """The page's searchable digest when a later build may leave it out of MkDocs' pass (``Facts``), else None."""
        facts = self.facts(path)
        return facts[QUIET] if facts is not None and len(facts) > QUIET else None

    def _read(self, file: int, offset: int, size: int) -> bytes:
        data = os.pread(self.fds[file], size, offset)
        if len(data) != size:
            raise OSError(f"the page file ends {size - len(data)} bytes early")
        return data

    def _close_files(self) -> None:
        for fd in self.fds:
            with contextlib.suppress(OSError):
                os.close(fd)
        self.fds = []


def _size(lengths: Lengths) -> int:
    return lengths[0] + lengths[1] + max(lengths[2], 0)


class PageFile(_Records):
    """A cold build's pages, appended as they arrive: a file in the cache folder (an unnamed temporary file where
    that folder cannot be written, and then nothing is kept)."""

    def __init__(self, root: Path, language: str):
        self.folder, self.language = cachefile.folder(root), language
        self.path: Path | None = None
        self.handle = None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            for stale in leftovers(self.folder, ".site-*.tmp"):  # what killed builds left
                stale.unlink(missing_ok=True)
            self.path = self.folder / f".site-{language}.pages.{os.getpid()}.tmp"
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
        except OSError:
            self.path = None
            self.handle = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close)
            fd = self.handle.fileno()
        super().__init__([fd], {})
        self.end = 0
        self.shared: list[tuple[str, int]] = []  # earlier builds' sealed files holding records of this one: name, size

    def put(self, path: str, delivered: Delivered) -> None:
        self.put_record(path, *encode(delivered))

    def put_record(self, path: str, record: bytes, lengths: Lengths, facts: Facts | None = None) -> None:
        view = memoryview(record)
        while view:
            written = os.pwrite(self.fds[0], view, self.end + len(record) - len(view))
            view = view[written:]
        self.index[path] = (self.end, lengths, facts, 0)
        self.end += len(record)

    def copy_from(self, other: _Records, path: str, facts: Facts | None = None) -> None:
        """The record ``other`` holds for ``path``, with ``facts`` (by default, the ones it had): left in its file
        where ``other`` is a cache sealed in this file's folder (this one's seal names that file), else appended
        unread (the kernel copies it from file to file)."""
        self.copy_many(other, [(path, facts)])

    def copy_many(self, other: _Records, pages: list[tuple[str, Facts | None]]) -> None:
        """``copy_from`` of each (path, facts) of ``pages``: after a merge, nearly every page of the build (each of
        ``other``'s files numbered here once)."""
        index, theirs, shares, numbers = self.index, other.index, self._shares(other), {}
        for path, facts in pages:
            offset, lengths, had, file = theirs[path]
            facts = had if facts is None else facts
            if not shares:
                index[path] = self._append_copy(other.fds[file], offset, lengths, facts, path)
                continue
            number = numbers.get(file)
            if number is None:
                number = numbers[file] = self._share(other, file)
            index[path] = (offset, lengths, facts, number)

    def _shares(self, other: _Records) -> bool:
        """Whether ``other``'s records stay in its files: a cache sealed in this file's folder."""
        return self.path is not None and isinstance(other, StoredPages) and other.folder == self.folder

    def _share(self, other: StoredPages, file: int) -> int:
        """The number this store gives ``other``'s file ``file`` (named beside this one when it is sealed)."""
        name, size = other.files[file]
        if (name, size) not in self.shared:
            self.shared.append((name, size))
            self.fds.append(os.dup(other.fds[file]))
        return 1 + self.shared.index((name, size))

    def _append_copy(self, fd: int, offset: int, lengths: Lengths, facts: Facts | None, path: str) -> Entry:
        size, copied = _size(lengths), 0
        while copied < size:
            done = os.copy_file_range(fd, self.fds[0], size - copied, offset + copied, self.end + copied)
            if done == 0:
                raise OSError(f"the page file of an earlier build ends early at {path}")
            copied += done
        self.end += size
        return (self.end - size, lengths, facts, 0)

    def note_quiet(self, path: str, searched: str) -> None:
        """The page's conversion said nothing and links to no anchor; ``searched``: its searchable digest (``Facts``)."""
        offset, lengths, facts, file = self.index[path]
        if facts is not None:
            self.index[path] = (offset, lengths, (*facts[:QUIET], searched), file)

    def _compact(self) -> None:
        """Copy into this file the records left in an earlier file that is more than half dead (its pages made
        again since: the cache stays within twice the size of its pages), and in the smallest of the others
        beyond ``MAX_FILES`` (a cache of a few files, however many builds it went through)."""
        live: Counter[int] = Counter()
        for _offset, lengths, _facts, file in self.index.values():
            live[file] += _size(lengths)
        shared = [n for n in range(1, len(self.fds)) if live[n] and 2 * live[n] >= self.shared[n - 1][1]]
        keep = sorted(sorted(shared, key=lambda n: live[n], reverse=True)[: MAX_FILES - 1])
        if keep == list(range(1, len(self.fds))):
            return
        for path, (offset, lengths, facts, file) in self.index.items():
            if file and file not in keep:
                self.index[path] = self._append_copy(self.fds[file], offset, lengths, facts, path)
        number = {old: new for new, old in enumerate([0, *keep])}
        self.index = {path: (offset, lengths, facts, number[file]) for path, (offset, lengths, facts, file) in self.index.items()}
        for n in range(1, len(self.fds)):
            if n not in number:
                os.close(self.fds[n])
        self.fds = [self.fds[n] for n in [0, *keep]]
        self.shared = [self.shared[n - 1] for n in keep]

    def seal(self, key: str, rows: list[tuple], reuse: Any = None, order: list[str] | None = None) -> None:
        """Keep the pages as the page cache for ``key`` (``rows``: the problems; ``reuse``: what ``site.reuse``
        keeps beside them; ``order``: the pages' order for a build from the cache, else as they arrived): the
        file under a name of its own, then the index that names it, written atomically, so a reader finds an old
        pair or a new pair."""
        if self.path is None:
            return
        if order is not None and set(order) == set(self.index):
            self.index = {path: self.index[path] for path in order}
        try:
            self._compact()
            os.fsync(self.fds[0])
            kept = self.folder / f"site-{self.language}-{uuid.uuid4().hex[:16]}.pages"
            os.rename(self.path, kept)
            self.path = kept
            files = [(kept.name, self.end), *self.shared]
            cachefile.write(_index_file(self.folder, self.language), _VERSION, key, (files, self.index, rows, reuse))
            named = {name for name, _ in files}
            for stale in self.folder.glob(f"site-{self.language}-*.pages"):
                if stale.name not in named:
                    stale.unlink(missing_ok=True)  # a build still reading it keeps it open: unlinking is safe
            self.path = None  # sealed: closing keeps it
        except OSError:
            pass

    def close(self) -> None:
        if self.handle is not None:
            self.fds = self.fds[1:]
            self.handle.close()
        self._close_files()
        if self.path is not None:  # never sealed: the pages of a build that did not finish
            self.path.unlink(missing_ok=True)
            self.path = None


class MemoryPages:
    """The same interface, in memory: what a page stream keeps when it is given no page file (tests, small uses)."""

    def __init__(self) -> None:
        self.pages: dict[str, Delivered] = {}

    def put(self, path: str, delivered: Delivered) -> None:
        self.pages[path] = delivered

    def put_record(self, path: str, record: bytes, lengths: Lengths, facts: Facts | None = None) -> None:
        self.pages[path] = _decode(record, lengths, html=True)

    def copy_from(self, other: _Records, path: str, facts: Facts | None = None) -> None:
        self.pages[path] = other.get(path)

    def copy_many(self, other: _Records, pages: list[tuple[str, Facts | None]]) -> None:
        for path, _facts in pages:
            self.pages[path] = other.get(path)

    def get(self, path: str, html: bool = True) -> Delivered:
        return self.pages[path]

    def html(self, path: str) -> str:
        return self.pages[path][1][_HTML]

    def close(self) -> None:
        self.pages = {}


class StoredPages(_Records):
    """The page cache of an earlier build, read a page at a time."""

    def __init__(self, fds: list[int], index: dict[str, Entry], problems: list, key: str, reuse: Any, sealed: tuple = (), folder: Path | None = None):
        super().__init__(fds, index)
        self.problems, self.key, self.folder = problems, key, folder
        self.reuse: dict = reuse if isinstance(reuse, dict) else {}  # what ``site.reuse`` kept beside the pages
        self.sealed = sealed  # the index file's payload as read, for ``remember``

    @property
    def files(self) -> list[tuple[str, int]]:
        """The cache's files, as sealed: name and size (the index's file numbers count from the first)."""
        return self.sealed[0] if self.sealed else []

    def remember(self, root: Path, language: str, reuse: Any) -> None:
        """Keep these pages for the same key, with what ``site.reuse`` learnt from this build (its HTML files)."""
        if self.sealed:
            files, index, rows, _ = self.sealed
            cachefile.write(_index_file(cachefile.folder(root), language), _VERSION, self.key, (files, index, rows, reuse))

    @classmethod
    def open(cls, root: Path, language: str, key: str | None) -> StoredPages | None:
        """The pages an earlier build sealed for ``key`` (None: the last build's, whatever its key), or None
        (no such cache, or it is not whole)."""
        folder = cachefile.folder(root)
        found = cachefile.read_keyed(_index_file(folder, language), _VERSION)
        if found is None or key not in (None, found[0]):
            return None
        fds: list[int] = []
        try:
            files, index, rows, reuse = found[1]
            for name, size in files:
                if Path(name).name != name or not name.endswith(".pages"):
                    raise ValueError(name)
                fds.append(os.open(folder / name, os.O_RDONLY))
                if os.fstat(fds[-1]).st_size != size:
                    raise ValueError(f"{name} is not the size it was sealed at")
            entries = {path: (offset, tuple(lengths), facts, file) for path, (offset, lengths, facts, file) in index.items()}
            if any(not 0 <= entry[3] < len(fds) for entry in entries.values()):
                raise ValueError("a page in a file the cache does not name")
        except (OSError, TypeError, ValueError):
            for fd in fds:
                os.close(fd)
            return None
        return cls(fds, entries, cachefile.problems_from(rows), found[0], reuse, found[1], folder)

    def close(self) -> None:
        self._close_files()


_VERSION = 6


def _index_file(folder: Path, language: str) -> Path:
    """One page cache per language: the editions of one build would otherwise replace each other's pages."""
    return folder / f"site-{language}.marshal"
