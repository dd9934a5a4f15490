"""The MkDocs plugin — the only module that imports MkDocs, so a later move is cheap.

In an archive's ``mkdocs.yml``::

    plugins:
      - order-archive:
          language: zh-Hant

``mkdocs build`` and ``mkdocs serve`` then check the archive, hand MkDocs
every page from memory (``File.generated``), publish the dossiers'
attachments, and give each converted page to the search index
(``searchindex``), made a part at a time by Pagefind and joined into one
bundle while MkDocs renders the pages into the theme.

On a build, the pages arrive from worker processes as MkDocs reaches them
(``pagestream``), already converted to HTML there by MkDocs' own
``Page.render`` (``_Converter``): conversion is most of MkDocs' time, and this
way it runs on every core. The pages wait on disk (``pagefile``): MkDocs gets
a page's source when it reads it and its HTML only while it writes it, so no
process holds every page of a large site at once. Lines that are one whole HTML element (most of a
generated page) are set aside while Markdown converts the rest (``slots``), so
their tags are not parsed twice for nothing. The page cache keeps the
conversions, so an unchanged archive is not converted again; after a change,
a dossier whose inputs are the same is not even rendered again, a page whose
Markdown is the same is not converted again, and a page whose HTML would be
the same is hard-linked from the last site (``reuse``) — under ``orders build``
before MkDocs reads it, so MkDocs is not given it at all (``_leave_out``) or passes over it (``_skip``).
``serve`` reloads when a record or template changes. ``build_site`` is what ``orders build`` calls:
it builds into a temporary folder and swaps it into ``site/`` only when
everything succeeded, so a failed build never leaves a half-written site.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from jinja2 import ChoiceLoader, FileSystemLoader, PrefixLoader
from mkdocs.commands.build import _build_theme_template, get_context
from mkdocs.config import base, load_config
from mkdocs.config import config_options as c
from mkdocs.exceptions import Abort, PluginError
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File, Files, InclusionLevel, set_exclusions
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import TableOfContents, get_toc
from mkdocs.utils.meta import get_data

from generator.core import cachefile
from generator.core.files import fault_point, leftovers, remove, replace_folder
from generator.core.memory import full_collections_deferred
from generator.core.printable import printable
from generator.core.problems import Severity
from generator.core.processes import APART, can_fork
from generator.pipeline import check_archive, prepare_judging
from generator.records.calendar import archive_today
from generator.records.layout import dossier_folder
from generator.records.load import read_archive
from generator.rules.attachments import is_published
from generator.site import bundleseal, compiled, escape, reuse, sitecache, slots, spare
from generator.site.i18n import LANGUAGES, label, translate
from generator.site.pagefile import QUIET, Facts, Finished, Kept, PageFile, StoredPages
from generator.site.pagestream import Delivered, PageStream
from generator.site.publishing import PublishError, Publishing
from generator.site.render import TEMPLATES, Renderer
from generator.site.render.dossier import changed_orders
from generator.site.render.indexes import changed_lists, list_of
from generator.site.render.pages import COMPILING, LIST_ROWS, compile_all, dossier_page, templates
from generator.site.render.reports import reports_beside
from generator.site.searchindex import PartedIndex, cool, page_digest, page_url, part_of, searchable, warm
from generator.trail.prefetch import Prefetch, prefetch
from generator.trail.published import SITE_FILE
from generator.trail.repo import head_of, open_repository
from schemas import OrderStatus
from schemas.order import ServiceType

log = logging.getLogger("mkdocs.plugins.order-archive")

ASSETS = TEMPLATES / "assets"
OVERRIDES = TEMPLATES / "overrides"
IN_NAV = {"index.md", "orders/index.md", "orders/open.md", "archive/index.md", "archive/retention.md", "archive/disposals.md", "archive/borrowing.md"}
IN_NAV |= {"reports.md", "compliance.md", "guides/submit.md", "guides/review.md"}

progress: Callable[[str, int, int], None] | None = None
"""Set by ``orders build`` to show progress: (stage, done, total)."""


class OrderArchiveConfig(base.Config):
    language = c.Choice(LANGUAGES, default="zh-Hant")
    translations = c.DictOfItems(c.Type(str), default={})
    """``{language: site name}``: each also published at ``site/<language>/`` by ``orders build``."""
    strict = c.Type(bool, default=False)
    today = c.Optional(c.Type(str))
    search = c.Type(bool, default=True)
    list_rows = c.Type(int, default=LIST_ROWS)
    """The most orders a list page shows before it is split by the year received (``render.pages.LIST_ROWS``)."""


class OrderArchivePlugin(BasePlugin[OrderArchiveConfig]):
    def __init__(self) -> None:
        self.problems: list = []
        self.key = ""
        self.reading: Prefetch | None = None  # the history's prefetch, which writes its cache once it judged the history
        self.edition: str | None = None
        """The translation this build writes (``build_site`` sets it), or None for the site in its first language."""
        self.shared: dict = {}
        """What the editions of one ``build_site`` share: the archive read and checked once."""
        self.all_editions = False
        """Set by ``build_site``, which builds every language: only then does the language menu lead anywhere
        (``mkdocs build`` and ``orders serve`` make the first language alone)."""
        self.previous_site: Path | None = None
        self.attachments_root = ""  # where the attachments are from this edition's root (``Renderer``)
        self.pages_done = 0
        self.pages_total = 0
        self.files_table: str | None = None  # ``reuse.files_table`` of this edition's files
        self.stream: PageStream | None = None
        self.publishing: Publishing | None = None
        """The files this edition's site has from elsewhere — the attachments, the pages kept from the last site —
        on their way into it (``publishing``), waited for as the edition ends; None outside a build."""
        self.pages: PageFile | StoredPages | None = None
        self.search: PartedIndex | None = None
        self.writer: ThreadPoolExecutor | None = None
        self.written: Future[int] | None = None
        self.reused_bundle: Path | None = None
        self.recycled_bundle = False  # whether the edition's folder is the site before last (``spare``)
        self.searched: tuple[str, ...] = ()
        """The search index's parts Pagefind made for this build, as ``language/part`` (the others were kept)."""
        self.earlier: StoredPages | None = None
        """The last build's pages, when this build makes its own: a worker copies a page across where it still holds."""
        self.earlier_outputs: dict | None = None
        self.conversion_key = ""
        self.nav = None
        self.outputs: reuse.Outputs | None = None
        self.defer_search = False
        """Set by ``build_site``: the search bundle is finished after every edition is built (``finish_search``)."""
        self.bundle: Path | None = None
        self.kept = 0
        """How many pages' HTML files this build kept from the last site (``reuse.Outputs``)."""
        self.converted = 0
        """How many pages this build rendered and converted (the others came from the last build's pages)."""
        self.rendered: tuple[str, ...] = ()
        """The pages whose Markdown this build rendered, as ``language/path`` (``BuildResult.rendered``)."""
        self.files: Files | None = None
        self.env = None
        self.mkdocs_config = None
        self.skipping = False
        """Set by ``build_site``, which runs MkDocs' dirty build: a page whose HTML file the last site has as this
        build would write it, and whose conversion said nothing, is left out of MkDocs' pass (``_skip``)."""
        self.skipped = 0
        """How many pages MkDocs left out of its pass (``_skip``, ``_leave_out``); they count among the kept."""
        self.leave_out = False
        """Set by ``build_site`` unless it keeps the editions to make a page again: kept pages may be left out of
        MkDocs' files altogether (``_leave_out``)."""
        self.all_files: Files | None = None
        """Every file of the edition, where MkDocs was given only those it writes (``_leave_out``)."""
        self.fed: dict[str, str] = {}
        """The pages the search index was given before MkDocs' pass reached them, and their searchable digests
        (``_feed_search``)."""
        self.feedable: dict[str, File] = {}

    def on_config(self, config):
        root = Path(config.config_file_path).resolve().parent
        self.root = root
        unknown = sorted(set(self.config.translations) - set(LANGUAGES) | set(self.config.translations) & {self.config.language})
        if unknown:
            raise PluginError(f"order-archive: translations: {', '.join(unknown)} is not a second language of {', '.join(LANGUAGES)}")
        if isinstance(self.config.list_rows, bool) or self.config.list_rows < 1:
            raise PluginError(f"order-archive: list_rows: {self.config.list_rows} is not a number of rows (1 or more)")
        self.language = self.edition or self.config.language
        if self.edition is not None:
            config.site_name = self.config.translations[self.edition]
            config.theme["language"] = self.edition
        config.copyright = config.copyright or f"{config.site_name} · {translate('site.approved_records', self.language)}"
        if self.config.translations and self.all_editions:
            config.extra["alternate"] = True  # shows Material's language menu; overrides/partials/alternate.html fills it
            config.extra["editions"] = self._editions()
        config.theme.dirs.insert(0, str(OVERRIDES))
        _list_theme_unhidden(config.theme)
        config.extra_css.append("assets/order-archive.css")
        if self.config.search:
            config.extra_css.append("pagefind/pagefind-ui.css")
            config.extra_javascript.append("pagefind/pagefind-ui.js")
        config.extra_javascript.append("assets/order-archive.js")  # after Pagefind's, which it places
        config.nav = navigation(self.language)
        config.extra["filter_order"] = filter_order(self.language)
        for folder in (root / "records", TEMPLATES):
            if str(folder) not in config.watch:
                config.watch.append(str(folder))
        return config

    def on_files(self, files: Files, config) -> Files:
        started = time.perf_counter()
        docs = os.path.abspath(config.docs_dir)
        for file in list(files):  # records/.site: a symlink would publish what it points at (validate reports it)
            source = file.abs_src_path
            if source and os.path.abspath(source).startswith(docs + os.sep) and os.path.realpath(source) != os.path.join(os.path.realpath(docs), file.src_uri):
                files.remove(file)
        today = date.fromisoformat(self.config.today) if self.config.today else archive_today(self.root)
        reading = self.reading = prefetch(self.root, prepare_judging)  # the history, when it must come from git, is read meanwhile
        self.conversion_key = reuse.conversion_key(config)
        self.attachments_root = "../" if self.edition is not None else ""  # a translation links the first edition's copies
        conversion = _conversion_inputs(self.conversion_key, files) + f"\nattachments at {self.attachments_root!r}"
        self._close_pages()
        self.outputs, self.skipped, self.all_files, self.basis = None, 0, None, None
        earlier = StoredPages.open(self.root, self.language, None)  # the last build's pages, whatever they were made of
        snapshot, read = None, self.shared.get("read")
        if read is not None:  # an edition before read the files: their digest, and their check if it made one
            self.key = sitecache.inputs_key(self.root, self.language, today, read[0], conversion)
        checked_before = self.shared.get("checked")
        fits = earlier is not None and earlier.key == self.key
        if read is None or not (fits or (checked_before is not None and checked_before[0] == (today, read[0]))):
            snapshot = self._snapshot()
            read = (sitecache.archive_digest(snapshot), snapshot.attachments)
            self.key = sitecache.inputs_key(self.root, self.language, today, read[0], conversion)
        # The attachments go into the site from here on, while the archive is checked and the pages are planned: begun
        # after the plan, a merge's build at 10,000 orders waited a second for the last of 38,165 links after its pages.
        recycled = bool(self.shared.get("recycled"))
        attachments = os.path.join(os.path.normpath(config.site_dir), "attachments") if recycled and self.edition is None else None
        self.publishing = Publishing(recycled, attachments)  # the attachments' folder its own to sweep: no page is written there
        if self.edition is None:  # one copy, the first edition's
            self._publish_attachments(config, read[1])
        self.publishing.apart_done()
        self.publishing.send()
        cached = earlier if earlier is not None and earlier.key == self.key else None
        self.earlier_outputs = earlier.reuse.get("outputs") if earlier is not None else None
        if cached is not None:
            self.pages, self.problems = cached, cached.problems
            self.basis = cached.reuse.get("basis")  # the same pages, made of the same facts
            paths, deliver = sorted(cached.index, key=lambda path: path not in IN_NAV), cached.get
            self.shared.pop("snapshot", None)  # nothing holds the files now (95 MB at 10,000 orders) …
            if self.all_editions:
                self.shared["read"] = read  # … and the next edition compares their digest with its cache's key
        else:
            if earlier is not None and earlier.reuse.get("conversion") != self.conversion_key:
                earlier.close()
                earlier = None
            self.earlier = earlier
            checked = self._checked(config, today, snapshot, read[0], reading)
            if self.config.search and self.edition is None:  # the search's first parts, ahead (the second core idles here)
                editions = 1 + len(self.config.translations) if self.all_editions else 1  # after a merge, one part each
                warm(searchable(f"<p>{escape.text(translate('site.language', self.language))}</p>", self.language), editions)
            self.shared.pop("snapshot", None)  # the check took its files
            if self.all_editions:
                self.shared["read"] = read
            self.problems = checked.problems
            renderer = Renderer(checked, self.language, self.attachments_root, self.config.list_rows)
            plan = renderer.plan()
            if self.skipping:  # MkDocs reads the navigation's pages first: their titles decide which pages it may skip
                plan.sort(key=lambda page: page[0] not in IN_NAV)
            ask = _asking_order(plan, self.shared.get("changed orders", ()))
            self.pages = PageFile(self.root, self.language)
            paths, deliver = [path for path, _ in plan], lambda path, html=True: self.stream.get(path, html)
        errors = [p for p in self.problems if p.severity is Severity.ERROR]
        if errors and self.config.strict:
            shown = "\n".join(p.format() for p in errors[:20])
            raise PluginError(f"{len(errors)} error(s) in the archive (strict):\n{shown}")
        for problem in errors[:50] if self.edition is None else ():  # said once, by the first edition
            log.warning(problem.format())
        for path in paths:
            files.append(_GeneratedPage.of(config, path, deliver, self._html, self._skip))
        self.pages_total = len(paths)
        for name in ("order-archive.css", "order-archive.js"):
            files.append(File.generated(config, f"assets/{name}", abs_src_path=str(ASSETS / name)))
        if self.config.search:  # what Pagefind's UI imports: Pagefind, its filters loaded on request
            files.append(File.generated(config, "assets/search/pagefind.js", abs_src_path=str(ASSETS / "pagefind-on-request.js")))
        set_exclusions(files, config)  # as MkDocs does after this event: the workers convert against the final files
        self.files_table = reuse.files_table(files)  # kept with the pages: the next build's lookups hold if it has the same
        self.search = self._search_index(config, cached is not None, files)
        streamed = cached is None and can_fork()  # one decision: whether the workers make the pages, and so feed the search
        self._feed_search(config, files, streamed)
        if cached is None:
            # Workers render and convert the pages while MkDocs works; once they have them, this process
            # lets go of the archive and its history (nothing here holds them after this method).
            trusted = earlier is not None and earlier.reuse.get("program") == sitecache.code_digest()
            same_files = earlier is not None and earlier.reuse.get("files") == self.files_table
            converter = _Converter(config, files, earlier, trust_inputs=trusted, same_files=same_files)
            carried: set[int] = set()
            if trusted:
                converter.inputs.update(unchanged := self._unchanged_pages(renderer, earlier, plan))
                carried = converter.carried(plan, unchanged)
            rows = renderer.kept_rows if trusted else dict  # after a build from nothing, the next build's work
            self.basis = (self.attachments_root, self.config.list_rows, self._keep_basis(renderer.basis(), rows))
            self.stream = PageStream(
                plan,
                parallel=streamed,
                finish=converter,
                store=self.pages,
                earlier=earlier,
                skip=converter.unchanged,
                skip_here=converter.trust_inputs,
                settle=renderer.settle,
                settled=renderer.settled,
                arrived=self._delivered,
                ask=ask,
                arrived_kept=self._delivered_kept,
                carried=carried,
            )
            del plan, checked, renderer
        files = self._leave_out(config, files)
        origin = "cache" if cached is not None else "records"
        log.info(f"order-archive: {self.pages_total} pages ({self.language}) from the {origin} in {time.perf_counter() - started:.1f} s")
        return files

    def _unchanged_pages(self, renderer: Renderer, earlier: StoredPages, plan: list) -> dict[str, str]:
        """The inputs digest of every dossier and order list whose inputs are those of the page the last build
        kept: that page's own, page path → digest. They are known the same by comparing this check's basis with
        the one kept for the page (``changed_orders``, ``changed_lists``), for the same place of the attachments
        and the same length of a list; the comparison is made once a build, for every edition that kept the same."""
        before = earlier.reuse.get("basis")
        if not isinstance(before, tuple) or len(before) != 3 or before[:2] != (self.attachments_root, self.config.list_rows):
            return {}
        basis = renderer.basis()
        held = self.shared.get("basis changes")
        if held is None or held[0] is not basis:  # another check's (``mkdocs serve`` keeps ``shared``)
            held = self.shared["basis changes"] = (basis, {})
        if before[2] not in held[1]:
            kept = cachefile.read(cachefile.folder(self.root) / PAGE_BASIS, PAGE_BASIS_VERSION, before[2])
            orders = changed_orders(kept.get("dossiers"), basis["dossiers"]) if isinstance(kept, dict) else None
            lists = changed_lists(kept.get("lists"), basis["lists"], orders) if orders is not None else None
            if lists is not None:  # the same clients' addresses: a row read the same order.yaml is the same
                renderer.take_rows(kept.get("rows"))
            held[1][before[2]] = (orders, lists)
        orders, lists = held[1][before[2]]
        if orders is None:
            return {}
        paths = [dossier_page(order.id) for _, order in renderer.orders if order.id not in orders]
        if lists is not None:  # a list of this check's, unchanged
            members = basis["lists"]["members"]
            paths += [path for path, _ in plan if (named := list_of(path)) in members and named not in lists]
        known = {}
        for path in paths:
            facts = earlier.facts(path)
            if facts is not None and isinstance(facts[3], str):
                known[path] = facts[3]
        return known

    def _keep_basis(self, basis: dict, rows: Callable[[], dict]) -> str:
        """The name this build's basis (``Renderer.basis``) and its orders' ``rows()`` are kept under, for the
        pages of every edition made from them: written once a build, in a file of its own (at 10,000 orders 9 MB,
        which each edition's page index would read and write again), before the page workers are forked (after,
        each page of memory the writing touched was copied). A build's basis replaces the last: an edition whose
        pages name another one, which only a build that failed after another edition could leave, has every page
        asked for its inputs; a file lost with the machine, all of them (it is not synced)."""
        held = self.shared.get("basis kept")
        if held is None or held[0] is not basis:
            held = self.shared["basis kept"] = (basis, uuid.uuid4().hex)
            cachefile.write(cachefile.folder(self.root) / PAGE_BASIS, PAGE_BASIS_VERSION, held[1], {**basis, "rows": rows()}, sync=False)
        return held[1]

    def _publish_attachments(self, config, attachments: dict[str, dict[str, bool]]) -> None:
        """Every dossier's published attachments into the site, by ``publishing`` alone, under MkDocs' own rules of
        exclusion (``exclude_docs``, ``draft_docs``: its ``set_exclusions``, given each attachment's path). They are
        not among MkDocs' files: nothing of MkDocs reads them (a dossier links them in HTML of its own, which MkDocs
        leaves alone), and as files they cost this process 38,165 objects at 10,000 orders, made in every build
        and gone over by every pass over the files (the pages are asked for nine times an edition)."""
        listed = []
        root = os.fspath(self.root)
        for order_id, names in attachments.items():  # paths joined as text: a ``Path`` each was 0.2 s at 10,000 orders
            folder, site_folder = f"{root}/{dossier_folder(order_id)}/attachments/", f"attachments/{order_id}/"
            listed += [_Listed(site_folder + name, folder + name) for name in names if is_published(names, name)]
        left_out = _excluded(config, listed, cachefile.folder(self.root) / EXCLUDED_CACHE)
        site, previous = os.path.normpath(config.site_dir), self.previous_site
        for n, item in enumerate(listed):  # joined as text, normal as the parts are (0.15 → 0.05 s at 10,000 orders)
            if n not in left_out:
                self.publishing.add(item.source, f"{site}/{item.src_uri}", None if previous is None else f"{previous}/{item.src_uri}")

    def _html(self, path: str) -> str:
        return self.pages.html(path)

    def _feed_search(self, config, files: Files, streamed: bool) -> None:
        """Give the search index each page as it arrives from the page workers, or as the build finds the last
        build's page holds (``_delivered``), instead of as MkDocs' pass reaches it: a part is indexed once its last
        page is in. After a merge that was the pass's last page of the edited order's part (the part was sent 1.0–1.6 s
        into the pass, and indexing it was most of what the build waited for at its end); it is now the edited
        dossier, made while the build still asks which pages the last one has. The text is what ``on_page_content``
        would be given — the workers' conversion — as long as no other plugin may change a page's Markdown or HTML
        first; with such a plugin, or no workers (``streamed``), the pass feeds the index as before."""
        self.fed, self.feedable = {}, {}
        if self.search is None or not streamed:
            return
        events = config.plugins.events
        if events["page_markdown"] or any(getattr(method, "__self__", None) is not self for method in events["page_content"]):
            return
        self.feedable = {file.src_uri: file for file in files.documentation_pages() if isinstance(file, _GeneratedPage)}

    def _delivered(self, path: str, made: bool) -> None:
        """A page the workers delivered, as it arrives: into the search index unless kept out (``_feed_search``).
        An earlier build's page that was quiet gives its searchable digest (its text is read only if its part is
        indexed again); a page made now gives its text, unless its Markdown keeps it out of the index."""
        file = self.feedable.get(path) if self.search is not None else None
        if file is None or path in self.fed:
            return
        if not made or self.pages.quiet(path) is not None:  # the earlier build's page, or one as quiet
            self._delivered_kept([path])
        else:
            conversion = self.pages.conversion(path)
            meta = conversion[1] if isinstance(conversion, tuple) else None
            if isinstance(meta, dict) and meta.get("search") != "exclude":
                self.fed[path] = self.search.add(page_url(file.dest_uri), searchable(self.pages.html(path), self.language)).hex()
            elif isinstance(meta, dict):
                self.search.left_out(page_url(file.dest_uri))
                self.fed[path] = ""

    def _delivered_kept(self, paths: list[str]) -> None:
        """``_delivered`` of pages the last build made, a batch at a time as the build finds them: each page's
        searchable digest into the index (its text read only if its part is indexed again)."""
        if self.search is None:
            return
        feedable, fed, pages = self.feedable, self.fed, self.pages
        kept, left_out = [], []
        for path in paths:
            file = feedable.get(path)
            if file is None or path in fed:
                continue
            searched = pages.quiet(path)
            if searched:
                kept.append((page_url(file.dest_uri), bytes.fromhex(searched), functools.partial(self._searchable, path)))
                fed[path] = searched
            elif searched == "":  # quiet, and kept out of the index
                left_out.append(page_url(file.dest_uri))
                fed[path] = searched
        self.search.add_kept_many(kept, left_out)

    def _searchable(self, path: str) -> str:
        return searchable(self.pages.html(path), self.language)

    def _add_kept(self, path: str, file: File, searched: str) -> None:
        """An earlier build's page into the search index by its searchable digest: its text is read from the page
        file only if its part is indexed again."""
        self.search.add_kept(page_url(file.dest_uri), bytes.fromhex(searched), functools.partial(self._searchable, path))

    def _close_pages(self) -> None:
        if self.pages is not None:
            self.pages.close()
            self.pages = None
        if self.earlier is not None:
            self.earlier.close()
            self.earlier = None

    def _snapshot(self):
        """The archive's files as read from disk, once for all the editions of one ``build_site`` (each read the
        same 40,000 files again, 2.2 s at 10,000 orders). The check takes them, letting each file's bytes go once
        it is validated; an edition made from the page cache lets them go (kept for the next edition alone, they
        were 95 MB more at the peak of an unchanged build). Either keeps their digest: the next edition does not
        read them again (3.1 s at 10,000 orders) when its cache fits or the check is made, and reads them when
        neither. Each ``mkdocs serve`` rebuild reads them afresh."""
        snapshot = self.shared.get("snapshot")
        if snapshot is None:
            snapshot = read_archive(self.root)
            anew = [place.order_id for _, place, data, _ in snapshot.files if data is not None]
            self.shared["changed orders"] = set(anew) - {None} if len(anew) < len(snapshot.files) else set()  # else: no file known
            if self.all_editions:
                self.shared["snapshot"] = snapshot
        return snapshot

    def _checked(self, config, today: date, snapshot, read: str, reading):
        """The archive checked, once for every edition of a build: checking does not depend on the language.
        ``read``: the snapshot's ``archive_digest``; the check takes its files (``load.parse_records``)."""
        shared = self.shared.get("checked")
        if shared is not None and shared[0] == (today, read):
            return shared[1]
        checked = check_archive(self.root, today, snapshot=snapshot, reading=reading, timelines=True, meanwhile=functools.partial(_meanwhile, config))
        if self.config.translations and self.edition is None:
            self.shared["checked"] = ((today, read), checked)
        return checked

    def _editions(self) -> list[dict]:
        """The language menu's entries: each edition's folder relative to this edition's root."""
        up = "../" if self.edition is not None else ""
        editions = [(self.config.language, up), *((x, f"{up}{x}/") for x in self.config.translations)]
        here = self.language
        return [{"lang": x, "name": translate("site.language", x), "root": "" if x == here else root, "current": x == here} for x, root in editions]

    def _search_index(self, config, from_cache: bool, files: Files) -> PartedIndex | None:
        """The search index to feed while pages are converted, unless the last build's bundle fits these pages."""
        self.reused_bundle = None
        if not self.config.search:
            return None
        aim = self._bundle(config)
        previous = aim[2]
        if from_cache and previous is not None and bundleseal.bundle_fits(previous, self.key):
            self.reused_bundle = previous  # same pages as the last build: the same index
            return None
        pages = [page_url(f.dest_uri) for f in files.documentation_pages() if isinstance(f, _GeneratedPage) and not self._kept_out_before(f.src_uri)]
        index = PartedIndex(cachefile.folder(self.root) / "search" / self.language, pages)
        index.join_early(*aim)
        return index

    def _kept_out_before(self, path: str) -> bool:
        """Whether the last build, made by this very program, kept the page out of search: its template still does (a
        list of orders says ``search: exclude``), so the joining need not wait for it. After a merge at 10,000 orders the
        last pages made were six such lists an edition, and the joining waited 0.1–0.3 s for them. A page foreseen so
        that comes into the index all the same is joined then (``PartedIndex.write_and_end``): time, never the bundle."""
        earlier = self.earlier
        return earlier is not None and earlier.reuse.get("program") == sitecache.code_digest() and earlier.quiet(path) == ""

    def _bundle(self, config) -> tuple[Path, str, Path | None, bool]:
        """Where the search index is joined, the key it is sealed for, the last build's bundle, and whether the first
        may hold the site before last's (``PartedIndex.write_and_end``)."""
        previous = self.previous_site / "pagefind" if self.previous_site is not None else None
        return Path(config.site_dir) / "pagefind", self.key, previous, self.publishing is not None and self.publishing.recycled

    def on_nav(self, nav, config, files):
        self.nav, self.mkdocs_config = nav, config
        return nav

    def _skip(self, file: _GeneratedPage) -> bool:
        """Whether MkDocs' dirty build leaves the page out (it asks before reading the page): yes when the last
        site's HTML file is this build's byte for byte (``reuse.Outputs``, once the navigation's pages are read:
        their titles are in every page) and the page's conversion said nothing and links to no anchor (its facts
        keep its searchable digest). Such a page is linked from the last site here, and given to the search
        index by its digest: its text is read only if another page of its part changed. In a merge build at
        10,000 orders MkDocs' pass over the kept pages was 12 s an edition."""
        if not self.skipping or file.src_uri in IN_NAV or not isinstance(file.page, _ConvertedPage):
            return False
        if self.outputs is None:
            if any(page.markdown is None for page in self.nav.pages):
                return False
            self.outputs = reuse.Outputs(self.previous_site, self.earlier_outputs, reuse.shell_key(self.mkdocs_config, _nav_pages(self.nav), "order-archive"))
        if self.stream is not None:
            self.stream.wait_for(file.src_uri)
        if not self._linked(file):
            return False
        self.skipped += 1
        self._done()
        return True

    def _linked(self, file: _GeneratedPage) -> bool:
        """Whether the last site's HTML file is this page's as this build would write it, its conversion quiet
        (``reuse.Outputs``, ``pagefile.QUIET``): then it is linked from there, given to the search index by its
        digest, and marked as left out of MkDocs' pass."""
        path = file.src_uri
        searched = self.pages.quiet(path)
        kept = None if searched is None else self.outputs.keep(file.dest_uri, self.pages.facts(path)[1])
        if kept is None:
            return False
        self._keep(kept, file.abs_dest_path)
        if self.search is not None and path not in self.fed:
            if searched:
                self._add_kept(path, file, searched)
            else:
                self.search.left_out(page_url(file.dest_uri))
        file.skipped = True  # and its page's, once it is made (``_GeneratedPage.page``)
        if file._page is not None:
            file._page.skipped = True
        return True

    def _leave_out(self, config, files: Files) -> Files:
        """MkDocs' files without the pages ``_skip`` would leave out of its pass, decided here for every page the
        build has found to be the last build's by now (after a merge, all but the few made again): MkDocs then
        neither makes nor goes over them in any of its loops (reading, writing, checking links to anchors, the
        sitemap: about 0.5 s of the build's thread after a merge at 10,000 orders), where ``_skip`` is asked of
        each page as MkDocs reaches it. Their HTML files are linked from the last site and the search index has
        their digests, as ``_skip`` does. The navigation's titles, part of every page's HTML (``reuse.shell_key``),
        are read from its pages' conversions, waited for here. The files given back are MkDocs' from here on;
        every file stays among the workers' (their conversions' links) and in ``all_files`` (the sitemap, links
        to anchors)."""
        if not (self.skipping and self.leave_out and self.earlier_outputs and self.previous_site is not None) or self.pages is None:
            return files
        stream = self.stream
        if stream is not None and not stream.parallel:
            return files
        nav = []
        for path in sorted(IN_NAV):
            file = files.get_file_from_path(path)
            if not isinstance(file, _GeneratedPage) or not file.inclusion.is_included():
                continue
            if stream is not None:
                stream.wait_for(path)
            conversion = self.pages.conversion(path)
            if not isinstance(conversion, tuple):  # converted by MkDocs itself: its title is known once it is read
                return files
            nav.append((path, conversion[1], conversion[4]))
        self.outputs = reuse.Outputs(self.previous_site, self.earlier_outputs, reuse.shell_key(config, nav, "order-archive"))
        if self.outputs.shell is None:
            return files
        received, index = (stream.received, stream.index) if stream is not None else (None, None)
        left: dict[str, File] = {}
        for file in files:
            path = file.src_uri
            if not isinstance(file, _GeneratedPage) or path in IN_NAV or not file.inclusion.is_included():
                continue
            if received is not None and index[path] not in received:  # still being made, or asked of a worker
                continue
            if self._linked(file):
                left[path] = file
        if not left:
            return files
        self.skipped += len(left)
        self._done(len(left))
        self.all_files = files
        return _Written([file for file in files if file.src_uri not in left], left)

    def on_page_content(self, html, page, config, files):
        """The search index gets each page's content here unless the page workers' delivery gave it already
        (``_feed_search``): a part is indexed once its last page is in, and the bundle is joined while MkDocs
        renders the pages into the theme, where Pagefind used to start only after the last page. What it reads
        is the same: the theme puts this content alone inside ``data-pagefind-body`` (overrides/main.html),
        under ``<html lang>`` of the site's language. A page whose conversion said nothing keeps its searchable
        digest with its facts, for ``_skip``."""
        url, searched = page_url(page.file.dest_uri), ""
        if page.file.src_uri in self.fed:  # given to the index already, this very text (``_feed_search``)
            searched = self.fed[page.file.src_uri]
        elif not (page.meta and page.meta.get("search") == "exclude"):
            if self.search is not None:
                searched = self.search.add(url, searchable(html, self.language)).hex()
            elif isinstance(self.pages, PageFile):
                searched = page_digest(url, searchable(html, self.language).encode("utf-8", "surrogatepass")).hex()
        elif self.search is not None:
            self.search.left_out(url)
        if isinstance(self.pages, PageFile) and isinstance(page, _ConvertedPage) and page.quiet:
            self.pages.note_quiet(page.file.src_uri, searched)
        return html

    def on_post_page(self, output, page, config):
        if isinstance(page, _ConvertedPage):
            page.written()
            if page.kept is not None:  # the earlier site's file is this page's, byte for byte
                self._keep(page.kept, page.file.abs_dest_path)
                output = ""  # MkDocs writes nothing (and says so at debug level: ``_QuietKept``)
            elif self.outputs is not None:
                self.outputs.wrote(page.file.dest_uri, output.encode("utf-8", errors="xmlcharrefreplace"))
        self._done()
        return output

    def _keep(self, kept: str, target: str) -> None:
        """The last site's file linked as this page's (``publishing``; in this process outside a build)."""
        if self.publishing is not None:
            self.publishing.add(kept, target, kept)
        else:
            _link_or_copy(kept, target, make_folder=True)

    def _done(self, count: int = 1) -> None:
        self.pages_done += count
        if self.pages_done - count < 10 <= self.pages_done:
            fault_point("site.writing-pages")
        if progress is not None:
            progress(f"pages ({self.language})", self.pages_done, self.pages_total)

    def on_env(self, env, config, files):
        """Every page is converted by now, so the search index has them all: its last parts are indexed and all
        are joined (in processes of their own) while MkDocs renders the pages into the theme."""
        self.files, self.env, self.mkdocs_config = self.all_files or files, env, config  # for ``Edition``: one page made again later
        env.bytecode_cache = compiled.SHARED  # the theme compiled by the first edition serves the second
        _share_navigation(env, config, self.nav)
        site = os.path.normpath(config.site_dir)
        recycled = self.publishing is not None and self.publishing.recycled
        if recycled and self.search is None and self.reused_bundle is None:  # the site before last's search bundle: no use
            remove(Path(site, "pagefind"))
        self.recycled_bundle = recycled
        if self.search is not None:
            self.search.send_rest()  # here: a kept page's text is read from the page file, open until the pages are written
            self.writer = ThreadPoolExecutor(1, thread_name_prefix=f"{APART}pagefind-bundle")
            self.written = self.writer.submit(self.search.write_and_end, *self._bundle(config))  # as ``join_early`` was told
            if self.edition == [None, *self.config.translations][-1]:  # the last edition's pages are all made
                self.search.hurry()
        self._keep_outputs(config, files)
        if recycled:  # before MkDocs writes a file: none is written into a file of the live site, none left stale
            apart = {os.path.join(site, "pagefind"), *(os.path.join(site, other) for other in (self.config.translations if self.edition is None else ()))}
            if self.publishing.apart:
                apart.add(self.publishing.apart)
            spare.sweep(site, self.publishing.targets, apart)
        return env

    def _keep_outputs(self, config, files: Files) -> None:
        """Which pages' HTML files the earlier site has as this build would write them (``reuse.Outputs``): those
        are linked, not rendered into the theme again."""
        if self.outputs is None:  # else worked out when MkDocs asked for the first page it might skip
            shell = reuse.shell_key(config, _nav_pages(self.nav), "order-archive") if self.pages is not None else None
            self.outputs = reuse.Outputs(self.previous_site, self.earlier_outputs, shell)
        kept = set()
        for file in files.documentation_pages():
            page = file.page
            if isinstance(page, _ConvertedPage) and isinstance(file, _GeneratedPage) and not page.skipped:
                facts = self.pages.facts(file.src_uri)
                page.kept = self.outputs.keep(file.dest_uri, facts[1] if facts else None)
                if page.kept is not None:
                    page.meta = {**page.meta, "template": reuse.KEPT_TEMPLATE}
                    kept.add(file.src_uri)
        self.kept = len(kept) + self.skipped
        if kept:
            _QuietKept.install(kept)

    def on_post_build(self, config) -> None:
        if self.all_files is not None and config.site_url and "sitemap.xml" in config.theme.static_templates:
            _build_theme_template("sitemap.xml", self.env, self.all_files, config, self.nav)  # every page, as MkDocs would
        reading, self.reading = self.reading, None
        if reading is not None:  # written long since, as a rule: nothing of the build is left writing it
            reading.wait()
        if self.publishing is not None:
            publishing, self.publishing = self.publishing, None
            try:
                publishing.wait()
            except PublishError as exc:
                raise PluginError(f"order-archive: {exc}") from None
        if progress is not None:
            progress("search", 0, 1)
        bundle = Path(config.site_dir) / "pagefind"
        outputs = self.outputs.made(Path(config.site_dir)) if self.outputs else {}
        kept = {"conversion": self.conversion_key, "program": sitecache.code_digest(), "outputs": outputs, "files": self.files_table, "basis": self.basis}
        if self.stream is not None:  # every page arrived: keep them, converted, for the next build
            self.stream.wait_all()
            self.converted = self.pages_total - self.stream.copied
            self.rendered = tuple(f"{self.language}/{path}" for path in self.stream.rendered)
            log.info(f"order-archive: {self.converted} pages made, {self.stream.copied} as the last build made them; {self.kept} HTML files kept")
            self.pages.seal(self.key, cachefile.problem_rows(self.problems), kept, order=self.stream.paths)
            self.stream.close()
            self.stream = None
        elif isinstance(self.pages, StoredPages):
            self.pages.remember(self.root, self.language, kept)  # the same pages, in this build's files
        self._close_pages()
        _QuietKept.remove()
        self.bundle = bundle
        if not self.defer_search:
            self.finish_search()

    def finish_search(self) -> None:
        """Wait for the search bundle, joined and sealed. ``build_site`` asks this of every edition once all are
        built: one edition's bundle is written while the next edition's pages are made."""
        if self.written is not None:
            self.written.result()
            self.written = None
            self.searched = tuple(f"{self.language}/{part}" for part in self.search.indexed)
        self._stop_search()
        if self.reused_bundle is not None:
            from generator.site import searchmerge  # here: its packers and CBOR cost every build 34 ms to import

            searchmerge.relink(self.reused_bundle, self.bundle, self.recycled_bundle)
            self.reused_bundle = None

    def on_build_error(self, error) -> None:
        self.abort()

    def abort(self) -> None:
        """Stop the page workers, the process putting files into the site and Pagefind (MkDocs calls
        ``on_build_error`` for errors, not for an interrupt)."""
        _QuietKept.remove()
        if self.publishing is not None:
            self.publishing.stop()
            self.publishing = None
        if self.stream is not None:
            self.stream.close()
            self.stream = None
        self._close_pages()
        self._stop_search()

    def _stop_search(self) -> None:
        if self.search is not None:
            self.search.close()
            self.search = None
        cool()  # a Pagefind started ahead of the search's first part (``warm``) that no part took
        if self.writer is not None:
            self.writer.shutdown(wait=True)
            self.writer = None


