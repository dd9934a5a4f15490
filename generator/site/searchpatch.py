"""The joined word index made again only where the parts' words changed.

A merged pull request changes the pages of one search part of forty-odd (``searchindex.PartedIndex``), and the
words of one page in it. Joining every part's words again (``searchmerge._word_index``) took 2.6–3.8 s an
edition at 10,000 orders, the last step of a merge's build. Each join therefore records what it made
(``Join``): every part by its key and page count, every chunk of the word index by its first and last word,
its content's SHA-1 and the weight of its first word. The next join, given that record and the last bundle,
compares the old and new words of each changed part (the old as the last join kept them, ``searchmerge._Kept``)
and makes again only the chunks that hold a word whose entry changed:

- a word's joined entry is split back into each part's run of pages (the parts' pages are numbered one range
  after another), the changed part's run is replaced by its new one, and the entry is joined again as
  ``searchmerge._joined`` joins it;
- the chunks are cut as ``searchmerge._Chunker`` cuts them, from the first changed chunk on, until a chunk ends
  where a chunk of the last join ended: from there the last join's chunks are its files, linked, unread.

The bundle is byte for byte the one a join of every part makes (the tests compare both on indexes cut into
many chunks). Anything this cannot vouch for — no record, another bundle, other parts or page counts, another
list of meta fields, a chunk file not as recorded, a variant of a word whose first part would change to a part
not read — makes the caller join every part instead: it costs time, never a different bundle.
"""

from __future__ import annotations

import hashlib
import io
import json
import marshal
import os
import stat
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from generator.core.files import write_whole
from generator.site import searchmerge as joined

RECORD = "joined.state"
"""The record's file in the folder of what joins kept (``searchindex.PartedIndex._decoded``)."""

_FORMAT = b"order-archive searchpatch 1"

PATCHED_AT_MOST = 8
"""A join patches while at most one part in this many changed, or one part (a template's change changes them
all: each chunk would be read, split and joined again, where joining every part reads each part once)."""


class _CannotPatch(Exception):
    """What the record says is not what is on disk, or the patch would have to guess: join every part."""


@dataclass
class Join:
    """What the last join made (``record``), checked against the last bundle (``last``)."""

    previous: Path
    decoded: Path
    language: str
    version: str
    fields: list
    parts: list[tuple[str, bytes, int, int]]  # folder name, key (``searchmerge.Part._key``), pages, chunks
    chunks: list[tuple[joined.Chunk, tuple[int, int, int]]]  # the chunk, its file's inode, size and time

    @classmethod
    def last(cls, decoded: Path, previous: Path, language: str) -> Join | None:
        """The record of the join that made ``previous``, if it is that bundle's (its metadata as recorded)."""
        try:
            stored = io.BytesIO((decoded / RECORD).read_bytes())
            header = marshal.load(stored)
            body = stored.getbuffer()[stored.tell() :]
            if header != (_FORMAT, hashlib.sha1(body).hexdigest()):
                return None
            version, meta_name, meta_digest, fields, parts, chunks = marshal.loads(body)
            entry = json.loads((previous / "pagefind-entry.json").read_text(encoding="utf-8"))
            if entry["languages"][language]["hash"] != meta_name:
                return None
            if hashlib.sha1(joined.unpack(previous / f"pagefind.{meta_name}.pf_meta")).hexdigest() != meta_digest:
                return None
            parts = [(str(name), bytes(key), int(pages), int(count)) for name, key, pages, count in parts]
            chunks = [
                (joined.Chunk(str(first), str(last), str(digest), str(name), int(weight)), tuple(map(int, about)))
                for first, last, digest, name, weight, about in chunks
            ]
            return cls(previous, decoded, language, str(version), list(fields), parts, chunks)
        except (OSError, ValueError, KeyError, TypeError, EOFError, joined.BundleMergeError, joined.zlib.error, joined.gzip.BadGzipFile):
            return None

    @staticmethod
    def record(decoded: Path, out: Path, version: str, meta: bytes, meta_name: str, parts, fields, chunks) -> None:
        """Record the join that wrote ``out`` (its parts read with ``decoded``: each has what was kept of it)."""
        listed = []
        for chunk in chunks:
            about = os.stat(out / "index" / f"{chunk.name}.pf_index", follow_symlinks=False)
            listed.append((*chunk, (about.st_ino, about.st_size, about.st_mtime_ns)))
        record = [(part.folder.name, part.kept.key, len(part.pages), part.kept.chunk_count) for part in parts]
        body = marshal.dumps((version, meta_name, hashlib.sha1(meta).hexdigest(), fields, record, listed))
        decoded.mkdir(parents=True, exist_ok=True)
        write_whole(decoded / RECORD, marshal.dumps((_FORMAT, hashlib.sha1(body).hexdigest())) + body)

    def chunk_file(self, chunk: joined.Chunk, about: tuple[int, int, int]) -> Path:
        """The last bundle's file of ``chunk``, as the record has it: the same file (inode, size, time), or a file
        holding the same content packed as joins pack it."""
        return self._checked(chunk, about, content=False)[0]

    def chunk_words(self, chunk: joined.Chunk, about: tuple[int, int, int]) -> tuple[bytes, list[joined._Word]]:
        """The content of ``chunk`` in the last bundle, checked against its SHA-1, and its words."""
        _, data = self._checked(chunk, about, content=True)
        assert data is not None
        try:
            return data, list(joined._words(data, chunk.name))
        except joined.BundleMergeError:
            raise _CannotPatch(chunk.name) from None

    def _checked(self, chunk: joined.Chunk, about: tuple[int, int, int], content: bool) -> tuple[Path, bytes | None]:
        """``chunk_file``, and the content of that file when asked for it or read to check it (its SHA-1 checked:
        the same file read is checked as well). The file is read once."""
        path = self.previous / "index" / f"{chunk.name}.pf_index"
        try:
            now = os.stat(path, follow_symlinks=False)
            same_file = (now.st_ino, now.st_size, now.st_mtime_ns) == about
            if same_file and not content:
                return path, None
            packed = path.read_bytes()
            if same_file or (not stat.S_ISLNK(now.st_mode) and packed[:10] == joined._GZIP_HEADER):
                data = joined.unpacked(packed, path.name)
                if hashlib.sha1(data).hexdigest() == chunk.digest:
                    return path, data
        except (OSError, joined.BundleMergeError, joined.zlib.error, joined.gzip.BadGzipFile, EOFError):
            pass
        raise _CannotPatch(chunk.name)


