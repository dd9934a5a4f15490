"""The joined word index made again only where the parts' words changed.

A merged pull request changes the pages of one search part of forty-odd (``searchindex.PartedIndex``), and the
words of one page in it. Joining every part's words again (``searchmerge._word_index``) took 2.6–3.8 s an
edition at 10,000 orders, the last step of a merge's build. Each join therefore records what it made
(``Join``): every part by its key and page count, every chunk of the word index by its first and last word,
its content's SHA-1 and the weight of its first word. The next join, given that record and the last bundle,
compares the old and new words of each changed part (the old as the last join kept them, ``searchmerge._Kept``)
and makes again only the chunks that hold a word whose entry changed:

- a word's joined entry has the changed part's run of pages replaced by its new one: found by its bytes, which
  the last join copied as they are (``_spliced``), or else by splitting the entry back into each part's run (the
  parts' pages are numbered one range after another) and joining it again as ``searchmerge._joined`` does;
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
from typing import NamedTuple

from generator.core.files import write_whole
from generator.site import searchmerge as joined

RECORD = "joined.state"
"""The record's file in the folder of what joins kept (``searchindex.PartedIndex._decoded``)."""

_FORMAT = b"order-archive searchpatch 3"

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
    parts: list[tuple[str, bytes, int, int, bool]]  # folder name, key (``searchmerge.Part._key``), pages, chunks, fields numbered anew
    chunks: list[tuple[joined.Chunk, tuple[int, int, int]]]  # the chunk, its file's inode, size and time
    layouts: list  # each chunk's ``searchmerge.Layout`` as recorded, or None (checked where it is used: ``_laid_out``)

    @classmethod
    def last(cls, decoded: Path, previous: Path, language: str) -> Join | None:
        """The record of the join that made ``previous``, if it is that bundle's (its metadata as recorded)."""
        try:
            stored = io.BytesIO((decoded / RECORD).read_bytes())
            header = marshal.load(stored)
            body = stored.getbuffer()[stored.tell() :]
            if header != (_FORMAT, hashlib.sha1(body).hexdigest()):
                return None
            version, meta_name, meta_digest, fields, parts, chunks, layouts = marshal.loads(body)
            entry = json.loads((previous / "pagefind-entry.json").read_text(encoding="utf-8"))
            if entry["languages"][language]["hash"] != meta_name:
                return None
            if hashlib.sha1(joined.unpack(previous / f"pagefind.{meta_name}.pf_meta")).hexdigest() != meta_digest:
                return None
            parts = [(str(name), bytes(key), int(pages), int(count), bool(anew)) for name, key, pages, count, anew in parts]
            chunks = [
                (joined.Chunk(str(first), str(last), str(digest), str(name), int(weight)), tuple(map(int, about)))
                for first, last, digest, name, weight, about in chunks
            ]
            if len(layouts) != len(chunks):
                return None
            return cls(previous, decoded, language, str(version), list(fields), parts, chunks, list(layouts))
        except (*joined.UNREADABLE, ValueError, KeyError, TypeError, joined.BundleMergeError):
            return None

    @staticmethod
    def record(decoded: Path, out: Path, version: str, meta: bytes, meta_name: str, parts, fields, renumber, chunks, layouts) -> None:
        """Record the join that wrote ``out`` (its parts read with ``decoded``: each has what was kept of it), each
        chunk with its layout (``searchmerge.Layout``)."""
        listed = []
        for chunk in chunks:
            about = os.stat(out / "index" / f"{chunk.name}.pf_index", follow_symlinks=False)
            listed.append((*chunk, (about.st_ino, about.st_size, about.st_mtime_ns)))
        record = [
            (part.folder.name, part.kept.key, len(part.pages), part.kept.chunk_count, anew is not None) for part, anew in zip(parts, renumber, strict=True)
        ]
        body = marshal.dumps((version, meta_name, hashlib.sha1(meta).hexdigest(), fields, record, listed, layouts))
        decoded.mkdir(parents=True, exist_ok=True)
        write_whole(decoded / RECORD, marshal.dumps((_FORMAT, hashlib.sha1(body).hexdigest())) + body)

    def chunk_file(self, chunk: joined.Chunk, about: tuple[int, int, int]) -> Path:
        """The last bundle's file of ``chunk``, as the record has it: the same file (inode, size, time), or a file
        holding the same content packed as joins pack it."""
        return self._checked(chunk, about, content=False)[0]

    def chunk_data(self, chunk: joined.Chunk, about: tuple[int, int, int]) -> bytes:
        """The content of ``chunk`` in the last bundle, checked against its SHA-1."""
        _, data = self._checked(chunk, about, content=True)
        assert data is not None
        return data

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
        except (*joined.UNREADABLE, joined.BundleMergeError):
            pass
        raise _CannotPatch(chunk.name)