SHARE_NAVIGATION = True
"""Whether the pages outside the navigation share its HTML (``_share_navigation``; tests compare without)."""


SHARED_PARTIALS = ("theme/partials/nav.html", "theme/partials/tabs.html")
"""Material's partials that ``overrides/partials/oa-shared.html`` includes by a name it computes (``_share_navigation``)."""


def _list_theme_unhidden(theme) -> None:
    """The theme's environment lists its templates without the hidden ones (a name with a part that starts with a
    dot), and never walks a hidden folder. MkDocs lists them to find the theme's static files and refuses every
    hidden name (its patterns ``.*`` and ``*/.*``): Material's 14,348 icons under ``.icons/`` were walked and
    refused one by one, 0.05 s of each edition's build at any size, now 2 ms. Templates load by name as before."""
    make = theme.get_env

    def get_env():
        env = make()
        loader = env.loader
        loader.list_templates = functools.partial(_unhidden_templates, list(loader.searchpath), loader.followlinks)
        return env

    theme.get_env = get_env


def _unhidden_templates(folders: list[str], follow_links: bool) -> list[str]:
    """Jinja's ``FileSystemLoader.list_templates`` of ``folders`` without the names ``_list_theme_unhidden`` leaves
    out: each file's path from its folder, with ``/``, once, sorted."""
    found = set()
    for folder in folders:
        for path, subfolders, names in os.walk(folder, followlinks=follow_links):
            subfolders[:] = [name for name in subfolders if not name.startswith(".")]
            for name in names:
                if not name.startswith("."):
                    template = os.path.join(path, name)[len(folder) :].strip(os.path.sep).replace(os.path.sep, "/")
                    found.add(template[2:] if template[:2] == "./" else template)
    return sorted(found)


