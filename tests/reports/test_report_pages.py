"""The site's report pages show the figures of generator.reports, with their definitions, per year with activity."""

from __future__ import annotations

import re

from conftest import TODAY

from generator.pipeline import check_archive
from generator.site.render import render_pages


def test_report_pages_show_the_figures_with_their_definitions(reports_archive):
    checked = check_archive(reports_archive, TODAY, history=False)
    for language, on_time, definition in (("zh-Hant", "準時率", "交付期限依已核准"), ("en", "On-time rate", "as approved (implemented or verified)")):
        pages = render_pages(checked, language)
        assert [p for p in pages if p.startswith("reports/")] == ["reports/2026.md"]  # no page for a year with nothing in it
        year = pages["reports/2026.md"]
        delivery = year.split(on_time, 1)[1].split("</table>", 1)[0]
        assert re.sub(r"<[^>]+>", " ", delivery).split() == ["2", "2", "0", "100.0%"]  # A counts as on time: its change moved the date
        assert definition in year and "823,000" in year  # the receivables of the hand-computed archive
        assert 'href="reports/2026.html"' in pages["reports.md"]
