"""Parts of a site indexed apart and joined answer every query as one Pagefind index of all the pages does."""

from __future__ import annotations

import json
import os
import shutil
import time

import pytest
from bundles import answers

from generator.site import bundleseal, searchmerge
from generator.site.searchindex import SearchIndex, page_url, searchable
from generator.site.searchmerge import BundleMergeError, merge

CLIENTS = ["宏遠物流股份有限公司", "Pacific Rim Trading Ltd.", "台灣數位科技股份有限公司", "九龍城建設有限公司"]


def page(year: int, number: int) -> tuple[str, str]:
    order = f"ORD-{year}-{number:04d}"
    client = CLIENTS[(year + number) % len(CLIENTS)]
    words = " ".join(f"w{(number * 7 + i) % 97}" for i in range(40 + number % 30))  # many words, many pages each
    body = (
        f"<h1>{order} · {client}</h1><dl><dt>客戶</dt><dd>{client}</dd><dt>狀態</dt><dd>結算</dd></dl>"
        f'<p>{words} 交付與驗收 acceptance café cafe</p><span data-pagefind-filter="年度">{year}</span>'
        f'<span data-pagefind-filter="客戶">{client}</span>'
    )
    if number % 5 == 0:  # a meta field only some pages have, so the parts list different fields
        body += f'<span data-pagefind-meta="client">{client}</span>'
    return page_url(f"dossiers/{order}.html"), searchable(body, "zh-Hant")


def other(name: str) -> tuple[str, str]:
    return page_url(f"{name}/index.html"), searchable(f"<h1>{name}</h1><p>保存期限 retention w3 w5</p>", "zh-Hant")


def bundle(pages: list[tuple[str, str]], folder):
    with SearchIndex() as index:
        for url, html in pages:
            index.add(url, html)
        index.write(folder)
    return folder


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Three years of dossiers and a few other pages: each part a bundle of its own, and one bundle of everything."""
    tmp = tmp_path_factory.mktemp("parts")
    years = {year: [page(year, n) for n in range(1, 41 if year != 2025 else 6)] for year in (2024, 2025, 2026)}
    others = [other(name) for name in ("archive", "reports", "guides")]
    parts = [bundle(pages, tmp / str(year)) for year, pages in years.items()] + [bundle(others, tmp / "pages")]
    whole = bundle([p for pages in years.values() for p in pages] + others, tmp / "whole")
    return tmp, parts, whole


def test_run_as_its_own_process_the_joining_seals_what_it_joined_with_its_parts_hashes(site, tmp_path, monkeypatch):
    """``--seal``: the joined bundle's manifest written by the joining process, off the build's own (its lock); the
    fragments it linked from sealed parts take their hashes from the parts' manifests, unread."""
    _, parts, _ = site
    copies = [tmp_path / part.name for part in parts]
    for part, copy in zip(parts, copies, strict=True):
        shutil.copytree(part, copy)
        bundleseal.seal_bundle(copy, "a part")
    hashed, real = [], bundleseal._sha1
    monkeypatch.setattr(bundleseal, "_sha1", lambda path: hashed.append(path.relative_to(tmp_path).as_posix()) or real(path))
    assert searchmerge.main(["--seal", "the key", str(tmp_path / "joined"), *map(str, copies)]) == 88
    assert bundleseal.bundle_fits(tmp_path / "joined", "the key") and not bundleseal.bundle_fits(tmp_path / "joined", "another key")
    read = [path for path in hashed if path.startswith("joined/")]
    assert read and not [path for path in read if path.startswith("joined/fragment/")], "the linked fragments' hashes were the parts'"


