"""The MkDocs plugin and orders build: a real mkdocs build, strict mode, atomic replacement of site/."""

from __future__ import annotations

import contextlib
import functools
import gc
import json
import logging
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
import weakref
from types import SimpleNamespace

import jinja2
import pytest
from bundles import answers, fragments
from click.testing import CliRunner
from editing import dossier, edit
from mkdocs.exceptions import MkDocsException
from mkdocs.structure.toc import get_toc
from sitebuild import TODAY, build, plugin_option, with_site

from generator.cli import main
from generator.core import cachefile
from generator.demo.repository import write_repository
from generator.records import load
from generator.reports.figures import Facts
from generator.site import compiled, searchindex
from generator.site import plugin as plugin_module
from generator.site.render import COMPILING, Renderer
from generator.trail.published import published_head


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("plugin") / "demo"
    write_repository(root, 12, seed=2)
    result = build(root)
    return root, result


def test_build_writes_every_page_and_the_search_index(demo_site):
    root, result = demo_site
    site = root / "site"
    assert result.pages > 20
    assert (site / "index.html").is_file() and (site / "compliance.html").is_file()
    assert len(list((site / "dossiers").glob("ORD-*.html"))) == 12
    assert (site / "pagefind/pagefind-ui.js").is_file() and any((site / "pagefind/fragment").iterdir())
    assert '<html lang="zh-Hant"' in (site / "index.html").read_text(encoding="utf-8")


def test_every_dossier_reaches_its_own_page_and_the_search_index(demo_site):
    """Dossiers come from a second process and go to Pagefind page by page: none may land in another's place."""
    root, _ = demo_site
    site = root / "site"
    pages = sorted((site / "dossiers").glob("ORD-*.html"))
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert re.search(rf"<h1[^>]*>{page.stem} ", html), page.name
        assert f"<title>{page.stem} " in html
    assert {f"/dossiers/{page.name}" for page in pages} <= set(fragments(site / "pagefind"))


def test_the_compliance_page_is_found_by_its_clauses_not_by_every_finding(demo_site):
    """A browser loads a result's whole excerpt file: listing every finding of the archive made the compliance
    page's 131 KB at 50,000 orders, loaded by a query for any order number among them. The findings are searched
    on their dossiers; the page is found by its clauses and rules."""
    root, result = demo_site
    site = root / "site"
    found = [p for p in result.problems if re.search(r"ORD-\d{4}-\d{4}", p.path)]
    page = (site / "compliance.html").read_text(encoding="utf-8")
    assert found and all(p.rule in page for p in found)  # the page still lists them
    indexed = fragments(site / "pagefind")
    text = indexed["/compliance.html"]["content"].replace("\u200b", "")  # Pagefind's word boundaries
    assert "§2.3" in text and "order.forwarded-late" in text  # a clause, and a rule its section names
    assert not re.search(r"ORD-\d{4}-\d{4}", text)
    order = re.search(r"ORD-\d{4}-\d{4}", found[0].path).group(0)
    assert order in indexed[f"/dossiers/{order}.html"]["content"].replace("\u200b", "")


def test_a_report_is_found_by_its_titles_and_definitions_not_by_its_figures(demo_site):
    """A report page's numbers would answer a query for any count or amount, beside the dossiers it is about:
    the page shows its tables and charts, and search reads its title, its tables' titles and their notes."""
    root, _ = demo_site
    site = root / "site"
    year = sorted(p.stem for p in (site / "reports").glob("[0-9][0-9][0-9][0-9].html"))[-1]
    page = (site / "reports" / f"{year}.html").read_text(encoding="utf-8")
    assert '<table class="oa-report">' in page and "<svg" in page  # the figures are shown
    text = fragments(site / "pagefind")[f"/reports/{year}.html"]["content"].replace("\u200b", "")
    assert f"報表 {year}" in text and "準時交付" in text and "期間內交付之訂單" in text
    figures = set(re.findall(r"<td[^>]*>(\d+\.\d%|-?\d{1,3}(?:,\d{3})+)</td>", page))  # rates and amounts
    assert figures and not [f for f in figures if f in text], text


def test_dossiers_stay_out_of_the_navigation(demo_site):
    root, _ = demo_site
    home = (root / "site/index.html").read_text(encoding="utf-8")
    assert "dossiers/ORD-" not in home.split('<div class="md-content"', 1)[0]


def test_attachments_are_published_beside_their_dossier(demo_site):
    root, _ = demo_site
    pdfs = list((root / "site/attachments").rglob("*.pdf"))
    assert pdfs and all(p.read_bytes().startswith(b"%PDF") for p in pdfs)


def test_mkdocs_own_exclusions_keep_an_attachment_out_of_the_site(archive, monkeypatch):
    """The build publishes the attachments itself (they are not MkDocs' files), under MkDocs' own rules: a pattern
    of ``exclude_docs`` in mkdocs.yml keeps the attachment it names out of the site, and only that one."""
    build(with_site(archive))
    published = sorted(p.relative_to(archive / "site") for p in (archive / "site/attachments").rglob("*") if p.is_file())
    assert len(published) >= 2
    excluded = published[0]
    config = archive / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8") + f"exclude_docs: |\n  /{excluded.as_posix()}\n", encoding="utf-8")
    build(archive)
    assert sorted(p.relative_to(archive / "site") for p in (archive / "site/attachments").rglob("*") if p.is_file()) == published[1:]
    judged: list[str] = []  # the same paths under the same rules: judged once, the judgement kept (``_excluded``)
    real = plugin_module.set_exclusions
    monkeypatch.setattr(plugin_module, "set_exclusions", lambda files, config: (judged.extend(f.src_uri for f in files), real(files, config)))
    edit(archive, f"{dossier('ORD-2026-0003')}/order.yaml", lambda order: order["intake"].update(project_name="再讀一次 Read again"))
    build(archive)
    assert "index.md" in judged and not [path for path in judged if path.startswith("attachments/")], "MkDocs' files judged, not the attachments"
    assert sorted(p.relative_to(archive / "site") for p in (archive / "site/attachments").rglob("*") if p.is_file()) == published[1:]
    config.write_text(config.read_text(encoding="utf-8").replace(f"exclude_docs: |\n  /{excluded.as_posix()}\n", ""), encoding="utf-8")
    build(archive)
    assert sorted(p.relative_to(archive / "site") for p in (archive / "site/attachments").rglob("*") if p.is_file()) == published


