"""The site's pages as Markdown: a pure function of the checked archive.

``render_pages(checked)`` returns ``{page path: Markdown}`` for every page
— a dossier per order, the indexes, the archive pages, reports, the
compliance page and the guides — from Jinja2 templates in ``templates/``.
It reads no file but the templates and writes nothing: the MkDocs plugin
hands the result to MkDocs, and tests compare it with golden files.

Record values reach pages only through ``escape`` (see there why).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from generator.pipeline import Checked
from generator.site import compiled
from generator.site.render.archive import ArchivePages
from generator.site.render.attention import AttentionList
from generator.site.render.compliance import CompliancePage
from generator.site.render.dossier import DossierPages
from generator.site.render.indexes import OrderIndexes
from generator.site.render.pages import COMPILING, TEMPLATES, Page, Planned, compile_all, dossier_page, inputs_digest, page_url, relative
from generator.site.render.reports import ReportPages


class Renderer(DossierPages, OrderIndexes, ArchivePages, ReportPages, CompliancePage, AttentionList):
    """Every page of the site; each family of pages is a base class in a module of its own."""

    def pages(self) -> dict[str, str]:
        return {path: render() for path, render in self.plan()}

    def plan(self) -> list[tuple[str, Callable[[], str]]]:
        """Every page's path, in order, and how to render it: the paths are known before anything is rendered,
        so the build can hand MkDocs the whole list while a second process renders the pages (with the
        templates compiled here, once: by a process beside while the plan is made, where the build started one
        (``compiled.ahead``), and taken from it after)."""
        self.start_reports()  # beside, while the rest is planned (``settle`` before any worker forks)
        plan = self.dossier_plan() + self.index_plan()
        compiling = self.checked.derived.pop(COMPILING, None)
        if compiling is not None:
            compiled.take(compiling)
        compile_all(self.env)
        return plan

    def basis(self) -> dict:
        """What the dossiers and the order lists read, source by source, for the next build to compare with its
        own (``dossier_basis``, ``list_basis``): worked out once for every edition of a check, which shares it."""
        return self.shared("basis", lambda: {"dossiers": self.dossier_basis(), "lists": self.list_basis()})

    def settle(self) -> None:
        """What the plan left to a process beside, had here: call before forking the processes that render the pages."""
        self.settle_reports()

    def settled(self) -> bool:
        """Whether ``settle`` would return at once."""
        return self.reports_ready()

    def dossier_plan(self) -> list[tuple[str, Callable[[], str]]]:
        self._rule_records  # noqa: B018 (here, before the workers fork: each of them worked it out again)
        plan = []
        for dossier, order in self.orders:
            page = Page(dossier_page(order.id), self.language)
            plan.append((page.path, Planned.of(self.dossier, self.dossier_inputs, page, dossier, order)))
        plan += [(dossier_page(i), partial(self.invalid_dossier, Page(dossier_page(i), self.language), i)) for i in self.invalid_orders]
        return plan

    def index_plan(self) -> list[tuple[str, Callable[[], str]]]:
        """Every page but the dossiers: indexes, archive pages, reports, compliance, guides and home."""
        plan = self.order_index_plan()
        plan += self.archive_plan()
        plan += self.report_plan()
        plan.append(("compliance.md", Planned.of(self.compliance, self._compliance_inputs, Page("compliance.md", self.language))))
        for guide in ("submit", "review"):
            page = Page(f"guides/{guide}.md", self.language)
            plan.append((page.path, Planned.of(partial(self.render, f"guide-{guide}.md.j2"), _guide_inputs, page)))
        plan.append(("index.md", Planned.of(self.home, self._home_inputs, Page("index.md", self.language), self.home_facts)))
        return plan


def _guide_inputs(page: Page) -> str:
    """A guide reads nothing of the archive: its template (in every cache's key), its page and its language."""
    return inputs_digest([page.path, page.language])


def render_pages(checked: Checked, language: str = "zh-Hant") -> dict[str, str]:
    """Every page of the site, ``{path: Markdown}``. Pure: the same archive gives the same pages."""
    return Renderer(checked, language).pages()


__all__ = ["COMPILING", "TEMPLATES", "Planned", "Renderer", "page_url", "relative", "render_pages"]