def test_a_join_started_ahead_opens_the_parts_it_foresees_and_again_any_written_since(site, tmp_path):
    """``--ahead``: the joining starts, and opens the parts it is told of, before the build has them all; it is given
    the parts to join once the build has them. A part Pagefind wrote again meanwhile (into a folder of its own,
    renamed into place) is opened again, and the bundle is the one a join of the parts as they are makes."""
    import io

    _, parts, _ = site
    copies = [tmp_path / "parts" / part.name for part in parts]
    for part, copy in zip(parts, copies, strict=True):
        shutil.copytree(part, copy)
    opened = searchmerge.opened_ahead([*copies, tmp_path / "parts" / "not-yet"], None)
    assert sorted(opened) == sorted(copies), "a folder not there yet is left to the join"
    written = bundle([page(2025, n) for n in range(1, 9)], tmp_path / "written")  # 2025 indexed again: eight pages, not five
    copies[1].rename(tmp_path / "old")
    written.rename(copies[1])
    given = io.BytesIO(b"".join(os.fsencode(copy) + b"\0" for copy in copies))
    assert searchmerge.main(["--ahead", str(tmp_path / "ahead"), *map(str, copies)], given) == 80 + 8 + 3
    assert merge(copies, tmp_path / "plain") == 91
    assert _files(tmp_path / "ahead") == _files(tmp_path / "plain")
    assert searchmerge.main(["--ahead", str(tmp_path / "nothing"), *map(str, copies)], io.BytesIO(b"")) is None
    assert not (tmp_path / "nothing").exists(), "nothing given, nothing joined"


def test_a_part_told_as_it_is_made_is_read_then_and_joined_from_what_was_read(site, tmp_path, monkeypatch):
    """A cold build's joining decoded every part's words once the last part was indexed (4.6–4.8 s an edition at
    10,000 orders, on one core): a join started ahead reads each part it is told is made (``+`` and its folder) as it
    is told, and the join at the end loads what was read instead of Pagefind's files. A part told that cannot be
    read is left to the join; the bundle is the one a plain join of the parts makes."""
    from concurrent.futures import ThreadPoolExecutor

    _, parts, _ = site
    copies = [tmp_path / "parts" / part.name for part in parts]
    for part, copy in zip(parts, copies, strict=True):
        shutil.copytree(part, copy)
    decoded = tmp_path / "decoded"
    chunks = {copy: {name for _, _, name in searchmerge.Part.open(copy).meta[2]} for copy in copies}
    decoding: list[str] = []
    real = searchmerge._words
    monkeypatch.setattr(searchmerge, "_words", lambda data, name: decoding.append(name) or real(data, name))
    read, write = os.pipe()
    with open(read, "rb") as given, ThreadPoolExecutor(1) as pool, open(write, "wb", buffering=0) as tell:  # closed first
        command = ["--decoded", str(decoded), "--ahead", str(tmp_path / "ahead"), *map(str, copies)]
        joining = pool.submit(searchmerge.main, command, given)
        tell.write(b"+" + os.fsencode(tmp_path / "parts" / "not-there") + b"\0+" + os.fsencode(copies[0]) + b"\0")
        deadline = time.monotonic() + 60
        while not (decoded / f"{copies[0].name}.words").exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert (decoded / f"{copies[0].name}.words").exists(), "read as it was told, the list of parts not given yet"
        assert set(decoding) == chunks[copies[0]] and not joining.done()
        decoding.clear()
        tell.write(b"".join(os.fsencode(copy) + b"\0" for copy in copies))
        tell.close()
        assert joining.result(timeout=60) == 88
    assert not set(decoding) & chunks[copies[0]], "the part read ahead was not decoded again"
    assert set(decoding) == set().union(*(chunks[copy] for copy in copies[1:]))
    assert merge(copies, tmp_path / "plain") == 88
    assert _files(tmp_path / "ahead") == _files(tmp_path / "plain")


def test_the_joined_parts_answer_every_query_as_one_index_of_all_pages(site, monkeypatch):
    tmp, parts, whole = site
    monkeypatch.setattr(searchmerge, "CHUNK_SIZE", 400)  # several chunks, words of one part and of several in each
    assert merge(parts, tmp / "joined") == 88
    joined, expected = answers(tmp / "joined"), answers(whole)
    assert len(list((tmp / "joined" / "index").iterdir())) > 5
    assert joined["fields"] == ["client", "title"] and any(e["variants"] for e in expected["words"].values())
    assert joined == expected


