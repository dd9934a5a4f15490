"""What a Pagefind bundle answers, decoded from its files: two bundles that answer every query alike compare equal,
however Pagefind numbered their pages, cut their word index into chunks or named their files."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from generator.site.searchmerge import read


def answers(bundle: Path) -> dict:
    """{"pages": {url: word count}, "words": {word: {url: [locations, meta locations]} and its variants},
    "filters": {filter: {value: [urls]}}, "fields": meta fields}; every word checked to lie in the chunk that
    the metadata sends a query for it to."""
    entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
    [(_language, about)] = entry["languages"].items()
    version, pages, chunks, filters, sorts, fields = read(bundle / f"pagefind.{about['hash']}.pf_meta")
    urls = [fragment(bundle / "fragment" / f"{name}.pf_fragment")["url"] for name, _count in pages]
    assert about["page_count"] == len(urls) and not sorts

    def located(entries: list) -> dict:
        found, page = {}, 0
        for number, locations, meta in entries:
            page += number
            found[urls[page]] = [locations, meta]
        return found

    words = {}
    for first, last, name in chunks:
        for word, entries, variants in read(bundle / "index" / f"{name}.pf_index")[0]:
            assert word[: len(first)] >= first and word[: len(last)] <= last, (first, word, last)
            words[word] = {"pages": located(entries), "variants": {form: located(e) for form, e in variants}}
    values = {}
    for _filter, name in filters:
        filter_name, listed = read(bundle / "filter" / f"{name}.pf_filter")
        values[filter_name] = {value: sorted(urls[p] for p in numbers) for value, numbers in listed}
    return {"version": version, "pages": dict(zip(urls, (c for _, c in pages), strict=True)), "words": words, "filters": values, "fields": fields}


def fragment(path: Path) -> dict:
    """One page's fragment (its URL, content, meta fields and filters), decoded."""
    raw = gzip.decompress(path.read_bytes())
    return json.loads(raw[raw.index(b"{") :])


def fragments(bundle: Path) -> dict[str, dict]:
    """Every fragment of a bundle, by its page's URL (a joined bundle keeps them in fragment/<set>/<n>)."""
    return {data["url"]: data for data in map(fragment, (bundle / "fragment").rglob("*.pf_fragment"))}