def _theme_beneath(env, config) -> None:
    """The theme's folders beneath the overrides, also to be had as ``theme/…`` (``_share_navigation``)."""
    beneath = [folder for folder in config.theme.dirs if folder != str(OVERRIDES)]
    env.loader = ChoiceLoader([env.loader, PrefixLoader({"theme": FileSystemLoader(beneath)})])


def _share_navigation(env, config, nav) -> None:
    """Material renders the navigation (the side menu and the tabs) into every page. On a page outside the
    navigation, as every dossier and order list is, that HTML depends only on the navigation's pages, which
    none of them is then (no item is active, no table of contents is in it), and on the folder its links are
    made relative to (``mkdocs.utils.get_relative_url`` drops a last part that holds a dot). So
    ``overrides/partials/nav.html`` and ``tabs.html`` (through ``oa-shared.html``) render Material's own
    partials (``theme/…``: the theme's folders beneath the overrides) once for each such folder and reuse the
    HTML: at 1,000 orders the side menu alone was a third of rendering the pages into the theme (1.6 of 4.6 s).
    Every page of the navigation renders them as before."""
    _theme_beneath(env, config)
    in_nav = {id(page) for page in nav.pages} if nav is not None else set()
    shared: dict[tuple[str, str], str] = {}

    def key(name: str, page) -> tuple[str, str] | None:
        if page is None or id(page) in in_nav or page.parent is not None or not SHARE_NAVIGATION:
            return None
        folder, _, last = page.url.rpartition("/")
        return (name, folder if "." in last else page.url)

    def share(key: tuple[str, str] | None, html: str) -> str:
        if key is not None:
            shared[key] = html
        return html

    env.globals.update(oa_shared_key=key, oa_shared=shared, oa_share=share)


