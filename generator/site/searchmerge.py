"""One Pagefind bundle joined from bundles of parts of the site.

Pagefind makes its bundle in memory from every page it was given, at about four times what the pages take
once read (3 GB for the 10,000 dossiers of one edition), and from every page again when one changed. The
site is therefore indexed a part at a time (``searchindex.PartedIndex``: a part per range of an order year's
orders, one for the other pages), and this module joins the parts' bundles into the one bundle readers
download, as Pagefind would have made it from all the pages at once: a query still fetches one metadata file
and the chunks of its own words, whatever the number of parts.

Pagefind 1.5's format, read in its source (``pagefind/src/index``, ``src/output``): every data file is the
gzip of ``pagefind_dcd`` and one CBOR value, named by its language and the start of its SHA-1;

- the metadata ``pagefind.<hash>.pf_meta``: [version, pages [[fragment hash, word count]], word-index chunks
  [[first word, last word, hash]], filters [[name, hash]], sorts, meta fields];
- a word-index chunk ``index/<hash>.pf_index``: [[[word, pages, variants]]], words in code-point order;
  a page is [page number, locations, meta-field locations], the page numbers of one word (or of one variant
  ``[form, pages]``) each the difference from the one before;
- a filter ``filter/<hash>.pf_filter``: [name, [[value, [page numbers]]]];
- a page's fragment ``fragment/<hash>.pf_fragment``: JSON, kept as it is (the joined bundle names them otherwise:
  ``_fragments``).

Joining numbers the pages of each part after those of the parts before it: only the first page of each
word in each part changes, every location is copied as it is.

The same joining splices a part's bundle from runs of others' pages (``splice``): the last bundle of a part
around the pages a merge changed, and Pagefind's index of those pages alone.

What a join reads of a part (its words, its pages' fragment digests) can be kept for the next join
(``decoded``): a part is the cache's until one of its pages changes, and a merged pull request changes one
part, so reading all the others again was most of what joining did. What a join made is recorded there too,
and the next join makes again only the word-index chunks whose words changed (``searchpatch``).
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import heapq
import io
import itertools
import json
import marshal
import os
import re
import shutil
import sys
import zlib
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

import cbor2
from zlib_ng import gzip_ng, zlib_ng

from generator.core.files import write_whole
from generator.core.processes import APART
from generator.site import bundleseal, searchpatch

SIGNATURE = b"pagefind_dcd"
PACKING = 5
"""The deflate level of the files a join writes, by zlib-ng. The English word index at 10,000 orders (663 chunks,
33.8 MB unpacked) packs in 0.40 s to 8.32 MB, where zlib at Pagefind's level 6 took 1.54 s for 8.40 MB (zlib-ng at 6:
0.63 s, 8.24 MB); the Chinese one likewise (0.48 against 1.77 s, 10.17 against 10.20 MB). A merged pull request
that moves a dossier's words writes about 280 chunks an edition again, and a cold build all of them."""

UNREADABLE = (OSError, EOFError, gzip.BadGzipFile, zlib.error, zlib_ng.error)
"""What reading a data file that is not one (missing, cut short, damaged) raises, besides ``BundleMergeError``."""
CHUNK_SIZE = 20_000  # Pagefind's own measure of a chunk: its words' pages and locations


class BundleMergeError(RuntimeError):
    pass


def unpack(path: Path) -> bytes:
    """What one of Pagefind's data files holds (CBOR, or a fragment's JSON), unzipped, its signature checked."""
    return unpacked(path.read_bytes(), path.name)


def unpacked(packed: bytes, name: str) -> bytes:
    """``unpack`` of a file's bytes already read."""
    data = gzip_ng.decompress(packed)  # zlib-ng's: 2.7 times as fast as gzip's (a merge unpacks 280 word-index chunks an edition)
    if not data.startswith(SIGNATURE):
        raise BundleMergeError(f"{name} is not a Pagefind data file")
    return data[len(SIGNATURE) :]


def read(path: Path) -> Any:
    """One of Pagefind's data files, decoded."""
    return cbor2.loads(unpack(path))


def write(path: Path, data: bytes) -> None:
    """CBOR (``cbor2.dumps``: definite lengths, smallest integers, as Pagefind's decoder reads) as Pagefind stores it."""
    path.write_bytes(_packed(SIGNATURE + data))


def _packed(data: bytes) -> bytes:
    """``data`` gzipped (no name, no time: the same bytes give the same file)."""
    return zlib_ng.compress(data, PACKING, wbits=31)


_GZIP_HEADER = _packed(b"")[:10]


def _same(previous: Path, data: bytes) -> bool:
    """Whether the last bundle's file holds ``data`` as ``write`` would store it: the same gzip header, and the
    same bytes once unpacked (unpacking is a fifth of packing; a merged pull request changes 2 of 350 word-index
    chunks at 10,000 orders, and packing them all again was a quarter of joining). A file that is anything else —
    missing, damaged, a name two contents share — is written anew."""
    try:
        if previous.is_symlink():
            return False
        packed = previous.read_bytes()
        return packed[:10] == _GZIP_HEADER and gzip_ng.decompress(packed) == SIGNATURE + data
    except UNREADABLE:
        return False