def test_the_theme_s_static_files_are_those_mkdocs_finds_in_its_full_listing(archive):
    """The theme's environment lists no hidden template (``_list_theme_unhidden``): MkDocs finds the same static
    files in it as in the full listing — Material's, and a theme folder of the archive's own with hidden files
    and folders beside plain ones — and a hidden template still loads by its name."""
    from mkdocs.config import load_config
    from mkdocs.structure.files import Files

    own = archive / "theme-extra"
    for name in ("extra.css", "sub/ok.js", ".hidden/secret.css", "sub/.dot.css", "sub/.deeper/x.js", "main.html"):
        (own / name).parent.mkdir(parents=True, exist_ok=True)
        (own / name).write_text("/* */", encoding="utf-8")
    config_file = with_site(archive) / "mkdocs.yml"
    text = config_file.read_text(encoding="utf-8")
    config_file.write_text(text.replace("  name: material\n", "  name: material\n  custom_dir: theme-extra\n"), encoding="utf-8")

    def static_files(unhidden: bool) -> list[str]:
        config = load_config(str(config_file))
        if unhidden:
            plugin_module._list_theme_unhidden(config.theme)
        files = Files([])
        env = config.theme.get_env()
        files.add_files_from_theme(env, config)
        assert env.get_template(".icons/material/home.svg") is not None
        return sorted(f.src_uri for f in files)

    found = static_files(unhidden=True)
    assert found == static_files(unhidden=False)
    assert {"extra.css", "sub/ok.js"} <= set(found) and not [name for name in found if "/." in f"/{name}"]
    assert any(name.startswith("assets/javascripts/bundle.") for name in found)


def test_no_request_would_leave_the_host(demo_site):
    root, _ = demo_site
    for page in (root / "site").rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "fonts.googleapis" not in text and "fonts.gstatic" not in text and "cdn.jsdelivr" not in text, page


def test_mkdocs_build_strict_works_in_the_archive(demo_site, tmp_path):
    root, _ = demo_site
    out = tmp_path / "strict-site"
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(out)],
        cwd=root,
        capture_output=True,
        text=True,
        env={"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (out / "index.html").is_file()


def test_a_build_with_errors_shows_them_unless_strict(archive):
    root = with_site(archive)
    o5 = f"{dossier('ORD-2026-0005')}/order.yaml"
    edit(root, o5, lambda d: d.pop("work_plan"))
    result = build(root)
    assert any(p.rule == "order.missing-work-plan" for p in result.problems)
    assert "order.missing-work-plan" in (root / "site/compliance.html").read_text(encoding="utf-8")
    before = (root / "site/index.html").read_bytes()
    with pytest.raises(MkDocsException) as refused:
        build(root, strict=True)
    assert "error[order.missing-work-plan]" in str(refused.value) and f"{o5}:" in str(refused.value)  # says why, not only "Aborted"
    assert (root / "site/index.html").read_bytes() == before  # the old site is untouched
    said = CliRunner().invoke(main, ["build", str(root), "--strict", "--today", str(TODAY)])
    assert said.exit_code == 1 and "order.missing-work-plan" in said.stderr and "(§3.1)" in said.stderr
    assert not list(root.glob(".site.*"))  # no half-written folder left behind


def test_orders_build_command_reports_and_publishes(demo_site):
    root, _ = demo_site
    result = CliRunner().invoke(main, ["build", str(root), "--today", str(TODAY), "--publish"])
    assert result.exit_code == 0, result.stderr
    assert "pages (zh-Hant + en) in" in result.stderr and "search index" in result.stderr
    assert published_head(root) == subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True).stdout.strip()


def test_an_unchanged_archive_reuses_pages_and_search_index(archive):
    root = with_site(archive)
    first = build(root)
    key = (root / "site/pagefind/.inputs-key").read_text()
    streamed = (root / "site/dossiers/ORD-2026-0005.html").read_text(encoding="utf-8")
    second = build(root)
    assert [p.format() for p in second.problems] == [p.format() for p in first.problems]
    assert (root / "site/dossiers/ORD-2026-0005.html").read_text(encoding="utf-8") == streamed
    assert (root / "site/pagefind/.inputs-key").read_text() == key
    assert any((root / "site/pagefind/fragment").iterdir())
    o5 = f"{dossier('ORD-2026-0005')}/order.yaml"
    edit(root, o5, lambda d: d["intake"].update(project_name="全新專案名稱 Renamed project"))
    build(root)
    assert (root / "site/pagefind/.inputs-key").read_text() != key
    assert "全新專案名稱" in (root / "site/dossiers/ORD-2026-0005.html").read_text(encoding="utf-8")


def html_pages(site) -> dict[str, bytes]:
    return {page.relative_to(site).as_posix(): page.read_bytes() for page in site.rglob("*.html")}


def test_pages_converted_by_the_workers_are_the_pages_mkdocs_converts(archive, monkeypatch):
    """Workers run MkDocs' own Page.render; the site must not change by a byte for it, nor when the cache
    gives the conversions back (a warm build)."""
    root = with_site(archive)
    converted = []
    real = plugin_module._ConvertedPage.render

    def render(page, config, files):
        converted.append(page.conversion is not None)
        return real(page, config, files)

    monkeypatch.setattr(plugin_module._ConvertedPage, "render", render)
    build(root)
    workers = html_pages(root / "site")
    assert converted and all(converted)  # every generated page came converted
    converted.clear()
    build(root)  # warm: from the page cache
    assert converted and all(converted)
    assert html_pages(root / "site") == workers
    converted.clear()
    shutil.rmtree(cachefile.folder(root))
    monkeypatch.setattr(plugin_module, "can_fork", lambda: False)  # say, a thread of another kind runs
    build(root)  # MkDocs converts every page in this process
    assert converted and not any(converted)
    in_process = html_pages(root / "site")
    assert len(in_process) > 20 and in_process == workers


