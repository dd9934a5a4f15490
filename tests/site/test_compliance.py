"""The compliance page tells the truth: every problem under its clause, invalid records still on the site, reasons in the reader's language."""

from __future__ import annotations

import re
from datetime import date

import pytest
from editing import dossier, edit

from generator.pipeline import check_archive
from generator.site.compliance import BY_PEOPLE, CLAUSES, compliance_map
from generator.site.render import render_pages
from generator.site.render.pages import short_place

TODAY = date(2026, 11, 20)
O5 = f"{dossier('ORD-2026-0005')}/order.yaml"
CJK = re.compile(r"[\u4e00-\u9fff]")


def _broken(archive):
    """Problems the rules' clause lists never named: a bad status (§2.3), a bad quality stage (§4.2), a file in the wrong place."""
    edit(archive, O5, lambda d: d.update(status="bogus"))
    edit(archive, f"{dossier('ORD-2026-0006')}/quality/QC-2026-0006-01.yaml", lambda d: d.update(stage="final"))
    (archive / "records/orders/2026/stray.yaml").write_text("kind: order\n", encoding="utf-8")
    return check_archive(archive, TODAY, history=False)


def test_every_problem_is_listed_under_each_clause_it_cites_or_under_none(archive):
    checked = _broken(archive)
    page = render_pages(checked, "en")["compliance.md"]
    found = re.findall(r"^## (§\d\.\d|Problems under no clause)[^\n]*\n(.*?)(?=^## |\Z)", page, re.M | re.S)
    sections = {clause: re.sub(r"<[^>]+>", "", body) for clause, body in found}  # as read: an id may sit in a no-break span
    cited = {c.strip() for p in checked.problems for c in (p.clause or "").split(",")}
    assert {"§2.3", "§4.2"} <= cited  # clauses whose rule lists name no schema rule: listed nowhere before
    for problem in checked.problems:
        where = short_place(problem.path, problem.line)
        cited = [c.strip() for c in (problem.clause or "").split(",") if c.strip() in CLAUSES]
        for clause in cited or ["Problems under no clause"]:
            assert where in sections[clause] and problem.rule in sections[clause], (clause, problem.format())
    errors = sum(1 for p in checked.problems if p.severity == "error")
    assert f"{errors} errors" in page


def test_an_order_that_fails_validation_keeps_its_dossier_page_and_counts_at_home(archive):
    checked = _broken(archive)
    pages = render_pages(checked, "zh-Hant")
    invalid = pages["dossiers/ORD-2026-0005.md"]
    assert "記錄無效" in invalid and "ORD-2026-0005 · order.yaml:4" in invalid and "schema.invalid-choice" in invalid
    assert f"{dossier('ORD-2026-0005')}/quality/QC-2026-0005-01.yaml" in invalid  # its valid records are listed
    home = pages["index.md"]
    orders = len([e for e in checked.catalog.entries if e.kind == "order"])
    assert f"<strong>{orders + 1}</strong>" in home and "dossiers/ORD-2026-0005.html" in home
    assert "dossiers/ORD-2026-0005.html" in pages["compliance.md"]  # the problem links to a page that exists


def test_no_clause_is_left_partly_checked_without_a_reason():
    for coverage in compliance_map():
        assert coverage.status in ("software", "software+people", "people"), coverage.clause
        assert coverage.status != "people" or coverage.by_people, coverage.clause
    assert sum(1 for c in compliance_map() if c.status == "people") == len([c for c in CLAUSES if c in BY_PEOPLE and not _software(c)])


def _software(clause: str) -> bool:
    coverage = next(c for c in compliance_map() if c.clause == clause)
    return bool(coverage.rules or coverage.fields)


@pytest.mark.parametrize("clause", sorted(BY_PEOPLE))
def test_every_reason_people_check_is_written_in_both_languages(clause):
    en, zh = BY_PEOPLE[clause]
    assert en.strip() and not CJK.search(en)
    assert CJK.search(zh)


def test_the_chinese_page_gives_reasons_and_rule_titles_in_chinese(archive):
    zh = render_pages(check_archive(archive, TODAY, history=False), "zh-Hant")["compliance.md"]
    for en, chinese in BY_PEOPLE.values():
        assert chinese in zh.replace("&#x27;", "'") or chinese.replace("'", "&#x27;") in zh
        assert en not in zh
    assert "由程式完整檢查" in zh and "Checked in full by software" not in zh
    assert 'title="Orders reach Operations' not in zh and 'title="訂單於規定工作天內轉交運營與財務"' in zh


def test_the_page_leads_with_the_current_problems_errors_first(archive):
    checked = _broken(archive)
    page = render_pages(checked, "en")["compliance.md"]
    current = page.split('<a id="current"></a>', 1)[1].split("\n## §1.1", 1)[0]
    levels = re.findall(r"<td[^>]*>(error|warning)</td>", current)
    assert levels and levels == sorted(levels)  # every error before every warning
    assert len(levels) == len(checked.problems)
    assert "compliance.html#current" in render_pages(checked, "en")["index.md"]
