"""What needs attention today, at the top of the home page: each count the length of its list, each item linked."""

from __future__ import annotations

import re
from datetime import date

from editing import dossier, edit

from generator.pipeline import check_archive
from generator.site.render import render_pages

TODAY = date(2026, 11, 20)


def _groups(home: str) -> dict[str, tuple[int, str]]:
    """``{title: (count in the heading, the table below it)}`` of the attention section."""
    section = home.split("## 今日待辦", 1)[1].split("\n## ", 1)[0]
    return {title: (int(count), table) for title, count, table in re.findall(r"### (.+?) \((\d+)\)\n\n(.*?)\n\n", section, re.S)}


def test_each_group_counts_what_it_lists_and_links_the_dossier(archive):
    edit(archive, f"{dossier('ORD-2026-0003')}/delivery.yaml", lambda d: d["acceptance"].update(result="pending", accepted_on=None, accepted_by=None))
    edit(archive, f"{dossier('ORD-2026-0003')}/order.yaml", lambda d: d.update(status="delivered"))
    home = render_pages(check_archive(archive, date(2026, 12, 20), history=False), "zh-Hant")["index.md"]
    groups = _groups(home)
    assert groups, home[:2000]
    for title, (count, table) in groups.items():
        assert table.count("<tr>") - 1 == count, title  # the header row aside
    count, table = groups["逾期未驗收"]
    assert count == 1 and "dossiers/ORD-2026-0003.html" in table
    count, table = groups["處理中之異議與爭議"]
    assert "ORD-2026-0004" in table and "2026-12-02" in table  # the dispute, with the day it was opened
    assert home.index("## 今日待辦") < home.index("## ", home.index("## 今日待辦") + 5)  # it leads the page


def test_the_english_home_page_leads_with_the_same_list(archive):
    english = render_pages(check_archive(archive, TODAY, history=False), "en")["index.md"]
    assert "## What needs attention today" in english
    assert "Open objections and disputes" in english  # the demo's open dispute is always listed
