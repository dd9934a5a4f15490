"""The order lists: a list longer than ``list_rows`` is a page of its years and one list for each year."""

from __future__ import annotations

import posixpath
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
from editing import TODAY, dossier, edit

from generator.demo.repository import write_repository
from generator.pipeline import check_archive
from generator.site.render import Renderer, page_url
from generator.site.render.pages import LIST_ROWS, Planned

LINKED_ORDER = re.compile(r"dossiers/(ORD-\d{4}-\d{4})\.html")


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("indexes") / "archive"
    write_repository(root, 12, seed=4)
    return root


def plan(root: Path, list_rows: int, language: str = "en") -> dict[str, Planned]:
    return dict(Renderer(check_archive(root, TODAY), language, "", list_rows).plan())


def lists(pages: dict) -> dict[str, list[str]]:
    """Each list page (``orders/<group>/<key>.md``) with the year pages under it."""
    found = {p: [] for p in pages if p.startswith("orders/") and p.count("/") == 2 and p.split("/")[1] != "index.md"}
    for path in pages:
        if path.startswith("orders/") and path.count("/") == 3:
            found[path.rsplit("/", 1)[0] + ".md"].append(path)
    return found


def orders_on(markdown: str) -> list[str]:
    return LINKED_ORDER.findall(markdown)


def links_of(path: str, markdown: str) -> set[str]:
    """The pages a page links to, as page paths (``.md``), without anchors."""
    folder = posixpath.dirname(path)
    targets = re.findall(r'href="([^"#]+)(?:#[^"]*)?"', markdown)
    return {posixpath.normpath(posixpath.join(folder, t)).removesuffix(".html") + ".md" for t in targets if not t.startswith(("http", "/"))}


def test_a_list_longer_than_list_rows_is_a_page_of_years_and_a_list_for_each_year(root):
    whole = {path: orders_on(page()) for path, page in plan(root, 10**6).items() if path.startswith("orders/") and path.count("/") == 2}
    longest = max(len(members) for path, members in whole.items() if "/period/" not in path)
    rows = longest - 1
    pages = plan(root, rows)
    split = {path: years for path, years in lists(pages).items() if years}
    assert split, "the longest list is split"
    for path, members in whole.items():
        years = lists(pages)[path]
        if "/period/" in path or len(members) <= rows:
            assert years == [], f"{path}: {len(members)} orders fit one page"
            assert sorted(orders_on(pages[path]())) == sorted(members)
            continue
        index = pages[path]()
        assert orders_on(index) == [], "the years page lists years, not orders"
        assert links_of(path, index) >= {*years}, "each year is a link"
        on_years = Counter(order for year in years for order in orders_on(pages[year]()))
        assert on_years == Counter(members), f"{path}: every order of the list on exactly one year's page"
        for year in years:
            text = pages[year]()
            assert path in links_of(year, text), "a year's list leads back to the whole list"
            assert f"· {year.rsplit('/', 1)[1][:-3]}" in text.split("\n# ", 1)[1].split("\n", 1)[0], "the year is in the title"
        counts = re.findall(r'<td class="oa-nb"><a href="[^"]+">(\d{4})</a></td><td class="oa-nb">(\d+)</td>', index)
        assert sum(int(n) for _, n in counts) == len(members) and [y for y, _ in counts] == sorted((y for y, _ in counts), reverse=True)
        assert f"Count: {len(members)}</p>" in index


def test_a_years_month_links_open_its_year_filtered_to_that_month(root):
    pages = plan(root, 2)
    path, years = next((p, y) for p, y in lists(pages).items() if len(y) > 1)
    index = pages[path]()
    for year in years:
        months = Counter(
            f"{order.intake.received_on:%Y-%m}"
            for order in (e.model for e in check_archive(root, TODAY).catalog.entries if e.kind == "order")
            if order.id in orders_on(pages[year]())
        )
        shown = dict(re.findall(rf'href="{re.escape(page_url(posixpath.relpath(year, posixpath.dirname(path))))}#month-([\d-]+)">\d+</a> \((\d+)\)', index))
        assert shown == {m: str(n) for m, n in months.items()}, year


def test_no_list_is_split_at_the_default_length_of_a_small_archive(root):
    assert LIST_ROWS >= 500
    assert not any(lists(plan(root, LIST_ROWS)).values())


def test_an_order_edited_changes_the_inputs_of_its_years_list_alone(root, tmp_path):
    """What the split is for: a merge makes again one year's list, not the whole list of every year."""
    copy = tmp_path / "archive"
    shutil.copytree(root, copy, symlinks=True)
    before = {path: page.inputs() for path, page in plan(copy, 2).items() if isinstance(page, Planned)}
    order_id = "ORD-2026-0003"
    edit(copy, f"{dossier(order_id)}/order.yaml", lambda o: o["intake"].__setitem__("project_name", "A renamed project"))
    after = {path: page.inputs() for path, page in plan(copy, 2).items() if isinstance(page, Planned)}
    assert before.keys() == after.keys()
    changed = {path for path in before if before[path] != after[path]}
    pages = plan(copy, 2)
    split = lists(pages)
    listing = {p for p in pages if p.startswith("orders/") and p.count("/") >= 2 and not split.get(p) and order_id in orders_on(pages[p]())}
    home = {"index.md"} if order_id in orders_on(pages["index.md"]()) else set()  # among the latest orders received
    assert changed == {f"dossiers/{order_id}.md", "orders/index.md", *home, *listing}, "the dossier, the latest year's orders, and the lists it is on"
    assert {p for p in listing if p.count("/") == 3} == {f"{p[:-3]}/2026.md" for p, years in split.items() if order_id in "".join(pages[y]() for y in years)}
    assert not changed & {p for p, years in split.items() if years}, "no years page is made again: its counts are the same"