@dataclass
class Part:
    """One part's bundle, its pages numbered from ``offset`` in the joined bundle; ``kept``: what the last join
    read of it, if that join read these very files (else what this join reads is recorded for the next)."""

    folder: Path
    language: str
    entry: dict
    meta: list
    offset: int = 0
    kept: _Kept | None = None
    found: dict[str, tuple[int, int]] | None = None
    """Each data file's (inode, device) as ``_key`` found it (by its path as text), for ``_Recycled.keeps``."""

    @classmethod
    def open(cls, folder: Path, decoded: Path | None = None) -> Part:
        entry = json.loads((folder / "pagefind-entry.json").read_text(encoding="utf-8"))
        languages = entry.get("languages") or {}
        if len(languages) != 1:
            raise BundleMergeError(f"{folder.name}: a part must hold one language, not {sorted(languages)}")
        [(language, about)] = languages.items()
        meta_file = folder / f"pagefind.{about['hash']}.pf_meta"
        meta = read(meta_file)
        if not (isinstance(meta, list) and len(meta) == 6 and str(meta[0]).startswith("1.5")):
            raise BundleMergeError(f"{folder.name}: Pagefind {entry.get('version')}'s bundles are not the format this program joins (1.5)")
        if meta[4]:
            raise BundleMergeError(f"{folder.name}: pages sorted by data-pagefind-sort cannot be joined")
        part = cls(folder, language, entry, meta)
        if decoded is not None:
            part.kept = _Kept.open(decoded / f"{folder.name}.words", part._key(meta_file), len(meta[2]))
        return part

    @property
    def pages(self) -> list:
        return self.meta[1]

    def fragment_digests(self) -> list[str]:
        """The SHA-1 of each page's fragment (Pagefind names a fragment by its start)."""
        if self.kept is not None and self.kept.fragments is not None:
            return self.kept.fragments
        digests = [hashlib.sha1(unpack(self.folder / "fragment" / f"{fragment}.pf_fragment")).hexdigest() for fragment, _ in self.pages]
        if self.kept is not None:
            self.kept.record(digests)
        return digests

    def words(self, index: int) -> Iterator[tuple[str, int, _Word]]:
        """(word, this part's index, its entry) in code-point order, one chunk in memory at a time."""
        if self.kept is not None and self.kept.words():
            for chunk in self.kept.chunks():
                for word, pages, variants in chunk:
                    yield word, index, _Word.kept(word, pages, variants)
            return
        for _first, _last, name in self.meta[2]:
            words = list(_words(unpack(self.folder / "index" / f"{name}.pf_index"), name))
            if self.kept is not None:
                self.kept.record([(w.word, tuple(w.pages), [(form, tuple(pages)) for form, pages in w.variants]) for w in words])
            for word in words:
                yield word.word, index, word

    def filters(self) -> Iterator[tuple[str, Any, list[int]]]:
        """(filter, value, the pages having it) for each filter value of the part, its pages numbered in the part."""
        for _filter, name in self.meta[3]:
            filter_name, filter_values = read(self.folder / "filter" / f"{name}.pf_filter")
            for value, pages in filter_values:
                yield filter_name, value, pages

    def _key(self, meta_file: Path) -> bytes:
        """What the part's files are: its metadata (which names each chunk, filter and fragment by the start of its
        content's SHA-1) and each such file's size and time, so a file written again since is read again."""
        key = hashlib.sha1(_KEPT_FORMAT + meta_file.read_bytes())
        names = [f"index/{name}.pf_index" for _, _, name in self.meta[2]] + [f"fragment/{name}.pf_fragment" for name, _ in self.pages]
        folder = os.fspath(self.folder)  # as text: ``pathlib`` for each of 10,000 files was a quarter of a merge's join, profiled
        self.found = found = {}
        for name in names:
            path = f"{folder}/{name}"
            about = os.stat(path)
            found[path] = (about.st_ino, about.st_dev)
            key.update(f"{name}\0{about.st_size}\0{about.st_mtime_ns}\n".encode())
        return key.digest()


@dataclass
class Slice(Part):
    """A run of a part's pages, ``start`` to ``stop`` (not included), numbered from 0: its words, fragments and
    filter values are the part's for those pages (``splice``), read as the part reads them (what the last join
    kept of it, where it did: ``Part.kept``)."""

    source: Part | None = None
    start: int = 0
    stop: int = 0

    @classmethod
    def of(cls, part: Part, start: int, stop: int) -> Slice:
        if not 0 <= start < stop <= len(part.pages):
            raise BundleMergeError(f"{part.folder.name}: no pages {start} to {stop} in its {len(part.pages)}")
        meta = [*part.meta]
        meta[1] = part.meta[1][start:stop]
        return cls(part.folder, part.language, part.entry, meta, found=part.found, source=part, start=start, stop=stop)

    def fragment_digests(self) -> list[str]:
        assert self.source is not None
        return self.source.fragment_digests()[self.start : self.stop]

    def words(self, index: int) -> Iterator[tuple[str, int, _Word]]:
        assert self.source is not None
        for word, _, entry in self.source.words(index):
            pages = _sliced(entry.pages, self.start, self.stop)
            variants = [(form, run) for form, form_pages in entry.variants if (run := _sliced(form_pages, self.start, self.stop)).count]
            if pages.count:
                yield word, index, _Word(word, pages, variants)
            elif variants:
                raise BundleMergeError(f"{self.folder.name}: the word {word!r} has forms on pages it is not on")

    def filters(self) -> Iterator[tuple[str, Any, list[int]]]:
        assert self.source is not None
        for filter_name, value, pages in self.source.filters():
            inside = [page - self.start for page in pages if self.start <= page < self.stop]
            if inside:
                yield filter_name, value, inside


def _sliced(pages: _Pages, start: int, stop: int) -> _Pages:
    """A word's pages ``start`` to ``stop`` of ``pages``, numbered from ``start``: the entries copied as bytes, each
    page's number but the first written again (entries hold the difference from the page before)."""
    if not pages.count:
        return pages
    if start <= pages.first and pages.last < stop:  # every page inside: numbered from the run's start, nothing read
        return pages._replace(first=pages.first - start, last=pages.last - start)
    inside = [(number - start, rest, size) for number, rest, _, size in _entries(pages) if start <= number < stop]
    if not inside:
        return _Pages(0)
    first, first_rest, _ = inside[0]
    out, last = [], first
    for number, rest, _ in inside[1:]:
        out += [b"\x83", _encode_head(0, number - last), rest]
        last = number
    return _Pages(len(inside), first, first_rest, b"".join(out), last, sum(size for _, _, size in inside))


