"""One Pagefind bundle joined from bundles of parts of the site.

Pagefind makes its bundle in memory from every page it was given, at about four times what the pages take
once read (3 GB for the 10,000 dossiers of one edition), and from every page again when one changed. The
site is therefore indexed a part at a time (``searchindex.PartedIndex``: one part per order year, one for the
other pages), and this module joins the parts' bundles into the one bundle readers download, as Pagefind
would have made it from all the pages at once: a query still fetches one metadata file and the chunks of
its own words, whatever the number of parts.

Pagefind 1.5's format, read in its source (``pagefind/src/index``, ``src/output``): every data file is the
gzip of ``pagefind_dcd`` and one CBOR value, named by its language and the start of its SHA-1;

- the metadata ``pagefind.<hash>.pf_meta``: [version, pages [[fragment hash, word count]], word-index chunks
  [[first word, last word, hash]], filters [[name, hash]], sorts, meta fields];
- a word-index chunk ``index/<hash>.pf_index``: [[[word, pages, variants]]], words in code-point order;
  a page is [page number, locations, meta-field locations], the page numbers of one word (or of one variant
  ``[form, pages]``) each the difference from the one before;
- a filter ``filter/<hash>.pf_filter``: [name, [[value, [page numbers]]]];
- a page's fragment ``fragment/<hash>.pf_fragment``: JSON, kept as it is.

Joining numbers the pages of each part after those of the parts before it: only the first page of each
word in each part changes, every location is copied as it is.
"""

from __future__ import annotations

import gzip
import hashlib
import heapq
import itertools
import json
import os
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cbor2

SIGNATURE = b"pagefind_dcd"
CHUNK_SIZE = 20_000  # Pagefind's own: a chunk closes once its pages and locations reach this count


class BundleMergeError(RuntimeError):
    pass


def read(path: Path) -> Any:
    """One of Pagefind's data files, decoded."""
    data = gzip.decompress(path.read_bytes())
    if not data.startswith(SIGNATURE):
        raise BundleMergeError(f"{path.name} is not a Pagefind data file")
    return cbor2.loads(data[len(SIGNATURE) :])


def write(path: Path, data: bytes) -> None:
    """CBOR (``cbor2.dumps``: definite lengths, smallest integers, as Pagefind's decoder reads) as Pagefind stores it."""
    path.write_bytes(gzip.compress(SIGNATURE + data, compresslevel=6, mtime=0))


@dataclass
class Part:
    """One part's bundle, its pages numbered from ``offset`` in the joined bundle."""

    folder: Path
    language: str
    entry: dict
    meta: list
    offset: int = 0

    @classmethod
    def open(cls, folder: Path) -> Part:
        entry = json.loads((folder / "pagefind-entry.json").read_text(encoding="utf-8"))
        languages = entry.get("languages") or {}
        if len(languages) != 1:
            raise BundleMergeError(f"{folder.name}: a part must hold one language, not {sorted(languages)}")
        [(language, about)] = languages.items()
        meta = read(folder / f"pagefind.{about['hash']}.pf_meta")
        if not (isinstance(meta, list) and len(meta) == 6 and str(meta[0]).startswith("1.5")):
            raise BundleMergeError(f"{folder.name}: Pagefind {entry.get('version')}'s bundles are not the format this program joins (1.5)")
        if meta[4]:
            raise BundleMergeError(f"{folder.name}: pages sorted by data-pagefind-sort cannot be joined")
        return cls(folder, language, entry, meta)

    @property
    def pages(self) -> list:
        return self.meta[1]

    def words(self, index: int) -> Iterator[tuple[str, int, list]]:
        """(word, this part's index, [word, pages, variants]) in code-point order, one chunk in memory at a time."""
        for _first, _last, name in self.meta[2]:
            for word in read(self.folder / "index" / f"{name}.pf_index")[0]:
                yield word[0], index, word


class _Names:
    """File names as Pagefind makes them: the language, then the shortest SHA-1 start no other file has."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.taken: dict[str, str] = {}

    def name(self, digest: str, shortest: int = 7) -> str:
        for length in range(shortest, len(digest) + 1):
            name = f"{self.language}_{digest[:length]}"
            if self.taken.setdefault(name, digest) == digest:
                return name
        raise BundleMergeError(f"two files of the search index have the same SHA-1 {digest}")


def merge(folders: list[Path], out: Path) -> int:
    """Join the bundles in ``folders`` (each one language, the same) into a new bundle ``out``; its page count."""
    parts = [Part.open(folder) for folder in folders]
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
    out.mkdir(parents=True)
    _copy_scripts(parts[0].folder, out)
    names = _Names(language)
    pages = _fragments(parts, out, names)
    chunks = _word_index(parts, renumber, out, names)
    filters = _filters(parts, out, names)
    meta = cbor2.dumps([version, pages, chunks, filters, [], fields])
    meta_name = f"{language}_{hashlib.sha1(meta).hexdigest()[: len(language) + 8]}"
    write(out / f"pagefind.{meta_name}.pf_meta", meta)
    entry = dict(parts[0].entry)
    entry["languages"] = {language: {**parts[0].entry["languages"][language], "hash": meta_name, "page_count": len(pages)}}
    (out / "pagefind-entry.json").write_text(json.dumps(entry, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    return len(pages)


def _copy_scripts(first: Path, out: Path) -> None:
    """Pagefind's scripts, styles and WebAssembly: the same in every part."""
    for path in first.iterdir():
        if path.is_file() and not path.name.endswith(".pf_meta") and path.name != "pagefind-entry.json" and not path.name.startswith("."):
            _link(path, out / path.name)


