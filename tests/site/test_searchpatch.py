"""A join made again only where parts changed is byte for byte the join of every part."""

from __future__ import annotations

import hashlib
import io
import marshal
import os
import shutil
import sys

import pytest
from test_searchmerge import _files, bundle, other, page

from generator.site import searchmerge, searchpatch
from generator.site.searchindex import searchable
from generator.site.searchmerge import merge


@pytest.fixture
def joins(tmp_path, monkeypatch):
    """Parts of three years and other pages, joined once with a record; ``again(edits)`` indexes the edited parts
    anew, joins beside the last bundle and returns (the bundle, whether every part was joined again), after
    checking it against a join of every part from nothing."""
    monkeypatch.setattr(searchmerge, "CHUNK_SIZE", 400)  # dozens of chunks: edits fall in some, move bounds of others
    pages = {str(year): [page(year, n) for n in range(1, 31)] for year in (2024, 2025, 2026)}
    pages["pages"] = [other(name) for name in ("archive", "reports", "guides")]
    decoded = tmp_path / "decoded"
    folders = {name: bundle(listed, tmp_path / "v0" / name) for name, listed in pages.items()}
    merge(list(folders.values()), tmp_path / "joined0", decoded=decoded)
    state = {"last": tmp_path / "joined0", "round": 0}
    full = []
    real = searchmerge._word_index
    monkeypatch.setattr(searchmerge, "_word_index", lambda *a: full.append(1) or real(*a))

    def again(edits: dict[str, dict[int, str]]):
        state["round"] += 1
        n = state["round"]
        for name, changed in edits.items():
            for number, html in changed.items():
                url = pages[name][number][0]
                pages[name][number] = (url, html if html.startswith("<!doctype") else searchable(html, "zh-Hant"))
            folders[name] = bundle(pages[name], tmp_path / f"v{n}" / name)
        full.clear()
        out = tmp_path / f"joined{n}"
        count = merge(list(folders.values()), out, previous=state["last"], decoded=decoded)
        every = bool(full)
        plain = tmp_path / f"plain{n}"
        assert merge(list(folders.values()), plain) == count
        assert _files(out) == _files(plain)
        state["last"] = out
        return out, every

    return again


def dossier(year: int, number: int, text: str) -> str:
    order = f"ORD-{year}-{number:04d}"
    return f'<h1>{order}</h1><p>{text}</p><span data-pagefind-filter="年度">{year}</span><span data-pagefind-filter="客戶">宏遠物流股份有限公司</span>'


def test_one_page_edited_is_joined_again_in_the_chunks_of_its_changed_words_alone(joins, monkeypatch):
    read, changed = [], []
    real, real_changes = searchpatch.Join.chunk_data, searchpatch._changes
    monkeypatch.setattr(searchpatch.Join, "chunk_data", lambda self, chunk, about: read.append(chunk.name) or real(self, chunk, about))
    monkeypatch.setattr(searchpatch, "_changes", lambda *a: changed.append(found := real_changes(*a)) or found)
    out, every = joins({"2025": {3: page(2025, 4)[1].replace("</div></body>", "<p>zebra</p></div></body>")}})  # a word at the end
    assert not every and sorted(changed[0]) == ["zebra"] and len(read) == 1 and len(list((out / "index").iterdir())) > 100
    read.clear()
    _, every = joins({"2025": {3: page(2025, 4)[1].replace("</dd>", " 專案</dd>", 1)}})  # a word early: the others move
    assert not every and len(read) <= len(changed[1]) < 100


def test_a_patch_reads_the_kept_words_of_the_changed_part_alone(joins, monkeypatch):
    """Every join opened what the last join kept of each part and checked all of it (50 MB an edition at 10,000
    orders) where a merge patches one part: the others' words are never read, only their fragments' digests."""
    read = []
    real = searchmerge._Kept.words
    monkeypatch.setattr(searchmerge._Kept, "words", lambda self: read.append(self.path.name) or real(self))
    _, every = joins({"2025": {3: page(2025, 4)[1].replace("</dd>", " 專案</dd>", 1)}})
    assert not every and read and set(read) <= {"2025.words"}


