"""Raw HTML blocks kept out of Markdown's way while a page is converted, then put back.

A generated page is mostly raw HTML: each table, field list and timeline is one line of HTML that
Python-Markdown stores untouched and puts back as it was. Finding where such a block ends costs
Python-Markdown a pass of ``html.parser`` over every tag, and MkDocs a second one (to collect anchor
ids): most of a conversion, and most of a build. So each line that is one whole block-level element is
swapped for a short placeholder element before the conversion and swapped back after it — the HTML
comes out byte for byte as the full conversion would make it (``tests/site/test_slots.py`` builds a site
both ways), and the anchor ids in the blocks are collected here instead.

Only lines that can be shown to be one element are taken: the line is a block of its own (blank lines
around it), it starts with a block-level tag, every ``<`` in it opens or closes a tag, tags close in the
order they opened, and the first one closes at the very end. Anything else — an element spread over
lines, a comment, a stray ``<`` — is left for Markdown as before. If a placeholder does not come back
exactly once, the page is converted whole (``restore`` returns None).
"""

from __future__ import annotations

import html
import re

_BLOCK_START = re.compile(r"<(?:div|dl|ol|ul|p|table|details)[\s>]")
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)(\s[^<>]*)?>")  # closing?, name, attributes
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"})
# Elements whose content a parser may read otherwise than as tags (or, in <pre>, keeps every space): left to Markdown.
_RAW_TEXT = frozenset({"script", "style", "textarea", "title", "pre", "xmp", "iframe", "noscript", "plaintext"})
_ANCHOR = re.compile(r'\s(id|name)="([^"]*)"')
MARK = "data-oa-slot"


def _placeholder(n: int) -> str:
    return f'<div {MARK}="{n}"></div>'


def whole_element(line: str) -> bool:
    """True when ``line`` is exactly one element: a block-level start tag, tags nested properly, the first
    closing at the end of the line, and no ``<`` outside a tag.

    Every page's every tag passes through here (a dossier's timeline holds thousands), so the tags are
    found by one ``findall`` and only their names are looked at in Python."""
    if not _BLOCK_START.match(line) or not line.endswith(">"):
        return False
    tags = _TAG.findall(line)
    # Each tag holds one '<' and ends at the first '>' after it: as many tags as '<', the last one ending the line.
    if len(tags) != line.count("<") or line.find(">", line.rfind("<")) != len(line) - 1:
        return False
    open_tags: list[str] = []
    last = len(tags) - 1
    for i, (closing, name, attributes) in enumerate(tags):
        name = name.lower()
        if name in _RAW_TEXT:
            return False
        if closing:
            if not open_tags or open_tags.pop() != name:
                return False
            if not open_tags and i != last:
                return False  # the first element closed before the line's end: more than one block
        elif name not in _VOID and not attributes.endswith("/"):
            open_tags.append(name)
    return not open_tags


def take(markdown: str) -> tuple[str, list[str]]:
    """The Markdown with each whole-element block line replaced by a placeholder, and those lines in order."""
    if MARK in markdown:  # a page that already holds the placeholder's mark is converted whole
        return markdown, []
    lines = markdown.split("\n")
    blocks: list[str] = []
    last = len(lines) - 1
    for i, line in enumerate(lines):
        if line.startswith("<") and (i == 0 or not lines[i - 1].strip()) and (i == last or not lines[i + 1].strip()) and whole_element(line):
            lines[i] = _placeholder(len(blocks))
            blocks.append(line)
    return ("\n".join(lines), blocks) if blocks else (markdown, blocks)


def restore(converted: str, blocks: list[str]) -> str | None:
    """The converted HTML with every block back in its placeholder's place; None unless each placeholder
    is there exactly once (then the caller converts the page whole)."""
    if not blocks:
        return converted
    parts = converted.split(f"<div {MARK}=")
    if len(parts) != len(blocks) + 1:
        return None
    out = [parts[0]]
    for n, part in enumerate(parts[1:]):
        head = f'"{n}"></div>'
        if not part.startswith(head):
            return None
        out += [blocks[n], part[len(head) :]]
    return "".join(out)


def anchor_ids(blocks: list[str]) -> set[str]:
    """The anchors the blocks hold, as MkDocs collects them from raw HTML: every ``id``, and ``name`` on ``<a>``."""
    found = set()
    for block in blocks:
        for closing, tag, attributes in _TAG.findall(block):
            if closing:
                continue
            for attribute, value in _ANCHOR.findall(attributes):
                if attribute == "id" or tag.lower() == "a":
                    found.add(html.unescape(value))
    return found