def test_no_page_holds_its_markdown_or_html_between_converting_and_writing(archive, monkeypatch):
    """MkDocs converts every page before it writes any: each converted page must then hold neither its Markdown
    nor its HTML (they wait in the page file), cold and warm. Held, a 10,000-order site peaked at ~2.9 GB. Nor its
    table of contents as MkDocs' objects, before it is written or after (43 MB at 10,000 orders): the tokens
    stay, and the table the theme is given is the one MkDocs makes of them."""
    root = with_site(archive)
    held: list[list[str]] = []
    tables: list[list[str]] = []
    real_env, real_post = plugin_module.OrderArchivePlugin.on_env, plugin_module.OrderArchivePlugin.on_post_build

    def built_table(page) -> bool:  # MkDocs' objects held (the code before stored them as ``toc``)
        return bool(vars(page).get("_toc", vars(page).get("toc")))

    def converted(files):  # warm, MkDocs is given the navigation's pages alone (``_leave_out``)
        pages = [f.page for f in files.documentation_pages() if isinstance(f.page, plugin_module._ConvertedPage)]
        assert len(pages) >= len(plugin_module.IN_NAV)
        return pages

    def on_env(self, env, config, files):
        pages = converted(files)
        held.append([p.file.src_uri for p in pages if p._held or p._lent or p.markdown or p.conversion or p.file._content])
        tables.append([p.file.src_uri for p in pages if built_table(p)])
        return real_env(self, env, config, files)

    def on_post_build(self, config):
        tables.append([p.file.src_uri for p in converted(self.files) if built_table(p)])
        return real_post(self, config)

    monkeypatch.setattr(plugin_module.OrderArchivePlugin, "on_env", on_env)
    monkeypatch.setattr(plugin_module.OrderArchivePlugin, "on_post_build", on_post_build)
    cold = build(root)
    warm = build(root)
    assert cold.made > 20 and held == [[], []]  # cold and warm
    assert tables == [[], [], [], []]  # before writing and after, cold and warm
    assert warm.pages == cold.pages
    page = next(p for p in converted(plugin_module.build_site(root, today=TODAY, keep_editions=True).editions[0].files) if p._toc_rows)
    assert [(a.title, a.id, a.level) for a in page.toc] == [(a.title, a.id, a.level) for a in get_toc(page._toc_rows)]


def test_what_mkdocs_says_while_a_worker_converts_is_said_in_the_build(archive, monkeypatch, caplog):
    """A warning logged in a worker (here: a link to a page that does not exist) must reach the build's log,
    where --strict counts it, once, and again when the conversion comes from the cache."""
    root = with_site(archive)
    real = plugin_module.Renderer.plan

    def plan(renderer):
        pages = real(renderer)
        return [(path, (lambda r=render: r() + "\n[gone](missing-page.md)\n") if path == "reports.md" else render) for path, render in pages]

    monkeypatch.setattr(plugin_module.Renderer, "plan", plan)
    for _ in range(2):  # cold, then warm
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="mkdocs"):
            build(root)
        said = [r.getMessage() for r in caplog.records if "missing-page.md" in r.getMessage()]
        assert len(said) == 1 and "reports.md" in said[0], said
    with pytest.raises(MkDocsException):
        build(root, strict=True)


def test_orders_serve_serves_the_site_with_its_search(archive, tmp_path):
    """``orders serve`` is what staff run while they write records: the dossiers and the search bundle are served."""
    root = with_site(archive)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    command = [sys.executable, "-m", "generator.cli", "serve", str(root), "--address", f"127.0.0.1:{port}"]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        page = None
        deadline = time.monotonic() + 120
        while page is None and time.monotonic() < deadline and server.poll() is None:
            try:
                page = urllib.request.urlopen(f"{base}/dossiers/ORD-2026-0005.html", timeout=5).read().decode()
            except OSError:
                time.sleep(0.5)
        assert page is not None, server.stderr.read1().decode() if server.poll() is not None else "no answer in 120 s"
        assert "ORD-2026-0005" in page and "oa-timeline" in page
        assert urllib.request.urlopen(f"{base}/pagefind/pagefind-ui.js", timeout=5).status == 200
        assert urllib.request.urlopen(f"{base}/pagefind/pagefind-entry.json", timeout=5).status == 200
    finally:
        server.terminate()
        server.wait(timeout=20)
    said = server.stderr.read().decode()
    assert f"http://127.0.0.1:{port}/" in said and "Ctrl+C to stop" in said  # where it serves, and how to stop it


def test_the_footer_names_the_archive_in_each_language(demo_site):
    root, _ = demo_site
    for home, words in (
        (root / "site/index.html", ("鴻信外包服務股份有限公司 訂單檔案庫", "由本檔案庫經核准之記錄產生")),
        (root / "site/en/index.html", ("Hongxin Outsourcing Services Co., Ltd. Order Archive", "Generated from the approved records")),
    ):
        html = home.read_text(encoding="utf-8")
        footer = html[html.index("md-footer") :]
        assert all(w in footer for w in words), home


def test_both_languages_are_published_with_the_same_pages(demo_site):
    root, result = demo_site
    site = root / "site"
    first = {p.relative_to(site).as_posix() for p in site.rglob("*.html") if p.relative_to(site).parts[0] != "en"}
    second = {p.relative_to(site / "en").as_posix() for p in (site / "en").rglob("*.html")}
    assert first == second and len(first) > 20
    assert result.pages == 2 * len([p for p in first if p != "404.html"])
    english = (site / "en/dossiers/ORD-2025-0001.html").read_text(encoding="utf-8")
    assert '<html lang="en"' in english and "<title>ORD-2025-0001 " in english and "Order Archive</title>" in english
    assert (site / "en/pagefind/pagefind-ui.js").is_file() and any((site / "en/pagefind/fragment").iterdir())
    index = json.loads((site / "en/pagefind/pagefind-entry.json").read_text())
    assert list(index["languages"]) == ["en"]  # each edition searches its own words
    assert list(json.loads((site / "pagefind/pagefind-entry.json").read_text())["languages"]) == ["zh-hant"]