def test_a_light_words_chunk_holds_no_heavy_word_and_any_word_is_looked_up_in_one_chunk(site, monkeypatch):
    """A query loads the whole chunk each of its words falls in, by the chunks' first and last words in the
    metadata. A number such as 0001 shared its chunk with 01 (a part of every date); and a chunk whose last
    word was written as its shortest distinct start (11 for 1199) sent a query for 1111 past it, to every chunk
    that might hold words it begins: 300 KB a query at 50,000 orders. Here a word heavier than a quarter of a
    chunk has one of its own, and every word of the index lies in exactly one chunk's range."""
    tmp, parts, whole = site
    monkeypatch.setattr(searchmerge, "CHUNK_SIZE", 400)
    merge(parts, tmp / "light")
    assert answers(tmp / "light") == answers(whole)
    entry = json.loads((tmp / "light" / "pagefind-entry.json").read_text())
    [about] = entry["languages"].values()
    chunks = searchmerge.read(tmp / "light" / f"pagefind.{about['hash']}.pf_meta")[2]
    heavy, every = 0, []
    for _first, _last, name in chunks:
        words = searchmerge.read(tmp / "light" / "index" / f"{name}.pf_index")[0]
        sizes = [sum(1 + len(locations) + len(meta) for _page, locations, meta in pages) for _word, pages, _variants in words]
        heavy += max(sizes) >= 100
        assert len(words) == 1 or (max(sizes) < 100 and sum(sizes) <= 400), [(w[0], n) for w, n in zip(words, sizes, strict=True)]
        every += [w[0] for w in words]
    assert heavy >= 10  # the test's words of every page
    for word in every:  # as Pagefind's search picks a chunk (pagefind_web: request_indexes)
        assert sum(first <= word <= last for first, last, _ in chunks) == 1, word


def test_the_joined_bundle_is_the_size_of_pagefinds_own(site):
    tmp, parts, whole = site
    merge(parts, tmp / "default")
    assert answers(tmp / "default") == answers(whole)
    size = {b: sum(f.stat().st_size for f in (b / "index").iterdir()) for b in (whole, tmp / "default")}
    assert size[tmp / "default"] <= size[whole] * 1.05  # compressed a little less than Pagefind's best, for speed


def _meta(folder) -> tuple[int, list]:
    """The joined bundle's metadata: its size as downloaded, and its pages [[fragment name, word count]]."""
    entry = json.loads((folder / "pagefind-entry.json").read_text())
    [about] = entry["languages"].values()
    meta = folder / f"pagefind.{about['hash']}.pf_meta"
    return meta.stat().st_size, searchmerge.read(meta)[1]


def test_fragments_are_named_by_number_and_a_name_never_means_other_content(site, tmp_path):
    """Every query downloads the metadata, which names every page's fragment: counted names pack smaller than
    Pagefind's own (the start of each fragment's SHA-1). A name still means one content for good, as Pagefind's do
    (hosts keep its files for long): the numbers sit in a folder named by the part and every fragment of it, so a
    page edited renames its own part's fragments and no other."""
    _, parts, whole = site
    merge(parts, tmp_path / "a")
    merge(parts, tmp_path / "b")
    (size, pages), (whole_size, _) = _meta(tmp_path / "a"), _meta(whole)
    counts = [40, 5, 40, 3]  # 2024, 2025, 2026, the other pages
    assert [name.split("/")[1] for name, _ in pages] == [str(n) for count in counts for n in range(count)]
    assert len({name.split("/")[0] for name, _ in pages}) == 4
    assert size < whole_size
    assert _files(tmp_path / "a") == _files(tmp_path / "b")  # the same pages, the same names
    years = {year: [page(year, n) for n in range(1, 41 if year != 2025 else 6)] for year in (2024, 2025, 2026)}
    years[2025][2] = (years[2025][2][0], years[2025][2][1].replace("交付與驗收", "交付"))  # one page edited
    edited = bundle(years[2025], tmp_path / parts[1].name)
    merge([parts[0], edited, *parts[2:]], tmp_path / "c")
    before, after = _files(tmp_path / "a"), _files(tmp_path / "c")
    fragments = [name for name in after if name.startswith("fragment/")]
    assert len(fragments) == 88 and not [name for name in fragments if name in before and before[name] != after[name]]
    assert len([name for name in fragments if name not in before]) == 5  # the edited part's
    assert answers(tmp_path / "c") != answers(tmp_path / "a")