_PLAIN_PART = r"[A-Za-z0-9_~-][A-Za-z0-9_.~-]*"
"""A part of a path MkDocs keeps as it is (not empty, ``.``, ``..`` or hidden) and a URL needs no quoting of."""

_PLAIN_URL = re.compile(rf"(?:{_PLAIN_PART}/)*{_PLAIN_PART}")
_PLAIN_PAGE = re.compile(rf"(?:{_PLAIN_PART}/)*(?!README\.md$){_PLAIN_PART}\.md")
"""A plain page path whose name is no ``README`` (MkDocs makes that ``index.html``): ``_GeneratedPage._plain``."""


@functools.cache
def _canonical_start(base: str) -> tuple[str, str] | None:
    """What MkDocs' canonical URL (``urljoin`` of the site URL and the page's) and its path put before a plain page
    URL: ``urljoin`` keeps the site URL's folder, its dots resolved, and drops its query and fragment, so the start
    is the same for every such URL. None where it is not (each page is then joined as MkDocs does)."""
    probe = urljoin(base if base.endswith("/") else base + "/", "p.html")
    if not probe.endswith("/p.html"):
        return None
    start = probe[: -len("p.html")]
    return start, urlsplit(start).path


EXCLUDED_CACHE = "excluded-attachments.marshal"
_EXCLUDED_VERSION = 1