def test_the_language_menu_leads_to_the_same_page_in_the_other_language(demo_site):
    root, _ = demo_site
    site = root / "site"
    for page in ("index.html", "dossiers/ORD-2025-0001.html", "archive/borrowing.html", "orders/status/archived.html"):
        for edition in (site, site / "en"):
            html = (edition / page).read_text(encoding="utf-8")
            menu = html[html.index("oa-languages") :]
            links = {language: href for href, language in re.findall(r'<a href="([^"]+)" hreflang="([^"]+)"', menu[: menu.index("</ul>")])}
            assert {language: ((edition / page).parent / href).resolve() for language, href in links.items()} == {
                "zh-Hant": (site / page).resolve(),
                "en": (site / "en" / page).resolve(),
            }


def test_both_editions_are_made_from_one_reading_of_the_archive(archive, monkeypatch):
    """The archive is read once a build, not once an edition (the same files, read again, were 2.2 s at 10,000
    orders), and so are the reports' facts worked out (3.5 s), in the process beside the plan (counted in a file);
    a later build reads the archive again, and works the facts out again where a record they read changed (else the
    reports are the last build's: ``reports.kept``)."""
    reads = []
    read, of = plugin_module.read_archive, Facts.of
    counted = archive.parent / "facts-worked-out"
    counted.write_text("")  # an x for each time

    def worked_out(catalog):
        with open(counted, "a") as handle:
            handle.write("x")
        return of(catalog)

    monkeypatch.setattr(plugin_module, "read_archive", lambda root: reads.append(root) or read(root))
    monkeypatch.setattr(Facts, "of", worked_out)
    root = with_site(archive, "zh-Hant", "en")
    assert build(root).languages == ("zh-Hant", "en") and len(reads) == len(counted.read_text()) == 1
    edit(root, f"{dossier('ORD-2026-0003')}/order.yaml", lambda order: order["intake"].update(project_name="再讀一次 Read again", budget="765432.00"))
    build(root)
    assert len(reads) == len(counted.read_text()) == 2 and "再讀一次" in (root / "site/dossiers/ORD-2026-0003.html").read_text(encoding="utf-8")
    build(root)  # nothing changed: each edition comes from the page cache; the second knows it by the first's reading
    assert len(reads) == 3 and len(counted.read_text()) == 2
    assert "Read again" in (root / "site/en/dossiers/ORD-2026-0003.html").read_text(encoding="utf-8")
    (cachefile.folder(root) / "site-en.marshal").unlink()  # the second edition's page cache lost
    build(root)  # the first edition comes from its cache; the second reads the archive and makes its pages
    assert len(reads) == 5 and len(counted.read_text()) == 2  # of the same records: the reports kept
    assert "Read again" in (root / "site/en/dossiers/ORD-2026-0003.html").read_text(encoding="utf-8")


def test_a_build_whose_process_then_ends_leaves_what_it_held_to_that_end(archive, monkeypatch):
    """``orders build`` ends its process once it has the result (``cli._leave``): the checked archive and the
    editions a build held are left to that end (``process_ends``), not freed object by object just before it (a
    tenth of a second of a merge's build at 10,000 orders, while the English edition's search was still being
    joined). A build whose process goes on (``orders serve``, a test) lets them go, as before."""
    root = with_site(archive, "zh-Hant", "en")
    checks: list[weakref.ref] = []
    real = plugin_module.check_archive

    def check(*args, **kwargs):
        checked = real(*args, **kwargs)
        checks.append(weakref.ref(checked))
        return checked

    monkeypatch.setattr(plugin_module, "check_archive", check)
    monkeypatch.setattr(plugin_module, "_HELD", [])
    plugin_module.build_site(root, today=TODAY, process_ends=True)
    gc.collect()
    assert len(checks) == 1 and checks[0]() is not None, "held for the process's end"
    plugin_module._HELD.clear()
    gc.collect()
    assert checks[0]() is None, "held by nothing else"
    for cache in cachefile.folder(root).glob("site-*.marshal"):
        cache.unlink()  # the pages' caches lost: the next build checks the archive again
    build(root)
    gc.collect()
    assert len(checks) == 2 and checks[1]() is None and plugin_module._HELD == []


ENDING = """
import sys
from generator.site import plugin
real = plugin.build_site
def build_site(*args, **kwargs):
    print("process ends:", kwargs.get("process_ends"), file=sys.stderr)
    return real(*args, **kwargs)
plugin.build_site = build_site
from generator.cli import run
sys.argv = ["orders", *sys.argv[1:]]
run()
"""


def test_the_orders_command_says_its_build_ends_with_its_process(archive, monkeypatch):
    """``orders`` (``cli.run``) ends its process after the command: its build leaves what it held to that end. The
    same command run in a process that goes on (``main``, as tests and other programs call it) does not."""
    root = with_site(archive)
    asked = []
    real = plugin_module.build_site
    monkeypatch.setattr(plugin_module, "build_site", lambda *args, **kwargs: asked.append(kwargs.get("process_ends")) or real(*args, **kwargs))
    assert CliRunner().invoke(main, ["build", str(root), "--today", "2026-11-20"]).exit_code == 0
    assert asked == [False]
    ended = subprocess.run([sys.executable, "-c", ENDING, "build", str(root), "--today", "2026-11-20"], capture_output=True, text=True, check=False)
    assert ended.returncode == 0 and "process ends: True" in ended.stderr, ended.stderr[-2000:]


