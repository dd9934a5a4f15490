"""An incremental build is the full build: after each kind of change, the site built with the last build's pages
and site is, file for file, the site built from nothing — and it did reuse what had not changed."""

from __future__ import annotations

import json
import logging
import re
import shutil
import threading
import traceback
from pathlib import Path

import pytest
from bundles import answers
from changes import WHEN, drawn_run
from editing import dossier, edit, read, write
from gitrepo import direct, git, merge, on_branch
from mkdocs.exceptions import MkDocsException
from sitebuild import TODAY, built_demo, copy_built, plugin_option

from generator.core import cachefile, paths
from generator.site import plugin, reuse, sitecache, spare
from generator.site.pagefile import StoredPages
from generator.site.plugin import build_site
from generator.site.render import pages as render_pages
from generator.site.render.dossier import DossierPages
from generator.site.render.indexes import OrderIndexes
from generator.site.render.pages import GROUP_TITLES
from generator.trail import timelinestore


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The demo built twice: the site before last is kept (``spare``), so each test's build recycles it, and a
    build from nothing says whether that left anything stale or missing."""
    root = built_demo(tmp_path_factory.mktemp("reuse"))
    build_site(root, today=TODAY)
    assert spare.folder(root).is_dir()
    return root


@pytest.fixture
def archive(built: Path, tmp_path: Path) -> Path:
    return copy_built(built, tmp_path)


def site_files(site: Path) -> dict[str, bytes]:
    """Every file of a site, the search bundle's too (but the manifest of its sizes and times): an incremental
    build's bundle, joined from parts kept and parts made again, is the one a build from nothing makes, byte for
    byte. Beside it, what the bundle answers for every word and filter, decoded, so a difference reads."""
    files = {str(p.relative_to(site)): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file() and p.name != ".inputs-key"}
    for bundle in sorted(site.rglob("pagefind")):
        files[f"{bundle.relative_to(site)} answers"] = json.dumps(answers(bundle), sort_keys=True, ensure_ascii=False).encode()
    return files


def site_folders(site: Path) -> list[str]:
    return sorted(str(p.relative_to(site)) for p in site.rglob("*") if p.is_dir())


def from_nothing(root: Path, tmp_path: Path) -> dict[str, bytes]:
    """The same commit, cloned and built with no cache and no earlier site."""
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(root), str(clone))
    build_site(clone, today=TODAY)
    assert site_folders(clone / "site") == site_folders(root / "site"), "the same folders, none left empty or stale"
    return site_files(clone / "site")


def merged(root: Path, branch: str, who: str, approvers: list[str], change) -> None:
    on_branch(root, branch, who, WHEN, f"{branch}: a change to build", change)
    merge(root, branch, approvers, WHEN)


def assert_same_as_from_nothing(root: Path, tmp_path: Path, before: dict[str, bytes], changed: set[str]):
    recycling = spare.folder(root).is_dir()
    result = build_site(root, today=TODAY)
    assert result.recycled == recycling
    incremental = site_files(root / "site")
    scratch = from_nothing(root, tmp_path)
    assert sorted(incremental) == sorted(scratch)
    assert [name for name in incremental if incremental[name] != scratch[name]] == []
    differ = {name for name in incremental if before.get(name) != incremental[name]}
    assert changed <= differ, "the change shows on the pages it touches"
    return result


def test_one_record_edited_rebuilds_its_pages_and_keeps_the_others(archive, tmp_path):
    before = site_files(archive / "site")
    merged(archive, "order/rename", "chang.chiahao", ["lin.yating"], lambda r: edit(r, f"{dossier('ORD-2026-0003')}/order.yaml", _rename_project))
    result = assert_same_as_from_nothing(archive, tmp_path, before, {"dossiers/ORD-2026-0003.html", "en/dossiers/ORD-2026-0003.html", "orders/index.html"})
    assert result.kept > result.pages * 0.6 and result.made < result.pages * 0.4, (result.made, result.kept, result.pages)
    assert result.skipped >= result.kept - 2 * len(plugin.IN_NAV), "MkDocs never read the kept pages outside the navigation"
    assert sorted(result.searched) == ["en/2026-00", "zh-Hant/2026-00"], "only the order's part is indexed again (the lists are not searched)"
    for language in ("zh-Hant", "en"):
        rendered = [path.removeprefix(f"{language}/") for path in result.rendered if path.startswith(f"{language}/")]
        lists = sorted(path.split("/")[1] for path in rendered if path.count("/") == 2 and path.startswith("orders/"))
        assert lists == sorted(GROUP_TITLES), f"only the order lists it is on, one of each kind, are rendered again: {rendered}"
        assert "dossiers/ORD-2026-0003.md" in rendered and not [p for p in rendered if p.startswith("dossiers/") and "ORD-2026-0003" not in p]
        assert [p for p in rendered if p.startswith("reports/")] == [], "a project's name is in no report: no period's page is rendered again"
    again = build_site(archive, today=TODAY)  # nothing changed: the site's own files are kept, by inode
    assert (again.made, again.kept) == (0, again.pages) and site_files(archive / "site") == site_files(archive / "site")
    assert again.searched == ()
    assert again.skipped == again.pages - 2 * len(plugin.IN_NAV), "MkDocs read only the navigation's pages"


def test_a_merge_makes_no_page_object_for_a_page_mkdocs_is_not_given(archive, monkeypatch):
    """A page left out of MkDocs' pass is a file alone: its ``Page`` is made only if something asks for it (a sitemap,
    a link to one of its anchors), and nothing does here."""
    made: list[str] = []
    real = plugin._ConvertedPage.__init__

    def counted(page, title, file, config):
        made.append(file.src_uri)
        real(page, title, file, config)

    monkeypatch.setattr(plugin._ConvertedPage, "__init__", counted)
    merged(archive, "order/rename", "chang.chiahao", ["lin.yating"], lambda r: edit(r, f"{dossier('ORD-2026-0003')}/order.yaml", _rename_project))
    result = build_site(archive, today=TODAY)
    assert result.skipped > result.pages / 2
    assert len(made) == result.pages - result.skipped, "a page object for each page MkDocs was given, and no other"


def test_a_merge_works_out_the_inputs_of_the_edited_dossier_and_its_lists_alone(archive, monkeypatch):
    """Every other dossier's and list's inputs digest is the one its kept page has (``changed_orders``,
    ``changed_lists``), and every other order's row in the lists asked about the last build's (``take_rows``,
    kept once a build worked it out: the merge before this one's, which asked about the same lists): none of
    them is worked out again, in either edition."""
    merged(archive, "order/rename", "chang.chiahao", ["lin.yating"], lambda r: edit(r, f"{dossier('ORD-2026-0003')}/order.yaml", _rename_project))
    build_site(archive, today=TODAY)
    facts, rows, row = DossierPages._dossier_facts, OrderIndexes._order_list_inputs, OrderIndexes._order_row
    dossiers, lists, read = [], [], []

    def counted_rows(self, page, group, key, name, members, *more):
        lists.append((page.path, sorted(order.id for _, order in members)))
        return rows(self, page, group, key, name, members, *more)

    monkeypatch.setattr(DossierPages, "_dossier_facts", lambda self, dossier, order: dossiers.append(order.id) or facts(self, dossier, order))
    monkeypatch.setattr(OrderIndexes, "_order_list_inputs", counted_rows)
    monkeypatch.setattr(OrderIndexes, "_order_row", lambda self, order: read.append(order.id) or row(self, order))
    merged(archive, "order/again", "chang.chiahao", ["lin.yating"], lambda r: edit(r, f"{dossier('ORD-2026-0003')}/order.yaml", _more_budget))
    result = build_site(archive, today=TODAY)
    assert dossiers == ["ORD-2026-0003"] and result.made > 0
    assert lists and [path for path, members in lists if "ORD-2026-0003" not in members] == []
    assert len({path for path, _ in lists}) == len(GROUP_TITLES), "the order's list of each kind"
    assert read == ["ORD-2026-0003"], "the other orders' rows are the last build's"


def test_a_merge_asks_whether_it_holds_only_of_a_page_not_known_unchanged(archive, tmp_path, monkeypatch):
    """The dossiers and lists whose inputs are the kept pages' (``_unchanged_pages``) are taken from the last build as
    they are (``_Converter.carried``): the page stream asks ``unchanged`` of the other pages alone — and the site is
    the one a build from nothing makes."""
    merged(archive, "order/rename", "chang.chiahao", ["lin.yating"], lambda r: edit(r, f"{dossier('ORD-2026-0003')}/order.yaml", _rename_project))
    build_site(archive, today=TODAY)
    before = site_files(archive / "site")
    asked: list[str] = []
    real = plugin._Converter.unchanged
    monkeypatch.setattr(plugin._Converter, "unchanged", lambda self, path, render: asked.append(path) or real(self, path, render))
    merged(archive, "order/again", "chang.chiahao", ["lin.yating"], lambda r: edit(r, f"{dossier('ORD-2026-0003')}/order.yaml", _more_budget))
    assert_same_as_from_nothing(archive, tmp_path, before, {"dossiers/ORD-2026-0003.html", "en/dossiers/ORD-2026-0003.html"})
    dossiers = [path for path in asked if path.startswith("dossiers/")]
    assert dossiers == ["dossiers/ORD-2026-0003.md"] * 2, "of the dossiers, the edited one alone, once an edition"
    assert len([name for name in before if name.startswith("dossiers/ORD-")]) >= 10, "the other dossiers, not asked"


def test_mkdocs_is_given_only_the_pages_it_writes_and_the_navigations(archive, tmp_path, monkeypatch):
    """After a merge the kept pages are not among MkDocs' files at all: it reads the navigation's pages and the
    pages made again, and no other (each of its loops went over every page, to pass over the kept ones)."""
    from mkdocs.commands import build as mkdocs_build

    read: list[str] = []
    real = mkdocs_build._populate_page

    def populate(page, config, files, dirty=False):
        read.append(page.file.src_uri)
        return real(page, config, files, dirty)

    monkeypatch.setattr(mkdocs_build, "_populate_page", populate)
    before = site_files(archive / "site")
    merged(archive, "order/rename", "chang.chiahao", ["lin.yating"], lambda r: edit(r, f"{dossier('ORD-2026-0003')}/order.yaml", _rename_project))
    result = build_site(archive, today=TODAY)
    made = {path.split("/", 1)[1] for path in result.rendered}
    assert "dossiers/ORD-2026-0003.md" in made and len(read) == 2 * len(set(plugin.IN_NAV) | made), (sorted(read), sorted(made))
    assert result.skipped == result.pages - len(read), "every page MkDocs was not given is kept"
    monkeypatch.setattr(mkdocs_build, "_populate_page", real)
    assert site_files(archive / "site") == from_nothing(archive, tmp_path)
    assert site_files(archive / "site") != before


def test_with_a_site_url_the_sitemap_lists_the_pages_mkdocs_was_not_given(archive, tmp_path):
    """MkDocs' sitemap lists the pages it has: a build that kept most pages out of its hands writes it itself,
    every page in it, as the build from nothing does (and its gzip copy, dated alike)."""
    config = archive / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8") + "site_url: https://archive.example.com/orders/\n", encoding="utf-8")
    git(archive, "commit", "-qam", "the site's address")
    build_site(archive, today=TODAY)
    before = site_files(archive / "site")
    merged(archive, "order/rename", "chang.chiahao", ["lin.yating"], lambda r: edit(r, f"{dossier('ORD-2026-0003')}/order.yaml", _rename_project))
    result = assert_same_as_from_nothing(archive, tmp_path, before, {"dossiers/ORD-2026-0003.html"})
    assert result.skipped > result.pages / 2, f"most pages kept, not made again: {sorted(result.rendered)}"
    sitemap = (archive / "site/sitemap.xml").read_text(encoding="utf-8")
    assert sitemap.count("<url>") == result.pages // 2 and "https://archive.example.com/orders/dossiers/ORD-2026-0001.html" in sitemap


def test_lists_split_by_year_make_again_only_the_year_of_the_edited_order(archive, tmp_path):
    """Lists longer than ``list_rows`` are split by year: a merge makes again the edited order's year of each,
    never a years page whose counts did not change, and the site is still the one a build from nothing makes."""

    merged(archive, "site/lists", "tseng.yawen", ["chou.peichun"], lambda r: plugin_option(r, "list_rows: 2"))
    build_site(archive, today=TODAY)
    before = site_files(archive / "site")
    years = {name.rsplit("/", 1)[0] for name in before if re.fullmatch(r"(en/)?orders/\w+/[^/]+/\d{4}\.html", name)}
    assert len(years) > 4, "lists are split"
    merged(archive, "order/rename", "chang.chiahao", ["lin.yating"], lambda r: edit(r, f"{dossier('ORD-2026-0003')}/order.yaml", _rename_project))
    result = assert_same_as_from_nothing(archive, tmp_path, before, {"dossiers/ORD-2026-0003.html", "en/dossiers/ORD-2026-0003.html"})
    split = {name.removeprefix("en/") + ".md" for name in years}
    for language in ("zh-Hant", "en"):
        lists = [p.removeprefix(f"{language}/") for p in result.rendered if p.startswith(f"{language}/orders/") and p.count("/") >= 3]
        year_lists = [p for p in lists if p.count("/") == 3]
        assert year_lists and all(p.endswith("/2026.md") for p in year_lists), f"the order's year of each split list: {lists}"
        assert not split & set(lists), "no years page is made again: its counts are the same"


def test_the_edited_orders_search_part_is_indexed_as_its_dossier_arrives_not_when_mkdocs_reaches_it(archive, monkeypatch):
    """Each search part is indexed once its last page is in: a page a worker made goes in as it arrives, a page
    of the last build as soon as it is known, so the edited order's part does not wait for MkDocs' pass to reach
    its last page (its indexing was most of what a merge's build waited for at its end)."""
    sent = []
    real = plugin.PartedIndex._send

    def send(index, name):
        sent.append((name, any(frame.name == "_delivered" for frame in traceback.extract_stack())))
        return real(index, name)

    monkeypatch.setattr(plugin.PartedIndex, "_send", send)
    merged(archive, "order/rename", "chang.chiahao", ["lin.yating"], lambda r: edit(r, f"{dossier('ORD-2026-0003')}/order.yaml", _rename_project))
    result = build_site(archive, today=TODAY)
    assert sorted(result.searched) == ["en/2026-00", "zh-Hant/2026-00"]
    assert [early for name, early in sent if name == "2026-00"] == [True, True]


def test_the_next_edition_makes_its_pages_in_workers_while_the_last_editions_search_part_is_still_spliced(archive, monkeypatch):
    """A search part spliced around a merge's changed page packs its chunks in threads of its own (``searchmerge``),
    in the build's process, while the build goes on with the next edition. Unnamed, those threads made forking
    unsafe there (``processes.can_fork``): the next edition then made every one of its pages again in the build's
    own thread, asking none whether the last build held it — the flake of ``test_with_a_site_url_…`` (the second
    edition's 70 pages rendered, its output still a build from nothing's). Packing held back here until the next
    edition has asked for its pages."""
    from generator.site import searchmerge

    editions, packing, asked = [], threading.Event(), threading.Event()
    real_packed = searchmerge._packed

    def packed(data: bytes) -> bytes:
        if threading.current_thread().name.startswith(("ThreadPoolExecutor", "apart-search-pack")) and not asked.is_set():
            packing.set()  # the first edition's part, spliced: its packing threads wait for the next edition's pages
            asked.wait(timeout=20)
        return real_packed(data)

    real_on_files = plugin.OrderArchivePlugin.on_files

    def on_files(self, files, config):
        editions.append(self.language)
        if len(editions) == 2:
            packing.wait(timeout=20)
        try:
            return real_on_files(self, files, config)
        finally:
            if len(editions) == 2:
                asked.set()

    monkeypatch.setattr(searchmerge, "_packed", packed)
    monkeypatch.setattr(plugin.OrderArchivePlugin, "on_files", on_files)
    merged(archive, "order/rename", "chang.chiahao", ["lin.yating"], lambda r: edit(r, f"{dossier('ORD-2026-0003')}/order.yaml", _rename_project))
    result = build_site(archive, today=TODAY)
    assert editions == ["zh-Hant", "en"] and packing.is_set()
    assert [page for page in result.rendered if page.startswith("en/dossiers/")] == ["en/dossiers/ORD-2026-0003.md"], sorted(result.rendered)


def test_a_budget_changed_renders_again_the_reports_of_its_periods_and_the_periods_after_them(archive, tmp_path):
    """A period's page shows its report beside the previous period's: a changed figure renders again the pages of the
    periods it falls in and of the periods after those, and no other period's page; the search indexes again the
    order's part alone, as a report page's searchable text holds no figure (its titles and definitions)."""
    before = site_files(archive / "site")
    order = read(archive, f"{dossier('ORD-2026-0003')}/order.yaml")
    received = str(order["intake"]["received_on"])
    year, month = int(received[:4]), int(received[5:7])
    quarter = (month - 1) // 3 + 1
    touched = {f"{year}", f"{year + 1}", f"{year}-Q{quarter}", f"{year}-{month:02d}"}
    touched |= {f"{year}-Q{quarter + 1}" if quarter < 4 else f"{year + 1}-Q1", f"{year}-{month + 1:02d}" if month < 12 else f"{year + 1}-01"}
    merged(archive, "order/budget", "chang.chiahao", ["lin.yating"], lambda r: edit(r, f"{dossier('ORD-2026-0003')}/order.yaml", _more_budget))
    result = assert_same_as_from_nothing(archive, tmp_path, before, {f"reports/{year}-{month:02d}.html", f"en/reports/{year}-{month:02d}.html"})
    for language in ("zh-Hant", "en"):
        periods = {p.split("/")[2].removesuffix(".md") for p in result.rendered if p.startswith(f"{language}/reports/")}
        assert f"{year}-{month:02d}" in periods and periods <= touched, (periods, touched)
        searched = {part.removeprefix(f"{language}/") for part in result.searched if part.startswith(f"{language}/")}
        assert searched == {"2026-00"}, searched  # the figures are not searched: the report pages' parts are as they were
        assert {p.name for p in (cachefile.folder(archive) / "search" / language).iterdir()} >= {f"reports-{year - 1}", f"reports-{year}"}


def _more_budget(order: dict) -> None:
    order["intake"]["budget"] = str(int(order["intake"]["budget"]) + 1000)


def test_a_loan_edited_shows_on_the_dossier_it_borrowed_from(archive, tmp_path):
    """A dossier reads more than its own folder: the loans of its records are on it too."""
    before = site_files(archive / "site")
    merged(archive, "loan/due", "tsai.mingche", ["huang.shuhua"], lambda r: edit(r, "records/archive/borrowing/BR-2026-0001.yaml", _later))
    assert_same_as_from_nothing(archive, tmp_path, before, {"dossiers/ORD-2025-0002.html", "archive/borrowing.html"})


def _later(loan: dict) -> None:
    loan["due_on"] = "2026-05-14"


def _rename_project(order: dict) -> None:
    order["intake"]["project_name"] = "改名的專案 A renamed project"


def test_a_record_added(archive, tmp_path):
    before = site_files(archive / "site")

    def add(root: Path) -> None:
        source, target = root / dossier("ORD-2026-0008"), root / dossier("ORD-2026-0009")
        shutil.copytree(source, target)
        for path in target.rglob("*.yaml"):
            path.write_text(path.read_text(encoding="utf-8").replace("2026-0008", "2026-0009"), encoding="utf-8")

    merged(archive, "order/new", "chang.chiahao", ["lin.yating"], add)
    result = assert_same_as_from_nothing(archive, tmp_path, before, {"dossiers/ORD-2026-0009.html", "orders/index.html"})
    assert result.kept > 0


def test_a_record_deleted_by_disposal(archive, tmp_path):
    before = site_files(archive / "site")

    def dispose(root: Path) -> None:
        disposal = read(root, "records/archive/disposals/DS-2026-0001.yaml")
        disposal.update(id="DS-2026-0002", items=[{"record": "ORD-2025-0001", "retention_until": "2025-12-31"}])
        write(root, "records/archive/disposals/DS-2026-0002.yaml", disposal)
        shutil.rmtree(root / dossier("ORD-2025-0001"))

    merged(archive, "disposal/DS-2026-0002", "tseng.yawen", ["chou.peichun", "hsu.wenpin"], dispose)
    result = assert_same_as_from_nothing(archive, tmp_path, before, {"archive/disposals.html"})
    assert "dossiers/ORD-2025-0001.html" not in site_files(archive / "site") and result.kept > 0


def test_the_organisation_changed(archive, tmp_path):
    """A person's name is on every page that shows them: those pages change, and only a build can tell which."""
    before = site_files(archive / "site")
    organization = read(archive, "records/organization.yaml")
    person = next(p for p in organization["people"] if p["id"] == "lin.yating")

    def rename(root: Path) -> None:
        person.update(name="林雅婷（改）", name_en="Ya-Ting Lin-Renamed")
        write(root, "records/organization.yaml", organization)

    merged(archive, "org/rename", "tseng.yawen", ["chou.peichun"], rename)
    assert_same_as_from_nothing(archive, tmp_path, before, {"dossiers/ORD-2026-0003.html", "en/dossiers/ORD-2026-0003.html"})


def test_an_edit_and_its_revert_merged_between_two_builds_show_on_the_dossier(archive, tmp_path):
    """The files are as the last build read them, the timeline is two versions longer: a dossier's digest reads its
    files' timelines, not their text alone, or the last build's page would be kept without the two versions."""
    order = f"{dossier('ORD-2026-0003')}/order.yaml"
    before = site_files(archive / "site")
    text = (archive / order).read_bytes()
    merged(archive, "order/rename", "chang.chiahao", ["lin.yating"], lambda r: edit(r, order, _rename_project))
    merged(archive, "order/revert", "chang.chiahao", ["lin.yating"], lambda r: (r / order).write_bytes(text))
    assert (archive / order).read_bytes() == text
    assert_same_as_from_nothing(archive, tmp_path, before, {"dossiers/ORD-2026-0003.html", "en/dossiers/ORD-2026-0003.html"})
    reverted = git(archive, "rev-parse", "HEAD").strip()[:10]  # the merge of the revert: the timeline's last version
    assert reverted in (archive / "site" / "dossiers" / "ORD-2026-0003.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("seed", [0, 1])
def test_every_build_of_a_run_of_merges_direct_commits_and_days_is_the_site_from_nothing(archive, tmp_path, seed):
    """The tests above each take one change from one build to the next. Here a build follows several: changes of
    every kind (``changes.drawn_run``) merged, committed straight to the main line, or two merged between builds, a
    later day now and then, every second build followed by one with nothing changed — and after each build the site
    is, file for file, a build from nothing of the same commit on the same day. So what a build keeps for the next
    (the site before last it publishes into, the pages' basis, the search parts joined and patched, the timelines,
    the judged commits) holds over a run of builds, not only from the first. The run is told on failure."""
    for step, (today, run) in enumerate(drawn_run(archive, seed, 7, TODAY)):
        result = build_site(archive, today=today)
        assert result.recycled, run
        if step % 2:
            again = build_site(archive, today=today)
            assert again.made == 0, run
            run.append("built again")
        incremental = site_files(archive / "site")
        clone = tmp_path / f"clone-{step}"
        git(tmp_path, "clone", "-q", str(archive), str(clone))
        build_site(clone, today=today)
        scratch = site_files(clone / "site")
        assert [name for name in sorted(incremental.keys() | scratch.keys()) if incremental.get(name) != scratch.get(name)] == [], run


def test_timelines_read_from_the_stores_base_are_the_ones_a_build_from_nothing_shows(archive, tmp_path, monkeypatch):
    """At 10,000 orders the pages read each timeline from the store's base file (``timelinestore``), where the
    demo's fit in its index: made to keep a base, a merge after it shows on its dossier as a build from nothing."""
    monkeypatch.setattr(timelinestore, "REBASE", (1, 1))
    order = f"{dossier('ORD-2026-0003')}/order.yaml"
    merged(archive, "order/first", "chang.chiahao", ["lin.yating"], lambda r: edit(r, order, lambda d: d["intake"].update(project_name="First")))
    build_site(archive, today=TODAY)
    assert list(cachefile.folder(archive).glob("timelines-*.data")), "the timelines are in a base"
    before = site_files(archive / "site")
    merged(archive, "order/rename", "chang.chiahao", ["lin.yating"], lambda r: edit(r, order, _rename_project))
    assert_same_as_from_nothing(archive, tmp_path, before, {"dossiers/ORD-2026-0003.html", "en/dossiers/ORD-2026-0003.html"})
    merge_commit = git(archive, "rev-parse", "HEAD").strip()[:10]
    assert merge_commit in (archive / "site" / "dossiers" / "ORD-2026-0003.html").read_text(encoding="utf-8")


def test_the_policy_changed(archive, tmp_path):
    """The findings follow the policy: every page that shows one changes."""
    before = site_files(archive / "site")
    merged(archive, "policy/loans", "tseng.yawen", ["chou.peichun", "hsu.wenpin"], lambda r: edit(r, "records/policy.yaml", _shorter_loans))
    assert_same_as_from_nothing(archive, tmp_path, before, {"compliance.html", "en/compliance.html"})


def test_a_direct_commit_after_a_policy_that_does_not_validate_is_flagged_as_from_nothing(archive, tmp_path):
    """A policy that does not validate leaves the last valid one in force. The build after the next commit judges
    that commit alone, from the judgements the last build kept: its rules are still the last valid policy's, so
    an unapproved direct commit is flagged as a build from nothing flags it (it was once judged untracked)."""
    merged(archive, "policy/typo", "tseng.yawen", ["chou.peichun", "hsu.wenpin"], lambda r: edit(r, "records/policy.yaml", _not_a_yes_or_no))
    build_site(archive, today=TODAY)
    before = site_files(archive / "site")
    direct(archive, "chang.chiahao", WHEN, "straight onto main", lambda r: edit(r, f"{dossier('ORD-2026-0003')}/order.yaml", _rename_project))
    assert_same_as_from_nothing(archive, tmp_path, before, {"compliance.html", "en/compliance.html"})
    unapproved = git(archive, "rev-parse", "HEAD").strip()[:10]
    assert unapproved in (archive / "site" / "en" / "compliance.html").read_text(encoding="utf-8")


def _not_a_yes_or_no(policy: dict) -> None:
    policy["approvals_required"] = "no"


def _shorter_loans(policy: dict) -> None:
    policy["max_borrowing_days"] = 3
    policy["forwarding_business_days"] = 0


def test_a_template_changed(archive, tmp_path, monkeypatch):
    """The program's page templates and its theme overrides: a changed template is a changed page."""
    before = site_files(archive / "site")
    templates = tmp_path / "templates"
    shutil.copytree(paths.TEMPLATES, templates)
    dossier_template = templates / "dossier.md.j2"
    dossier_template.write_text(dossier_template.read_text(encoding="utf-8") + "\nTemplate changed.\n", encoding="utf-8")
    main = templates / "overrides" / "main.html"
    main.write_text(main.read_text(encoding="utf-8").replace("{% block content %}", "{% block content %}<!-- theme changed -->"), encoding="utf-8")
    for module in (paths, render_pages, sitecache, reuse):
        monkeypatch.setattr(module, "TEMPLATES", templates)
    monkeypatch.setattr(plugin, "OVERRIDES", templates / "overrides")
    sitecache.code_digest.cache_clear()
    try:
        assert_same_as_from_nothing(archive, tmp_path, before, {"dossiers/ORD-2026-0003.html", "index.html"})
    finally:
        sitecache.code_digest.cache_clear()
    assert "Template changed." in (archive / "site/dossiers/ORD-2026-0003.html").read_text(encoding="utf-8")


def test_a_kept_page_whose_conversion_warned_is_read_again_so_strict_still_counts_it(archive, monkeypatch, caplog):
    """A page left out of MkDocs' pass says nothing: one whose conversion warned (here a dossier linking to a
    page that does not exist) is read at every build, or ``--strict`` would pass once nothing changed."""
    real = plugin.Renderer.plan
    broken = "dossiers/ORD-2026-0003.md"

    def plan(renderer):
        return [(path, (lambda r=render: r() + "\n[gone](missing-page.md)\n") if path == broken else render) for path, render in real(renderer)]

    monkeypatch.setattr(plugin.Renderer, "plan", plan)
    merged(archive, "order/rename", "chang.chiahao", ["lin.yating"], lambda r: edit(r, f"{dossier('ORD-2026-0003')}/order.yaml", _rename_project))
    for _ in range(2):  # the dossier converted, then nothing changed
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="mkdocs"):
            result = build_site(archive, today=TODAY)
        said = [r.getMessage() for r in caplog.records if "missing-page.md" in r.getMessage()]
        assert len(said) == 2 and all(broken in x for x in said), said  # once an edition
    assert result.skipped == result.pages - 2 * len(plugin.IN_NAV) - 2
    with pytest.raises(MkDocsException):
        build_site(archive, strict=True, today=TODAY)


def test_a_link_to_an_anchor_of_a_skipped_page_is_still_checked(archive, monkeypatch, caplog):
    """MkDocs checks each link to an anchor against the page it leads to: a page left out of its pass gives the
    anchors its conversion found, as if it had been read."""
    real = plugin.Renderer.plan
    links = "\n[gone](dossiers/ORD-2026-0003.md#no-such-anchor) [there](dossiers/ORD-2026-0003.md#{anchor})\n"
    ids = [
        set(re.findall(r'<h[1-3] id="([^"]+)"', (archive / site / "dossiers/ORD-2026-0003.html").read_text(encoding="utf-8"))) for site in ("site", "site/en")
    ]
    anchor = min(ids[0] & ids[1])  # one both editions have

    def plan(renderer):
        return [(path, (lambda r=render: r() + links.format(anchor=anchor)) if path == "reports.md" else render) for path, render in real(renderer)]

    monkeypatch.setattr(plugin.Renderer, "plan", plan)
    merged(archive, "loan/due", "tsai.mingche", ["huang.shuhua"], lambda r: edit(r, "records/archive/borrowing/BR-2026-0001.yaml", _later))
    with caplog.at_level(logging.INFO, logger="mkdocs"):
        result = build_site(archive, today=TODAY)
    said = [r.getMessage() for r in caplog.records if "#no-such-anchor" in r.getMessage() or f"#{anchor}" in r.getMessage()]
    assert len(said) == 2 and all("no-such-anchor" in x and "reports.md" in x for x in said), said  # once an edition
    assert "dossiers/ORD-2026-0003.md" not in {p.split("/", 1)[1] for p in result.rendered} and result.skipped > result.pages / 2


def test_a_fresh_clone_with_the_caches_a_ci_run_restored_keeps_every_page(built, tmp_path):
    """What the generated CI does: a new checkout, then the last main-line run's ``.git/order-archive`` and
    ``site/`` unpacked from an archive (new files, times kept) — and the build makes nothing again."""
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(built), str(clone))
    saved = shutil.make_archive(str(tmp_path / "cache"), "tar", built, ".git/order-archive")
    shutil.unpack_archive(saved, clone)
    shutil.make_archive(str(tmp_path / "site"), "tar", built, "site")
    shutil.unpack_archive(str(tmp_path / "site.tar"), clone)
    result = build_site(clone, today=TODAY)
    assert (result.made, result.kept) == (0, result.pages)
    assert site_files(clone / "site") == site_files(built / "site")


def test_what_a_build_records_of_its_html_files_is_each_file_as_it_is(archive, tmp_path):
    """The next build keeps a page by the record of its HTML file (size, inode, time): a page this build kept is
    recorded as the earlier site's file it linked, without looking at it again, and that is the file in its site."""
    merged(archive, "order/rename", "chang.chiahao", ["lin.yating"], lambda r: edit(r, f"{dossier('ORD-2026-0003')}/order.yaml", _rename_project))
    result = build_site(archive, today=TODAY)
    assert result.kept > result.pages * 0.6, sorted(result.rendered)  # what was made again, should it fail (it did once, under load: the report pages)
    for language, site in (("zh-Hant", archive / "site"), ("en", archive / "site/en")):
        outputs = StoredPages.open(archive, language, None).reuse["outputs"]
        assert len(outputs) == result.pages // 2
        for dest, (_key, sha, size, inode, time_ns) in outputs.items():
            about = (site / dest).stat()
            assert (about.st_size, about.st_ino, about.st_mtime_ns) == (size, inode, time_ns), dest
            assert sha == reuse.digest((site / dest).read_bytes()), dest


def test_a_kept_page_copied_where_it_could_not_be_linked_is_kept_by_its_bytes(archive, tmp_path):
    """A site on a file system without hard links gets a copy of each kept page: another inode than the one
    recorded. The next build compares its bytes and keeps it all the same."""
    for page in (archive / "site/dossiers").glob("*.html"):
        copy = page.with_name(f".{page.name}.copy")
        shutil.copy2(page, copy)
        copy.replace(page)
    result = build_site(archive, today=TODAY)
    assert (result.made, result.kept) == (0, result.pages)
    assert site_files(archive / "site") == from_nothing(archive, tmp_path)


def test_a_page_file_of_the_last_site_changed_since_is_written_again(archive, tmp_path):
    """The last site is only a copy: a file that is not the bytes the last build wrote is never kept."""
    page = archive / "site/dossiers/ORD-2026-0003.html"
    page.write_bytes(page.read_bytes().replace(b"ORD-2026-0003", b"ORD-2026-9999", 1))
    result = build_site(archive, today=TODAY)
    assert b"ORD-2026-9999" not in page.read_bytes()
    assert result.kept == result.pages - 1


def test_a_cache_from_other_code_or_settings_keeps_nothing(archive, monkeypatch):
    """Another Markdown setting could convert every page otherwise: nothing of the last build is taken."""
    config = archive / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8").replace("permalink: false", "permalink: true"), encoding="utf-8")
    result = build_site(archive, today=TODAY)
    assert (result.made, result.kept) == (result.pages, 0)
    assert 'class="headerlink"' in (archive / "site/dossiers/ORD-2026-0003.html").read_text(encoding="utf-8")
    monkeypatch.setattr(cachefile, "CODE", "another program")
    assert build_site(archive, today=TODAY).made == result.pages


def test_lookups_hold_unasked_only_where_the_site_has_the_earlier_builds_files(archive, tmp_path, monkeypatch):
    """A kept page's links were resolved against the earlier build's files: where this build has the same files
    (each path, address and inclusion) they all hold without a look; a file added, gone, moved or excluded is a
    table of another digest, and each lookup is asked again."""
    seen: list[bool] = []
    real = reuse.Lookups.__init__

    def spy(self, files, same_files=False):
        seen.append(same_files)
        real(self, files, same_files)

    monkeypatch.setattr(reuse.Lookups, "__init__", spy)
    merged(archive, "order/rename", "chang.chiahao", ["lin.yating"], lambda r: edit(r, f"{dossier('ORD-2026-0003')}/order.yaml", _rename_project))
    build_site(archive, today=TODAY)
    assert seen == [True, True], "an edited record: the same files in both editions"

    def add(root: Path) -> None:
        shutil.copytree(root / dossier("ORD-2026-0008"), root / dossier("ORD-2026-0009"))
        for path in (root / dossier("ORD-2026-0009")).rglob("*.yaml"):
            path.write_text(path.read_text(encoding="utf-8").replace("2026-0008", "2026-0009"), encoding="utf-8")

    seen.clear()
    merged(archive, "order/new", "chang.chiahao", ["lin.yating"], add)
    build_site(archive, today=TODAY)
    assert seen == [False, False], "a dossier added: a page more, looked up again"

    from mkdocs.structure.files import File, Files, InclusionLevel

    def table(*names: str, directory_urls: bool = True, excluded: str = "") -> str:
        made = [File(name, "docs", "site", use_directory_urls=directory_urls) for name in names]
        for file in made:
            if file.src_uri == excluded:
                file.inclusion = InclusionLevel.EXCLUDED
        return reuse.files_table(Files(made))

    one = table("a.md", "b/c.md")
    assert one == table("a.md", "b/c.md")
    assert len({one, table("a.md"), table("a.md", "b/d.md"), table("a.md", "b/c.md", directory_urls=False), table("a.md", "b/c.md", excluded="a.md")}) == 5
    files = Files([File("a.md", "docs", "site", use_directory_urls=False)])
    assert reuse.Lookups(files, same_files=True).still_hold([("gone.md", "gone.html", False)])
    assert not reuse.Lookups(files).still_hold([("gone.md", "gone.html", False)])
