"""Every word in the reader's language, crawled from the built site: both editions of the demo, every page.

Labels sit in fixed places — column names, field names, headings, captions, filter choices, status
badges, the language of Pagefind's filters — and there no code and no word of the other language
may appear. Record text (a client's name, a project in two languages) is the record's own and is
left as written; codes with an underscore are refused anywhere, since no one writes those in prose.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sitebuild import build

from generator.demo.repository import write_repository
from generator.site.i18n import _TABLE
from schemas import MODELS
from schemas.labels import LABELLED, words
from schemas.lifecycle import LABELS_ZH

VALUES = [m for cls in LABELLED for m in cls] + list(LABELS_ZH)
CODES = {m.value for m in VALUES} | set(MODELS)  # closed-list values and record kinds
UNDERSCORED = re.compile(r"\b(?:" + "|".join(sorted((re.escape(c) for c in CODES if "_" in c), key=len, reverse=True)) + r")\b")
EN_WORDS = ({en for _, en in _TABLE.values()} | {words(m)[1] for m in VALUES}) - {"Other", "ID", ""}
ENGLISH = re.compile(r"[A-Za-z][A-Za-z '’/-]*[a-z]")
"""Text of English words only (a label; ids and numbers have digits)."""
CJK = re.compile(r"[\u3400-\u9fff]")
LABEL_TAGS = {"th", "dt", "h2", "caption", "option", "label", "summary", "button"}
"""Where only the site's own words stand (h1 and h3 hold record ids and titles; cells hold record values)."""


class _Words(HTMLParser):
    """(the innermost tag, its text) for every piece of text inside the page's <article>, and the
    names of the page's Pagefind filters."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.depth = 0  # inside <article> while > 0
        self.found: list[tuple[str, str, tuple[str, ...]]] = []
        self.filters: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "article":
            self.depth += 1
        if "data-pagefind-filter" in attrs:
            self.filters.append(attrs["data-pagefind-filter"].split(":", 1)[0])
        if tag not in ("br", "img", "input", "meta", "link", "hr"):
            self.stack.append(tag + ("." + attrs["class"] if attrs.get("class") else ""))

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop().split(".")[0] == tag:
                break
        if tag == "article":
            self.depth -= 1

    def handle_data(self, data):
        if self.depth and data.strip():
            self.found.append((self.stack[-1].split(".")[0] if self.stack else "", data.strip(), tuple(self.stack)))


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("languages") / "demo"
    write_repository(root, 30, seed=1)
    build(root)
    return root / "site"


def _pages(site: Path, language: str) -> list[Path]:
    folder = site if language == "zh-Hant" else site / "en"
    pages = [p for p in folder.rglob("*.html") if "pagefind" not in p.parts and (language == "en" or p.relative_to(site).parts[0] != "en")]
    assert len(pages) > 60
    return pages


def _crawl(page: Path) -> _Words:
    parser = _Words()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


@pytest.mark.parametrize("language", ["zh-Hant", "en"])
def test_no_page_shows_a_code_or_a_word_of_the_other_language(site, language):
    found: dict[str, set[str]] = {}
    for page in _pages(site, language):
        words_ = _crawl(page)
        bad = set()
        for tag, text, stack in words_.found:
            if any(s.startswith(("code", "small", "pre")) for s in stack):
                continue  # commit ids, people's ids beside their names
            bad |= {f"code {m}" for m in UNDERSCORED.findall(text)}
            if text in CODES and tag in ("td", "dd", "span", "option", "li"):
                bad.add(f"code {text}")
            if language == "zh-Hant" and tag in LABEL_TAGS | {"td", "dd", "span", "p", "li", "a", "strong", "em"} and text.rstrip(":：") in EN_WORDS:
                bad.add(f"English {text!r} in <{tag}>")
            if language == "zh-Hant" and tag in LABEL_TAGS and ENGLISH.fullmatch(text) and not _record_choice(stack):
                bad.add(f"English {text!r} in <{tag}>")
            if language == "en" and tag in LABEL_TAGS and CJK.search(text) and not _record_choice(stack):
                bad.add(f"Chinese {text!r} in <{tag}>")
        filters = set(words_.filters)
        if (language == "en" and any(CJK.search(f) for f in filters)) or (language == "zh-Hant" and any(not CJK.search(f) for f in filters)):
            bad.add(f"filters {sorted(filters)}")
        if bad:
            found[page.relative_to(site).as_posix()] = bad
    assert found == {}


@pytest.mark.parametrize("language", ["zh-Hant", "en"])
def test_no_text_is_escaped_twice(site, language):
    """An entity escaped again shows as "policy&#x27;s" (it did, in the table of contents)."""
    twice = [p.relative_to(site).as_posix() for p in _pages(site, language) if re.search(r"&amp;(?:#\d+|#x[0-9a-f]+|[a-z]+);", p.read_text(encoding="utf-8"))]
    assert twice == []


def _record_choice(stack: tuple[str, ...]) -> bool:
    """A choice of the client filter is a client's name: record text."""
    return any(s.startswith("option") for s in stack) and any("select" in s for s in stack)
