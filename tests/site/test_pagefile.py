"""The pages of a build on disk: appended as they arrive, read back in parts, sealed as the next build's cache."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from generator.core import cachefile
from generator.site import pagefile
from generator.site.pagefile import MemoryPages, PageFile, StoredPages, encode

CONVERTED = ("# 訂單 ORD-2026-0001\n\n<div>x</div>\n", (0, {"title": "t"}, "<h1 id='a'>訂單</h1>\n<p>\ud800?</p>", [{"level": 1}], "訂單", ["a"], None, []))
PLAIN = ("# Not converted\n", None)
OTHER = ("# Another finish\n", ("path", 12, 3456))  # what a test's finish makes: no HTML to set apart


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()  # the caches go to the git directory
    return tmp_path


def test_a_page_comes_back_whole_or_without_its_html(root):
    pages = PageFile(root, "zh-Hant")
    for path, page in (("a.md", CONVERTED), ("b.md", PLAIN), ("c.md", OTHER)):
        pages.put(path, page)
    assert pages.get("a.md") == CONVERTED and pages.get("b.md") == PLAIN and pages.get("c.md") == OTHER
    markdown, conversion = pages.get("a.md", html=False)
    assert markdown == CONVERTED[0] and conversion[2] is None and conversion[3:] == CONVERTED[1][3:]
    assert pages.html("a.md") == CONVERTED[1][2]
    assert pages.conversion("a.md") == conversion and pages.conversion("b.md") == PLAIN[1]  # read alone, as without its html
    pages.close()
    assert not list(cachefile.folder(root).iterdir())  # never sealed: nothing kept


def test_a_worker_record_is_stored_unread_and_memory_pages_agree(root):
    pages, memory = PageFile(root, "en"), MemoryPages()
    for store in (pages, memory):
        store.put_record("a.md", *encode(CONVERTED))
    assert pages.get("a.md") == memory.get("a.md") == CONVERTED
    assert pages.html("a.md") == memory.html("a.md")
    pages.close()


def test_a_sealed_file_is_the_next_builds_cache_for_its_key_only(root):
    pages = PageFile(root, "zh-Hant")
    pages.put("a.md", CONVERTED)
    pages.put("b.md", PLAIN)
    pages.seal("key-1", [("records/x.yaml", 1, 1, "r", "m", "", "error", False, "")])
    pages.close()
    assert StoredPages.open(root, "zh-Hant", "key-2") is None
    assert StoredPages.open(root, "en", "key-1") is None
    stored = StoredPages.open(root, "zh-Hant", "key-1")
    assert list(stored.index) == ["a.md", "b.md"] and stored.get("a.md") == CONVERTED and stored.get("b.md") == PLAIN
    assert [p.rule for p in stored.problems] == ["r"]
    again = PageFile(root, "zh-Hant")  # a later build seals a new file; a build still reading the old one can
    again.put("a.md", PLAIN)
    again.seal("key-3", [])
    again.close()
    assert stored.get("a.md") == CONVERTED
    stored.close()
    assert len(list(cachefile.folder(root).glob("site-zh-Hant-*.pages"))) == 1


def test_a_page_file_cut_short_or_named_elsewhere_is_no_cache(root):
    pages = PageFile(root, "zh-Hant")
    pages.put("a.md", CONVERTED)
    pages.seal("key", [])
    pages.close()
    [kept] = cachefile.folder(root).glob("site-zh-Hant-*.pages")
    with open(kept, "r+b") as handle:
        handle.truncate(os.path.getsize(kept) - 1)
    assert StoredPages.open(root, "zh-Hant", "key") is None
    index = cachefile.folder(root) / "site-zh-Hant.marshal"
    cachefile.write(index, pagefile._VERSION, "key", ([("../../records/x.pages", 10)], {}, [], None))
    assert StoredPages.open(root, "zh-Hant", "key") is None
    cachefile.write(index, pagefile._VERSION, "key", ([(kept.name, os.path.getsize(kept))], {"a.md": (0, (1, 1, 1), None, 1)}, [], None))
    assert StoredPages.open(root, "zh-Hant", "key") is None, "a page in a file the cache does not name"


def test_what_a_killed_build_left_is_removed_by_the_next(root):
    folder = cachefile.folder(root)
    folder.mkdir()
    stale = folder / ".site-zh-Hant.pages.99999999.tmp"  # no such process
    stale.write_bytes(b"half a page")
    PageFile(root, "zh-Hant").close()
    assert not stale.exists()


def test_a_folder_that_cannot_be_written_keeps_the_pages_in_a_temporary_file(root, monkeypatch):
    monkeypatch.setattr(cachefile, "folder", lambda _root: Path("/proc/no-such-folder"))
    pages = PageFile(root, "zh-Hant")
    pages.put("a.md", CONVERTED)
    assert pages.get("a.md") == CONVERTED
    pages.seal("key", [])  # nothing kept, nothing raised
    pages.close()


def _files(root: Path, language: str = "zh-Hant") -> dict[str, int]:
    return {p.name: p.stat().st_size for p in cachefile.folder(root).glob(f"site-{language}-*.pages")}


def _build(root: Path, key: str, made: dict[str, tuple], kept: list[str]) -> StoredPages:
    """One build's pages: ``made`` rendered now, ``kept`` taken from the last build's cache; then the new cache."""
    earlier = StoredPages.open(root, "zh-Hant", None)
    pages = PageFile(root, "zh-Hant")
    for path in kept:
        pages.copy_from(earlier, path)
    for path, page in made.items():
        pages.put(path, page)
    pages.seal(key, [])
    pages.close()
    if earlier is not None:
        earlier.close()
    return StoredPages.open(root, "zh-Hant", key)


def test_a_later_build_leaves_the_pages_it_keeps_in_the_earlier_file_and_names_it(root):
    """A merged pull request makes a few pages again and keeps the others: they stay where they are, and the
    new file holds only the pages made. A file no page is in any more is removed."""
    page = {f"d{n}.md": (f"# Dossier {n}\n" + "x" * 2000, CONVERTED[1]) for n in range(10)}
    first = _build(root, "k1", page, [])
    [first_file] = _files(root)
    edited = ("# Dossier 3, edited\n", CONVERTED[1])
    second = _build(root, "k2", {"d3.md": edited}, [p for p in page if p != "d3.md"])
    assert first_file in _files(root) and len(_files(root)) == 2
    assert sorted(_files(root).values())[0] < 1000, "the new file holds the one page made"
    assert {path: second.get(path) for path in page} == {**{path: first.get(path) for path in page}, "d3.md": edited}
    first.close()
    second.close()
    third = _build(root, "k3", page, [])  # every page made again (a template changed): nothing of the others is left
    assert len(_files(root)) == 1 and first_file not in _files(root)
    assert {path: third.get(path) for path in page} == page
    third.close()


def test_pages_kept_together_are_indexed_as_pages_kept_one_by_one(root):
    """``copy_many`` (the pages a merge's build finds the last build made, a batch at a time) leaves each page where
    ``copy_from`` leaves it, with the facts given or its own, the earlier file named once."""
    page = {f"d{n}.md": (f"# Dossier {n}\n" + "x" * 200, CONVERTED[1]) for n in range(10)}
    _build(root, "k1", page, []).close()
    earlier = StoredPages.open(root, "zh-Hant", None)
    given = [(path, ("new facts", n) if n % 3 == 0 else None) for n, path in enumerate(page)]
    one, many = PageFile(root, "zh-Hant"), PageFile(root, "zh-Hant")
    for path, facts in given:
        one.copy_from(earlier, path, facts)
    many.copy_many(earlier, given)
    assert many.index == one.index and many.shared == one.shared and len(many.fds) == len(one.fds) == 2
    assert [many.get(path) for path in page] == list(page.values())
    memory = MemoryPages()
    memory.copy_many(earlier, given)
    assert memory.pages == page
    for store in (one, many, earlier):
        store.close()


def test_a_cache_stays_a_few_files_within_twice_its_pages_however_many_builds_it_went_through(root, monkeypatch):
    monkeypatch.setattr(pagefile, "MAX_FILES", 3)
    page = {f"d{n}.md": (f"# Dossier {n}\n" + "x" * 1000, CONVERTED[1]) for n in range(10)}
    stored = _build(root, "k0", page, [])
    for n in range(1, 9):  # each build makes one page again, and keeps the other nine
        edited = f"d{n}.md"
        page[edited] = (f"# Dossier {n}, build {n}\n" + "y" * 1000, None)
        stored.close()
        stored = _build(root, f"k{n}", {edited: page[edited]}, [p for p in page if p != edited])
        assert len(_files(root)) <= 3
        assert {path: stored.get(path) for path in page} == page
    stored.close()
    stored = _build(root, "k9", {p: page[p] for p in list(page)[:6]}, list(page)[6:])  # most made again: the rest copied
    assert len(_files(root)) == 1 and {path: stored.get(path) for path in page} == page
    assert sum(_files(root).values()) < 2 * sum(len(encode(v)[0]) for v in page.values())
    stored.close()


def test_a_cache_whose_earlier_file_was_cut_short_is_no_cache(root):
    page = {f"d{n}.md": (f"# Dossier {n}\n", CONVERTED[1]) for n in range(4)}
    _build(root, "k1", page, []).close()
    [first] = _files(root)
    _build(root, "k2", {"d0.md": PLAIN}, ["d1.md", "d2.md", "d3.md"]).close()
    path = cachefile.folder(root) / first
    with open(path, "r+b") as handle:
        handle.truncate(path.stat().st_size - 1)
    assert StoredPages.open(root, "zh-Hant", "k2") is None