def _excluded(config, listed: list[_Listed], cache: Path) -> set[int]:
    """Which of the attachments ``listed`` MkDocs' rules of exclusion keep out of the site (their numbers), as its
    ``set_exclusions`` judges each path: kept for the next build under a digest of every path and every rule (the
    configuration's patterns, MkDocs' and pathspec's versions), since the same paths judged by the same rules are
    judged alike. Judging 38,165 paths was 0.16 s of every build at 10,000 orders; a build whose attachments or
    rules changed judges them all again."""
    specs = [config.get("exclude_docs"), config.get("draft_docs"), config.get("not_in_nav")]
    rules = [[(p.pattern, p.include, getattr(p.regex, "pattern", None)) for p in spec.patterns] if spec is not None else None for spec in specs]
    digest = hashlib.sha1(json.dumps([rules, reuse.package_version("mkdocs"), reuse.package_version("pathspec")], default=repr).encode())
    digest.update("\0".join(item.src_uri for item in listed).encode("utf-8", "surrogatepass"))
    key = digest.hexdigest()
    kept = cachefile.read(cache, _EXCLUDED_VERSION, key)
    if type(kept) is list:
        return set(kept)
    set_exclusions(listed, config)
    excluded = [n for n, item in enumerate(listed) if not item.inclusion.is_included()]
    cachefile.write(cache, _EXCLUDED_VERSION, key, excluded)
    return set(excluded)


def _inclusion(path: str) -> InclusionLevel:
    return InclusionLevel.INCLUDED if path in IN_NAV else InclusionLevel.NOT_IN_NAV