def patch(last: Join, parts: list[joined.Part], fields: list, renumber: list, chunker: joined._Chunker) -> bool:
    """Cut ``parts``' joined word index into ``chunker`` from the last join's (module docstring); False when this
    cannot be vouched for (what ``chunker`` was given is then the caller's to discard)."""
    if fields != last.fields or parts[0].meta[0] != last.version or not last.chunks:
        return False
    if [(part.folder.name, len(part.pages)) for part in parts] != [(name, pages) for name, _, pages, _, _ in last.parts]:
        return False
    changed = [i for i, part in enumerate(parts) if part.kept is None or part.kept.key != last.parts[i][1]]
    if len(changed) > max(1, len(parts) // PATCHED_AT_MOST):
        return False
    try:
        changes = _changes(last, parts, changed)
        verbatim = [renumber[i] is None and not last.parts[i][4] for i in range(len(parts))]
        _cut(last, changes, _Numbering([part.offset for part in parts], renumber, verbatim), chunker)
    except _CannotPatch:
        return False
    return True


class _Change(NamedTuple):
    """A word's entry in one changed part, as the last join read it and now (None: the part had or has no such word)."""

    before: joined._Word | None
    after: joined._Word | None


class _Numbering(NamedTuple):
    """How each part's pages are numbered in the joined bundle: from its offset, its meta fields numbered anew
    (``searchmerge._joined_pages``), and whether its runs were copied as they are by the last join and this one."""

    offsets: list[int]
    renumber: list
    verbatim: list[bool]


def _changes(last: Join, parts: list[joined.Part], changed: list[int]) -> dict[str, dict[int, _Change]]:
    """Each word whose entry in a changed part is not what it was, by part."""
    changes: dict[str, dict[int, _Change]] = {}
    for i in changed:
        name, key, _, chunk_count, _ = last.parts[i]
        kept = joined._Kept.open(last.decoded / f"{name}.words", key, chunk_count)
        if not kept.words():
            raise _CannotPatch(name)
        old = {word: (pages, variants) for chunk in kept.chunks() for word, pages, variants in chunk}
        for word, _, entry in parts[i].words(i):
            before = old.pop(word, None)
            if before != (tuple(entry.pages), [(form, tuple(pages)) for form, pages in entry.variants]):
                changes.setdefault(word, {})[i] = _Change(None if before is None else joined._Word.kept(word, *before), entry)
        for word, before in old.items():  # in the part no more
            changes.setdefault(word, {})[i] = _Change(joined._Word.kept(word, *before), None)
    return changes


def _cut(last: Join, changes: dict[str, dict[int, _Change]], numbering: _Numbering, chunker: joined._Chunker) -> None:
    """The chunks in order: the last join's where nothing in them changed and a chunk starts there, else its words
    (patched) given to ``chunker`` one by one. A chunk of one word (a heavy one: ``searchmerge._Chunker``) whose
    word alone changed is patched without reading its pages (``_spliced``)."""
    firsts = [chunk.first for chunk, _ in last.chunks]
    by_chunk: dict[int, list[str]] = {}
    for word in sorted(changes):  # a word not in the last index goes where it sorts: after the chunk before it
        by_chunk.setdefault(max(0, bisect_right(firsts, word) - 1), []).append(word)
    for number, (chunk, about) in enumerate(last.chunks):
        if number not in by_chunk:
            if chunker.closes_before(chunk.first_weight):
                chunker.close()
            if not chunker.pending:
                chunker.link(chunk, last.chunk_file(chunk, about), last.layouts[number])
                continue
        data = last.chunk_data(chunk, about)
        alone = chunk.first == chunk.last and by_chunk.get(number) == [chunk.first] and data[:2] == b"\x81\x81"
        if alone and (made := _spliced(data, 2, len(data), chunk.first, chunk.first_weight, changes[chunk.first], numbering)):
            chunker.add(chunk.first, *made)
            continue
        for word, entry, weight in _patched(data, _laid_out(data, chunk, last.layouts[number]), by_chunk.get(number, []), changes, numbering, chunk.name):
            chunker.add(word, entry, weight)


def _laid_out(data: bytes, chunk: joined.Chunk, layout) -> dict[str, tuple[int, int, int]]:
    """Each word of a chunk's content ``data``: where its entry starts and ends, and its weight. From the chunk's
    layout as its join recorded it (``searchmerge.Layout``), where it fits the content, else by reading every
    entry: an edited dossier changes a few words of each of 280-odd chunks an edition at 10,000 orders, and
    reading all 26,000 words of those chunks to copy the others was most of a patch."""
    try:
        words, lengths, weights = layout
        _, at = joined._head(data, 0, 4, chunk.name)
        count, at = joined._head(data, at, 4, chunk.name)
        if count == len(words) == len(lengths) == len(weights) and at + sum(lengths) == len(data):
            found = {}
            for word, length, weight in zip(words, lengths, weights, strict=True):
                head = joined._encode_text(word)
                if data[at] != 0x83 or not data.startswith(head, at + 1) or type(weight) is not int or length < 1 + len(head):
                    break
                found[word] = (at, at + length, weight)
                at += length
            else:
                if len(found) == count:
                    return found
    except (TypeError, ValueError, IndexError, AttributeError, joined.BundleMergeError):
        pass
    return _read_out(data, chunk.name)


def _read_out(data: bytes, name: str) -> dict[str, tuple[int, int, int]]:
    """``_laid_out`` of every entry of a chunk read (its layout not recorded, or not this content's)."""
    try:
        return {word.word: (*word.span, word.pages.size) for word in joined._words(data, name)}
    except joined.BundleMergeError:
        raise _CannotPatch(name) from None


def _patched(data: bytes, old: dict[str, tuple[int, int, int]], changed: list[str], changes, numbering: _Numbering, name: str) -> Iterator[tuple]:
    """A chunk's words in order, each as (word, joined entry, weight): as they were, or joined again (only such a
    word's entry is read, and only where it cannot be spliced)."""
    for word in sorted(old.keys() | set(changed)):
        found = old.get(word)
        if word not in changes:
            assert found is not None
            yield word, data[found[0] : found[1]], found[2]
        else:
            made = found is not None and _spliced(data, found[0], found[1], word, found[2], changes[word], numbering)
            if not made:
                try:
                    before = joined.word_at(data, found[0], name) if found is not None else None
                except (IndexError, joined.BundleMergeError):
                    raise _CannotPatch(name) from None
                if before is not None and before.span[1] != found[1]:
                    raise _CannotPatch(name)
                made = _rejoined(word, before, {part: change.after for part, change in changes[word].items()}, numbering)
            if made:
                yield word, *made


def _spliced(data: bytes, start: int, end: int, word: str, weight: int, change: dict[int, _Change], numbering: _Numbering) -> tuple[bytes, int] | None:
    """The joined entry ``data[start:end]`` of ``word`` (of ``weight``) with one changed part's run of pages
    replaced, without reading the other parts' runs; None where this cannot be vouched for (``_rejoined`` then).

    A word on a page near every page of the archive (a year, a department) has tens of thousands of pages in
    the joined index, and an edit that moves a page's words changes every word after it on that page: reading
    each such word's pages to find the changed part's run took two thirds of a patch. The run is found by its
    bytes instead: the last join copied the part's run as it is (only the first page's number, a difference
    from the page before, is written anew), so where those bytes occur once in the entry, they are the run.
    The number before them tells the last page of the parts before; the page after them, the first of the parts
    after, is numbered anew from the new run's last page."""
    if len(change) != 1:
        return None
    [(part, (before, after))] = change.items()
    if before is None or not before.pages.count or before.variants or (after is not None and after.variants) or not numbering.verbatim[part]:
        return None
    old, new = before.pages, after.pages if after is not None else joined._Pages(0)
    offset, offsets = numbering.offsets[part], numbering.offsets
    try:
        head = joined._encode_text(word)
        at = start + 1 + len(head)
        if data[start] != 0x83 or data[start + 1 : at] != head:
            return None
        count, body = joined._head(data, at, 4, word)
        needle = old.first_rest + old.rest
        found = data.find(needle, body, end)
        if found < 0 or data.find(needle, found + 1, end) >= 0:
            return None
        first = offset + old.first
        # the first page of the word (a number from 0), or one after the last page of a part before
        heads = [(where, n) for where, n in _heads_before(data, body, found) if (n == first if where == body else first - offset < n <= first)]
        if len(heads) != 1:
            return None
        [(begin, difference)] = heads
        after_run = found + len(needle)
        out = [data[start:at], joined._encode_head(4, count - old.count + new.count), data[body:begin]]
        last_number = first - difference if begin > body else 0
        if new.count:
            out += [b"\x83", joined._encode_head(0, offset + new.first - last_number), new.first_rest, new.rest]
            last_number = offset + new.last
        if data[after_run] == 0x83 and data[after_run + 1] >> 5 == 0:  # the next part's first page (a variant is [form, pages])
            difference, rest = joined._head(data, after_run + 1, 0, word)
            number = offset + old.last + difference
            if part + 1 >= len(offsets) or number < offsets[part + 1]:
                return None
            out += [b"\x83", joined._encode_head(0, number - last_number), data[rest:end]]
        elif count == old.count and not new.count:
            return None  # no page left: ``_rejoined`` says whether a variant keeps the word
        else:
            out.append(data[after_run:end])
    except (IndexError, joined.BundleMergeError):
        return None
    return b"".join(out), weight - old.size + new.size


def _heads_before(data: bytes, body: int, at: int) -> Iterator[tuple[int, int]]:
    """Where a page entry [number, …] whose number's head ends at ``at`` may begin (its 0x83), and that number: an
    integer's head is 1, 2, 3 or 5 bytes, its first byte telling which."""
    for size, info in ((1, None), (2, 24), (3, 25), (5, 26)):
        begin = at - size - 1
        if begin < body or data[begin] != 0x83 or data[begin + 1] >> 5 != 0:
            continue
        own = data[begin + 1] & 31
        if own < 24 if info is None else own == info:
            yield begin, joined._head(data, begin + 1, 0, "")[0]


def _rejoined(word: str, before: joined._Word | None, new: dict[int, joined._Word | None], numbering: _Numbering) -> tuple[bytes, int] | None:
    """A word's joined entry with the changed parts' runs replaced (None: no part has the word now), and its weight.
    A run kept is copied as joined (its meta fields numbered as the joined bundle's already); a changed part's is
    numbered as ``searchmerge._joined_pages`` numbers it.

    ``searchmerge._joined`` lists a word's variants in the order each first appears, part by part: a variant
    that first appears in a changed part takes that part's order; one that first appeared in a changed part and
    now first appears in a part not read here has a place only that part's words tell (``_CannotPatch``)."""
    offsets, renumber = numbering.offsets, numbering.renumber
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
    runs: dict[int, list] = {}
    for number, tail, whole, size in joined._entries(pages):
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
