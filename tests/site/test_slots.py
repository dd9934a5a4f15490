"""Raw HTML lines kept aside during conversion: only whole elements are taken, they come back exactly where
they were, and a site built with them is byte for byte the site built without them."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from mkdocs.structure.pages import _HTMLHandler  # MkDocs' own collector of anchor ids in raw HTML
from sitebuild import TODAY, build, hostile_archive

from generator.core import cachefile
from generator.pipeline import check_archive
from generator.site import slots
from generator.site.render import render_pages


@pytest.mark.parametrize(
    "line",
    [
        '<div class="oa-table"><table><thead><tr><th>a</th></tr></thead><tbody><tr><td>1 &lt; 2</td></tr></tbody></table></div>',
        '<dl class="oa-fields"><dt>x</dt><dd>y<br>z</dd></dl>',
        "<p>text <small>small</small> more</p>",
        '<ul class="oa-attachments"><li><a href="a.html">a</a></li></ul>',
        '<div data-pagefind-ignore><img src="x.png" alt="x"></div>',
        '<div data-pagefind-ignore><ol class="oa-timeline"><li><code>a1b2c3</code> <b>x</b><br><details><summary>s</summary></details></li></ol></div>',
    ],
)
def test_a_line_that_is_one_element_is_taken(line):
    assert slots.whole_element(line)


@pytest.mark.parametrize(
    "line",
    [
        "<p>one</p><p>two</p>",  # two blocks: Markdown treats what follows the first one differently
        "<div>opened here, closed on a later line",
        "<div>a < b</div>",  # a stray '<'
        "<div>a<!-- note --></div>",
        "<div><p>crossed</div></p>",
        "<p>text</p> and more",
        "<span>inline</span>",
        "<pre><div>x</div></pre>",
        "<div><script>x</script></div>",
        "<div><br/></div>",  # written otherwise than we write it: left to Markdown
    ],
)
def test_anything_else_is_left_to_markdown(line):
    assert not slots.whole_element(line)


def test_only_lines_that_are_blocks_of_their_own_are_taken():
    table = "<p>a</p>"
    text = f"# Title\n\n{table}\n\nsome text\n{table}\n\n{table}"
    slotted, blocks = slots.take(text)
    assert blocks == [table, table]
    assert slotted == f'# Title\n\n<div {slots.MARK}="0"></div>\n\nsome text\n{table}\n\n<div {slots.MARK}="1"></div>'
    assert slots.take(f'{table}\n\n<div {slots.MARK}="0"></div>') == (f'{table}\n\n<div {slots.MARK}="0"></div>', [])


def test_restore_puts_each_block_back_or_refuses():
    blocks = ["<p>a</p>", "<p>b</p>"]
    converted = f'<h1>T</h1>\n<div {slots.MARK}="0"></div>\n<p>x</p>\n<div {slots.MARK}="1"></div>'
    assert slots.restore(converted, blocks) == "<h1>T</h1>\n<p>a</p>\n<p>x</p>\n<p>b</p>"
    assert slots.restore(converted.replace('="1"', '="0"'), blocks) is None  # out of order or doubled
    assert slots.restore(converted.split("\n<div")[0], blocks) is None  # one missing
    assert slots.restore("<p>no blocks</p>", []) == "<p>no blocks</p>"


def test_anchor_ids_are_the_ones_mkdocs_collects(archive):
    """Over every block of every page of the demo (both languages) and a few written to trip it."""
    checked = check_archive(archive, TODAY, history=False)
    blocks = ['<div id="a&amp;b" data-id="no"><a name="n" href="#x">x</a><span name="not-an-anchor"></span></div>']
    for language in ("zh-Hant", "en"):
        for text in render_pages(checked, language).values():
            blocks += slots.take(text)[1]
    assert len(blocks) > 500
    for block in blocks:
        handler = _HTMLHandler()
        handler.feed(block)
        handler.close()
        assert slots.anchor_ids([block]) == handler.present_anchor_ids, block


def test_every_raw_html_line_the_pages_hold_is_set_aside(archive):
    """The renderer writes each table, filter bar and field list as a block of its own, so Markdown never
    parses one: an order list's filter bar written right above its table (no blank line) made both lines
    one block, and every list of every order went through ``html.parser`` twice (11 s of a merge's build at
    10,000 orders); the timeline, written over several lines, was half of every dossier. Charts alone are
    left to Markdown (their SVG holds ``<title>``, which some Python versions' ``html.parser`` reads as text),
    and an inline anchor, which Markdown wraps in a paragraph."""
    checked = check_archive(archive, TODAY, history=False)
    left = []
    for language in ("zh-Hant", "en"):
        for path, text in render_pages(checked, language).items():
            rest, _ = slots.take(text)
            left += [(path, line[:80]) for line in rest.split("\n") if re.match(r"<(div|dl|ol|ul|p|table|details)[\s>]", line) and slots.MARK not in line]
    assert left == []


def _files(site: Path) -> dict[str, bytes]:
    return {str(p.relative_to(site)): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file() and "pagefind" not in p.parts}


def test_a_site_built_with_blocks_aside_is_the_site_built_without(tmp_path, small_demo, monkeypatch):
    """Both editions of the demo with every hostile payload in its records: every page, byte for byte."""
    root = hostile_archive(tmp_path / "archive", small_demo)
    build(root)
    with_blocks = _files(root / "site")
    shutil.rmtree(cachefile.folder(root))  # else the second build takes the first one's pages
    monkeypatch.setattr(slots, "take", lambda markdown: (markdown, []))
    build(root)
    without = _files(root / "site")
    assert with_blocks.keys() == without.keys() and len(with_blocks) > 100
    assert [name for name in with_blocks if with_blocks[name] != without[name]] == []
