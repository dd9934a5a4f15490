"""The site's report pages show the figures of generator.reports, with their definitions, per year with activity."""

from __future__ import annotations

import re

from conftest import TODAY
from processstate import ended_within, state

from generator.pipeline import check_archive
from generator.site.render import render_pages


def test_report_pages_show_the_figures_with_their_definitions(reports_archive):
    checked = check_archive(reports_archive, TODAY, history=False)
    for language, on_time, definition in (("zh-Hant", "準時率", "交付期限依已核准"), ("en", "On-time rate", "as approved (implemented or verified)")):
        pages = render_pages(checked, language)
        # a page for each year, quarter and month with activity (none for 2025: nothing happened in it)
        months = [f"-{m:02d}" for m in range(3, 11)]  # March (A received) to October (C settled)
        assert sorted(p for p in pages if p.startswith("reports/")) == sorted(f"reports/2026{x}.md" for x in ("", "-Q1", "-Q2", "-Q3", "-Q4", *months))
        year = pages["reports/2026.md"]
        delivery = year.split(on_time, 1)[1].split("</table>", 1)[0]
        assert re.sub(r"<[^>]+>", " ", delivery).split() == ["2", "2", "0", "100.0%"]  # A counts as on time: its change moved the date
        assert definition in year and "823,000" in year  # the receivables of the hand-computed archive
        assert all(f'href="reports/{x}.html"' in pages["reports.md"] for x in ("2026", "2026-Q3", "2026-10"))
        q3 = pages["reports/2026-Q3.md"]  # beside the quarter before it
        assert "2026-Q3" in q3 and "2026-Q2" in q3


def test_every_month_with_activity_has_a_page_however_old(archive):
    """Months more than a year back get their pages too (a manager compares March 2024 with February), and a
    quiet month gets none; the reports page lists each year's quarters and months in its row."""
    from generator.reports.figures import activity_days

    checked = check_archive(archive, TODAY, history=False)
    days = activity_days(checked.catalog)
    wanted = {f"reports/{d:%Y-%m}.md" for d in days}
    assert min(days) < TODAY.replace(year=TODAY.year - 1)  # the demo reaches back further than twelve months
    pages = render_pages(checked, "en")
    assert {p for p in pages if re.fullmatch(r"reports/\d{4}-\d\d\.md", p)} == wanted
    index = pages["reports.md"]
    oldest = min(wanted)[len("reports/") : -len(".md")]
    row = next(r for r in index.split("<tr>") if f'href="reports/{oldest[:4]}.html"' in r)
    assert f'href="reports/{oldest}.html">{oldest[5:]}</a>' in row and "<th>Months</th>" in index


def test_the_reports_are_worked_out_beside_the_plan_and_had_before_the_workers_fork(archive, monkeypatch):
    """The plan starts a process for every period's report and goes on; ``settle`` has them here (before the page
    workers fork); the pages are those of reports worked out in this process."""
    from generator.core import processes
    from generator.site.render import Renderer
    from generator.site.render import reports as report_pages

    check_archive(archive, TODAY, history=False)
    checked = check_archive(archive, TODAY, history=False)  # the rules' findings kept: as after a merge, no rule asked for the retentions
    forked_with = []
    real = report_pages.Beside
    monkeypatch.setattr(report_pages, "Beside", lambda work, **how: forked_with.append((sorted(vars(checked.catalog)), how)) or real(work, **how))
    renderer = Renderer(checked, "en")
    plan = renderer.plan()
    beside = checked.derived["reports beside"]
    assert beside.pid is not None  # a process is working them out
    assert "retentions" in forked_with[0][0]  # worked out before the fork: that process inherits them, the archive's page asks too
    assert forked_with[0][1] == {"ends_when_done": True}  # asked for half a minute later in a first build: it does not wait for that
    # Ended, never asked: a zombie once it has exited. Not as soon as its answer is ready (``ready``): it writes
    # the answer, then exits, and a busy machine looked in between (state R, a CI run of 12-07).
    assert ended_within(beside.pid, 60) and state(beside.pid) == "Z", "the reports' process waited for its answer to be asked for"
    assert beside.ready()
    renderer.settle()
    assert "reports beside" not in checked.derived and len(checked.derived["reports"][0]) > 12
    pages = {path: render() for path, render in plan if path.startswith("reports")}
    monkeypatch.setattr(processes, "can_fork", lambda: False)
    here = check_archive(archive, TODAY, history=False)
    assert {path: render() for path, render in Renderer(here, "en").plan() if path.startswith("reports")} == pages