def _entries(pages: _Pages) -> Iterator[tuple[int, bytes, bytes, int]]:
    """Each page of a word's entry: its number, its entry after the number (its locations and meta locations, as
    bytes), the entry whole as read (its number the difference from the page before; none for the first page, whose
    number is ``pages.first``) and the size Pagefind counts for it (``_Pages.size``)."""
    first = _ONE_ENTRY.match(b"\x83\x00" + pages.first_rest)
    if first is None or first.end() != len(first.string):
        raise BundleMergeError("a page entry that is not Pagefind's")
    yield pages.first, pages.first_rest, b"", 1 + _number(first.group(2)) + _number(first.group(3))
    number, at, rest = pages.first, 0, pages.rest
    while at < len(rest):
        found = _ONE_ENTRY.match(rest, at)
        if found is None:
            raise BundleMergeError("a page entry that is not Pagefind's")
        number += _number(found.group(1))
        yield number, rest[found.end(1) : found.end()], found.group(0), 1 + _number(found.group(2)) + _number(found.group(3))
        at = found.end()


_KEPT_FORMAT = f"order-archive searchmerge kept 2 {sys.version_info[:2]}".encode()


class _Kept:
    """What a join read of one part, in a file of its own: a header (format, the part's key, and the SHA-1 and
    length of each of the two sections after it), then ``marshal``'s form of the fragments' digests, then of each
    chunk's words. A section is used only whole and for the same key; anything else (another part's, cut short,
    damaged) is read from the part again and written anew. 10,000 orders: decoding an edition's parts took 4.6 and
    4.8 s, loading them so 0.4 and 0.7 s.

    Opening reads the header and the fragments' digests; the words, only when a join asks for them (``words``):
    a merged pull request changes one part, and every join read and checked all the parts' words (50 MB an
    edition at 10,000 orders) for the one it patches."""

    def __init__(self, path: Path, key: bytes, chunk_count: int) -> None:
        self.path, self.key, self.chunk_count = path, key, chunk_count
        self.fragments: list[str] | None = None
        self.body: bytes | None = None
        self.at: tuple[int, bytes, int] | None = None  # where the words are in the file, their SHA-1 and length, until read
        self.recorded: list[bytes] = []  # the fragments' digests (where not kept), then each chunk's words, as read

    @classmethod
    def open(cls, path: Path, key: bytes, chunk_count: int) -> _Kept:
        kept = cls(path, key, chunk_count)
        try:
            with path.open("rb") as file:
                header = marshal.load(file)
                if type(header) is not tuple or header[:3] != (_KEPT_FORMAT, key, chunk_count) or len(header) != 7:
                    return kept
                digest, length, body_digest, body_length = header[3:]
                fragments = file.read(length)
                if (hashlib.sha1(fragments).digest(), len(fragments)) == (digest, length):
                    kept.fragments, kept.at = marshal.loads(fragments), (file.tell(), body_digest, body_length)
        except (OSError, EOFError, ValueError, TypeError, IndexError):
            pass
        return kept

    def words(self) -> bool:
        """Whether the part's words are kept: read now (once), and checked against their SHA-1."""
        if self.body is None and self.at is not None:
            at, digest, length = self.at
            self.at = None
            with contextlib.suppress(OSError):
                with self.path.open("rb") as file:
                    file.seek(at)
                    data = file.read(length)
                if (hashlib.sha1(data).digest(), len(data)) == (digest, length):
                    self.body = data
        return self.body is not None

    def chunks(self) -> Iterator[list]:
        assert self.body is not None
        stream = io.BytesIO(self.body)  # each reading its own: a part spliced around a page is read once a run, at once
        for _ in range(self.chunk_count):
            yield marshal.load(stream)

    def record(self, value: Any) -> None:
        if len(self.recorded) < self.chunk_count + (self.fragments is None):  # read twice (a patch given up), recorded once
            self.recorded.append(marshal.dumps(value))

    def save(self) -> None:
        """Write what this join read of the part, once it read all of it: nothing where the file holds it (its words
        unread, or read and sound); the fragments kept and the words read anew where only the words were damaged."""
        if self.fragments is not None and (self.at is not None or self.body is not None):
            return
        recorded = self.recorded if self.fragments is None else [marshal.dumps(self.fragments), *self.recorded]
        if len(recorded) != 1 + self.chunk_count:
            return
        fragments, body = recorded[0], b"".join(recorded[1:])
        header = marshal.dumps((_KEPT_FORMAT, self.key, self.chunk_count, *_digest(memoryview(fragments)), *_digest(memoryview(body))))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_whole(self.path, header + fragments + body)


def _digest(body: memoryview) -> tuple[bytes, int]:
    return hashlib.sha1(body).digest(), len(body)