def test_a_part_of_another_pagefind_or_language_is_refused(site, tmp_path):
    _tmp, parts, _whole = site
    other = tmp_path / "other"
    bundle([(page_url("a.html"), searchable("<h1>A</h1><p>a</p>", "en"))], other)
    with pytest.raises(BundleMergeError, match=r"in en, not 1\.5\.2 in zh-hant"):
        merge([parts[0], other], tmp_path / "out")
    entry = json.loads((other / "pagefind-entry.json").read_text())
    meta = other / f"pagefind.{entry['languages']['en']['hash']}.pf_meta"
    decoded = searchmerge.read(meta)
    decoded[0] = "2.0.0"
    searchmerge.write(meta, searchmerge.cbor2.dumps(decoded))
    with pytest.raises(BundleMergeError, match="not the format"):
        merge([other], tmp_path / "out2")


def test_two_pages_whose_names_collide_both_keep_a_file(tmp_path):
    names = searchmerge._Names("zh-hant")
    assert names.name("abcdef0123" + "0" * 30) == "zh-hant_abcdef0"
    assert names.name("abcdef0123" + "0" * 30) == "zh-hant_abcdef0"  # the same content: the same file
    assert names.name("abcdef0999" + "0" * 30) == "zh-hant_abcdef09"


def test_a_word_index_that_does_not_read_as_pagefinds_is_refused_not_joined_wrong():
    good = searchmerge.cbor2.dumps([[["w", [[0, [1, 5], []], [3, [2], [-1, 0]]], []]]])
    [word] = searchmerge._words(good, "chunk")
    assert (word.word, word.pages.count, word.pages.first, word.pages.last, word.pages.size) == ("w", 2, 0, 3, 2 + 3 + 2)
    claims_three = good.replace(b"\x82\x83\x00", b"\x83\x83\x00", 1)  # the pages' count says 3, two follow
    with pytest.raises(BundleMergeError, match="3 pages read as 2"):
        list(searchmerge._words(claims_three, "chunk"))
    with pytest.raises(BundleMergeError, match="bytes after its last word"):
        list(searchmerge._words(good + b"\x00", "chunk"))
    with pytest.raises(BundleMergeError, match="not Pagefind's"):
        list(searchmerge._words(searchmerge.cbor2.dumps([[["w", [["x", [1], []]], []]]]), "chunk"))