@pytest.fixture
def splices(monkeypatch):
    """Each word joined again in a changed part: (word, whether its run was found by its bytes)."""
    made: list[tuple[str, bool]] = []
    real = searchpatch._spliced

    def spliced(data, start, end, word, *rest):
        made.append((word, bool(found := real(data, start, end, word, *rest))))
        return found

    monkeypatch.setattr(searchpatch, "_spliced", spliced)
    return made


def test_a_word_moved_on_its_page_has_its_run_found_by_its_bytes_not_by_reading_its_pages(joins, splices, monkeypatch):
    """A word early on a dossier moves every word after it: each is spliced, not split into every part's pages."""
    walked = []
    real = searchpatch._rejoined
    monkeypatch.setattr(searchpatch, "_rejoined", lambda word, *rest: walked.append(word) or real(word, *rest))
    _, every = joins({"2025": {7: page(2025, 8)[1].replace("</dd>", " 專案 修訂</dd>", 1)}})
    assert not every
    moved = {word for word, found in splices if found}
    assert len(moved) > 30 and {"w3", "acceptance", "交付"} <= moved
    assert sorted(walked) == ["cafe", "修", "專", "案", "訂"]  # new to the part (the characters of 專案 修訂), or with a variant (café)


def test_the_words_a_patch_copies_are_found_by_the_chunks_layout_not_read(joins, monkeypatch):
    """A chunk the patch makes again is mostly words it copies as they were: where each starts and ends, and its
    weight, are recorded with the chunk. Only a word joined again from its parts' pages is read."""
    read_out, read = [], []
    real_out, real_at = searchpatch._read_out, searchmerge.word_at
    monkeypatch.setattr(searchpatch, "_read_out", lambda data, name: read_out.append(name) or real_out(data, name))

    def word_at(data, at, name):
        found = real_at(data, at, name)
        if sys._getframe(1).f_code.co_name == "_patched":  # the patch's own reading, not the changed part's words
            read.append(found.word)
        return found

    monkeypatch.setattr(searchmerge, "word_at", word_at)
    walked = []
    real = searchpatch._rejoined
    monkeypatch.setattr(searchpatch, "_rejoined", lambda word, *rest: walked.append(word) or real(word, *rest))
    _, every = joins({"2025": {7: page(2025, 8)[1].replace("</dd>", " 專案 修訂</dd>", 1)}})
    assert not every and read_out == []
    assert read and set(read) <= set(walked), "read: only words not spliced"


def test_a_layout_that_does_not_fit_its_chunk_is_read_from_the_chunk(joins, tmp_path, monkeypatch):
    """A chunk's recorded layout is used only where it fits the chunk's content word for word; otherwise the chunk
    is read, and the bundle is the same (``joins`` compares it with a join of every part)."""
    joins({"2025": {3: dossier(2025, 4, "first edit")}})
    record = tmp_path / "decoded" / searchpatch.RECORD
    stored = io.BytesIO(record.read_bytes())
    marshal.load(stored)
    *rest, layouts = marshal.load(stored)
    misfit = []
    for words, lengths, weights in layouts:  # a byte moved from each chunk's first entry to its second
        misfit.append((words, (lengths[0] - 1, lengths[1] + 1, *lengths[2:]) if len(lengths) > 1 else lengths, weights))
    body = marshal.dumps((*rest, misfit))
    record.write_bytes(marshal.dumps((searchpatch._FORMAT, hashlib.sha1(body).hexdigest())) + body)
    read_out = []
    real_out = searchpatch._read_out
    monkeypatch.setattr(searchpatch, "_read_out", lambda data, name: read_out.append(name) or real_out(data, name))
    _, every = joins({"2025": {3: dossier(2025, 4, "second edit, with more words")}})
    assert not every and read_out


def test_a_run_whose_bytes_occur_twice_in_the_entry_is_joined_from_every_parts_pages(joins, splices):
    """Three years each with ``twin`` once, at the same place on a page: the run of 2025 is the bytes of 2024's
    and 2026's runs too, so where it is only the pages tell."""
    same = {year: {0: dossier(year, 1, "twin")} for year in ("2024", "2025", "2026")}
    joins(same)
    _, every = joins({"2025": {0: dossier(2025, 1, "a twin")}})
    assert not every and ("twin", False) in splices