class _Names:
    """File names as Pagefind makes them: the language, then the shortest SHA-1 start no other file has."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.taken: dict[str, str] = {}

    def name(self, digest: str) -> str:
        for length in range(7, len(digest) + 1):
            name = f"{self.language}_{digest[:length]}"
            if self.taken.setdefault(name, digest) == digest:
                return name
        raise BundleMergeError(f"two files of the search index have the same SHA-1 {digest}")


@dataclass(frozen=True)
class _Bundle:
    """The bundle being written, and the last joined bundle, whose files it links where they are the same;
    ``recycled``: the files found in the folder before (the site before last's bundle), kept where linked."""

    folder: Path
    previous: Path | None = None
    recycled: _Recycled | None = None

    @classmethod
    def begun(cls, out: Path, previous: Path | None, recycled: bool) -> _Bundle:
        """A bundle to write at ``out``, a new folder, or with ``recycled`` the folder there if there is one."""
        if recycled and (out.is_symlink() or (out.exists() and not out.is_dir())):  # a planted file or link: never followed
            out.unlink()
        found = None
        if recycled and out.is_dir():
            try:
                found = _Recycled(out)
            except OSError:  # a folder in it that cannot be listed: what the spare saves costs this join nothing more
                shutil.rmtree(out)
        if found is None:
            out.mkdir(parents=True)
        return cls(out, previous, found)

    def write(self, relative: str, data: bytes) -> None:
        """``data`` at ``relative`` (``write``); linked from the last bundle's file there if that file is this one."""
        path = self.folder / relative
        previous = None if self.previous is None else self.previous / relative
        if previous is not None and _same(previous, data):
            self.link(previous, path)
            return
        self.fresh(path)
        write(path, data)

    def link(self, source: Path | str, target: Path | str, found: tuple[int, int] | None = None) -> None:
        """``source`` at ``target``; ``found``: ``source``'s (inode, device) as its part's key found it."""
        if self.recycled is None or not self.recycled.keeps(source, target, found):
            _link(source, target)

    def fresh(self, target: Path) -> None:
        """Nothing at ``target``: a file is written there as a new file."""
        if self.recycled is not None:
            self.recycled.clear(target)

    def mkdir(self, relative: str) -> Path:
        path = self.folder / relative
        if self.recycled is not None:
            self.recycled.clear(path, folder=False)
        path.mkdir(parents=True, exist_ok=self.recycled is not None)
        return path

    def finish(self) -> None:
        """Every file and folder found and not kept, deleted (``_Recycled.finish``): the bundle is written."""
        if self.recycled is not None:
            self.recycled.finish()


class _Recycled:
    """A bundle folder of the site before last (``spare``) made into this join's bundle, instead of deleting its
    ten thousand files and linking as many again: at 10,000 orders a merge keeps every fragment but those of the
    edited order's part, and every word-index chunk it does not write again.

    Nothing in it is trusted as content. A file is kept only where it is the very file (device and inode) this
    join links there; any other file this join puts at its name is written or linked as a new file after the
    one found there is deleted (it may be a file of the live site: written into, it would change that site in
    place); whatever the join does not put there is deleted at the end (``finish``). Links are never followed:
    a link in the folder is a file, never kept."""

    def __init__(self, folder: Path) -> None:
        self.device = os.stat(folder, follow_symlinks=False).st_dev
        self.files: dict[str, int] = {}  # path → inode
        self.folders: set[str] = set()
        stack = [os.fspath(folder)]
        while stack:
            current = stack.pop()
            self.folders.add(current)
            with os.scandir(current) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
                    else:
                        self.files[entry.path] = entry.inode()  # a link's own: never a file's it links

    def keeps(self, source: Path | str, target: Path | str, found: tuple[int, int] | None = None) -> bool:
        """Whether ``target`` is ``source`` already (it stays); else nothing is at ``target`` any more. ``found``:
        ``source``'s (inode, device) as its part's key was made (``Part._key``), not asked again (10,000 fragments a
        join at 10,000 orders): a part's files are never written again in its folder, which the join found the
        same (``_opened``), and the join reads the part as that key found it."""
        path = os.fspath(target)
        inode = self.files.get(path)
        if inode is not None:
            if found is None:
                about = os.stat(source)  # as ``os.link`` follows it
                found = (about.st_ino, about.st_dev)
            if found == (inode, self.device):
                del self.files[path]
                return True
        self.clear(path)
        return False

    def forget(self, folder: Path) -> None:
        """Nothing found under ``folder`` is there any more (a patch given up: ``_Chunker.discard``)."""
        prefix = os.path.join(folder, "")
        self.files = {path: inode for path, inode in self.files.items() if not path.startswith(prefix)}
        self.folders = {path for path in self.folders if not path.startswith(prefix)}

    def clear(self, target: Path | str, folder: bool = True) -> None:
        """Nothing found at ``target`` is there any more: a file deleted, a folder too (unless ``folder`` is False:
        a folder is wanted there), with all it holds."""
        path = os.fspath(target)
        if self.files.pop(path, None) is not None:
            os.unlink(path)
        elif folder and path in self.folders:
            shutil.rmtree(path)
            self.folders.discard(path)
            self.forget(target)

    def finish(self) -> None:
        """Delete every file found that the join did not keep, then every folder found that is left empty."""
        for path in self.files:
            with contextlib.suppress(FileNotFoundError):  # under a folder the join cleared (``_Chunker.discard``)
                os.unlink(path)
        self.files = {}
        for folder in sorted(self.folders, key=len, reverse=True):  # a folder after every folder in it (their paths are longer)
            with contextlib.suppress(OSError):  # not empty: the join's
                os.rmdir(folder)


def merge(
    folders: list[Path],
    out: Path,
    previous: Path | None = None,
    decoded: Path | None = None,
    recycled: bool = False,
    opened: dict[Path, tuple[tuple, Part]] | None = None,
) -> int:
    """Join the bundles in ``folders`` (each one language, the same) into a new bundle ``out``; its page count.
    ``previous``: the last joined bundle, whose data files are linked where they are this bundle's (``write``).
    ``decoded``: a folder where what this join reads of each part is kept for the next (``_Kept``), by the part's
    folder name (one name, one part). ``recycled``: ``out`` may be a folder of the site before last, made into
    this bundle (``_Recycled``); else it must not exist. ``opened``: parts opened before (``opened_ahead``)."""
    return _join([_opened(folder, decoded, opened or {}) for folder in folders], out, previous, decoded, recycled)


def splice(pieces: list[tuple[Part, int, int]], out: Path) -> int:
    """A part's bundle at ``out`` (a new folder) made of runs of other bundles' pages: each (part, start, stop)
    gives that opened bundle's pages ``start`` to ``stop`` (not included), numbered on after the runs before; its
    page count. Pagefind indexes each page on its own — a word's entry for a page, the page's fragment and its
    filter values are the same whatever pages it is given with (``searchindex`` relies on it: a part with one page
    changed is the last one's pages around that page, Pagefind's for the page alone, spliced) —, so the bundle
    reads as Pagefind's would for those pages in that order, though its files are laid out as a join lays them.
    A part opened with ``decoded`` (``Part.open``) is read from what the last join kept of it."""
    return _join([Slice.of(part, start, stop) for part, start, stop in pieces], out, flat=True)


def _join(parts: list[Part], out: Path, previous: Path | None = None, decoded: Path | None = None, recycled: bool = False, flat: bool = False) -> int:
    """``merge`` of the parts opened."""
    if not parts:
        raise BundleMergeError("no part to join")
    language, version = parts[0].language, parts[0].meta[0]
    offset = 0
    for part in parts:
        if (part.language, part.meta[0]) != (language, version):
            raise BundleMergeError(f"{part.folder.name}: Pagefind {part.meta[0]} in {part.language}, not {version} in {language}")
        part.offset, offset = offset, offset + len(part.pages)
    fields = sorted({field for part in parts for field in part.meta[5]})
    renumber = [None if part.meta[5] == fields else {i: fields.index(f) for i, f in enumerate(part.meta[5])} for part in parts]
    bundle = _Bundle.begun(out, previous, recycled)
    bundle.mkdir("index")
    _copy_scripts(parts[0].folder, bundle)
    pages = _fragments(parts, bundle, flat)
    last = searchpatch.Join.last(decoded, previous, language) if decoded is not None and previous is not None else None
    # Compressing lets go of the interpreter's lock: the joining goes on. Named apart: a part spliced in the build's
    # process packs while the next edition begins, which forks its page workers only beside such threads.
    with ThreadPoolExecutor(2, thread_name_prefix=f"{APART}search-pack") as packers:
        chunker = _Chunker(bundle, _Names(language), packers)
        if last is None or not searchpatch.patch(last, parts, fields, renumber, chunker):
            if last is not None:
                chunker.discard()  # what a patch given up wrote and named
            _word_index(parts, renumber, chunker)
        chunks = chunker.finish()
    filters = _filters(parts, bundle, chunker.names)
    meta = cbor2.dumps([version, pages, chunks, filters, [], fields])
    meta_name = f"{language}_{hashlib.sha1(meta).hexdigest()[: len(language) + 8]}"
    bundle.write(f"pagefind.{meta_name}.pf_meta", meta)
    entry = dict(parts[0].entry)
    entry["languages"] = {language: {**parts[0].entry["languages"][language], "hash": meta_name, "page_count": len(pages)}}
    bundle.fresh(out / "pagefind-entry.json")
    (out / "pagefind-entry.json").write_text(json.dumps(entry, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    bundle.finish()
    for part in parts:
        if part.kept is not None:
            part.kept.save()
    if decoded is not None:  # after the parts' words: a record names them by their keys
        searchpatch.Join.record(decoded, out, version, meta, meta_name, parts, fields, renumber, chunker.chunks, chunker.layouts)
    return len(pages)


def opened_ahead(folders: list[Path], decoded: Path | None) -> dict[Path, tuple[tuple, Part]]:
    """The parts in ``folders`` that can be opened now, each with what its folder was (``_identity``): a join started
    before the build has every part (``main``'s ``--ahead``) opens those it foresees while the build makes the rest.
    A folder that cannot be opened now is left to the join (Pagefind may be writing it)."""
    opened = {}
    for folder in folders:
        identity = _identity(folder)
        try:
            part = Part.open(folder, decoded) if identity is not None else None
        except Exception:  # opened again when joined, where its fault is reported
            continue
        if part is not None and _identity(folder) == identity:
            opened[folder] = (identity, part)
    return opened


def _opened(folder: Path, decoded: Path | None, opened: dict[Path, tuple[tuple, Part]]) -> Part:
    """The part in ``folder``: as opened before, where its folder is still the one opened then, else opened now."""
    early = opened.pop(folder, None)
    if early is not None and early[0] == _identity(folder):
        return early[1]
    return Part.open(folder, decoded)


def _given(stream: BinaryIO, decoded: Path | None, opened: dict[Path, tuple[tuple, Part]]) -> list[Path]:
    """The parts to join, as ``main --ahead`` is given them: each folder ended by a NUL, up to the stream's end. A
    folder begun by ``+`` is a part Pagefind has just made while the build goes on: it is read at once
    (``read_ahead``), not joined for that."""
    folders: list[Path] = []
    pending = b""
    while chunk := stream.read1(1 << 16):
        *records, pending = (pending + chunk).split(b"\0")
        for record in records:
            if record.startswith(b"+"):
                made = Path(os.fsdecode(record[1:]))
                opened.pop(made, None)
                if decoded is not None:
                    read_ahead(made, decoded)
            else:
                folders.append(Path(os.fsdecode(record)))
    return folders


def read_ahead(folder: Path, decoded: Path) -> None:
    """What a join reads of the part in ``folder`` read now and kept in ``decoded`` (``_Kept``), as the part is made:
    the join, once every part is in, loads it instead of decoding Pagefind's files then, after the last part was
    indexed (decoding took 4.6–4.8 s an edition at 10,000 orders, loading 0.4–0.7 s). A part the last join kept
    something of is left to the join: a merge's join patches the joined index by comparing the changed part with
    what the last join kept of it (``searchpatch``), which this would write over. A part that cannot be read is
    left to the join too, which opens it again and says what is wrong with it."""
    with contextlib.suppress(Exception):
        part = Part.open(folder, decoded)
        if part.kept is not None and not os.path.lexists(part.kept.path):
            part.fragment_digests()
            for _ in part.words(0):
                pass
            part.kept.save()


def _identity(folder: Path) -> tuple | None:
    """What says a part's folder is still the one opened: Pagefind writes a part anew into a folder of its own and
    renames it into place (``searchindex.PartedIndex._part``), so the folder, and the entry file in it, are others."""
    try:
        about, entry = os.stat(folder, follow_symlinks=False), os.stat(folder / "pagefind-entry.json", follow_symlinks=False)
    except OSError:
        return None
    return about.st_dev, about.st_ino, about.st_ctime_ns, entry.st_ino, entry.st_size, entry.st_mtime_ns, entry.st_ctime_ns


def relink(source: Path, out: Path, recycled: bool = False) -> None:
    """The bundle ``source`` at ``out``, every file linked (copied where it cannot be): the last build's bundle,
    when its pages are this build's. ``recycled``: as ``merge``'s; the site before last's bundle, most of whose
    files are the last one's, was 11,000 files deleted and linked again an edition at 10,000 orders."""
    bundle = _Bundle.begun(out, None, recycled)
    stack = [""]
    while stack:
        relative = stack.pop()
        with os.scandir(source / relative) as entries:
            for entry in entries:
                name = f"{relative}{entry.name}"
                if entry.is_dir(follow_symlinks=False):
                    bundle.mkdir(name)
                    stack.append(f"{name}/")
                else:
                    bundle.link(Path(entry.path), out / name)
    bundle.finish()


def _copy_scripts(first: Path, out: _Bundle) -> None:
    """Pagefind's scripts, styles and WebAssembly: the same in every part."""
    for path in first.iterdir():
        if path.is_file() and not path.name.endswith(".pf_meta") and path.name != "pagefind-entry.json" and not path.name.startswith("."):
            out.link(path, out.folder / path.name)


def _fragments(parts: list[Part], out: _Bundle, flat: bool = False) -> list:
    """Every page's fragment, linked as ``fragment/<set>/<number>``: ``<set>`` is the start of the SHA-1 of its
    part's name and of every fragment of the part in order, ``<number>`` the page's in its part. A name always
    means one content, as a name by the fragment's own SHA-1 does, so browsers and hosts that keep Pagefind's
    files for long cannot show an old page's excerpt for a new one; and a part's fragments keep their names
    until one of them changes, so a join into the site before last's bundle (``_Recycled``) finds every other
    part's folder in place (a set for the whole bundle changed with every edit: 10,324 files linked again a join).

    Every query downloads the metadata, which names every page's fragment: Pagefind's names (its language and the
    start of the fragment's SHA-1, which packs to about five bytes a page) were 50 of its 78 KB at 10,000 orders;
    counted names share the rest of the set's name and pack to about two."""
    pages, sets = [], set()
    if flat:
        out.mkdir("fragment")
    for part in parts:
        digests = part.fragment_digests()
        every = hashlib.sha1(f"{part.folder.name}\n{len(digests)}\n".encode())
        for digest in digests:
            every.update(bytes.fromhex(digest))
        folder = every.hexdigest()[:10]
        if folder in sets:
            raise BundleMergeError(f"two parts' fragments are named {folder}")
        sets.add(folder)
        # ``flat``: ``<set>-<number>``, in a part's bundle (``splice``), one deep as Pagefind's (``bundleseal.bundle_signature``)
        if not flat:
            out.mkdir(f"fragment/{folder}")
        target, source, joint = os.fspath(out.folder / "fragment"), os.fspath(part.folder / "fragment"), "-" if flat else "/"
        found = part.found or {}
        for number, ((fragment, word_count), _digest) in enumerate(zip(part.pages, digests, strict=True)):
            path = f"{source}/{fragment}.pf_fragment"  # as text, as in ``Part._key``
            out.link(path, f"{target}/{folder}{joint}{number}.pf_fragment", found.get(path))
            pages.append([f"{folder}{joint}{number}", word_count])
    return pages


def _word_index(parts: list[Part], renumber: list[dict | None], chunker: _Chunker) -> None:
    """Every part's words merged in order, each word's entries joined, cut into chunks (``_Chunker``)."""
    merged = heapq.merge(*(part.words(i) for i, part in enumerate(parts)), key=lambda w: w[0])
    for word, group in itertools.groupby(merged, key=lambda w: w[0]):
        entries = [(parts[i].offset, renumber[i], entry) for _, i, entry in group]
        chunker.add(word, _joined(word, entries), sum(entry.pages.size for _, _, entry in entries))


class Chunk(NamedTuple):
    """A chunk of the joined word index as the join that wrote it recorded it (``searchpatch``): its first and
    last words whole, the SHA-1 of its content, its file's name, the weight of its first word (``_Chunker``)."""

    first: str
    last: str
    digest: str
    name: str
    first_weight: int


Layout = tuple[tuple[str, ...], tuple[int, ...], tuple[int, ...]]
"""A chunk's words in order, the length of each one's entry and its weight (``_Chunker``): where each entry is in
the chunk, without reading it (``searchpatch``)."""


class _Chunker:
    """The joined word index cut into chunks and written.

    A query loads the whole chunk of each of its words, found by these first and last words. Pagefind closes a
    chunk once it reaches ``CHUNK_SIZE`` and writes each bound as the shortest start that tells two chunks
    apart: a light word came with the heavy word that filled its chunk (0001 with 01, a part of every date),
    and a word past a shortened last word (1111 after 11, for 1199) fell between two chunks, so the query
    loaded every chunk that might hold words it begins. At 50,000 orders an order number's query took 300 KB
    more for these. Here a word heavier than a quarter of a chunk has a chunk of its own, and the last word is
    written whole: a word of the index is in exactly one chunk's range, a light word's chunk holds light words.

    Whatever the words before it, a chunk starts empty: a chunk whose words are the last join's, met where a
    chunk starts, is the last join's chunk (``searchpatch`` links it, unread)."""

    def __init__(self, out: _Bundle, names: _Names, packers: ThreadPoolExecutor) -> None:
        self.out, self.names, self.packers = out, names, packers
        self.chunks: list[Chunk] = []
        self.layouts: list[Layout | None] = []  # each chunk's, beside it (None: not known)
        self.written: list[Future] = []
        self.words: list[str] = []
        self.entries: list[bytes] = []
        self.weights: list[int] = []
        self.size = 0

    @property
    def pending(self) -> bool:
        """Whether a chunk is begun (the next word may close it)."""
        return bool(self.entries)

    def closes_before(self, weight: int) -> bool:
        """Whether a word of ``weight`` added next closes the chunk begun before it is added."""
        return self.pending and (weight >= CHUNK_SIZE // 4 or self.size + weight > CHUNK_SIZE)

    def add(self, word: str, entry: bytes, weight: int) -> None:
        heavy = weight >= CHUNK_SIZE // 4
        if self.closes_before(weight):
            self.close()
        self.entries.append(entry)
        self.words.append(word)
        self.weights.append(weight)
        self.size += weight
        if heavy or self.size >= CHUNK_SIZE:
            self.close()

    def close(self) -> None:
        """End the chunk begun (nothing if none is)."""
        if not self.entries:
            return
        data = b"".join([b"\x81", _encode_head(4, len(self.entries)), *self.entries])
        digest = hashlib.sha1(data).hexdigest()
        name = self.names.name(digest)
        self.written.append(self.packers.submit(self.out.write, f"index/{name}.pf_index", data))
        self.chunks.append(Chunk(self.words[0], self.words[-1], digest, name, self.weights[0]))
        self.layouts.append((tuple(self.words), tuple(map(len, self.entries)), tuple(self.weights)))
        self.words, self.entries, self.weights, self.size = [], [], [], 0

    def link(self, chunk: Chunk, source: Path, layout: Layout | None = None) -> None:
        """A chunk of the last join, its file ``source`` (checked by the caller), where no chunk is begun."""
        assert not self.entries
        name = self.names.name(chunk.digest)
        self.out.link(source, self.out.folder / "index" / f"{name}.pf_index")
        self.chunks.append(chunk._replace(name=name))
        self.layouts.append(layout)

    def discard(self) -> None:
        """Forget every chunk and the names given, and remove the files written (a patch given up: ``searchpatch``)."""
        for done in self.written:
            done.exception()  # waited for; what failed is written anew
        shutil.rmtree(self.out.folder / "index", ignore_errors=True)
        (self.out.folder / "index").mkdir()
        if self.out.recycled is not None:
            self.out.recycled.forget(self.out.folder / "index")
        self.names = _Names(self.names.language)
        self.chunks, self.layouts, self.written = [], [], []
        self.words, self.entries, self.weights, self.size = [], [], [], 0

    def finish(self) -> list:
        """The chunks' metadata [[first, last, name]], once every chunk is on disk."""
        self.close()
        for done in self.written:
            done.result()  # a file that could not be written fails the joining
        listed = [[chunk.first, chunk.last, chunk.name] for chunk in self.chunks]
        for before, after in itertools.pairwise(listed):
            common = next((i for i, (a, b) in enumerate(zip(before[1], after[0], strict=False)) if a != b), min(len(before[1]), len(after[0])))
            after[0] = after[0][: common + 1]  # the shortest start that tells it from the chunk before
        return listed


# -- word entries as bytes -------------------------------------------------------------------------------------
# Decoding every location into Python and encoding it again took 18 of the 21 s that joining the 10,000 dossiers
# of one edition took. A page's entry is copied as bytes instead; only the number of each word's first page in a
# part is read and written again. Regular expressions find where entries end: an entry is
# [page number, [location…], [meta location…]], integers and array heads have bytes of their own, so the match
# is exact and runs in C.

_INT = rb"(?:[\x00-\x17\x20-\x37]|[\x18\x38].|[\x19\x39]..|[\x1a\x3a]....)"
_ARRAY = rb"(?:[\x80-\x97]|\x98.|\x99..|\x9a....)"


def _entry(open_: bytes) -> bytes:
    """A page entry; ``open_`` opens its page number and the heads of its two arrays (a group, or not)."""
    return rb"\x83" + open_ + _INT + rb")" + open_ + _ARRAY + rb")" + _INT + rb"*" + open_ + _ARRAY + rb")" + _INT + rb"*"


_ONE_ENTRY = re.compile(_entry(b"("), re.DOTALL)  # groups: the page number, the heads of the two arrays of locations
_ENTRIES = re.compile(rb"(?:" + _entry(b"(?:") + rb")*", re.DOTALL)


class _Heads(dict):
    """The argument of a CBOR head (an unsigned integer's value, an array's length) by the head's bytes: looked up
    in C for the millions of heads of an index, each worked out once."""

    def __missing__(self, head: bytes) -> int:
        self[head] = value = head[0] & 31 if head[0] & 31 < 24 else int.from_bytes(head[1:], "big")
        return value


_HEADS = _Heads()
_number = _HEADS.__getitem__


class _Pages(NamedTuple):
    """One word's (or variant's) pages in one part: their count, the first page's number and the rest as bytes;
    the number of the last page, counted from the first (entries hold differences), and the size Pagefind
    counts to cut its index into chunks (each page's locations and meta locations, and one)."""

    count: int
    first: int = 0
    first_rest: bytes = b""  # the first entry after its page number
    rest: bytes = b""  # the other entries, whole
    last: int = 0
    size: int = 0


@dataclass
class _Word:
    word: str
    pages: _Pages
    variants: list[tuple[str, _Pages]]
    span: tuple[int, int] = (0, 0)  # where its entry is in the chunk it was read from (``searchpatch``)

    @classmethod
    def kept(cls, word: str, pages: tuple, variants: list) -> _Word:
        """A word's entry as ``_Kept`` keeps it (each ``_Pages`` as a tuple), read back."""
        return cls(word, _Pages(*pages), [(form, _Pages(*rest)) for form, rest in variants])


def _head(data: bytes, at: int, major: int, name: str) -> tuple[int, int]:
    """The argument of the CBOR head at ``at`` (an array's length, a string's, an integer) and where it ends."""
    initial = data[at]
    if initial >> 5 != major:
        raise BundleMergeError(f"{name}.pf_index: not Pagefind's word index at byte {at}")
    info = initial & 31
    if info < 24:
        return info, at + 1
    size = 1 << (info - 24)
    return int.from_bytes(data[at + 1 : at + 1 + size], "big"), at + 1 + size


def _encode_head(major: int, value: int) -> bytes:
    if value < 24:
        return bytes([major << 5 | value])
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if value < 1 << (8 * size):
            return bytes([major << 5 | info]) + value.to_bytes(size, "big")
    raise BundleMergeError(f"{value} is too large for the search index")


def _text(data: bytes, at: int, name: str) -> tuple[str, int]:
    length, at = _head(data, at, 3, name)
    return str(data[at : at + length], "utf-8"), at + length


def _pages(data: bytes, at: int, name: str) -> tuple[_Pages, int]:
    count, at = _head(data, at, 4, name)
    if not count:
        return _Pages(0), at
    first = _ONE_ENTRY.match(data, at)
    if first is None:
        raise BundleMergeError(f"{name}.pf_index: a page entry that is not Pagefind's at byte {at}")
    end = _ENTRIES.match(data, first.end()).end()
    rest = data[first.end() : end]
    others = _ONE_ENTRY.findall(rest)
    if len(others) != count - 1:
        raise BundleMergeError(f"{name}.pf_index: a word's {count} pages read as {len(others) + 1} at byte {at}")
    number, locations, meta = first.groups()
    numbers, others_locations, others_meta = zip(*others, strict=True) if others else ((), (), ())
    value = _number(number)
    last = value + sum(map(_number, numbers))
    size = count + _number(locations) + _number(meta) + sum(map(_number, others_locations)) + sum(map(_number, others_meta))
    return _Pages(count, value, data[first.end(1) : first.end()], rest, last, size), end


def _words(data: bytes, name: str) -> Iterator[_Word]:
    """A chunk's word entries: [[word, pages, [[variant, pages]…]]…]."""
    _, at = _head(data, 0, 4, name)
    count, at = _head(data, at, 4, name)
    for _ in range(count):
        word = word_at(data, at, name)
        at = word.span[1]
        yield word
    if at != len(data):
        raise BundleMergeError(f"{name}.pf_index: {len(data) - at} bytes after its last word")


def word_at(data: bytes, start: int, name: str) -> _Word:
    """The word entry [word, pages, [[variant, pages]…]] at ``start`` of a chunk's content."""
    _, at = _head(data, start, 4, name)
    word, at = _text(data, at, name)
    pages, at = _pages(data, at, name)
    variants = []
    forms, at = _head(data, at, 4, name)
    for _ in range(forms):
        _, at = _head(data, at, 4, name)
        form, at = _text(data, at, name)
        form_pages, at = _pages(data, at, name)
        variants.append((form, form_pages))
    return _Word(word, pages, variants, (start, at))


def _joined(word: str, entries: list[tuple[int, dict | None, _Word]]) -> bytes:
    """One word's entry in the joined index: its pages in every part, numbered on; its variants likewise."""
    out = [b"\x83", _encode_text(word)]
    out += _joined_pages([(offset, fields, entry.pages) for offset, fields, entry in entries])
    forms: dict[str, list] = {}
    for offset, fields, entry in entries:
        for form, pages in entry.variants:
            forms.setdefault(form, []).append((offset, fields, pages))
    out.append(_encode_head(4, len(forms)))
    for form, runs in forms.items():
        out += [b"\x82", _encode_text(form), *_joined_pages(runs)]
    return b"".join(out)


def _encode_text(text: str) -> bytes:
    encoded = text.encode()
    return _encode_head(3, len(encoded)) + encoded


def _joined_pages(runs: list[tuple[int, dict | None, _Pages]]) -> list[bytes]:
    out = [_encode_head(4, sum(pages.count for _, _, pages in runs))]
    last = 0  # the joined number of the word's last page so far
    for offset, fields, pages in runs:
        if not pages.count:
            continue
        first = offset + pages.first
        if fields is None:
            out += [b"\x83", _encode_head(0, first - last), pages.first_rest, pages.rest]
        else:  # this part lacks a meta field another has: its field numbers change (rare: decoded)
            entries = cbor2.loads(_encode_head(4, pages.count) + b"\x83\x00" + pages.first_rest + pages.rest)
            entries[0][0] = first - last
            for entry in entries:
                entry[2] = _renumber_fields(entry[2], fields)
            out.append(cbor2.dumps(entries)[len(_encode_head(4, pages.count)) :])
        last = offset + pages.last
    return out


def _renumber_fields(locations: list, fields: dict) -> list:
    """Meta-field locations with the joined bundle's field numbers (a field's locations follow -(its number + 1)).
    Both lists of fields are sorted, so the numbers keep their order and the groups need no sorting again."""
    return [-(fields[-value - 1] + 1) if value < 0 else value for value in locations]


def _write_named(out: _Bundle, folder: str, suffix: str, value: Any, names: _Names) -> str:
    """Write a data file under the name its content gives it; the name."""
    data = cbor2.dumps(value)
    name = names.name(hashlib.sha1(data).hexdigest())
    out.write(f"{folder}/{name}.{suffix}", data)
    return name


def _filters(parts: list[Part], out: _Bundle, names: _Names) -> list:
    values: dict[str, dict[str, list[int]]] = {}
    for part in parts:
        for filter_name, value, pages in part.filters():
            values.setdefault(filter_name, {}).setdefault(value, []).extend(part.offset + p for p in pages)
    out.mkdir("filter")
    listed = []
    for filter_name in sorted(values):
        value = [filter_name, [[value, pages] for value, pages in sorted(values[filter_name].items())]]
        listed.append([filter_name, _write_named(out, "filter", "pf_filter", value, names)])
    return listed


def _link(source: Path | str, target: Path | str) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def main(arguments: list[str], given: BinaryIO | None = None) -> int | None:
    """``[--previous BUNDLE] [--decoded FOLDER] [--recycled] [--seal KEY] [--ahead] OUT PART…``: ``merge``, then, with
    ``--seal``, the joined bundle sealed for KEY (``bundleseal``), its files' hashes taken from its sources' manifests.

    ``--ahead``: started before the build has every part, to be done with starting and with opening the PARTs it
    foresees (``opened_ahead``) when it has them: the parts to join are then read from ``given`` (standard input),
    each folder ended by a NUL, and each part made meanwhile, told as it is made, read then (``_given``). Nothing
    given: nothing joined (None)."""
    options: dict[str, Any] = {}
    key, ahead = None, False
    while arguments[:1] in (["--previous"], ["--decoded"], ["--recycled"], ["--seal"], ["--ahead"]):
        if arguments[0] == "--recycled":
            options["recycled"], arguments = True, arguments[1:]
        elif arguments[0] == "--ahead":
            ahead, arguments = True, arguments[1:]
        elif arguments[0] == "--seal":
            key, arguments = arguments[1], arguments[2:]
        else:
            options[arguments[0][2:]], arguments = Path(arguments[1]), arguments[2:]
    out, folders = Path(arguments[0]), [Path(folder) for folder in arguments[1:]]
    if ahead:
        options["opened"] = opened_ahead(folders, options.get("decoded"))
        folders = _given(given or sys.stdin.buffer, options.get("decoded"), options["opened"])
        if not folders:
            return None
    count = merge(folders, out, **options)
    if key is not None:
        previous = options.get("previous")
        bundleseal.seal_bundle(out, key, [*folders, *([previous] if previous is not None else [])])
    return count


if __name__ == "__main__":  # ``searchindex.PartedIndex`` runs the joining so, in a process of its own
    joined_pages = main(sys.argv[1:])
    if joined_pages is not None:
        print(joined_pages)