def _link_or_copy(source: str, target: str, make_folder: bool = False) -> None:
    """The old site is deleted once the new one is in place: a hard link is a copy that costs nothing."""
    if make_folder:
        os.makedirs(os.path.dirname(target), exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


@dataclass(slots=True)
class _Listed:
    """An attachment as MkDocs' ``set_exclusions`` sees a file: its path in the site, and its inclusion once judged."""

    src_uri: str
    source: str
    inclusion: InclusionLevel = InclusionLevel.UNDEFINED


class _Written(Files):
    """The files MkDocs is given where the pages kept from the last site are left out (``_leave_out``): those
    stay at hand by path, each with its page, for a link to one of their anchors to be checked."""

    def __init__(self, files: list[File], left_out: dict[str, File]):
        super().__init__(files)
        self.left_out = left_out


def _nav_pages(nav) -> list[reuse.NavPage]:
    """The navigation's pages as ``reuse.shell_key`` takes them, from MkDocs' navigation once they are read."""
    return [(page.file.src_uri, page.meta, page._title_from_render) for page in nav.pages]


class _GeneratedPage(File):
    """A page made from the records: its Markdown, and its conversion when a worker or the cache has one,
    are delivered when MkDocs reads it (``deliver``: the page stream or the page cache), its HTML when MkDocs
    writes it (``html``). Nothing of it is held in between (``pagefile``)."""

    deliver: Callable[..., Delivered]
    html: Callable[[str], str]
    skip: Callable[[_GeneratedPage], bool]
    skipped: bool | None = None
    _page: Page | None = None
    _config: Any = None  # while its page is still to be made (``page``)

    @classmethod
    def of(cls, config, path: str, deliver: Callable[..., Delivered], html: Callable[[str], str], skip: Callable[[_GeneratedPage], bool]) -> _GeneratedPage:
        file = cls._plain(config, path) or cls.generated(config, path, content="", inclusion=_inclusion(path))
        file._content = None
        file.deliver, file.html, file.skip = deliver, html, skip
        file._config = config
        return file

    @property
    def page(self) -> Page | None:
        """The file's ``_ConvertedPage``, made when first asked for: after a merge at 10,000 orders MkDocs is given
        only the few pages made again (``_leave_out``), and nothing asks for the others' pages unless a sitemap is
        made or a link to one of their anchors is checked; made with every file, they were 0.05 s of each edition."""
        if self._config is not None:
            config, self._config = self._config, None
            _ConvertedPage(None, self, config)  # which sets ``page``
            self._page.skipped = bool(self.skipped)  # left out of MkDocs' pass already (``_linked``)
        return self._page

    @page.setter
    def page(self, value: Page | None) -> None:
        self._page, self._config = value, None

    @classmethod
    def _plain(cls, config, path: str) -> _GeneratedPage | None:
        """The file ``File.generated`` makes of a plain path (the program's pages' own), its paths and URL worked out
        as MkDocs does (``src_path``, ``_get_dest_path``, ``_get_url``, ``abs_dest_path``) without asking them of
        ``pathlib`` and ``urllib`` for each: they were 0.2 s an edition of every build at 10,000 orders. None for
        any other path, or with directory URLs."""
        if config.use_directory_urls or not _PLAIN_PAGE.fullmatch(path):
            return None
        file = cls.__new__(cls)
        file.src_uri, file.src_dir, file.dest_dir, file.use_directory_urls = path, None, config.site_dir, False
        file.inclusion, file.generated_by = _inclusion(path), config.plugins._current_plugin or "<unknown>"
        file.abs_src_path = None
        file.dest_uri = file.url = dest = path[:-3] + ".html"  # quoted as it is: nothing in it is quoted
        file.abs_dest_path = os.path.normpath(f"{config.site_dir}/{dest}")
        return file

    def is_modified(self) -> bool:
        """Asked by MkDocs' dirty build alone (``build_site``), before it reads the page and before it writes it:
        the same answer both times (the plugin's ``_skip``)."""
        if self.skipped is None:
            self.skipped = self.skip(self)
        return not self.skipped

    @property
    def content_string(self) -> str:
        return self.deliver(self.src_uri, False)[0] if self._content is None else self._content

    @content_string.setter
    def content_string(self, value: str) -> None:
        self._content = value

    @property
    def content_bytes(self) -> bytes:
        return self.content_string.encode()

    @content_bytes.setter
    def content_bytes(self, value: bytes) -> None:
        self._content = value.decode()


class _ConvertedPage(Page):
    """A generated page that takes the HTML a worker (or the cache) made with MkDocs' own ``Page.render``
    instead of converting it here. If a plugin changed the Markdown in between, MkDocs converts it again.
    Its source is made, not read: ``on_page_read_source`` is asked only when no conversion came with it.

    Its HTML stays in the page file: ``content`` reads it there each time MkDocs asks (when the page is
    converted, for ``on_page_content``, and when it is written), and a plugin that hands the same HTML back
    leaves it there. Its Markdown is let go once it is converted (an empty string stays)."""

    conversion: tuple | None = None
    delivered: str | None = None
    kept: str | None = None  # the earlier site's HTML file of this page, when it is this build's byte for byte
    _held: str | None = None  # HTML set on the page (a conversion made here, or changed by a plugin)
    _lent: str | None = None  # the HTML last read from the page file, until the page is written
    _stored = False
    quiet = False
    """Its conversion, from the page file, said nothing and links to no anchor: a later build may skip it."""
    skipped = False
    """Left out of MkDocs' pass (``OrderArchivePlugin._skip``): never read, never written here."""
    _anchors: set[str] | None = None
    _toc_rows: list | None = None  # the conversion's table-of-contents tokens
    _toc: TableOfContents | list | None = None

    def _set_canonical_url(self, base: str | None) -> None:
        """MkDocs' own, with what its ``urljoin`` and ``urlsplit`` put before a plain page URL worked out once
        (``_canonical_start``): asked of them for each page, they were 0.1 s an edition at 10,000 orders."""
        start = _canonical_start(base) if base else None
        url = self.url
        if start is None or not _PLAIN_URL.fullmatch(url):
            super()._set_canonical_url(base)
        else:
            self.canonical_url, self.abs_url = start[0] + url, start[1] + url

    @property
    def toc(self) -> TableOfContents | list:
        """Made from the conversion's tokens when asked (the theme asks as the page is written) and let go once it
        is written: as MkDocs' objects, every page's table held from converting to writing took 43 MB at 10,000 orders."""
        if self._toc is None:
            self._toc = get_toc(self._toc_rows or [])
        return self._toc

    @toc.setter
    def toc(self, value: TableOfContents | list) -> None:
        self._toc, self._toc_rows = value, None

    @property
    def present_anchor_ids(self) -> set[str] | None:
        """A skipped page's anchors are read from its conversion if another page's link to one is checked."""
        if self._anchors is None and self.skipped:
            self._anchors = set(self.file.deliver(self.file.src_uri, False)[1][5])
        return self._anchors

    @present_anchor_ids.setter
    def present_anchor_ids(self, value: set[str] | None) -> None:
        self._anchors = value

    @property
    def content(self) -> str | None:
        if self._held is not None or not self._stored:
            return self._held
        if self._lent is None:
            self._lent = self.file.html(self.file.src_uri)
        return self._lent

    @content.setter
    def content(self, value: str | None) -> None:
        if value is None or value is not self._lent:
            self._held, self._stored = value, False
        self._lent = None

    def written(self) -> None:
        """MkDocs has written the page: what it read of the page file, and its table of contents made from the
        tokens (made again if asked), can go."""
        self._lent = None
        if self._toc_rows is not None:
            self._toc = None

    def read_source(self, config) -> None:
        source, self.conversion = self.file.deliver(self.file.src_uri, False)
        if self.conversion is None:
            return super().read_source(config)
        body, self.meta = self.conversion[0], self.conversion[1]
        self.markdown = self.delivered = source[body:] if isinstance(body, int) else body

    def render(self, config, files: Files) -> None:
        if self.conversion is None or self.markdown != self.delivered:
            self.conversion = self.delivered = None
            return _render(self, config, files)
        _, _, _, toc, self._title_from_render, anchors, links, logs = self.conversion
        # Converted: only the HTML is needed, from the page file. MkDocs gives a title only to a page with Markdown.
        self.conversion = self.delivered = None
        self.markdown = ""
        self._held, self._stored = None, True
        self._toc, self._toc_rows = None, toc
        self.present_anchor_ids = set(anchors)
        if links is not None:
            found = files.get_file_from_path
            if isinstance(files, _Written):
                found = lambda uri: files.get_file_from_path(uri) or files.left_out.get(uri)  # noqa: E731
            self.links_to_anchors = {target: ids for uri, ids in links.items() if (target := found(uri))}
        self.quiet = not logs and not links
        for name, level, message in logs:  # what MkDocs said while converting, said here where it counts (--strict)
            logging.getLogger(name).log(level, message)


class _Converter:
    """In a worker: MkDocs' own conversion of a page, as plain data the pipe and the page cache can carry:
    (the body — where it starts in the source, as a rule —, meta, HTML, table-of-contents tokens, title,
    anchor ids, links to anchors, what was logged). Or the earlier build's, where it still holds
    (``reuse``: the same Markdown, and every file its conversion looked up still the same)."""

    def __init__(self, config, files: Files, earlier: StoredPages | None = None, trust_inputs: bool = False, same_files: bool = False):
        self.config, self.files, self.earlier = config, files, earlier
        self.trust_inputs = trust_inputs  # the earlier pages were rendered by these templates: their inputs digests compare
        self.lookups = reuse.Lookups(files, same_files)
        self.inputs: dict[str, str] = {}  # path → digest of what its page was rendered from, where the renderer says
        self.said: list[tuple[str, int, str]] | None = None

    def unchanged(self, path: str, render) -> Kept | None:
        """Before rendering: the earlier build's page, when it was rendered from the same inputs (``Planned``)."""
        inputs = getattr(render, "inputs", None)
        if inputs is None:
            return None
        digest = self.inputs[path] = self.inputs.get(path) or inputs()  # kept with the page for the next build; asked here, or before the fork
        facts = self._kept_facts(path, digest)
        return None if facts is None else Kept(facts)

    def carried(self, plan: list, unchanged: dict[str, str]) -> set[int]:
        """The numbers of the plan's pages that ``unchanged`` would find the earlier build's, their facts as they are:
        those ``unchanged`` (``OrderArchivePlugin._unchanged_pages``) gives the inputs digest of the page kept, when
        every file its conversion looked up is still found where it was: after a merge, nearly every page, which the page
        stream then takes in without asking ``unchanged`` of each."""
        return {n for n, (path, _) in enumerate(plan) if (digest := unchanged.get(path)) is not None and self._kept_facts(path, digest) is not None}

    def _kept_facts(self, path: str, digest: str) -> Facts | None:
        """The earlier build's facts of the page at ``path`` when it was rendered from inputs of ``digest`` (by these
        templates) and every file its conversion looked up is still found where it was; else None."""
        facts = self.earlier.facts(path) if self.earlier is not None and self.trust_inputs else None
        return facts if facts is not None and facts[3] == digest and self.lookups.still_hold(facts[2]) else None

    def __call__(self, path: str, source: str) -> Finished | Kept:
        markdown_digest = reuse.digest(source.encode("utf-8", "surrogatepass"))
        inputs = self.inputs.pop(path, None)
        facts = self.earlier.facts(path) if self.earlier is not None else None
        if facts is not None and facts[0] == markdown_digest and self.lookups.still_hold(facts[2]):
            return Kept((*facts[:3], inputs, *facts[QUIET:]))  # the same conversion: the same HTML, as quiet
        with self.lookups.recording() as asked:
            conversion = self._convert(path, source)
        return Finished(conversion, markdown_digest, tuple(asked.values()), inputs)

    def _convert(self, path: str, source: str) -> tuple:
        if self.said is None:
            self.said = _collect_log()
        file = self.files.get_file_from_path(path)
        held = file.page
        page = Page(None, file, self.config)  # in the worker only
        file.page = held  # MkDocs' Page ties itself to its file: a worker would keep every page it converted (1.3 GB)
        page.markdown, page.meta = get_data(source)
        _render(page, self.config, self.files)
        links = None if page.links_to_anchors is None else {f.src_uri: a for f, a in page.links_to_anchors.items()}
        said, self.said[:] = list(self.said), []
        toc = _toc_tokens(page.toc)
        body = len(source) - len(page.markdown) if source.endswith(page.markdown) else page.markdown
        return (body, page.meta, page.content, toc, page._title_from_render, sorted(page.present_anchor_ids), links, said)


def _meanwhile(config, checked) -> None:
    """What the build does while its check waits for the history's verdict (``check_archive``'s ``meanwhile``; half a
    minute in a first build; after a merge at 10,000 orders the verdict is in by then, and this is the start of the
    build's thread running alone, the second core idle), all of which it would do next: the reports started beside
    (``reports_beside``: they read the catalog alone, whole by now), in a first build too, while the prefetch still
    reads the history from git — their process ends once it has them, so it is gone before the history is judged (it
    waited for the plan to ask for its answer, and the reports and the judging together made the peak of all the
    build's processes: 1,078 MB at 10,000 orders, against 877–908 MB), and a first build's page workers no longer
    wait for them (1.5–1.7 s at 10,000 orders); then the templates compiled by a process of their own
    (``compiled.ahead``, 0.27 s of this thread when compiled here), which the plan takes before any worker forks."""
    reports_beside(checked)
    checked.derived[COMPILING] = compiled.ahead(functools.partial(_compile_templates, config))


def _compile_templates(config) -> None:
    """The pages' templates (``render.pages.compile_all``), then the theme's, into ``compiled.SHARED``, as MkDocs'
    environment is made, with the theme's folders beneath the overrides as ``on_env`` adds them, so that its pass
    finds them compiled: every template the pages, the kept pages and the static pages name, and those they name,
    but for a name computed as a page renders."""
    compile_all(templates(TEMPLATES))
    env = config.theme.get_env()
    _theme_beneath(env, config)
    env.bytecode_cache = compiled.SHARED
    compiled.precompile(env, ["main.html", reuse.KEPT_TEMPLATE, *sorted(config.theme.static_templates), *SHARED_PARTIALS])


def _render(page: Page, config, files: Files) -> None:
    """MkDocs' own conversion of a page, with the lines that are one whole HTML element kept out of
    Markdown's way (``slots``): the same HTML, without parsing every tag of them twice."""
    markdown = page.markdown
    slotted, blocks = slots.take(markdown)
    if blocks:
        page.markdown = slotted
        Page.render(page, config, files)
        page.markdown = markdown
        content = slots.restore(page.content, blocks)
        if content is not None:
            page.content = content
            page.present_anchor_ids = page.present_anchor_ids | slots.anchor_ids(blocks)
            return
    Page.render(page, config, files)


def _toc_tokens(items) -> list[dict]:
    return [{"level": a.level, "id": a.id, "name": a.title, "children": _toc_tokens(a.children)} for a in items]


def _collect_log() -> list[tuple[str, int, str]]:
    """In a worker, log records are kept to be sent with the page instead of printed from this process."""
    said: list[tuple[str, int, str]] = []

    class Collect(logging.Handler):
        last: logging.LogRecord | None = None

        def emit(self, record: logging.LogRecord) -> None:
            if record is not self.last:  # the same record reaches every logger up the tree
                self.last = record
                said.append((record.name, record.levelno, record.getMessage()))

    collect = Collect()
    loggers = [logging.getLogger(), *(x for x in logging.Logger.manager.loggerDict.values() if isinstance(x, logging.Logger))]
    for logger in loggers:
        if logger.handlers:
            logger.handlers = [collect]
    return said


def _conversion_inputs(conversion_key: str, files: Files) -> str:
    """What a page's conversion depends on besides its Markdown: the Markdown settings and libraries
    (``reuse.conversion_key``) and which files exist (links are resolved against them). Part of the page cache's key."""
    return json.dumps([conversion_key, sorted(f.src_uri for f in files)])


def filter_order(language: str) -> list[tuple[str, list[str] | str | None]]:
    """Pagefind's filters as people scan them: (filter name, its values in order) in the site's words."""
    return [
        (translate("filter.status", language), [label(s, language) for s in OrderStatus]),
        (translate("filter.service", language), [label(s, language) for s in ServiceType]),
        (translate("filter.client", language), None),
        (translate("filter.year", language), "newest"),
    ]


def navigation(language: str) -> list:
    """The site's few navigation entries, with section titles in the site's language; dossiers stay out."""

    def t(key: str) -> str:
        return translate(key, language)

    return [
        "index.md",
        {t("site.orders"): ["orders/index.md", "orders/open.md"]},
        {t("site.archive"): ["archive/index.md", "archive/retention.md", "archive/disposals.md", "archive/borrowing.md"]},
        "reports.md",
        "compliance.md",
        {t("site.guides"): ["guides/submit.md", "guides/review.md"]},
    ]


@dataclass
class BuildResult:
    site: Path
    pages: int
    problems: list
    seconds: float
    languages: tuple[str, ...] = ("zh-Hant",)
    made: int = 0
    """Pages rendered and converted by this build; the others were the last build's (``reuse``)."""
    kept: int = 0
    """Pages whose HTML file the last site had as this build would write it, linked instead."""
    editions: list[Edition] = field(default_factory=list, repr=False)
    """Each language's site as MkDocs left it, for ``orders serve`` to make one page of it again (``keep_editions``)."""
    searched: tuple[str, ...] = ()
    """The search index's parts indexed again, as ``language/part`` (``searchindex.PartedIndex``)."""
    rendered: tuple[str, ...] = ()
    """The pages whose Markdown was rendered again, as ``language/path``: the others' inputs were the last build's."""
    skipped: int = 0
    """Of the kept pages, those MkDocs left out of its pass altogether (neither read nor written into the theme)."""
    recycled: bool = False
    """Built in the site before last (``spare``), not in an empty folder."""


def build_site(
    root: Path, strict: bool = False, today: date | None = None, site_dir: Path | None = None, keep_editions: bool = False, process_ends: bool = False
) -> BuildResult:
    """Build the archive's site into a temporary folder, then swap it into place: the first language at its
    root, each translation the plugin lists in a folder of its own (``site/en/``). The archive is read and
    checked once for all of them; only the pages are made per language.

    ``keep_editions`` keeps each edition's MkDocs files, pages and navigation (``BuildResult.editions``) for
    making one page again (``orders serve``); otherwise each edition's are let go before the next is built.
    ``process_ends``: the caller's process ends once it has the result (``orders build``), so the checked
    archive and the last edition are left to that end (``_HELD``) instead of being freed object by object while
    the last search join runs: 0.09 s of a merge's build at 10,000 orders, faster in 10 of 12 taking turns."""
    config_file = root / "mkdocs.yml"
    if not config_file.is_file():
        raise PluginError(f"{root} has no mkdocs.yml")
    target = (site_dir or root / "site").resolve()
    for stale in leftovers(target.parent, f".{target.name}.building-*") + leftovers(target.parent, f".{target.name}.old-*"):
        _remove_later(stale)  # what a killed build left: its process is gone
    temporary = target.with_name(f".{target.name}.building-{os.getpid()}")
    shutil.rmtree(temporary, ignore_errors=True)
    started = time.perf_counter()
    recycled = site_dir is None and spare.take(root, temporary)  # the site before last, or an empty folder
    shared: dict = {"recycled": recycled}
    built: list[OrderArchivePlugin] = []
    try:
        with full_collections_deferred():
            built.append(_build_edition(config_file, None, temporary, target, strict, today, shared, leave_out=not keep_editions))
            for edition in built[0].config.translations:
                if not keep_editions:
                    _let_go(built[-1])
                built.append(_build_edition(config_file, edition, temporary / edition, target / edition, strict, today, shared, temporary, not keep_editions))
            if process_ends:  # a copy: each edition's plugin holds ``shared`` too, so it is emptied either way
                _HELD.append((dict(shared), built))
            shared.clear()
            for plugin in built:
                plugin.finish_search()
            if not keep_editions and not process_ends:
                _let_go(built[-1])
    except BaseException:  # an edition or a search bundle failed: nothing of this build is left running or on disk
        for plugin in built:
            plugin.abort()
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    plugin = built[0]
    pages, problems = sum(p.pages_total for p in built), plugin.problems
    made, kept = sum(p.converted for p in built), sum(p.kept for p in built)
    _write_head(root, temporary)
    fault_point("site.before-swap")
    old = target.with_name(f".{target.name}.old-{time.time_ns()}.{os.getpid()}")  # the last build's may not be gone yet
    replace_folder(temporary, target, old)
    fault_point("site.after-swap")
    if old.exists() and not (site_dir is None and spare.keep(root, old)):
        _remove_later(old)
    languages = (plugin.config.language, *plugin.config.translations)
    editions = [Edition(p, target / p.edition if p.edition else target) for p in built] if keep_editions else []
    searched = tuple(part for p in built for part in p.searched)
    rendered = tuple(path for p in built for path in p.rendered)
    skipped = sum(p.skipped for p in built)
    return BuildResult(target, pages, problems, time.perf_counter() - started, languages, made, kept, editions, searched, rendered, skipped, recycled)


_HELD: list = []
"""What builds whose process then ends held (``build_site``'s ``process_ends``): nothing lets it go."""


ASKED_FIRST_AT_MOST = 4
"""Search parts whose dossiers ``_asking_order`` puts first: those of a pull request or two. More orders read
anew than that is a build after many changes, or the first of a clone (every file read): the plain order."""


PAGE_BASIS, PAGE_BASIS_VERSION = "page-basis.marshal", 1
"""Where the last build's basis is kept (``_keep_basis``), and the version of that file."""


def _asking_order(plan, changed_orders) -> list[int]:
    """The order in which the last build's pages are asked for (``PageStream``): the navigation's first, then the
    dossiers of the search parts holding an order whose files were read anew (``load.read_files``: a merge's; none
    when no file was known), then the other lists (an order's lists take the workers a second each), then the other
    dossiers, then the reports. Each page left is made meanwhile, and a part goes to the search index once all its
    pages are in: asked in the plan's order, the edited dossier's part went at the end of the asking, and its
    indexing and joining were the last seconds of a merge's build (2.2 and 1.2 s at 10,000 orders, parts of 250
    orders then). The reports are asked last because their figures are worked out beside (``ReportPages``, a second
    of CPU at 10,000 orders): asked with the navigation, this process waited 0.26 s for them after a merge."""
    first = {part_of(page_url(dossier_page(order_id))) for order_id in changed_orders}
    if len(first) > ASKED_FIRST_AT_MOST:
        first = set()

    def rank(i: int) -> int:
        path = plan[i][0]
        if path == "reports.md" or path.startswith("reports/"):
            return 4
        if path in IN_NAV:
            return 0
        if path.startswith("dossiers/"):
            return 1 if first and part_of(page_url(path)) in first else 3
        return 2

    return sorted(range(len(plan)), key=rank)


def _let_go(plugin: OrderArchivePlugin) -> None:
    """An edition's MkDocs files, pages, navigation and theme, let go before the next edition is built, so that its
    pages take their memory (10,000 orders: 10,224 pages and 38,165 attachments). A page and its file refer to
    each other: undone here, both go with their last reference, where a full collection to find them walked every
    object of the build (1.4–1.6 s at 10,000 orders, once between editions; ``full_collections_deferred``)."""
    for file in plugin.files or ():
        page = file._page if isinstance(file, _GeneratedPage) else file.page  # a page never made is not made now
        if page is not None:
            page.parent = page.previous_page = page.next_page = None  # the navigation's links too
            file.page = None
    plugin.files = plugin.all_files = plugin.nav = plugin.env = plugin.mkdocs_config = plugin.outputs = None


class Edition:
    """One language's built site, kept after the build with MkDocs' own configuration, files, navigation and
    theme, so that one page can be made again exactly as the build made it (``orders serve``: the dossier of a
    record just saved). Only pages the build had can be made: a new page needs a build."""

    def __init__(self, plugin: OrderArchivePlugin, folder: Path):
        self.language, self.folder, self.attachments_root = plugin.language, folder, plugin.attachments_root
        self.config, self.files, self.nav, self.env = plugin.mkdocs_config, plugin.files, plugin.nav, plugin.env
        self.pages = self.files.documentation_pages(inclusion=InclusionLevel.is_included)

    def has(self, path: str) -> bool:
        return self.files.get_file_from_path(path) is not None

    def write(self, path: str, markdown: str) -> Path:
        """Convert the page's new Markdown and render it into the theme as ``mkdocs build`` does (the same plugin
        events), then put the file in place in one step: a reader gets the old page or the new, never half."""
        config, plugins, file = self.config, self.config.plugins, self.files.get_file_from_path(path)
        page = file.page if file.page is not None and file.inclusion.is_in_nav() else Page(None, file, config)
        page.markdown, page.meta = get_data(markdown)
        page.markdown = plugins.on_page_markdown(page.markdown, page=page, config=config, files=self.files)
        _render(page, config, self.files)
        page.content = plugins.on_page_content(page.content, page=page, config=config, files=self.files)
        config._current_page, page.active = page, True
        try:
            context = get_context(self.nav, self.pages, config, page)
            context = plugins.on_page_context(context, page=page, config=config, nav=self.nav)
            output = self.env.get_template(page.meta.get("template", "main.html")).render(context)
            output = plugins.on_post_page(output, page=page, config=config)
        finally:
            config._current_page, page.active = None, False
        target = self.folder / file.dest_uri
        temporary = target.with_name(f".{target.name}.{os.getpid()}")
        temporary.write_bytes(output.encode("utf-8", errors="xmlcharrefreplace"))
        os.replace(temporary, target)
        return target


def _build_edition(
    config_file: Path,
    edition: str | None,
    folder: Path,
    previous: Path,
    strict: bool,
    today: date | None,
    shared: dict,
    first: Path | None = None,
    leave_out: bool = True,
) -> OrderArchivePlugin:
    """One language's site into ``folder``; on any failure the whole temporary site is removed."""
    from mkdocs.commands.build import build

    temporary = first or folder
    config = load_config(str(config_file), site_dir=str(folder), strict=strict)
    plugin = config.plugins.get("order-archive")
    if plugin is None:
        raise PluginError("mkdocs.yml does not use the order-archive plugin")
    plugin.config.strict = strict or plugin.config.strict
    plugin.edition, plugin.shared, plugin.all_editions, plugin.defer_search = edition, shared, True, True
    plugin.skipping, plugin.leave_out = True, leave_out
    plugin.previous_site = previous if previous.is_dir() else None
    if today is not None:
        plugin.config.today = today.isoformat()
    heard = _Heard()
    logging.getLogger("mkdocs").addHandler(heard)
    _NotDirty.logger.addFilter(not_dirty := _NotDirty())
    try:
        # Into an empty folder, or the site before last swept before MkDocs writes (``spare``): "dirty" only lets the
        # plugin say which pages MkDocs may skip.
        build(config, dirty=True)
    except BaseException as exc:  # an error or an interrupt: nothing keeps writing into the folder deleted here
        plugin.abort()
        shutil.rmtree(temporary, ignore_errors=True)
        if isinstance(exc, Abort) and heard.messages:  # MkDocs says only "Aborted with a BuildError!": say why
            raise Abort(f"{exc}\n" + "\n".join(heard.messages[-25:])) from None
        raise
    finally:
        logging.getLogger("mkdocs").removeHandler(heard)
        _NotDirty.logger.removeFilter(not_dirty)
    return plugin


class _NotDirty(logging.Filter):
    """MkDocs warns that a dirty build may leave stale pages and links: true of its own check, by file times, not
    of this one, which builds into an empty folder (or one swept of every file it does not publish: ``spare``) and
    skips a page only when its file is this build's byte for byte. The warning would fail every ``--strict`` build."""

    logger = logging.getLogger("mkdocs.commands.build")

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("A 'dirty' build is being performed")


class _QuietKept(logging.Filter):
    """MkDocs says, at info level, that it skipped each page whose theme rendered nothing: for a kept page, linked
    instead, that is not news (any other page's message passes)."""

    logger = logging.getLogger("mkdocs.commands.build")

    def __init__(self, kept: set[str]):
        super().__init__()
        self.said = {f"Page skipped: '{path}'. Generated empty output." for path in kept}

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno != logging.INFO or record.getMessage() not in self.said

    @classmethod
    def install(cls, kept: set[str]) -> None:
        cls.remove()
        cls.logger.addFilter(cls(kept))

    @classmethod
    def remove(cls) -> None:
        for f in [f for f in cls.logger.filters if isinstance(f, cls)]:
            cls.logger.removeFilter(f)


class _Heard(logging.Handler):
    """What MkDocs and its plugins warned of during one build, so a refused build can say why."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(printable(record.getMessage()))  # a message may quote record text


def _write_head(root: Path, site: Path) -> None:
    """The commit the site was built from, for the next publish to compare with (``trail.published``)."""
    repo = open_repository(root)
    head = head_of(repo) if repo is not None else None
    if head is not None:
        (site / SITE_FILE).write_text(head + "\n", encoding="ascii")


def _remove_later(folder: Path) -> None:
    """Delete a replaced site in a process of its own: the new site is in place already, and deleting
    the old one (45,000 files at 10,000 orders, about 6 s here) is nothing anyone has to wait for. A shell
    starts it in the background and ends at once, so this process leaves no child behind (and no
    "subprocess still running" when it exits). ``-P``: ``python -c`` would look for modules in the working
    folder first, the archive, where anyone can commit a ``shutil.py``."""
    code = "import shutil, sys; shutil.rmtree(sys.argv[1], ignore_errors=True)"
    script = 'nohup "$0" -P -c "$1" "$2" >/dev/null 2>&1 &'
    subprocess.run(["sh", "-c", script, sys.executable, code, str(folder)], stdin=subprocess.DEVNULL, check=False, start_new_session=True)