def _files(folder) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_a_join_links_the_last_bundles_files_that_are_its_own_and_writes_the_rest(site, tmp_path, monkeypatch):
    """A merged pull request changes a few word-index chunks of thousands: the others are the last joined
    bundle's files, linked, not packed again. A file of the same name that is not byte for byte what this join
    would write — other content, the same content packed otherwise, a symbolic link — is written anew, so
    the bundle is the one a join without a last bundle makes."""
    _, parts, _ = site
    monkeypatch.setattr(searchmerge, "CHUNK_SIZE", 400)
    merge(parts, tmp_path / "first")
    alone = _files(tmp_path / "first")
    chunks = sorted((tmp_path / "first" / "index").iterdir())
    assert len(chunks) > 5
    packed = []
    real = searchmerge._packed
    monkeypatch.setattr(searchmerge, "_packed", lambda data: packed.append(data) or real(data))
    merge(parts, tmp_path / "second", previous=tmp_path / "first")
    assert _files(tmp_path / "second") == alone and not packed  # every data file linked
    assert all((tmp_path / "second" / "index" / c.name).stat().st_ino == c.stat().st_ino for c in chunks)

    unpacked = searchmerge.unpack(chunks[0])
    chunks[0].unlink()
    chunks[0].write_bytes(searchmerge.gzip.compress(searchmerge.SIGNATURE + unpacked[:-1] + b"\x00", mtime=0))  # other content
    chunks[1].unlink()
    same = searchmerge.unpack(tmp_path / "second" / "index" / chunks[1].name)
    chunks[1].write_bytes(searchmerge.gzip.compress(searchmerge.SIGNATURE + same, compresslevel=9, mtime=0))  # packed otherwise
    outside = tmp_path / "outside.pf_index"
    outside.write_bytes((tmp_path / "second" / "index" / chunks[2].name).read_bytes())
    chunks[2].unlink()
    chunks[2].symlink_to(outside)
    packed.clear()
    merge(parts, tmp_path / "third", previous=tmp_path / "first")
    assert _files(tmp_path / "third") == alone and len(packed) == 3
    assert all((tmp_path / "third" / "index" / c.name).stat().st_ino != c.stat().st_ino for c in chunks[:3])


def _folders(folder) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_dir()}


def _identities(folder) -> dict[str, tuple[int, int]]:
    return {p.relative_to(folder).as_posix(): (p.lstat().st_dev, p.lstat().st_ino) for p in folder.rglob("*") if not p.is_dir()}


@pytest.mark.parametrize("decoded", [False, True])
def test_a_join_into_the_site_before_lasts_bundle_keeps_only_the_very_files_it_links(site, tmp_path, monkeypatch, decoded):
    """A merge's build makes its site in the site before last (``spare``): its search bundle becomes this join's.
    The bundle is the one a join into nothing makes, name for name and byte for byte; the files kept are those
    that are already the very files it links (every fragment of a part unchanged, every chunk of the last join's);
    nothing else found there is published, and nothing found there is written into: a file it shares with the
    live site's bundle keeps its bytes. With what it reads of the parts kept (``decoded``, as a build joins), a
    part's fragment is known by what its key found (``Part.found``), not looked at again."""
    _, parts, _ = site
    monkeypatch.setattr(searchmerge, "CHUNK_SIZE", 400)
    years = {year: [page(year, n) for n in range(1, 41 if year != 2025 else 6)] for year in (2024, 2025, 2026)}
    years[2025][2] = (years[2025][2][0], years[2025][2][1].replace("交付與驗收", "交付"))
    edited = [parts[0], bundle(years[2025], tmp_path / "edited" / parts[1].name), *parts[2:]]
    merge(parts, tmp_path / "before")  # the site before last's bundle
    merge(edited, tmp_path / "last", previous=tmp_path / "before")  # the live site's
    merge(parts, tmp_path / "fresh")
    expected, live = _files(tmp_path / "fresh"), _files(tmp_path / "last")

    spare = tmp_path / "spare"
    (tmp_path / "before").rename(spare)
    shared = _identities(spare)
    planted = {
        "index/en_planted.pf_index": b"not the join's",
        "fragment/0123456789/0.pf_fragment": b"an excerpt of nothing",
        "stray.js": b"alert(1)",
    }
    for name, data in planted.items():
        (spare / name).parent.mkdir(parents=True, exist_ok=True)
        (spare / name).write_bytes(data)
    entry = spare / "pagefind-entry.json"
    entry.unlink()
    os.link(tmp_path / "last" / "pagefind-entry.json", entry)  # a file of the live site's, at a name the join writes
    fragment = next(p for p in sorted((spare / "fragment").rglob("*.pf_fragment")) if p.relative_to(spare).as_posix() in expected)
    fragment.unlink()
    fragment.symlink_to(tmp_path / "outside")  # a link where the join links a fragment: never followed, never kept
    (tmp_path / "outside").write_bytes(b"outside")
    for name in [n for n in expected if n.startswith("index/")][:1] + [n for n in expected if n.startswith("fragment/")][-1:]:
        (spare / name).unlink()
        (spare / name).write_bytes(b"other content at a name the join links")
    for name in [n for n in expected if n.startswith("index/")][1:2] + [n for n in expected if n.startswith("fragment/")][-2:-1]:
        (spare / name).unlink()
        (spare / name).mkdir()  # a folder where the join puts a file
        (spare / name / "planted.html").write_bytes(b"<script>alert(1)</script>")

    looked: list[str] = []
    stat = os.stat
    monkeypatch.setattr(searchmerge.os, "stat", lambda path, **options: looked.append(os.fspath(path)) or stat(path, **options))
    merge(parts, spare, previous=tmp_path / "last", recycled=True, decoded=tmp_path / "decoded" if decoded else None)
    monkeypatch.setattr(searchmerge.os, "stat", stat)
    fragments_looked = [path for path in looked if "/fragment/" in path and not path.startswith(os.fspath(spare))]
    assert (len(fragments_looked) == sum(len(part.pages) for part in map(searchmerge.Part.open, parts))) if decoded else fragments_looked
    assert _files(spare) == expected
    assert _folders(spare) == _folders(tmp_path / "fresh")
    assert _files(tmp_path / "last") == live and (tmp_path / "outside").read_bytes() == b"outside"
    now = _identities(spare)
    kept = [name for name in now if shared.get(name) == now[name]]
    assert len(kept) > len(now) * 0.8  # the fragments and chunks of the join before last, where still its own
    assert not fragment.is_symlink() and not entry.samefile(tmp_path / "last" / "pagefind-entry.json")


