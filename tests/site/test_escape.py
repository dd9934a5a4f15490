"""Escaping record text for HTML blocks and Markdown headings."""

from __future__ import annotations

import re

import markdown
import pytest

from generator.site import escape

PAYLOADS = [
    "<script>window.__pwned=1</script>",
    '<img src=x onerror="window.__pwned=1">',
    "[click](javascript:window.__pwned=1)",
    "<javascript:alert(1)>",
    '{: onclick="window.__pwned=1" }',
    "--8<-- '/etc/passwd'",
    "a | b | c",
    "line1\n# heading\n---",
    "{{ config }} {% raw %}",
    "**bold** _em_ `code`",
    '"><svg onload=window.__pwned=1>',
]


def render(md_text: str) -> str:
    return markdown.markdown(md_text, extensions=["tables", "toc", "attr_list"])  # attr_list on: the worst case


LIVE = re.compile(r"<(script|img|svg|a|iframe)\b|<[^>]*\son\w+\s*=|href=\"?javascript:", re.IGNORECASE)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_inline_text_stays_text_in_a_heading(payload):
    html = render(f"# {escape.inline(payload)}")
    assert not LIVE.search(html), html
    assert html.count("<h1") == 1 and "<hr" not in html


@pytest.mark.parametrize("payload", PAYLOADS)
def test_text_in_an_html_block_stays_text(payload):
    html = render(escape.table(["h"], [[escape.text(payload)]]))
    assert not LIVE.search(html), html
    assert len(re.findall(r"<td[ >]", html)) == 1  # a | never splits the cell


def test_links_only_to_our_own_pages():
    assert escape.link("../dossiers/ORD-2026-0001.html", "x") == '<a href="../dossiers/ORD-2026-0001.html">x</a>'
    for bad in ("javascript:alert(1)", "https://evil.example/", '" onmouseover="x', "//evil.example/x"):
        with pytest.raises(ValueError):
            escape.href(bad)


def test_attachment_names_are_percent_quoted():
    assert escape.file_href("../attachments/ORD-2026-0001", "合約 v2.pdf") == "../attachments/ORD-2026-0001/%E5%90%88%E7%B4%84%20v2.pdf"


def test_money_is_exact_and_grouped():
    from decimal import Decimal

    assert escape.money(Decimal("1200000.5"), "TWD") == "TWD 1,200,000.50"
    assert escape.money(Decimal("1200000"), "HKD") == "HKD 1,200,000"
