"""The rendered Markdown: golden files of a small archive with a fixed history, and page coverage."""

from __future__ import annotations

import posixpath
from datetime import date
from pathlib import Path

import pytest

from generator.demo.repository import write_repository
from generator.pipeline import check_archive
from generator.site.i18n import _TABLE, LANGUAGES
from generator.site.render import Renderer, relative, render_pages

TODAY = date(2026, 11, 20)


@pytest.fixture(scope="module")
def fixed_repo(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("site") / "archive"
    write_repository(root, 8, seed=4)
    return root


@pytest.fixture(scope="module")
def pages(fixed_repo) -> dict[str, str]:
    return render_pages(check_archive(fixed_repo, TODAY), "zh-Hant")


def test_every_page_kind_is_there(pages, fixed_repo):
    checked = check_archive(fixed_repo, TODAY)
    orders = [e.model.id for e in checked.catalog.entries if e.kind == "order"]
    assert {f"dossiers/{o}.md" for o in orders} <= set(pages)
    for path in (
        "index.md",
        "orders/index.md",
        "orders/open.md",
        "orders/status/received.md",
        "archive/index.md",
        "archive/retention.md",
        "archive/disposals.md",
        "archive/borrowing.md",
        "reports.md",
        "compliance.md",
        "guides/submit.md",
        "guides/review.md",
    ):
        assert path in pages, path


@pytest.mark.parametrize("page", ["dossiers/ORD-2025-0001.md", "compliance.md", "orders/status/in_progress.md", "archive/borrowing.md"])
def test_pages_match_golden_files(pages, golden, page):
    golden("site/" + page.replace("/", "__"), pages[page])


def test_same_archive_same_pages(fixed_repo, pages):
    assert render_pages(check_archive(fixed_repo, TODAY), "zh-Hant") == pages


def test_the_dossier_timeline_names_authors_and_approvers(pages):
    dossier = pages["dossiers/ORD-2025-0001.md"]
    assert "oa-timeline" in dossier and "核准" in dossier and "僅為聲明，未驗證" in dossier
    timeline = dossier[dossier.index('<ol class="oa-timeline">') :]
    # people by their names in the page's language, statuses in words, no empty-list noise
    assert "撰寫 林雅婷" in timeline and "Ya-Ting Lin &lt;" not in timeline and "@hongxin.example" not in timeline
    assert "→ 已接收" in timeline and "→ received" not in timeline
    assert ": − []" not in timeline and ": + []" not in timeline


def test_english_site_uses_the_english_labels(fixed_repo):
    english = render_pages(check_archive(fixed_repo, TODAY), "en")
    assert english["compliance.md"].startswith("---\nsearch") is False
    assert "# Compliance" in english["compliance.md"]
    assert "claimed, not verified" in english["dossiers/ORD-2025-0001.md"]


def test_an_archive_outside_git_says_it_has_no_history(archive):
    pages = render_pages(check_archive(archive, TODAY), "en")
    assert "there is no history" in pages["dossiers/ORD-2026-0005.md"]


def test_every_label_has_both_languages():
    assert LANGUAGES == ("zh-Hant", "en")
    for key, (zh, en) in _TABLE.items():
        assert zh and en, key


def test_relative_links_between_pages():
    assert relative("orders/status/received.md", "dossiers/ORD-2026-0001.md") == "../../dossiers/ORD-2026-0001.html"
    assert relative("index.md", "compliance.md") == "compliance.html"
    assert relative("dossiers/ORD-2026-0001.md", "attachments/ORD-2026-0001/x") == "../attachments/ORD-2026-0001/x"


def test_relative_links_are_what_relpath_says_for_every_pair_of_places():
    """``relative`` keeps the way from folder to folder (a list links thousands of dossiers): the link is still the one
    ``posixpath.relpath`` makes from the page's folder, for pages at the root, deep, in the same or a sibling folder,
    above, with an anchor, non-ASCII, and for folders and odd parts ``relpath`` has its own answer for."""
    places = [
        "index.md",
        "compliance.md",
        "orders/index.md",
        "orders/status/received.md",
        "orders/client/嘉南農產.md",
        "dossiers/ORD-2026-0001.md",
        "reports/2026-Q1.md",
        "guides/submit.md",
        "a/b/c/d.md",
    ]
    targets = [
        *places,
        "orders/period/2026.md#month-2026-03",
        "attachments/ORD-2026-0001/x",
        "attachments/ORD-2026-0001/",
        "orders/",
        "orders/./status/x.md",
        "orders/../index.md",
        "a/b/..",
        "./index.md",
        "#top",
        "x.pdf",
    ]
    for start in places:
        for target in targets:
            path, sign, anchor = target.partition("#")
            expected = None
            try:
                expected = posixpath.relpath(path[:-3] + ".html" if path.endswith(".md") else path, posixpath.dirname(start) or ".") + sign + anchor
            except ValueError:
                with pytest.raises(ValueError):
                    relative(start, target)
            if expected is not None:
                assert relative(start, target) == expected, (start, target)


def test_an_orders_row_is_worked_out_once_and_again_for_another_model_of_it(fixed_repo):
    """The lists' digests ask for each order's row six times: it is kept, but only for the same model, so a
    record read again (``orders serve``) shows its new values."""
    renderer = Renderer(check_archive(fixed_repo, TODAY), "en")
    _, order = renderer.orders[0]
    assert renderer.order_row(order) is renderer.order_row(order)
    renamed = order.model_copy(update={"intake": order.intake.model_copy(update={"project_name": "Renamed"})})
    assert renderer.order_row(renamed)[3] == "Renamed" and renderer.order_row(order)[3] == order.intake.project_name


def test_a_dossiers_inputs_are_worked_out_once_for_every_edition_and_told_apart_by_language(fixed_repo, monkeypatch):
    """What a dossier reads in any language is digested once per check (the build asks it for every dossier of
    both editions); the page, its language and where its attachments are still make each edition's digest."""
    checked = check_archive(fixed_repo, TODAY)
    worked_out = []
    facts = Renderer._dossier_facts
    monkeypatch.setattr(Renderer, "_dossier_facts", lambda self, dossier, order: worked_out.append(order.id) or facts(self, dossier, order))
    digests = {}
    for language, attachments in (("zh-Hant", ""), ("en", "../")):
        renderer = Renderer(checked, language, attachments)
        digests[language] = {path: page.inputs() for path, page in renderer.dossier_plan() if hasattr(page, "inputs")}
    orders = [order.id for _, order in Renderer(checked, "en").orders]
    assert sorted(worked_out) == sorted(orders)
    assert digests["zh-Hant"].keys() == digests["en"].keys() and len(digests["en"]) == len(orders)
    assert all(digests["zh-Hant"][path] != digests["en"][path] for path in digests["en"])
    again = Renderer(check_archive(fixed_repo, TODAY), "en", "../")  # another check: worked out afresh, the same
    assert {path: page.inputs() for path, page in again.dossier_plan() if hasattr(page, "inputs")} == digests["en"]
    assert len(worked_out) == 2 * len(orders)


def test_both_editions_of_one_check_look_the_archive_up_once(fixed_repo):
    """What no language changes (each path's problems, the orders, the clients' addresses, the loans by order) is
    worked out once a check and shared by both editions' renderers; another check works it out afresh."""
    checked = check_archive(fixed_repo, TODAY)
    first, second = Renderer(checked, "zh-Hant"), Renderer(checked, "en")
    for name in ("problems_by_path", "orders", "invalid_orders", "client_slugs", "loans_of", "people_by_email"):
        assert getattr(first, name) is getattr(second, name), name
    again = Renderer(check_archive(fixed_repo, TODAY), "en")
    assert again.orders is not second.orders and [o.id for _, o in again.orders] == [o.id for _, o in second.orders]
    assert render_pages(checked, "en") == render_pages(check_archive(fixed_repo, TODAY), "en")