def test_a_recycled_bundle_that_is_not_a_folder_is_never_followed(site, tmp_path):
    _, parts, _ = site
    merge(parts, tmp_path / "fresh")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "spare").symlink_to(tmp_path / "elsewhere")
    merge(parts, tmp_path / "spare", recycled=True)
    assert not (tmp_path / "spare").is_symlink() and not list((tmp_path / "elsewhere").iterdir())
    assert _files(tmp_path / "spare") == _files(tmp_path / "fresh")
    merge(parts, tmp_path / "nothing", recycled=True)  # no spare at all
    assert _files(tmp_path / "nothing") == _files(tmp_path / "fresh")


def test_a_patch_given_up_in_the_site_before_lasts_bundle_joins_every_part_there(site, tmp_path, monkeypatch):
    """A join that patches the last join's word index and gives up (``searchpatch``) deletes what it wrote and
    joins every part: in the site before last's bundle as in a new folder."""
    _, parts, _ = site
    monkeypatch.setattr(searchmerge, "CHUNK_SIZE", 400)
    years = {year: [page(year, n) for n in range(1, 41 if year != 2025 else 6)] for year in (2024, 2025, 2026)}
    years[2025][2] = (years[2025][2][0], years[2025][2][1].replace("交付與驗收", "交付"))
    edited = [parts[0], bundle(years[2025], tmp_path / "edited" / parts[1].name), *parts[2:]]
    decoded = tmp_path / "decoded"
    merge(edited, tmp_path / "before", decoded=decoded)
    merge(parts, tmp_path / "last", previous=tmp_path / "before", decoded=decoded)
    merge(edited, tmp_path / "fresh")
    [meta] = (tmp_path / "last").glob("pagefind.*.pf_meta")
    last_chunk = tmp_path / "last" / "index" / f"{searchmerge.read(meta)[2][-1][2]}.pf_index"
    data = last_chunk.read_bytes()
    last_chunk.unlink()
    last_chunk.write_bytes(data[:-8] + bytes(8))  # not as the last join recorded it: the patch gives up on reaching it
    written = sorted({p.name for p in (tmp_path / "fresh" / "index").iterdir()} - {p.name for p in (tmp_path / "last" / "index").iterdir()})
    planted = tmp_path / "before" / "index" / written[0]  # a chunk both the patch and the join after it write
    planted.unlink()
    planted.mkdir()
    (planted / "planted.html").write_text("<script>alert(1)</script>")
    real, patched = searchmerge.searchpatch.patch, []
    monkeypatch.setattr(searchmerge.searchpatch, "patch", lambda *a: patched.append(real(*a)) or patched[-1])
    merge(edited, tmp_path / "before", previous=tmp_path / "last", decoded=decoded, recycled=True)
    assert patched == [False] and _files(tmp_path / "before") == _files(tmp_path / "fresh")
    assert _folders(tmp_path / "before") == _folders(tmp_path / "fresh")


