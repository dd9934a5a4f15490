"""The site's pages as Markdown: a pure function of the checked archive.

``render_pages(checked)`` returns ``{page path: Markdown}`` for every page
— a dossier per order, the indexes, the archive pages, reports, the
compliance page and the guides — from Jinja2 templates in ``templates/``.
It reads no file but the templates and writes nothing: the MkDocs plugin
hands the result to MkDocs, and tests compare it with golden files.

Record values reach pages only through ``escape`` (see there why).
"""

from __future__ import annotations

import hashlib
import posixpath
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cached_property, partial
from pathlib import Path
from typing import Any

import jinja2

from schemas import OrderStatus
from schemas.lifecycle import REGULATION_STATUS_WORDS

from . import escape
from .catalog import Dossier, retention_until
from .compliance import compliance_map
from .i18n import label, translate
from .pipeline import Checked
from .problems import Severity
from .rules import REGISTRY
from .rules.settlement import ceiling
from .timeline import approvals_by_commit, versions_of

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
KIND_ORDER = ("order", "change_request", "quality_record", "delivery", "settlement", "loan", "disposal", "organization", "policy")


def page_url(page: str) -> str:
    return page[:-3] + ".html" if page.endswith(".md") else page


def relative(from_page: str, to_page: str) -> str:
    """A link between two pages, relative, as the built site (use_directory_urls: false) needs it."""
    target = page_url(to_page)
    anchor = ""
    if "#" in target:
        target, anchor = target.split("#", 1)
        anchor = "#" + anchor
    return posixpath.relpath(target, posixpath.dirname(page_url(from_page)) or ".") + anchor


def slug(text: str) -> str:
    """A file-name-safe, stable name for free text (a client's name)."""
    return hashlib.sha1(text.encode()).hexdigest()[:12]


GROUP_TITLES = {
    "status": "index.by_status",
    "service": "index.by_service",
    "sales": "index.by_sales",
    "client": "index.by_client",
    "period": "index.by_period",
    "department": "index.by_department",
}
ARCHIVE_PAGES = ("archive/index.md", "archive/retention.md", "archive/disposals.md", "archive/borrowing.md")


def dossier_page(order_id: str) -> str:
    return f"dossiers/{order_id}.md"


@dataclass
class Page:
    """What every page template gets: where it is, the language, and the helpers bound to it."""

    path: str
    language: str

    def t(self, key: str, **values: Any) -> str:
        text = translate(key, self.language)
        return text.format(**values) if values else text

    def to(self, page: str) -> str:
        return relative(self.path, page)

    def order_link(self, order_id: str) -> str:
        return escape.link(self.to(dossier_page(order_id)), order_id)


