"""Every word in the reader's language: no closed-list code on a page, in either language build.

Each page of the demo is rendered in 繁體中文 and in English; every place a value is shown on its own — a
table cell, a field of a record, a status badge, a part between " · " — is compared with the codes of every
closed list and with the other language's words.
"""

from __future__ import annotations

import re
from enum import StrEnum

import pytest

from generator.demo.repository import write_repository
from generator.pipeline import check_archive
from generator.site.render import render_pages
from schemas.labels import LABELLED, words
from schemas.lifecycle import LABELS_ZH

_CELL = re.compile(r"<(td|dd|span class=\"oa-status[^\"]*\")[^>]*>(.*?)</(?:td|dd|span)>", re.S)
_TAG = re.compile(r"<[^>]+>")

VALUES: list[StrEnum] = [m for cls in LABELLED for m in cls] + list(LABELS_ZH)
CODES = {m.value for m in VALUES} | {m.value.replace("_", " ") for m in VALUES}
ZH = {words(m)[0] for m in VALUES}
EN = {words(m)[1] for m in VALUES} - {"Other"}  # "Other" is also plain English in a record's own text


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, dict[str, str]]:
    root = tmp_path_factory.mktemp("labels") / "demo"
    write_repository(root, 30, seed=1)
    checked = check_archive(root)
    return {language: render_pages(checked, language) for language in ("zh-Hant", "en")}


def _shown(markdown: str) -> list[str]:
    """The values a page shows on their own."""
    values = []
    for _, inner in _CELL.findall(markdown):
        text = _TAG.sub("", inner).strip()
        values += [part.strip() for part in re.split(r" · |\n|<br>", text) if part.strip()]
    return values


def test_every_closed_list_has_words_in_both_languages():
    for value in VALUES:
        zh, en = words(value)
        assert re.search(r"[\u4e00-\u9fff]", zh), value
        assert en and not re.search(r"[\u4e00-\u9fff]", en) and "_" not in en, value


@pytest.mark.parametrize("language", ["zh-Hant", "en"])
def test_no_page_shows_a_code_or_the_other_languages_word(built, language):
    other = EN if language == "zh-Hant" else ZH
    found = {}
    for path, markdown in built[language].items():
        bad = sorted({v for v in _shown(markdown) if v in CODES or v in other})
        if bad:
            found[path] = bad
    assert found == {}
