"""The Pagefind service fed page by page: a real bundle, the URLs Pagefind's crawler would give, failures reported."""

from __future__ import annotations

import gzip
import json

import pytest

from generator.site import searchindex
from generator.site.searchindex import SearchIndex, SearchIndexError, _unfinished, page_url


def html(title: str, body: str, status: str) -> str:
    return (
        f'<!doctype html><html lang="zh-Hant"><head><title>{title}</title></head><body>'
        f'<main data-pagefind-body><h1>{title}</h1><p>{body}</p><span data-pagefind-filter="status">{status}</span></main></body></html>'
    )


def fragments(bundle):
    out = {}
    for path in (bundle / "fragment").glob("*.pf_fragment"):
        raw = gzip.decompress(path.read_bytes())
        data = json.loads(raw[raw.index(b"{") :])
        out[data["url"]] = data
    return out


def test_pages_fed_one_by_one_make_a_searchable_bundle(tmp_path):
    bundle = tmp_path / "pagefind"
    with SearchIndex() as index:
        index.add(page_url("dossiers/ORD-2026-0001.html"), html("ORD-2026-0001", "台灣數位科技股份有限公司 結算", "已結算"))
        index.add(page_url("dossiers/ORD-2026-0002.html"), html("ORD-2026-0002", "Pacific Rim Trading Ltd. acceptance", "交付"))
        index.add(page_url("index.html"), "<html><body><p>not marked for indexing</p></body></html>")
        assert index.write(bundle) == 3
    entry = json.loads((bundle / "pagefind-entry.json").read_text())
    assert entry["languages"]["zh-hant"]["page_count"] == 2  # the page without data-pagefind-body is left out
    found = fragments(bundle)
    assert set(found) == {"/dossiers/ORD-2026-0001.html", "/dossiers/ORD-2026-0002.html"}
    assert "股份" in found["/dossiers/ORD-2026-0001.html"]["content"].replace("\u200b", "")
    assert found["/dossiers/ORD-2026-0002.html"]["filters"] == {"status": ["交付"]}
    assert (bundle / "pagefind-ui.js").is_file() and any((bundle / "index").iterdir())


def test_urls_are_the_ones_pagefinds_crawler_gives():
    assert page_url("index.html") == "/"
    assert page_url("orders/index.html") == "/orders/"
    assert page_url("dossiers/ORD-2026-0001.html") == "/dossiers/ORD-2026-0001.html"


def test_a_service_that_stopped_is_reported(tmp_path):
    index = SearchIndex()
    index.add("/a.html", html("A", "a", "x"))
    index.process.kill()
    with pytest.raises(SearchIndexError, match="Pagefind stopped"):
        index.write(tmp_path / "pagefind")
    index.close()


def _burn() -> None:
    import os

    os.nice(10)  # busy, behind Pagefind (which the index runs at niceness 5)
    while True:
        pass


def test_the_bundle_is_whole_when_write_returns_even_on_a_busy_machine(tmp_path):
    """Pagefind's own WriteFiles answers before its last writes land: on a busy machine 4 writes in 40 left
    pagefind-entry.json empty once the service had ended. It is now kept alive until every file is whole."""
    import multiprocessing

    burners = [multiprocessing.get_context("fork").Process(target=_burn, daemon=True) for _ in range(4)]
    for burner in burners:
        burner.start()
    try:
        for i in range(12):
            bundle = tmp_path / f"pagefind-{i}"
            with SearchIndex() as index:
                index.add(page_url("dossiers/ORD-2026-0001.html"), html("ORD-2026-0001", f"結算 {i}", "已結算"))
                assert index.write(bundle) == 1
            assert json.loads((bundle / "pagefind-entry.json").read_text())["languages"]
            assert all(p.stat().st_size > 0 for p in bundle.rglob("*") if p.is_file())
            assert _unfinished(bundle, common(bundle)) == []
    finally:
        for burner in burners:
            burner.kill()


def test_a_bundle_with_an_empty_file_or_no_entry_is_refused(tmp_path):
    from generator.site.searchindex import _check_bundle

    (tmp_path / "fragment").mkdir()
    with pytest.raises(SearchIndexError, match=r"pagefind-entry\.json"):
        _check_bundle(tmp_path)
    (tmp_path / "pagefind-entry.json").write_text('{"version": "1", "languages": {}}')
    (tmp_path / "fragment/x.pf_fragment").write_bytes(b"")
    with pytest.raises(SearchIndexError, match="empty"):
        _check_bundle(tmp_path)


def test_the_service_ends_once_its_bundle_is_written(tmp_path):
    """Pagefind holds every page's words until it exits; the next edition is built meanwhile, so it must not wait."""
    index = SearchIndex()
    index.add(page_url("dossiers/ORD-2026-0001.html"), html("ORD-2026-0001", "結算", "已結算"))
    assert index.write_and_end(tmp_path / "pagefind") == 1
    assert index.process.poll() is not None and not index.answers
    assert (tmp_path / "pagefind" / "pagefind-entry.json").is_file()
    index.close()  # said again by the build's end: nothing