def test_a_recycled_bundle_that_cannot_be_listed_is_joined_anew(site, tmp_path, monkeypatch):
    """The spare is a cache: a folder of it that cannot be listed (left unreadable) costs the join its reuse, not the build."""
    _, parts, _ = site
    merge(parts, tmp_path / "fresh")
    merge(parts[1:], tmp_path / "spare")
    (tmp_path / "spare" / "locked").mkdir()
    real = os.scandir

    def scandir(path):
        if not isinstance(path, int) and os.fspath(path).endswith("locked"):  # as listed by path; ``rmtree`` lists by descriptor
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real(path)

    monkeypatch.setattr(searchmerge.os, "scandir", scandir)
    merge(parts, tmp_path / "spare", recycled=True)
    assert _files(tmp_path / "spare") == _files(tmp_path / "fresh") and _folders(tmp_path / "spare") == _folders(tmp_path / "fresh")


def test_the_last_bundle_relinked_into_the_site_before_lasts_is_the_last_bundle(site, tmp_path):
    """A build whose pages are the last build's publishes the last bundle again: into the site before last's
    bundle, its files kept where they are the last one's, everything else found there deleted."""
    _, parts, _ = site
    merge(parts[1:], tmp_path / "before")
    merge(parts, tmp_path / "last", previous=tmp_path / "before")
    (tmp_path / "before" / "stray.pf_meta").write_bytes(b"stale")
    (tmp_path / "before" / "fragment" / "x").mkdir()
    searchmerge.relink(tmp_path / "last", tmp_path / "before", recycled=True)
    assert _files(tmp_path / "before") == _files(tmp_path / "last")
    assert _identities(tmp_path / "before") == _identities(tmp_path / "last")
    assert _folders(tmp_path / "before") == _folders(tmp_path / "last")
    searchmerge.relink(tmp_path / "last", tmp_path / "new")
    assert _identities(tmp_path / "new") == _identities(tmp_path / "last")


def _reads(monkeypatch) -> list[str]:
    """The word-index chunks and fragments a join unpacks from now on (a part's metadata and filters it always reads)."""
    read = []
    real = searchmerge.unpack

    def unpack(path):
        if path.parent.name in ("index", "fragment"):
            read.append(path.parent.name)
        return real(path)

    monkeypatch.setattr(searchmerge, "unpack", unpack)
    return read


def test_a_join_keeps_what_it_read_of_each_part_and_the_next_join_reads_none_of_it_again(site, tmp_path, monkeypatch):
    """A merged pull request changes one part of twelve: the next join loads the other parts' words and fragment
    digests as the last join read them, and makes the same bundle, byte for byte."""
    _, parts, _ = site
    monkeypatch.setattr(searchmerge, "CHUNK_SIZE", 400)
    merge(parts, tmp_path / "plain")
    decoded = tmp_path / "decoded"
    merge(parts, tmp_path / "first", decoded=decoded)
    assert sorted(p.name for p in decoded.iterdir()) == ["2024.words", "2025.words", "2026.words", "joined.state", "pages.words"]
    read = _reads(monkeypatch)
    merge(parts, tmp_path / "second", decoded=decoded)
    assert read == [] and _files(tmp_path / "second") == _files(tmp_path / "first") == _files(tmp_path / "plain")