def test_a_part_after_a_word_on_the_first_page_alone_is_numbered_from_that_page(joins, splices):
    """The last page before 2025's run is page 0: the difference written is the run's own first number."""
    joins({"2024": {0: dossier(2024, 1, "solo")}, "2025": {4: dossier(2025, 5, "one solo")}})
    _, every = joins({"2025": {4: dossier(2025, 5, "one more solo")}})
    assert not every and ("solo", True) in splices


def test_words_new_to_the_index_before_the_first_and_after_the_last_and_words_gone_from_it(joins):
    _, every = joins({"2024": {0: dossier(2024, 1, "0000first zzzzlast w3 onlyhere onlyhere2")}})
    assert not every
    _, every = joins({"2024": {0: dossier(2024, 1, "w3")}})  # onlyhere, 0000first, zzzzlast leave the index
    assert not every


def test_a_word_made_heavy_and_light_again_moves_the_bounds_of_the_chunks_after_it(joins):
    heavy = " ".join(["w5"] * 150 + ["w6 w7"] * 60)
    _, every = joins({"2026": {10: dossier(2026, 11, heavy), 11: dossier(2026, 12, heavy)}})
    assert not every
    _, every = joins({"2026": {10: dossier(2026, 11, "w5"), 11: dossier(2026, 12, "w6")}})
    assert not every


def test_variants_of_a_word_keep_the_order_a_join_of_every_part_gives_them(joins):
    """résumè and resumé are variants of resume, listed in the order each first appears, part by part, page by page."""
    _, every = joins({"2025": {0: dossier(2025, 1, "résumè"), 1: dossier(2025, 2, "resumé")}})
    assert not every
    _, every = joins({"2026": {0: dossier(2026, 1, "résumé resumé")}})
    assert not every
    _, every = joins({"2025": {0: dossier(2025, 1, "resumé"), 2: dossier(2025, 3, "résumè")}})  # 2025 lists them otherwise now
    assert not every
    _, every = joins({"2025": {0: dossier(2025, 1, "cafe"), 1: dossier(2025, 2, "cafe"), 2: dossier(2025, 3, "cafe")}})
    assert every  # resumé first in 2026 now: where it goes among 2026's variants only 2026's words tell
    _, every = joins({"2025": {0: dossier(2025, 1, "resumé"), 1: dossier(2025, 2, "résumé")}, "2026": {0: dossier(2026, 1, "cafe")}})
    assert every  # two parts changed, of four: every part joined


def test_a_second_edit_of_the_same_part_patches_the_patched_join(joins):
    for round_ in range(4):
        _, every = joins({"2024": {round_ * 5: dossier(2024, round_ * 5 + 1, f"w{round_} 第{round_}版 edit{round_}")}})
        assert not every


def test_anything_the_record_cannot_vouch_for_joins_every_part(joins, tmp_path):
    joins({"2024": {1: dossier(2024, 2, "first edit")}})
    last = tmp_path / "joined1"
    chunk = next(c for c in (last / "index").iterdir())
    data = searchmerge.unpack(chunk)
    chunk.unlink()
    chunk.write_bytes(searchmerge.gzip.compress(searchmerge.SIGNATURE + data[:-1] + b"\x00", mtime=0))  # another content
    _, every = joins({"2024": {1: dossier(2024, 2, "second edit")}})
    assert every
    record = tmp_path / "decoded" / searchpatch.RECORD
    damaged = bytearray(record.read_bytes())
    damaged[-1] ^= 1
    record.write_bytes(bytes(damaged))
    _, every = joins({"2024": {1: dossier(2024, 2, "third edit")}})
    assert every
    _, every = joins({"2024": {1: dossier(2024, 2, "fourth edit")}})  # recorded again by the join before
    assert not every
    stored = io.BytesIO(record.read_bytes())
    marshal.load(stored)
    version, meta_name, meta_digest, fields, parts, chunks, layouts = marshal.load(stored)
    body = marshal.dumps((version, meta_name, meta_digest, fields, [part[:3] for part in parts], chunks, layouts))  # sealed, of the bundle, misshapen
    record.write_bytes(marshal.dumps((searchpatch._FORMAT, hashlib.sha1(body).hexdigest())) + body)
    _, every = joins({"2024": {1: dossier(2024, 2, "fifth edit")}})
    assert every