def _fragments(parts: list[Part], out: Path, names: _Names) -> list:
    """Every page's fragment, linked; renamed only where two parts gave different pages the same name."""
    (out / "fragment").mkdir()
    pages = []
    for part in parts:
        for fragment, word_count in part.pages:
            source = part.folder / "fragment" / f"{fragment}.pf_fragment"
            digest = hashlib.sha1(gzip.decompress(source.read_bytes())[len(SIGNATURE) :]).hexdigest()
            name = names.name(digest, len(fragment) - len(part.language) - 1)
            target = out / "fragment" / f"{name}.pf_fragment"
            if not target.exists():  # identical pages share one fragment, as in Pagefind's own bundles
                _link(source, target)
            pages.append([name, word_count])
    return pages


def _word_index(parts: list[Part], renumber: list[dict | None], out: Path, names: _Names) -> list:
    """Every part's words merged in order, written in chunks as Pagefind cuts them; the chunks' metadata."""
    (out / "index").mkdir()
    chunks: list[list] = []
    chunk: list = []
    size = 0
    merged = heapq.merge(*(part.words(i) for i, part in enumerate(parts)), key=lambda w: w[0])
    for word, group in itertools.groupby(merged, key=lambda w: w[0]):
        pages: list = []
        variants: dict[str, list] = {}
        last = 0  # the joined number of this word's last page so far
        ends: dict[str, int] = {}
        for _word, i, (_, part_pages, part_variants) in group:
            offset, fields = parts[i].offset, renumber[i]
            last = _append(pages, part_pages, offset, last, fields)
            for form, form_pages in part_variants:
                ends[form] = _append(variants.setdefault(form, []), form_pages, offset, ends.get(form, 0), fields)
        chunk.append([word, pages, [[form, p] for form, p in variants.items()]])
        size += sum(len(p[1]) + len(p[2]) + 1 for p in pages)
        if size >= CHUNK_SIZE:
            chunks.append(_write_chunk(chunk, out, names))
            chunk, size = [], 0
    if chunk:
        chunks.append(_write_chunk(chunk, out, names))
    for before, after in itertools.pairwise(chunks):  # as Pagefind: the shortest prefixes that tell chunks apart
        common = next((i for i, (a, b) in enumerate(zip(before[1], after[0], strict=False)) if a != b), min(len(before[1]), len(after[0])))
        if before[1][: common + 1] >= before[0]:
            before[1] = before[1][: common + 1]
        after[0] = after[0][: common + 1]
    return chunks


def _append(joined: list, pages: list, offset: int, last: int, fields: dict | None) -> int:
    """Add one part's pages of a word to the joined list; the joined number of the last page."""
    if not pages:
        return last
    first = offset + pages[0][0]
    pages[0][0] = first - last
    if fields is not None:
        for page in pages:
            page[2] = _renumber_fields(page[2], fields)
    joined.extend(pages)
    return first + sum(p[0] for p in pages[1:])


def _renumber_fields(locations: list, fields: dict) -> list:
    """Meta-field locations with the joined bundle's field numbers (a field's locations follow -(its number + 1)).
    Both lists of fields are sorted, so the numbers keep their order and the groups need no sorting again."""
    return [-(fields[-value - 1] + 1) if value < 0 else value for value in locations]


def _write_chunk(words: list, out: Path, names: _Names) -> list:
    name = _write_named(out / "index", "pf_index", [words], names)
    return [words[0][0], words[-1][0], name]


def _write_named(folder: Path, suffix: str, value: Any, names: _Names) -> str:
    """Write a data file under the name its content gives it; the name."""
    data = cbor2.dumps(value)
    name = names.name(hashlib.sha1(data).hexdigest())
    write(folder / f"{name}.{suffix}", data)
    return name


def _filters(parts: list[Part], out: Path, names: _Names) -> list:
    values: dict[str, dict[str, list[int]]] = {}
    for part in parts:
        for _filter, name in part.meta[3]:
            filter_name, filter_values = read(part.folder / "filter" / f"{name}.pf_filter")
            for value, pages in filter_values:
                values.setdefault(filter_name, {}).setdefault(value, []).extend(part.offset + p for p in pages)
    (out / "filter").mkdir()
    listed = []
    for filter_name in sorted(values):
        value = [filter_name, [[value, pages] for value, pages in sorted(values[filter_name].items())]]
        listed.append([filter_name, _write_named(out / "filter", "pf_filter", value, names)])
    return listed


def _link(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


if __name__ == "__main__":  # ``searchindex.PartedIndex`` runs the joining so, in a process of its own
    print(merge([Path(folder) for folder in sys.argv[2:]], Path(sys.argv[1])))