class Renderer:
    def __init__(self, checked: Checked, language: str = "zh-Hant"):
        self.checked = checked
        self.catalog = checked.catalog
        self.language = language
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES),
            autoescape=False,  # Markdown, not HTML: every value goes through escape.* instead
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters.update(md=escape.inline, html=escape.text, money=escape.money, title=escape.title, plain=escape.plain)
        self.problems_by_path: dict[str, list] = defaultdict(list)
        for problem in checked.problems:
            self.problems_by_path[problem.path].append(problem)
        self.orders = [(d, d.order_model) for d in self.catalog.dossiers.values() if d.order_model is not None]
        self.approvals = approvals_by_commit(checked.approvals)
        self.loans_of: dict[str, list] = defaultdict(list)  # order id → loans of its records
        for entry, loan in self.catalog.loan_models:
            for order_id in {_order_of(r) for r in loan.records}:
                self.loans_of[order_id].append((entry, loan))

    # -- helpers -----------------------------------------------------------
    def label(self, value: object) -> str:
        return label(value, self.language)

    def person(self, person_id: str | None) -> str:
        if not person_id:
            return ""
        person = self.catalog.people.get(person_id)
        if person is None:
            return escape.text(person_id)
        name = person.name if self.language == "zh-Hant" else (person.name_en or person.name)
        return f"{escape.text(name)} <small>{escape.text(person_id)}</small>"

    def people(self, ids: Iterable[str]) -> str:
        return ", ".join(self.person(i) for i in ids)

    def orders_table(self, page: Page, orders: Iterable[tuple[Dossier, Any]]) -> str:
        rows = []
        for _dossier, order in orders:
            intake = order.intake
            rows.append(
                [
                    page.order_link(order.id),
                    escape.text(intake.client.name),
                    escape.text(intake.project_name),
                    escape.text(self.label(intake.service_type)),
                    f'<span class="oa-status oa-{order.status.value}">{escape.text(self.label(order.status))}</span>',
                    escape.text(intake.received_on),
                    escape.text(intake.delivery_due),
                    escape.money(intake.budget, intake.currency.value),
                ]
            )
        headers = [page.t(k) for k in ("col.order", "col.client", "col.project", "col.service", "col.status", "col.received", "col.due", "col.budget")]
        return escape.table(headers, rows, "oa-orders")

    def problems_table(self, page: Page, problems: list, link_records: bool = True) -> str:
        rows = []
        for p in problems:
            where = escape.text(f"{p.path}:{p.line}")
            order_id = p.path.split("/")[3] if p.path.startswith("records/orders/") and p.path.count("/") >= 4 else None
            if link_records and order_id and order_id in self.catalog.dossiers:
                where = escape.link(page.to(dossier_page(order_id)), f"{p.path}:{p.line}")
            rows.append([escape.text(page.t(f"severity.{p.severity}")), escape.text(p.rule), escape.text(p.clause or ""), where, escape.text(p.message)])
        return escape.table([page.t(k) for k in ("col.severity", "col.rule", "col.clause", "col.where", "col.message")], rows, "oa-problems")

    def render(self, template: str, page: Page, **context: Any) -> str:
        return self.env.get_template(template).render(page=page, r=self, **context)

    # -- pages ---------------------------------------------------------------
    def pages(self) -> dict[str, str]:
        return {path: render() for path, render in self.plan()}

    def plan(self) -> list[tuple[str, Callable[[], str]]]:
        """Every page's path, in order, and how to render it: the paths are known before anything is rendered,
        so the build can hand MkDocs the whole list while a second process renders the pages."""
        return self.dossier_plan() + self.index_plan()

    def dossier_plan(self) -> list[tuple[str, Callable[[], str]]]:
        return [(dossier_page(order.id), partial(self.dossier, Page(dossier_page(order.id), self.language), dossier, order)) for dossier, order in self.orders]

    def index_plan(self) -> list[tuple[str, Callable[[], str]]]:
        """Every page but the dossiers: indexes, archive pages, reports, compliance, guides and home."""
        plan = self.order_index_plan()
        plan += [(path, partial(self._archive_page, path)) for path in ARCHIVE_PAGES]
        plan.append(("reports.md", partial(self.reports, Page("reports.md", self.language))))
        plan.append(("compliance.md", partial(self.compliance, Page("compliance.md", self.language))))
        for guide in ("submit", "review"):
            path = f"guides/{guide}.md"
            plan.append((path, partial(self.render, f"guide-{guide}.md.j2", Page(path, self.language))))
        plan.append(("index.md", partial(self.home, Page("index.md", self.language))))
        return plan

    def _archive_page(self, path: str) -> str:
        return self._archive_pages[path]

    @cached_property
    def _archive_pages(self) -> dict[str, str]:
        pages = self.archive_pages()
        assert list(pages) == list(ARCHIVE_PAGES)
        return pages

    def home(self, page: Page) -> str:
        counts = Counter(order.status for _, order in self.orders)
        rows = [[escape.link(page.to(f"orders/status/{s.value}.md"), self.label(s)), escape.text(counts.get(s, 0))] for s in OrderStatus]
        recent = sorted(self.orders, key=lambda item: item[1].intake.received_on, reverse=True)[:10]
        errors = sum(1 for p in self.checked.problems if p.severity is Severity.ERROR)
        warnings = len(self.checked.problems) - errors
        return self.render(
            "home.md.j2",
            page,
            counts=escape.table([page.t("col.status"), page.t("col.count")], rows),
            recent=self.orders_table(page, recent),
            errors=errors,
            warnings=warnings,
            records=len(self.catalog.entries),
            orders=len(self.orders),
            today=self.catalog.today,
            company=self.catalog.organization.name_zh
            if self.catalog.organization and self.language == "zh-Hant"
            else (self.catalog.organization.name_en if self.catalog.organization else ""),
        )

    def order_index_plan(self) -> list[tuple[str, Callable[[], str]]]:
        groups: dict[str, Callable[[Any], tuple[str, str]]] = {
            "status": lambda o: (o.status.value, self.label(o.status)),
            "service": lambda o: (o.intake.service_type.value, self.label(o.intake.service_type)),
            "sales": lambda o: (o.intake.sales_rep, self._person_name(o.intake.sales_rep)),
            "client": lambda o: (slug(o.intake.client.name), o.intake.client.name),
            "period": lambda o: (str(o.intake.received_on.year), str(o.intake.received_on.year)),
            "department": lambda o: (self._owner_department(o), self._department_name(self._owner_department(o))),
        }
        plan: list[tuple[str, Callable[[], str]]] = []
        listing: dict[str, list[tuple[str, str, int]]] = {}
        for group, key_of in groups.items():
            buckets: dict[str, tuple[str, list]] = {}
            for dossier, order in self.orders:
                key, name = key_of(order)
                buckets.setdefault(key, (name, []))[1].append((dossier, order))
            if group == "status":
                for status in OrderStatus:
                    buckets.setdefault(status.value, (self.label(status), []))
            listing[group] = []
            for key, (name, members) in sorted(buckets.items()):
                path = f"orders/{group}/{key}.md"
                plan.append((path, partial(self._order_list, Page(path, self.language), group, key, name, members)))
                listing[group].append((path, name, len(members)))
        plan.append(("orders/index.md", partial(self._order_groups, Page("orders/index.md", self.language), listing)))
        plan.append(("orders/open.md", partial(self.open_work, Page("orders/open.md", self.language))))
        return plan

    def _order_list(self, page: Page, group: str, key: str, name: str, members: list) -> str:
        members = sorted(members, key=lambda item: item[1].id, reverse=True)
        if group == "period":
            months = defaultdict(list)
            for item in members:
                months[item[1].intake.received_on.strftime("%Y-%m")].append(item)
            sections = [(month, self.orders_table(page, items)) for month, items in sorted(months.items(), reverse=True)]
        else:
            sections = [("", self.orders_table(page, members))]
        word = REGULATION_STATUS_WORDS.get(OrderStatus(key)) if group == "status" else None
        title = f"{page.t(GROUP_TITLES[group])}: {name}"
        return self.render("order-list.md.j2", page, title=title, sections=sections, count=len(members), regulation=word)

    def _order_groups(self, page: Page, listing: dict[str, list[tuple[str, str, int]]]) -> str:
        blocks = []
        for group, entries in listing.items():
            rows = [[escape.link(page.to(path), name), escape.text(count)] for path, name, count in entries]
            blocks.append((page.t(GROUP_TITLES[group]), escape.table([page.t("col.value"), page.t("col.count")], rows)))
        return self.render("orders.md.j2", page, blocks=blocks)

    def _person_name(self, person_id: str) -> str:
        person = self.catalog.people.get(person_id)
        if person is None:
            return person_id
        return person.name if self.language == "zh-Hant" else (person.name_en or person.name)

    def _owner_department(self, order) -> str:
        owners = Counter(t.owner for t in order.work_plan.tasks) if order.work_plan else Counter([order.intake.sales_rep])
        person = self.catalog.people.get(owners.most_common(1)[0][0])
        return person.department if person else "unknown"

    def _department_name(self, department_id: str) -> str:
        department = self.catalog.departments.get(department_id)
        if department is None:
            return department_id
        return department.name_zh if self.language == "zh-Hant" else department.name_en

    def open_work(self, page: Page) -> str:
        today = self.catalog.today
        in_progress = [(d, o) for d, o in self.orders if o.status is OrderStatus.IN_PROGRESS]
        overdue = []
        for _, order in in_progress:
            for milestone in order.work_plan.milestones if order.work_plan else []:
                if milestone.done_on is None and milestone.due < today:
                    overdue.append(
                        [page.order_link(order.id), escape.text(milestone.name), escape.text(milestone.due), escape.text((today - milestone.due).days)]
                    )
        awaiting_acceptance = [(d, o) for d, o in self.orders if o.status is OrderStatus.DELIVERED]
        unpaid = []
        for dossier, order in self.orders:
            settlement = dossier.settlement_model
            if settlement is not None and settlement.invoiced > settlement.paid:
                unpaid.append(
                    [
                        page.order_link(order.id),
                        escape.text(order.intake.client.name),
                        escape.money(settlement.invoiced - settlement.paid, settlement.currency.value),
                    ]
                )
        sections = [
            (page.t("open.in_progress"), self.orders_table(page, in_progress)),
            (page.t("open.overdue_milestones"), escape.table([page.t("col.order"), page.t("col.milestone"), page.t("col.due"), "days"], overdue)),
            (page.t("open.awaiting_acceptance"), self.orders_table(page, awaiting_acceptance)),
            (page.t("open.awaiting_payment"), escape.table([page.t("col.order"), page.t("col.client"), page.t("col.amount")], unpaid)),
        ]
        return self.render("order-list.md.j2", page, title=page.t("index.open_work"), sections=sections, count=len(in_progress), regulation=None)

    def dossier(self, page: Page, dossier: Dossier, order) -> str:
        loans = self.loans_of.get(order.id, [])
        timeline = []
        history = self.checked.history
        for entry in dossier.entries:
            for version in versions_of(history, self.approvals, entry.path):
                timeline.append((entry.path.rsplit("/", 1)[-1], version))
        timeline.sort(key=lambda item: (item[1]["date"], item[0]))
        uncommitted = {p: s for p, s in (history.uncommitted.items() if history else []) if p.startswith(f"records/orders/{order.id[4:8]}/{order.id}/")}
        problems = [p for e in dossier.entries for p in self.problems_by_path.get(e.path, [])]
        limit = ceiling(dossier)
        settlement = dossier.settlement_model
        approved_changes = (limit - (order.intake.budget if limit is not None else 0)) if limit is not None else None
        retention = retention_until(self.catalog, dossier.order) if dossier.order else None
        attachments_folder = page.to(f"attachments/{order.id}/x")[:-2]
        files = self.catalog.attachments.get(order.id, {})
        text, money = escape.text, escape.money

        def attachment_link(name: str) -> str:
            return escape.link(escape.file_href(attachments_folder, name), name) if files.get(name) else text(name)

        cur = order.intake.currency.value
        plan = order.work_plan
        delivery = dossier.delivery_model
        return self.render(
            "dossier.md.j2",
            page,
            d=dossier,
            o=order,
            e=escape,
            loans=loans,
            timeline=timeline,
            git=history is not None,
            uncommitted=uncommitted,
            problems=self.problems_table(page, problems, link_records=False) if problems else "",
            totals=[
                (page.t("totals.budget"), escape.money(order.intake.budget, order.intake.currency.value)),
                (page.t("totals.changes"), escape.money(approved_changes, order.intake.currency.value)),
                (page.t("totals.ceiling"), escape.money(limit, order.intake.currency.value)),
                (page.t("totals.settled"), escape.money(settlement.plan.total, settlement.currency.value) if settlement else ""),
                (page.t("totals.invoiced"), escape.money(settlement.invoiced, settlement.currency.value) if settlement else ""),
                (page.t("totals.paid"), escape.money(settlement.paid, settlement.currency.value) if settlement else ""),
            ],
            retention=retention,
            loan_ids=", ".join(loan.id for _, loan in loans),
            tasks=[[text(t.id), text(t.title), self.person(t.owner), text(t.due), text(self.label(t.status))] for t in (plan.tasks if plan else [])],
            milestones=[[text(m.name), text(m.due), text(m.done_on or "—")] for m in (plan.milestones if plan else [])],
            tracking=[
                [text(p.on), text(f"{p.progress}%"), text(self.label(p.quality)), text(" · ".join(x for x in (p.resources, p.note) if x))]
                for p in order.tracking
            ],
            risks=[[text(k.risk), text(self.label(k.likelihood)), text(self.label(k.impact)), text(k.mitigation), self.person(k.owner)] for k in order.risks],
            documents=[
                [text(doc.title), text(self.label(doc.type)), attachment_link(doc.file) if doc.file else "—"]
                for doc in (delivery.documents if delivery else [])
            ],
            invoices=[[text(i.number), text(i.issued_on), money(i.amount, cur), money(i.tax, cur)] for i in (settlement.invoices if settlement else [])],
            payments=[[text(p.received_on), money(p.amount, cur), text(p.invoice)] for p in (settlement.payments if settlement else [])],
            attachment_link=attachment_link,
        )

    def archive_pages(self) -> dict[str, str]:
        out: dict[str, str] = {}
        page = Page("archive/index.md", self.language)
        counts: Counter[tuple[int, str]] = Counter()
        for entry in self.catalog.entries:
            model = entry.model
            day = _record_date(entry.kind, model)
            if day is not None:
                counts[(day.year, entry.kind)] += 1
        years = sorted({y for y, _ in counts}, reverse=True)
        kinds = [k for k in KIND_ORDER if any(kk == k for _, kk in counts)]
        rows = [[escape.text(year)] + [escape.text(counts.get((year, k), 0)) for k in kinds] for year in years]
        out["archive/index.md"] = self.render("archive.md.j2", page, table=escape.table([page.t("col.date"), *kinds], rows))
        page = Page("archive/retention.md", self.language)
        due, upcoming = [], []
        horizon = date(self.catalog.today.year + 1, self.catalog.today.month, min(self.catalog.today.day, 28))
        for entry in self.catalog.entries:
            until = retention_until(self.catalog, entry)
            if until is None:
                continue
            row = [escape.text(getattr(entry.model, "id", entry.path)), escape.text(entry.kind), escape.text(until)]
            if until < self.catalog.today:
                due.append((until, row))
            elif until <= horizon:
                upcoming.append((until, row))
        headers = [page.t("col.record"), page.t("col.kind"), page.t("col.retention")]
        out["archive/retention.md"] = self.render(
            "retention.md.j2",
            page,
            due=escape.table(headers, [r for _, r in sorted(due, key=lambda x: x[0])]),
            upcoming=escape.table(headers, [r for _, r in sorted(upcoming, key=lambda x: x[0])]),
            due_count=len(due),
        )
        page = Page("archive/disposals.md", self.language)
        rows = []
        for _, disposal in sorted(self.catalog.disposal_models, key=lambda x: x[1].id, reverse=True):
            approvals = ", ".join(f"{self._person_name(a.by)} ({a.on})" for a in disposal.approvals)
            rows.append(
                [
                    escape.text(disposal.id),
                    escape.text(disposal.proposed_on),
                    escape.text(disposal.destroyed_on or "—"),
                    escape.text(len(disposal.items)),
                    escape.text(approvals),
                    escape.text(disposal.reason),
                ]
            )
        headers = [page.t(k) for k in ("col.record", "col.date", "field.retention_until", "col.items", "col.approved_by", "field.reason")]
        headers[2] = "destroyed" if self.language == "en" else "銷毀日期"
        out["archive/disposals.md"] = self.render("simple.md.j2", page, title=page.t("archive.disposals"), body=escape.table(headers, rows))
        page = Page("archive/borrowing.md", self.language)
        today = self.catalog.today
        out_now, overdue, all_rows = [], [], []
        for _, loan in sorted(self.catalog.loan_models, key=lambda x: x[1].id, reverse=True):
            records = " ".join(page.order_link(r) if r in self.catalog.dossiers else escape.text(r) for r in loan.records)
            row = [
                escape.text(loan.id),
                self.person(loan.borrower),
                escape.text(self._department_name(loan.department)),
                records,
                escape.text(loan.borrowed_on or "—"),
                escape.text(loan.due_on or "—"),
                escape.text(loan.returned_on or "—"),
                self.person(loan.approved_by),
                escape.text(loan.purpose),
            ]
            all_rows.append(row)
            if loan.borrowed_on and not loan.returned_on:
                (overdue if loan.due_on and loan.due_on < today else out_now).append(row)
        headers = [
            page.t(k)
            for k in (
                "col.record",
                "col.borrower",
                "col.department",
                "col.records",
                "col.date",
                "col.due_back",
                "col.returned",
                "col.approved_by",
                "col.purpose",
            )
        ]
        out["archive/borrowing.md"] = self.render(
            "borrowing.md.j2",
            page,
            overdue=escape.table(headers, overdue),
            current=escape.table(headers, out_now),
            register=escape.table(headers, all_rows),
            overdue_count=len(overdue),
        )
        return out

    def reports(self, page: Page) -> str:
        by_year: dict[int, list] = defaultdict(list)
        for dossier, order in self.orders:
            delivery = dossier.delivery_model
            if delivery is not None:
                by_year[delivery.delivered_on.year].append(delivery.delivered_on <= order.intake.delivery_due)
        delivery_rows = [[escape.text(y), escape.text(len(v)), escape.text(f"{sum(v) / len(v):.0%}")] for y, v in sorted(by_year.items())]
        inspections = [q for d in self.catalog.dossiers.values() for q in d.quality_models]
        failed = [q for q in inspections if q.result.value == "fail"]
        defects = Counter(defect.type.value for q in inspections for defect in q.defects)
        actions = Counter(q.rectification.action.value for q in inspections if q.rectification)
        complaints = sum(len(q.complaints) for q in inspections)
        scores = [q.satisfaction for q in inspections if q.satisfaction]
        quality_rows = [
            [
                escape.text(page.t("reports.defect_rate")),
                escape.text(f"{len(failed)} / {len(inspections)}" + (f" ({len(failed) / len(inspections):.1%})" if inspections else "")),
            ],
            [escape.text(page.t("reports.complaints")), escape.text(complaints)],
            [escape.text(page.t("reports.satisfaction")), escape.text(f"{sum(scores) / len(scores):.2f} / 5" if scores else "—")],
        ]
        defect_rows = [[escape.text(self.label(k)), escape.text(v)] for k, v in defects.most_common()]
        action_rows = [[escape.text(k), escape.text(v)] for k, v in actions.most_common()]
        money_by_year: dict[tuple[int, str], list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0), Decimal(0)])
        ageing: Counter[str] = Counter()
        for dossier, order in self.orders:
            key = (order.intake.received_on.year, order.intake.currency.value)
            money_by_year[key][0] += order.intake.budget
            settlement = dossier.settlement_model
            if settlement is not None:
                money_by_year[key][1] += settlement.plan.total
                money_by_year[key][2] += settlement.paid
                paid_invoices = {p.invoice for p in settlement.payments}
                for invoice in settlement.invoices:
                    if invoice.number not in paid_invoices:
                        days = (self.catalog.today - (invoice.due_on or invoice.issued_on)).days
                        bucket = "not due" if days < 0 else "0–30" if days <= 30 else "31–90" if days <= 90 else "> 90"
                        ageing[f"{bucket} {settlement.currency.value}"] += invoice.total
        finance_rows = [
            [escape.text(y), escape.text(c), escape.money(v[0]), escape.money(v[1]), escape.money(v[2])] for (y, c), v in sorted(money_by_year.items())
        ]
        ageing_rows = [[escape.text(k), escape.money(v)] for k, v in sorted(ageing.items())]
        return self.render(
            "reports.md.j2",
            page,
            delivery=escape.table([page.t("col.date"), page.t("col.count"), page.t("reports.on_time")], delivery_rows),
            quality=escape.table([page.t("col.value"), page.t("col.count")], quality_rows),
            defects=escape.table([page.t("col.defect"), page.t("col.count")], defect_rows),
            actions=escape.table([page.t("col.action"), page.t("col.count")], action_rows),
            finance=escape.table(
                [page.t("col.date"), page.t("field.currency"), page.t("totals.budget"), page.t("totals.settled"), page.t("totals.paid")], finance_rows
            ),
            ageing=escape.table([page.t("col.value"), page.t("col.amount")], ageing_rows),
        )

    def compliance(self, page: Page) -> str:
        by_rule: dict[str, list] = defaultdict(list)
        for problem in self.checked.problems:
            by_rule[problem.rule].append(problem)
        rows = []
        for coverage in compliance_map():
            problems = [p for rule in coverage.rules for p in by_rule.get(rule, []) if not p.clause or coverage.clause in p.clause]
            rows.append((coverage, problems))
        errors = sum(1 for p in self.checked.problems if p.severity is Severity.ERROR)
        return self.render(
            "compliance.md.j2",
            page,
            rows=rows,
            registry=REGISTRY,
            problems_table=lambda problems: self.problems_table(page, problems),
            errors=errors,
            warnings=len(self.checked.problems) - errors,
            title_of=lambda c: c.title_zh if self.language == "zh-Hant" else c.title_en,
        )


def _order_of(record_id: str) -> str:
    """The order a record id belongs to: CR-2026-0001-01 → ORD-2026-0001."""
    parts = record_id.split("-")
    return f"ORD-{parts[1]}-{parts[2]}" if parts[0] in ("ORD", "CR", "QC", "DLV", "STL") and len(parts) >= 3 else record_id


def _record_date(kind: str, model) -> date | None:
    if kind == "order":
        return model.intake.received_on
    if kind == "change_request":
        return model.requested_on
    if kind == "quality_record":
        return model.inspected_on
    if kind == "delivery":
        return model.delivered_on
    if kind == "settlement":
        return model.plan.drafted_on
    if kind == "loan":
        return model.requested_on
    if kind == "disposal":
        return model.proposed_on
    return None


def render_pages(checked: Checked, language: str = "zh-Hant") -> dict[str, str]:
    """Every page of the site, ``{path: Markdown}``. Pure: the same archive gives the same pages."""
    return Renderer(checked, language).pages()