def test_a_part_with_more_pages_or_another_bundle_beside_joins_every_part(joins, tmp_path):
    joins({"2025": {2: dossier(2025, 3, "an edit")}})
    shutil.rmtree(tmp_path / "joined1" / "index")
    os.mkdir(tmp_path / "joined1" / "index")  # the last bundle's chunks are gone
    _, every = joins({"2025": {2: dossier(2025, 3, "another edit")}})
    assert every


def test_a_changed_part_without_a_meta_field_others_have_is_numbered_as_a_join_of_every_part_numbers_it(joins):
    """The other pages have no ``client`` field, the dossiers have: their part's meta locations are numbered anew."""
    html = '<h1>archive</h1><p>保存期限 retention w3 w5 pacific</p><span data-pagefind-meta="title">保存</span>'
    _, every = joins({"pages": {0: html}})
    assert not every


def test_a_last_bundle_restored_as_new_files_is_patched_from_their_content(joins, tmp_path, monkeypatch):
    """A cache restored by CI gives every file a new inode and time: the chunks are then read and compared by
    content, and the join is still patched."""
    joins({"2026": {4: dossier(2026, 5, "before the cache was saved")}})
    restored = tmp_path / "restored"
    shutil.copytree(tmp_path / "joined1", restored)
    shutil.rmtree(tmp_path / "joined1")
    restored.rename(tmp_path / "joined1")
    for chunk in (tmp_path / "joined1" / "index").iterdir():
        os.utime(chunk, ns=(1, 1))
    _, every = joins({"2026": {4: dossier(2026, 5, "after the cache was restored")}})
    assert not every


def test_a_changed_part_told_to_the_joining_ahead_is_patched_from_what_the_last_join_kept_of_it(tmp_path, monkeypatch):
    """The joining started ahead reads each part it is told is made (``searchmerge.read_ahead``), but what the last
    join kept of a part is what a patch compares that part with: read ahead over it, the record was gone and a
    merge's join joined every part again (1.1–1.2 s an edition at 10,000 orders). A part the last join kept is left to the join."""
    monkeypatch.setattr(searchmerge, "CHUNK_SIZE", 400)
    pages = {str(year): [page(year, n) for n in range(1, 31)] for year in (2024, 2025, 2026)}
    pages["pages"] = [other(name) for name in ("archive", "reports", "guides")]
    decoded = tmp_path / "decoded"
    folders = {name: bundle(listed, tmp_path / "v0" / name) for name, listed in pages.items()}
    merge(list(folders.values()), tmp_path / "joined0", decoded=decoded)
    kept = (decoded / "2025.words").read_bytes()
    pages["2025"][3] = (pages["2025"][3][0], page(2025, 4)[1].replace("</dd>", " 專案</dd>", 1))
    folders["2025"] = bundle(pages["2025"], tmp_path / "v1" / "2025")
    full = []
    real = searchmerge._word_index
    monkeypatch.setattr(searchmerge, "_word_index", lambda *a: full.append(1) or real(*a))
    told = b"+" + os.fsencode(folders["2025"]) + b"\0"
    searchmerge._given(io.BytesIO(told), decoded, {})
    assert (decoded / "2025.words").read_bytes() == kept, "what the last join kept of the part, as it kept it"
    listed = b"".join(os.fsencode(folder) + b"\0" for folder in folders.values())
    command = ["--previous", str(tmp_path / "joined0"), "--decoded", str(decoded), "--ahead", str(tmp_path / "joined1"), *map(str, folders.values())]
    assert searchmerge.main(command, io.BytesIO(told + listed)) == 93
    assert not full, "patched, not every part joined again"
    assert merge(list(folders.values()), tmp_path / "plain") == 93
    assert _files(tmp_path / "joined1") == _files(tmp_path / "plain")