def test_a_build_lets_go_of_each_editions_pages_before_the_next_unless_they_are_kept(archive, monkeypatch):
    """MkDocs' files, pages and navigation of one edition are needed after its build only by ``orders serve`` (it
    makes one page again): a build lets them go before the next edition, whose pages then take their memory
    (10,000 orders: 10,224 pages and 38,165 attachments an edition, held to the end before) — with no full
    collection, which would walk every object of the build to find them (1.4–1.6 s at 10,000 orders)."""
    root = with_site(archive, "zh-Hant", "en")
    alive: list[int] = []
    full: list[int] = []
    real = plugin_module._build_edition

    def counted(*args, **kwargs):
        gc.collect(1)  # the young generations, as the collector goes on doing during a build
        alive.append(sum(isinstance(o, plugin_module._ConvertedPage) for o in gc.get_objects()))
        return real(*args, **kwargs)

    def collection(phase: str, info: dict) -> None:
        if phase == "start" and info["generation"] == 2:
            full.append(1)

    monkeypatch.setattr(plugin_module, "_build_edition", counted)
    build(root)  # the last build's plugin, which MkDocs holds, is gone before the next
    gc.collect()
    alive.clear()
    gc.callbacks.append(collection)
    try:
        result = build(root)
    finally:
        gc.callbacks.remove(collection)
    assert len(alive) == 2 and alive[1] <= len(plugin_module.IN_NAV) and result.editions == [] and full == []
    assert result.pages > 100  # the navigation's pages at most wait for the collector (the theme's contexts hold them)
    alive.clear()
    kept = plugin_module.build_site(root, today=TODAY, keep_editions=True)
    assert alive[1] > 20  # the first edition's pages, kept for the second's time and after
    assert [e.language for e in kept.editions] == ["zh-Hant", "en"] and kept.editions[1].has("dossiers/ORD-2026-0003.md")


def test_an_unknown_translation_is_refused(archive):
    root = with_site(archive)
    config = root / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8").replace("translations: {}", "translations: {fr: Archive}"), encoding="utf-8")
    with pytest.raises(MkDocsException, match="fr is not a second language"):
        build(root)


@pytest.mark.parametrize("rows", ["0", "-5", "true", "many"])
def test_a_list_length_that_is_not_a_number_of_rows_is_refused(archive, rows, caplog):
    root = with_site(archive)
    plugin_option(root, f"list_rows: {rows}")
    with pytest.raises(MkDocsException) as refused:
        build(root)
    assert "list_rows" in str(refused.value) + caplog.text  # a text is refused by MkDocs' own check, which logs why
    assert not (root / "site").exists()


def test_the_replaced_site_is_deleted_after_the_new_one_is_in_place(archive):
    root = with_site(archive)
    build(root)
    (root / "site/from-the-last-build.txt").write_text("old")
    stale = root / ".site.old-999999999"  # left by a build whose machine stopped
    stale.mkdir()
    (stale / "index.html").write_text("stale")
    build(root)
    assert (root / "site/index.html").is_file() and not (root / "site/from-the-last-build.txt").exists()
    deadline = time.monotonic() + 30
    while any(root.glob(".site.*")) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(root.glob(".site.*"))


def test_a_build_right_after_another_in_one_process_puts_its_replaced_site_beside_the_last_one(archive, monkeypatch):
    """The replaced site is deleted in the background; a second build of the same process (``orders serve``, a
    test) may come before it is gone. Each replaced site has a name of its own: once both were ``.site.old-PID``,
    and the second swap failed on the first's folder (a CI run met it). Where the replaced site is kept as the
    next build's folder (``spare``) nothing is deleted: here it cannot be (say, on another file system)."""
    from generator.site import plugin, spare

    root = with_site(archive)
    build(root)
    monkeypatch.setattr(plugin, "_remove_later", lambda folder: None)  # neither deletion is done yet
    monkeypatch.setattr(spare, "keep", lambda root, old: False)
    build(root)
    build(root)
    assert (root / "site/index.html").is_file() and len(list(root.glob(".site.old-*"))) == 2


def test_unchanged_attachments_are_linked_from_the_last_site_and_changed_ones_copied(archive):
    root = with_site(archive)
    build(root)
    published = sorted((root / "site/attachments").rglob("*.pdf"))
    assert len(published) >= 2
    kept, changed = published[0], published[1]
    before = {path: path.stat().st_ino for path in (kept, changed)}
    order_id = changed.parent.name
    source = root / dossier(order_id) / "attachments" / changed.name
    source.write_bytes(source.read_bytes()[:-1] + b"X")  # same size, new content and time
    os.utime(source, ns=(source.stat().st_atime_ns, source.stat().st_mtime_ns + 1_000_000_000))
    build(root)
    assert kept.stat().st_ino == before[kept]  # the same file, linked: nothing copied
    assert changed.stat().st_ino != before[changed] and changed.read_bytes() == source.read_bytes()


def test_every_edition_links_the_one_copy_of_each_attachment(archive):
    """Attachments are published once, by the first edition; a translation's dossiers link that copy (a copy an
    edition was 38,165 more files at 10,000 orders, each a link the build makes)."""
    root = with_site(archive, "zh-Hant", "en")
    build(root)
    site = root / "site"
    assert not (site / "en/attachments").exists()
    for edition in (site, site / "en"):
        links = [
            (page, href)
            for page in edition.glob("dossiers/*.html")
            for href in re.findall(r'href="([^"#]*attachments/[^"]+)"', page.read_text(encoding="utf-8"))
        ]
        assert len(links) >= 4, edition
        for page, href in links:
            target = (page.parent / urllib.parse.unquote(href)).resolve()
            assert target.is_relative_to((site / "attachments").resolve()), (page, href)
            assert target.read_bytes() == (root / dossier(target.parent.name) / "attachments" / target.name).read_bytes()


def test_a_single_language_build_shows_no_language_menu_that_would_lead_nowhere(demo_site, tmp_path):
    """``mkdocs build`` (and ``orders serve``) make the first language only: no menu to an edition not built."""
    root, _ = demo_site
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(root / "mkdocs.yml"), "-d", str(tmp_path / "one")],
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    home = (tmp_path / "one/index.html").read_text(encoding="utf-8")
    assert "oa-languages" not in home and "oa-languages" in (root / "site/index.html").read_text(encoding="utf-8")