def test_what_a_join_kept_of_a_part_is_used_for_that_very_part_and_nothing_else(site, tmp_path, monkeypatch):
    """What was kept of a part is trusted only whole and for the same files: a kept file damaged or cut short,
    another part's kept under this one's name (the folder remade with other pages), a chunk written again since:
    each is read from the part again, and the bundle is the one a join reading every part makes."""
    _, parts, _ = site
    monkeypatch.setattr(searchmerge, "CHUNK_SIZE", 400)
    merge(parts, tmp_path / "plain")
    expected = _files(tmp_path / "plain")
    decoded = tmp_path / "decoded"
    merge(parts, tmp_path / "kept", decoded=decoded)
    kept = {p.name: p.read_bytes() for p in decoded.glob("*.words")}

    damaged = bytearray(kept["2024.words"])
    damaged[-40] ^= 1  # one bit of one word's locations
    (decoded / "2024.words").write_bytes(bytes(damaged))
    (decoded / "2025.words").write_bytes(kept["2025.words"][: len(kept["2025.words"]) // 2])
    (decoded / "2026.words").write_bytes(kept["2024.words"])  # another part's, under this part's name
    chunk = next((parts[3] / "index").iterdir())
    os.utime(chunk, ns=(chunk.stat().st_atime_ns, chunk.stat().st_mtime_ns + 1))  # written again since
    read = _reads(monkeypatch)
    merge(parts, tmp_path / "again", decoded=decoded)
    assert _files(tmp_path / "again") == expected
    assert set(read) == {"index", "fragment"}
    assert {p.name: p.read_bytes() for p in decoded.glob("*.words")}.keys() == kept.keys()
    # kept anew: as before for 2024 to 2026; for the part of other pages, with its chunk's new time in the key
    assert [(decoded / name).read_bytes() == data for name, data in sorted(kept.items())] == [True, True, True, False]
    read.clear()
    merge(parts, tmp_path / "last", decoded=decoded)
    assert read == [] and _files(tmp_path / "last") == expected


def test_runs_of_bundles_spliced_answer_as_pagefinds_index_of_their_pages_in_that_order(site, tmp_path):
    """Pagefind indexes each page on its own: the 2024 part's pages around three of them, and another bundle's index of
    those three, answer as Pagefind's index of the 2024 pages does — words many pages share, words of one page,
    forms of a word (café, cafe), filters, a meta field only some pages have."""
    _, parts, _ = site
    pages = [page(2024, n) for n in range(1, 41)]
    middle = bundle(pages[9:12], tmp_path / "middle")  # pages 10 to 12, as if changed, indexed alone
    part, middle = searchmerge.Part.open(parts[0]), searchmerge.Part.open(middle)
    pieces = [(part, 0, 9), (middle, 0, 3), (part, 12, 40)]
    assert searchmerge.splice(pieces, tmp_path / "spliced") == 40
    assert answers(tmp_path / "spliced") == answers(parts[0])
    assert {len(p.relative_to(tmp_path / "spliced").parts) for p in (tmp_path / "spliced").rglob("*.pf_*")} == {1, 2}, "one deep, as Pagefind's"
    first = bundle(pages[:1], tmp_path / "first")
    assert searchmerge.splice([(searchmerge.Part.open(first), 0, 1), (part, 1, 40)], tmp_path / "at-the-start") == 40
    assert answers(tmp_path / "at-the-start") == answers(parts[0])
    with pytest.raises(BundleMergeError, match="no pages 39 to 41"):
        searchmerge.splice([(part, 39, 41)], tmp_path / "past-the-end")