def feed(index: SearchIndex, count: int = 30) -> None:
    for k in range(count):
        status = "已結算" if k % 2 else "交付"
        index.add(page_url(f"dossiers/ORD-2026-{k:04d}.html"), html(f"ORD-2026-{k:04d}", f"台灣數位科技股份有限公司 word{k} 結算", status))


def files(bundle) -> dict[str, bytes]:
    return {p.relative_to(bundle).as_posix(): p.read_bytes() for p in bundle.rglob("*") if p.is_file()}


def common(bundle) -> dict[str, bytes]:
    """The files every bundle has alike, as the bundle at hand has them."""
    return {p.name: p.read_bytes() for p in bundle.iterdir() if p.is_file() and p.suffix != ".pf_meta" and p.name != "pagefind-entry.json"}


def asked_for(index: SearchIndex, bundle) -> dict[str, bytes]:
    """The bundle as Pagefind hands it over (GetFiles), written here."""
    index._get_files(bundle)
    return files(bundle)


def alike(bundle) -> dict[str, bytes]:
    """What two bundles of the same pages have byte for byte: each page's fragment and the files every bundle
    has. (The metadata, its hash in the entry file and the word index are made again at each request, and
    the order pages come in decides their order and the chunks.)"""
    return {name: content for name, content in files(bundle).items() if name.startswith("fragment/") or name in common(bundle)}


def test_the_bundle_pagefind_writes_is_the_one_it_would_hand_over(tmp_path):
    with SearchIndex() as index:
        feed(index)
        assert index.write(tmp_path / "pagefind") == 30
        assert index.unfinished == []
        assert not (tmp_path / ".pagefind.partial").exists()
        asked_for(index, tmp_path / "asked")
        assert alike(tmp_path / "pagefind") == alike(tmp_path / "asked")


def test_a_file_pagefind_never_finishes_is_noticed_and_the_bundle_asked_for(tmp_path, monkeypatch, caplog):
    """Its last write lost (the service ended, or its I/O thread never ran): the bundle is whole all the same."""
    settle = SearchIndex._settle

    def lose_a_write(self, partial):
        fragment = sorted((partial / "fragment").iterdir())[3]
        fragment.write_bytes(fragment.read_bytes()[:-9])  # short of its CRC and length: what an unfinished write leaves
        return settle(self, partial)

    monkeypatch.setattr(SearchIndex, "_settle", lose_a_write)
    monkeypatch.setattr(searchindex, "SETTLE", 0.3)
    index = SearchIndex()
    feed(index)
    assert index.write(tmp_path / "pagefind") == 30
    assert len(index.unfinished) == 1 and index.unfinished[0].startswith("fragment/")
    assert "unfinished" in caplog.text and index.unfinished[0] in caplog.text
    written, partial = alike(tmp_path / "pagefind"), alike(tmp_path / ".pagefind.partial")
    assert {name for name in written if written[name] != partial[name]} == set(index.unfinished)
    assert set(written) == set(partial) and _unfinished(tmp_path / "pagefind", common(tmp_path / "pagefind")) == []
    index.close()
    assert not (tmp_path / ".pagefind.partial").exists()  # gone once Pagefind, which might still write there, is


def test_every_way_a_bundle_can_be_unfinished_is_named(tmp_path):
    bundle = tmp_path / "asked"
    with SearchIndex() as index:
        feed(index)
        index._wait(index.sent)
        whole = asked_for(index, bundle)
    alike = common(bundle)
    assert _unfinished(bundle, alike) == []
    meta = next(bundle.glob("*.pf_meta")).name
    fragment = next(name for name in whole if name.startswith("fragment/"))
    index = next(name for name in whole if name.startswith("index/"))
    filter_ = next(name for name in whole if name.startswith("filter/"))

    def spoilt(name, content):
        (bundle / name).write_bytes(content) if content is not None else (bundle / name).unlink()
        try:
            return _unfinished(bundle, alike)
        finally:
            (bundle / name).write_bytes(whole[name])

    assert spoilt("pagefind-entry.json", b"") == ["pagefind-entry.json"]
    assert spoilt("pagefind-entry.json", whole["pagefind-entry.json"][:-1]) == ["pagefind-entry.json"]
    assert spoilt("pagefind-ui.js", whole["pagefind-ui.js"][:4096]) == ["pagefind-ui.js"]
    assert spoilt(meta, whole[meta][:-1]) == [meta]
    assert spoilt(fragment, None) == [fragment]
    assert spoilt(index, whole[index][: len(whole[index]) // 2]) == [index]
    assert spoilt(filter_, gzip.compress(b"not Pagefind's")) == [filter_]
    entry = json.loads(whole["pagefind-entry.json"])
    entry["languages"]["zh-hant"]["page_count"] += 1  # a page the metadata does not name
    assert spoilt("pagefind-entry.json", json.dumps(entry).encode()) == [meta]