def test_a_worker_keeps_no_page_it_has_converted(archive, monkeypatch):
    """MkDocs' Page ties itself to its file (``file.page``): a worker converting thousands of pages would keep
    every one's HTML to its end (1.3 GB a worker at 10,000 orders)."""
    from mkdocs.config import load_config
    from mkdocs.structure.files import File, Files

    monkeypatch.setattr(plugin_module, "_collect_log", list)  # a worker's, not this process's: the log stays here
    config = load_config(str(with_site(archive) / "mkdocs.yml"))
    files = Files([File("dossiers/ORD-2026-0001.md", None, config.site_dir, config.use_directory_urls)])
    converted = plugin_module._Converter(config, files)("dossiers/ORD-2026-0001.md", "# ORD-2026-0001\n\n**客戶** 宏遠物流\n")
    assert "宏遠物流" in converted.conversion[2]
    assert files.get_file_from_path("dossiers/ORD-2026-0001.md").page is None


def test_pages_outside_the_navigation_share_its_html_and_the_site_is_the_same(archive, monkeypatch):
    """Material's side menu and tabs are rendered once a folder for the pages outside the navigation (a dossier,
    an order list) and reused: every page of both editions is the page each renders alone, byte for byte, and
    each page of the navigation still marks itself as the one shown."""
    root = with_site(archive, "zh-Hant", "en")
    shared = []
    real = plugin_module._share_navigation

    def share(env, config, nav):
        real(env, config, nav)
        shared.append(env.globals["oa_shared"])

    monkeypatch.setattr(plugin_module, "_share_navigation", share)
    build(root)
    once = html_pages(root / "site")
    folders = {key[1] for pieces in shared for key in pieces}
    assert len(shared) == 2 and {name for pieces in shared for name, _ in pieces} == {"nav", "tabs"}
    lists_and_dossiers = [page for page in once if page.startswith(("dossiers/", "orders/"))]
    assert "dossiers" in folders and len(folders) * 3 < len(lists_and_dossiers)  # one rendering a folder, not a page
    shutil.rmtree(cachefile.folder(root))
    monkeypatch.setattr(plugin_module, "SHARE_NAVIGATION", False)
    shared.clear()
    build(root)
    assert shared and not any(shared)
    assert html_pages(root / "site") == once
    home = once["orders/index.html"].decode()
    assert "md-nav__link--active" in home and "md-nav__link--active" not in once["dossiers/ORD-2026-0001.html"].decode()


def test_pages_made_here_when_no_worker_can_take_over_are_the_same_pages(archive, monkeypatch):
    """Workers retire; where no new one can be forked, this process renders the rest and MkDocs converts them:
    the same site, byte for byte, and the build's own log still speaks (nothing took it over)."""
    from generator.site import pagestream

    root = with_site(archive)
    build(root)
    whole = html_pages(root / "site")
    shutil.rmtree(cachefile.folder(root))
    asked = []

    def can_fork() -> bool:
        asked.append(True)
        return len(asked) == 1  # a worker in place of the first to retire, then none

    monkeypatch.setattr(pagestream, "can_fork", can_fork)
    monkeypatch.setattr(plugin_module, "PageStream", functools.partial(plugin_module.PageStream, retire=(3, 1 << 30, 1 << 40)))
    build(root)
    assert len(asked) > 1 and html_pages(root / "site") == whole
    assert not any(type(h).__name__ == "Collect" for h in logging.getLogger("mkdocs").handlers + logging.getLogger().handlers)


def test_a_plugin_that_changes_a_pages_html_is_what_the_search_index_reads(archive):
    """The search index takes each page's text as the page workers deliver it, before MkDocs' pass reaches it,
    only while no other plugin or hook may change a page's Markdown or HTML; with one, it takes what MkDocs' pass
    hands on, as before."""
    root = with_site(archive)
    (root / "stamp.py").write_text('def on_page_markdown(markdown, page, config, files):\n    return markdown + "\\n\\nhookstamp\\n"\n', encoding="utf-8")
    with (root / "mkdocs.yml").open("a", encoding="utf-8") as config:
        config.write("hooks:\n  - stamp.py\n")
    build(root)
    stamped = answers(root / "site" / "pagefind")["words"]["hookstamp"]["pages"]
    assert "/dossiers/ORD-2026-0005.html" in stamped and len(stamped) > 10


def test_the_dossiers_of_an_edited_orders_search_part_are_asked_for_first(archive, monkeypatch):
    """After a merge its dossier's search part is complete, and indexed, as soon as the navigation's pages are asked
    for, not once every other list and dossier has been; a build that read every file anew asks in the plain order.
    The reports come last, whose figures are worked out beside meanwhile."""
    monkeypatch.setattr(load, "SETTLED_NS", 0)  # files written a moment ago count as looked at (they are not edited meanwhile)
    asked = []
    stream = plugin_module.PageStream

    def spied(plan, **options):
        asked.append([plan[i][0] for i in options["ask"]])
        return stream(plan, **options)

    monkeypatch.setattr(plugin_module, "PageStream", spied)
    root = with_site(archive)
    build(root)
    first = asked[-1]
    reports = [path for path in first if path == "reports.md" or path.startswith("reports/")]
    assert first.index("orders/index.md") < first.index("dossiers/ORD-2026-0003.md") < first.index("reports.md")
    assert len(reports) > 1 and first[-len(reports) :] == reports
    edit(root, f"{dossier('ORD-2026-0003')}/order.yaml", lambda order: order["intake"].update(project_name="先問 Asked first"))
    build(root)
    after = asked[-1]
    part = [path for path in first if path.startswith("dossiers/ORD-2026-")]  # orders 0 to 124 of 2026: one part
    nav = [path for path in first if path in plugin_module.IN_NAV and path not in reports]
    assert len(part) >= 3 and len(part) < len([path for path in first if path.startswith("dossiers/")])
    assert after == nav + part + [path for path in first if path not in nav and path not in part]
    assert plugin_module._asking_order([(path, None) for path in first], {f"ORD-2017-{n:04d}" for n in range(0, 2500, 250)}) == list(range(len(first)))


