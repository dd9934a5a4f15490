"""The pages of a build on disk: appended as they arrive, read back in parts, sealed as the next build's cache."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from generator.core import cachefile
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
    cachefile.write(index, 5, "key", ("../../records/x.pages", 10, {}, [], None))
    assert StoredPages.open(root, "zh-Hant", "key") is None


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