def patch(last: Join, parts: list[joined.Part], fields: list, renumber: list, chunker: joined._Chunker) -> bool:
    """Cut ``parts``' joined word index into ``chunker`` from the last join's (module docstring); False when this
    cannot be vouched for (what ``chunker`` was given is then the caller's to discard)."""
    if fields != last.fields or parts[0].meta[0] != last.version or not last.chunks:
        return False
    if [(part.folder.name, len(part.pages)) for part in parts] != [(name, pages) for name, _, pages, _ in last.parts]:
        return False
    changed = [i for i, part in enumerate(parts) if part.kept is None or part.kept.key != last.parts[i][1]]
    if len(changed) > max(1, len(parts) // PATCHED_AT_MOST):
        return False
    try:
        changes = _changes(last, parts, changed)
        _cut(last, changes, [part.offset for part in parts], renumber, chunker)
    except _CannotPatch:
        return False
    return True


def _changes(last: Join, parts: list[joined.Part], changed: list[int]) -> dict[str, dict[int, joined._Word | None]]:
    """Each word whose entry in a changed part is not what it was: its new entry there (None: gone), by part."""
    changes: dict[str, dict[int, joined._Word | None]] = {}
    for i in changed:
        name, key, _, chunk_count = last.parts[i]
        kept = joined._Kept.open(last.decoded / f"{name}.words", key, chunk_count)
        if kept.body is None:
            raise _CannotPatch(name)
        old = {word: (pages, variants) for chunk in kept.chunks() for word, pages, variants in chunk}
        new = {word: entry for word, _, entry in parts[i].words(i)}
        for word, entry in new.items():
            if old.pop(word, None) != (tuple(entry.pages), [(form, tuple(pages)) for form, pages in entry.variants]):
                changes.setdefault(word, {})[i] = entry
        for word in old:  # in the part no more
            changes.setdefault(word, {})[i] = None
    return changes


def _cut(last: Join, changes: dict[str, dict[int, joined._Word | None]], offsets: list[int], renumber: list, chunker: joined._Chunker) -> None:
    """The chunks in order: the last join's where nothing in them changed and a chunk starts there, else its words
    (patched) given to ``chunker`` one by one."""
    firsts = [chunk.first for chunk, _ in last.chunks]
    by_chunk: dict[int, list[str]] = {}
    for word in sorted(changes):  # a word not in the last index goes where it sorts: after the chunk before it
        by_chunk.setdefault(max(0, bisect_right(firsts, word) - 1), []).append(word)
    for number, (chunk, about) in enumerate(last.chunks):
        if number not in by_chunk:
            if chunker.closes_before(chunk.first_weight):
                chunker.close()
            if not chunker.pending:
                chunker.link(chunk, last.chunk_file(chunk, about))
                continue
        data, words = last.chunk_words(chunk, about)
        for word, entry, weight in _patched(data, words, by_chunk.get(number, []), changes, offsets, renumber):
            chunker.add(word, entry, weight)


def _patched(data: bytes, words: list[joined._Word], changed: list[str], changes, offsets: list[int], renumber: list) -> Iterator[tuple[str, bytes, int]]:
    """A chunk's words in order, each as (word, joined entry, weight): as they were, or joined again."""
    old = {word.word: word for word in words}
    for word in sorted(old.keys() | set(changed)):
        if word not in changes:
            entry = old[word]
            yield word, data[entry.span[0] : entry.span[1]], entry.pages.size
        elif (made := _rejoined(word, old.get(word), changes[word], offsets, renumber)) is not None:
            yield word, *made


def _rejoined(word: str, before: joined._Word | None, new: dict[int, joined._Word | None], offsets: list[int], renumber: list) -> tuple[bytes, int] | None:
    """A word's joined entry with the changed parts' runs replaced (None: no part has the word now), and its weight.
    A run kept is copied as joined (its meta fields numbered as the joined bundle's already); a changed part's is
    numbered as ``searchmerge._joined_pages`` numbers it.

    ``searchmerge._joined`` lists a word's variants in the order each first appears, part by part: a variant
    that first appears in a changed part takes that part's order; one that first appeared in a changed part and
    now first appears in a part not read here has a place only that part's words tell (``_CannotPatch``)."""
    pages = _runs(before.pages, offsets) if before is not None else {}
    forms = {form: _runs(runs, offsets) for form, runs in before.variants} if before is not None else {}
    first_before = {form: min(runs) for form, runs in forms.items() if runs}
    for part, entry in new.items():
        pages.pop(part, None)
        for runs in forms.values():
            runs.pop(part, None)
        if entry is not None:
            if entry.pages.count:
                pages[part] = entry.pages
            for form, runs in entry.variants:
                forms.setdefault(form, {})[part] = runs
    forms = {form: runs for form, runs in forms.items() if runs}
    for form, runs in forms.items():
        if min(runs) not in new and first_before.get(form) != min(runs):
            raise _CannotPatch(word)
    present = sorted(set(pages).union(*forms.values()))
    if not present:
        return None
    entries = []
    for part in present:
        entry = new.get(part)
        order = [form for form, _ in entry.variants] if entry is not None else list(forms)
        variants = [(form, forms[form][part]) for form in order if part in forms.get(form, {})]
        entries.append((offsets[part], renumber[part] if part in new else None, joined._Word(word, pages.get(part, joined._Pages(0)), variants)))
    return joined._joined(word, entries), sum(run.size for run in pages.values())


def _runs(pages: joined._Pages, offsets: list[int]) -> dict[int, joined._Pages]:
    """A joined word's (or variant's) pages split into each part's run, numbered as in that part."""
    if not pages.count:
        return {}
    first = joined._ONE_ENTRY.match(b"\x83\x00" + pages.first_rest)
    assert first is not None  # read by ``searchmerge._pages``, which matched it so
    entries = [(pages.first, pages.first_rest, b"", 1 + joined._number(first.group(2)) + joined._number(first.group(3)))]
    number = pages.first
    for found in joined._ONE_ENTRY.finditer(pages.rest):
        number += joined._number(found.group(1))
        size = 1 + joined._number(found.group(2)) + joined._number(found.group(3))
        entries.append((number, pages.rest[found.end(1) : found.end()], found.group(0), size))
    runs: dict[int, list] = {}
    for number, tail, whole, size in entries:
        part = bisect_right(offsets, number) - 1
        local = number - offsets[part]
        run = runs.get(part)
        if run is None:
            runs[part] = [1, local, tail, [], local, size]
        else:  # an entry after the first of its part keeps its bytes: its number is the difference from the one before
            run[0] += 1
            run[3].append(whole)
            run[4] = local
            run[5] += size
    return {part: joined._Pages(count, local, tail, b"".join(rest), end, size) for part, (count, local, tail, rest, end, size) in runs.items()}