def test_the_templates_are_compiled_beside_and_the_reports_started_while_the_check_waits(archive, monkeypatch):
    """What the build would do after the history's verdict and needs no verdict is begun while the check waits for it
    (``plugin._meanwhile``): the reports are started beside before the plan asks for them, and the pages' and the
    theme's templates are compiled by a process of their own (``compiled.ahead``), whose code the plan takes: this
    process compiles no template then but those a page names as it renders (Material's icons and its language's
    partial), in either edition. The site is the one built with all of it done after the verdict."""
    monkeypatch.setattr(compiled.SHARED, "held", {})  # what an earlier test compiled in this process is not this build's
    events: list[tuple[str, str | None]] = []
    compile_, take, beside, plan = jinja2.Environment.compile, compiled.take, plugin_module.reports_beside, Renderer.plan

    def counted(env, source, name=None, filename=None, raw=False, defer_init=False):
        events.append(("compiled", name))
        return compile_(env, source, name, filename, raw, defer_init)

    monkeypatch.setattr(jinja2.Environment, "compile", counted)
    monkeypatch.setattr(compiled, "take", lambda compiling: events.append(("taken", str(take(compiling)))))
    monkeypatch.setattr(plugin_module, "reports_beside", lambda checked: events.append(("reports", None)) or beside(checked))
    monkeypatch.setattr(Renderer, "plan", lambda renderer: events.append(("plan", None)) or plan(renderer))
    root = with_site(archive, "zh-Hant", "en")
    build(root)
    steps = [step for step, _ in events if step != "compiled"]
    assert steps == ["reports", "plan", "taken", "plan"], "taken once, by the first edition's plan"
    taken = int(next(count for step, count in events if step == "taken"))
    compiled_here = [name for step, name in events if step == "compiled"]
    assert taken > 40, "the pages' templates and the theme's, from the process that compiled them"
    assert compiled_here and all(name.startswith((".icons/", "partials/languages/")) for name in compiled_here), compiled_here
    monkeypatch.undo()
    monkeypatch.setattr(compiled.SHARED, "held", {})
    monkeypatch.setattr(plugin_module, "_meanwhile", lambda config, checked: None)  # all of it done after the verdict
    again = with_site(archive.parent / "again", "zh-Hant", "en")
    shutil.copytree(archive / "records", again / "records", dirs_exist_ok=True)
    build(again)
    assert html_pages(root / "site") == html_pages(again / "site")


def test_the_reports_are_started_in_the_wait_while_the_history_is_still_read_from_git(archive, monkeypatch):
    """A first build waits half a minute for its history: the reports are started in that wait too (their process
    ends once it has them, ``reports_beside``), where the plan started them after the verdict and the page workers
    waited for them (1.5–1.7 s at 10,000 orders)."""
    from mkdocs.config import load_config

    started = []
    monkeypatch.setattr(plugin_module, "reports_beside", started.append)
    config = load_config(str(with_site(archive) / "mkdocs.yml"))
    first, merge = SimpleNamespace(derived={}), SimpleNamespace(derived={})  # a first build's check, a merge's
    plugin_module._meanwhile(config, first)
    plugin_module._meanwhile(config, merge)
    assert started == [first, merge]
    assert all(compiled.take(checked.derived.pop(COMPILING)) >= 0 for checked in started), "the templates compiled beside in each"


@pytest.mark.parametrize("translations", [(), ("en",)])
def test_the_search_index_is_hurried_once_the_last_editions_pages_are_all_made(archive, monkeypatch, translations):
    """Two Pagefinds index at once only where nothing else is left to do (``searchindex._Pagefinds.hurry``): not
    while a next edition's pages are still to be made, as their workers have the cores (and the memory)."""
    hurried = []
    real = searchindex.PartedIndex.hurry

    def spied(index):
        hurried.append((index.store.name, len(index.parts)))
        real(index)

    monkeypatch.setattr(searchindex.PartedIndex, "hurry", spied)
    languages = build(with_site(archive, "zh-Hant", *translations)).languages
    assert [name for name, _ in hurried] == [languages[-1]] and hurried[0][1] > 0, "every part sent first"
    assert searchindex._PAGEFIND.running == 0 and searchindex._PAGEFIND.most == 1


def test_each_editions_search_is_joined_as_soon_as_its_pages_are_all_in(archive, monkeypatch):
    """The joining of the search's parts begins as the last page comes in or is kept out of search, before MkDocs'
    pass is done with the pages (``PartedIndex.join_early``), into the bundle the build publishes: once an edition,
    at a first build and after a merge."""
    begun, joins = [], []
    real_end, real_merge = searchindex.PartedIndex.write_and_end, searchindex.PartedIndex._merge

    def ending(index, bundle, key, previous=None, recycled=False):
        begun.append((index.store.name, index.early is not None and index.early[0] == (bundle, key, previous, recycled)))
        return real_end(index, bundle, key, previous, recycled)

    def merging(index, *args):
        joins.append(index.store.name)
        return real_merge(index, *args)

    monkeypatch.setattr(searchindex.PartedIndex, "write_and_end", ending)
    monkeypatch.setattr(searchindex.PartedIndex, "_merge", merging)
    root = with_site(archive, "zh-Hant", "en")
    build(root)
    edit(root, f"{dossier('ORD-2026-0003')}/order.yaml", lambda order: order["intake"].update(project_name="早合 Joined early"))
    build(root)
    assert begun == [("zh-Hant", True), ("en", True)] * 2 and sorted(joins) == ["en", "en", "zh-Hant", "zh-Hant"], "each joined once a build"
    edited = [data for url, data in fragments(root / "site/pagefind").items() if "ORD-2026-0003" in url]
    assert len(edited) == 1 and "Joined early" in edited[0]["content"].replace("\u200b", "")  # Pagefind marks where it cut the Chinese


