"""An archive full of injection payloads builds into a site where none of them is live."""

from __future__ import annotations

import re

import pytest
from bundles import fragments
from editing import dossier, edit
from sitebuild import MARK, PAYLOADS, build, hostile_archive, with_site

from generator.pipeline import check_archive


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory, small_demo):
    root = hostile_archive(tmp_path_factory.mktemp("hostile"), small_demo)
    assert [p.format() for p in check_archive(root).problems if str(p.severity) == "error"] == []  # the payloads are valid records
    build(root)
    return root / "site"


def _pages(site):
    return {p: p.read_text(encoding="utf-8") for p in site.rglob("*.html")}


def test_payloads_reach_the_pages_as_text(hostile_site):
    pages = _pages(hostile_site)
    hits = sum(text.count(MARK) for text in pages.values())
    assert hits >= len(PAYLOADS)  # they are shown, not dropped
    dossier = (hostile_site / "dossiers/ORD-2026-0005.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in dossier


def test_no_payload_is_inside_a_tag(hostile_site):
    for path, text in _pages(hostile_site).items():
        for match in re.finditer(re.escape(MARK), text):
            before = text[: match.start()]
            opened, closed = before.rfind("<"), before.rfind(">")
            if opened > closed:  # inside a tag: only an escaped filter value or a heading's slug may hold it
                tag = text[opened : text.find(">", match.start()) + 1]
                attribute = re.search(r'([\w-]+)="([^"]*' + re.escape(MARK) + r'[^"]*)"', tag)
                assert attribute, (path, tag)
                name, value = attribute.groups()
                slug = re.fullmatch(r"#?[a-z0-9_-]+", value)
                ours = name in ("data-pagefind-filter", "data-pagefind-meta") and "<" not in value and ">" not in value
                assert slug or ours, (path, tag)


def test_no_live_script_handler_or_javascript_link(hostile_site):
    live = re.compile(r"<[^>]*\son(error|load|click|mouseover)\s*=|href\s*=\s*\"?\s*javascript:", re.IGNORECASE)
    for path, text in _pages(hostile_site).items():
        assert not live.search(text), (path, live.search(text).group())
        scripts = re.findall(r"<script\b[^>]*>(.*?)</script>", text, re.DOTALL)
        assert not any(MARK in s for s in scripts), path


def test_the_pipe_does_not_split_a_table_cell(hostile_site):
    dossier = (hostile_site / "dossiers/ORD-2026-0005.html").read_text(encoding="utf-8")
    assert re.search(r'<td( class="oa-nb")?>a \| b \| __pwned \| c</td>', dossier)


def test_titles_and_nav_hold_no_markup(hostile_site):
    for path, text in _pages(hostile_site).items():
        title = re.search(r"<title>(.*?)</title>", text, re.DOTALL).group(1)
        assert "<" not in title, (path, title)


def test_the_search_index_holds_text_only(hostile_site):
    indexed = fragments(hostile_site / "pagefind")
    assert indexed
    found = False
    for url, data in indexed.items():
        content = data.get("content", "").replace("\u200b", "")  # Pagefind's word boundaries
        if MARK in content:
            found = True
            assert "&lt;script" not in content  # stored once-decoded, as text: the page showed it as text
        for key, value in data.get("meta", {}).items():
            assert "<" not in value and ">" not in value, (url, key, value)  # titles carry no markup at all
        for values in data.get("filters", {}).values():
            assert all("<" not in v and ">" not in v for v in values)
    assert found


ACTIVE = {"evil.html": b"<script>window.__pwned=1</script>", "plan.SVG": b'<svg xmlns="http://www.w3.org/2000/svg"><script>window.__pwned=1</script></svg>'}


def test_an_attachment_a_browser_would_run_is_not_published(archive):
    """A dossier's attachment is published as it is, and a static host serves it by its name: an HTML or SVG file
    would be a live page on the archive's own site. It stays in the archive, named on its dossier, unlinked."""
    root = with_site(archive, "zh-Hant", "en")
    folder = root / dossier("ORD-2026-0005")
    (folder / "attachments").mkdir(exist_ok=True)
    for name, content in ACTIVE.items():
        (folder / "attachments" / name).write_bytes(content)
    edit(root, f"{dossier('ORD-2026-0005')}/order.yaml", lambda d: d.setdefault("attachments", []).extend({"file": n, "title": n} for n in ACTIVE))
    result = build(root)
    site = root / "site"
    assert [p for p in site.rglob("*") if p.name in ACTIVE] == []
    for page in (site / "dossiers/ORD-2026-0005.html", site / "en/dossiers/ORD-2026-0005.html"):
        text = page.read_text(encoding="utf-8")
        assert "evil.html" in text and 'evil.html"' not in text  # named, never linked
        assert "contract.pdf</a>" in text  # the other attachments are
    found = [p for p in result.problems if p.rule == "attachment.active-content"]
    assert sorted(p.message.split("'")[1] for p in found) == sorted(ACTIVE)
    assert all(p.path.endswith("order.yaml") and p.line > 1 for p in found)


MARKDOWN_NAMES = ("notes.md", "readme.markdown", "memo.mdown")
"""Names MkDocs takes for Markdown pages."""


def test_a_markdown_attachment_is_published_as_its_bytes_never_made_a_page(archive):
    """An attachment named as Markdown is a file like any other: published byte for byte where its dossier links
    it. As one of MkDocs' files (so until a8b2883) it was taken for a page of the site and converted, raw HTML and
    all: the insider's script live on the archive's own site, and a dead link on the dossier."""
    root = with_site(archive, "zh-Hant", "en")
    folder = root / dossier("ORD-2026-0005") / "attachments"
    folder.mkdir(exist_ok=True)
    payload = b"# Notes\n\n<script>window.__pwned=1</script>\n<img src=x onerror=alert(1)>\n"
    for name in MARKDOWN_NAMES:
        (folder / name).write_bytes(payload)
    attach = [{"file": name, "title": name} for name in MARKDOWN_NAMES]
    edit(root, f"{dossier('ORD-2026-0005')}/order.yaml", lambda d: d.setdefault("attachments", []).extend(attach))
    build(root)
    site = root / "site"
    for name in MARKDOWN_NAMES:
        assert (site / "attachments/ORD-2026-0005" / name).read_bytes() == payload
    assert [p for p in site.rglob("*.html") if b"__pwned" in p.read_bytes()] == []
    for page in (site / "dossiers/ORD-2026-0005.html", site / "en/dossiers/ORD-2026-0005.html"):
        text = page.read_text(encoding="utf-8")
        for name in MARKDOWN_NAMES:
            href = re.search(rf'href="([^"]*{re.escape(name)})"', text).group(1)
            assert (page.parent / href).resolve().read_bytes() == payload