def test_a_merges_first_search_part_is_indexed_by_a_pagefind_started_as_its_check_ended(archive, monkeypatch):
    """A merge's build starts the Pagefind of its first search part as its check ends (``searchindex.warm``), given a
    page of the first edition's language to load its segmenter with, in the second where the build's thread runs
    alone: the part that changed is indexed by that Pagefind, the next edition's too, and none is left running once
    the build is done."""
    started: list[tuple[object, str]] = []
    real_init = searchindex.SearchIndex.__init__

    def init(index):
        real_init(index)
        started.append((index, threading.current_thread().name))

    taken = []
    real_part = searchindex._Pagefinds.part
    first_done = threading.Event()  # at 10,000 orders the first edition's part is indexed a second before the next
    # edition's is asked for; with a dozen orders the last edition's pages come at once, and both parts are hurried

    expected, real_expect = [], searchindex._Pagefinds.expect

    def expect(pagefinds):  # the next edition's part sent once the first edition's is indexed
        expected.append(1)
        if len(expected) > 1:
            first_done.wait(timeout=60)
        real_expect(pagefinds)

    @contextlib.contextmanager
    def part(pagefinds, owner):
        with real_part(pagefinds, owner) as index:
            taken.append(index)
            yield index
        first_done.set()

    root = with_site(archive, "zh-Hant", "en")
    build(root)
    edit(root, f"{dossier('ORD-2026-0003')}/order.yaml", lambda order: order["intake"].update(project_name="預熱 Warmed"))
    monkeypatch.setattr(searchindex.SearchIndex, "__init__", init)
    monkeypatch.setattr(searchindex._Pagefinds, "part", part)
    monkeypatch.setattr(searchindex._Pagefinds, "expect", expect)
    build(root)
    ahead = [index for index, thread in started if thread.endswith("pagefind-warm")]
    assert len(ahead) == 1 and taken[0] is ahead[0], "the first part took the Pagefind started ahead"
    assert len(taken) == 2 and taken[1] is ahead[0] and len(started) == 1, "and the next edition's part, none started for it"
    assert searchindex._PAGEFIND.running == 0 and all(index.process.poll() is not None for index, _ in started)
    edited = [data for url, data in fragments(root / "site/pagefind").items() if "ORD-2026-0003" in url]
    assert len(edited) == 1 and "Warmed" in edited[0]["content"].replace("\u200b", "")


def test_a_merge_joins_its_search_without_waiting_for_the_pages_the_last_build_kept_out_of_it(archive, monkeypatch):
    """After a merge the last pages made are lists of orders, which their template keeps out of search: foreseen by the
    search as the last build found them, the joining waits for none of them. A page foreseen so that comes into the
    index all the same (forced here: the edited dossier) is joined then, and the bundle holds it."""
    foreseen = []
    real_init = searchindex.PartedIndex.__init__
    monkeypatch.setattr(searchindex.PartedIndex, "__init__", lambda index, store, pages: foreseen.append(list(pages)) or real_init(index, store, pages))
    root = with_site(archive, "zh-Hant")
    build(root)
    lists = [url for url in foreseen[0] if url.startswith("/orders/")]
    assert lists and "/dossiers/ORD-2026-0003.html" in foreseen[0], "a first build foresees every page"
    edit(root, f"{dossier('ORD-2026-0003')}/order.yaml", lambda order: order["intake"].update(project_name="晚到 Came late"))
    real_before = plugin_module.OrderArchivePlugin._kept_out_before
    late = "dossiers/ORD-2026-0003.md"
    monkeypatch.setattr(plugin_module.OrderArchivePlugin, "_kept_out_before", lambda plugin, path: path == late or real_before(plugin, path))
    build(root)
    assert not [url for url in foreseen[1] if url in lists] and "/dossiers/ORD-2026-0003.html" not in foreseen[1]
    edited = [data for url, data in fragments(root / "site/pagefind").items() if "ORD-2026-0003" in url]
    assert len(edited) == 1 and "Came late" in edited[0]["content"].replace("\u200b", "")


SITE_URLS = [None, "https://archive.example.com/", "https://example.com/archive", "http://example.com:8080/a/b/", "https://example.com/a%20b/"]
SITE_URLS += ["https://example.com/archive/?v=1", "https://example.com/#x", "https://example.com/a/../b/", "https://例子.example/檔案/"]


@pytest.mark.parametrize(("directory_urls", "site_url"), [(False, url) for url in SITE_URLS] + [(True, SITE_URLS[1])])
def test_a_generated_page_is_the_file_mkdocs_makes_of_its_path(tmp_path, directory_urls, site_url):
    """The program's pages skip MkDocs' path and URL work where their path is plain (``_GeneratedPage._plain``,
    ``_ConvertedPage._set_canonical_url``): the file and the page are MkDocs' own, field for field, for plain paths
    and for every other kind (which takes MkDocs' way), whatever the site's URL."""
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.files import File
    from mkdocs.structure.pages import Page

    (tmp_path / "docs").mkdir()
    config = MkDocsConfig()
    settings = {"site_name": "t", "docs_dir": str(tmp_path / "docs"), "site_dir": str(tmp_path / "site"), "use_directory_urls": directory_urls}
    config.load_dict({**settings, **({"site_url": site_url} if site_url else {})})
    assert config.validate() == ([], [])
    config.plugins._current_plugin = "order-archive"
    paths = ["dossiers/ORD-2021-0001.md", "index.md", "archive/index.md", "README.md", "guides/README.md", "reports/2026-11.md"]
    paths += ["a b.md", "中文/頁.md", "a//b.md", "./a.md", "a/../b.md", ".hidden.md", "a/b.c.md", "x%20y.md", "q?.md", "READMEs.md"]
    for path in paths:
        ours = plugin_module._GeneratedPage.of(config, path, None, None, None)
        theirs = File.generated(config, path, content="", inclusion=plugin_module._inclusion(path))
        fields = ["src_uri", "src_dir", "dest_dir", "use_directory_urls", "inclusion", "generated_by", "abs_src_path"]
        fields += ["dest_uri", "url", "abs_dest_path", "name", "edit_uri", "src_path", "dest_path"]
        assert [getattr(ours, f) for f in fields] == [getattr(theirs, f) for f in fields], path
        assert ours.is_documentation_page() and ours.page.file is ours
        page = Page(None, theirs, config)
        assert (ours.page.canonical_url, ours.page.abs_url, ours.page.url) == (page.canonical_url, page.abs_url, page.url), path
    assert sum(bool(plugin_module._PLAIN_PAGE.fullmatch(p)) for p in paths) == 6
