"""Page paths, links and the base every page family shares: helpers, tables and templates.

Record values reach pages only through ``escape`` (see there why).
"""

from __future__ import annotations

import hashlib
import posixpath
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache, partial
from operator import attrgetter
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2

from generator.core import cachefile
from generator.core.paths import TEMPLATES
from generator.pipeline import Checked
from generator.records.catalog import Dossier
from generator.rules import REGISTRY
from generator.site import compiled, escape
from generator.site.i18n import label, translate
from generator.trail.rules import People
from schemas import OrderStatus
from schemas.order import ServiceType

STATUS_RANK = {status: i for i, status in enumerate(OrderStatus)}
"""An order status's place in the lifecycle: lists sort and count statuses in this order, not by code."""
LIST_ROWS = 1000
"""The most orders one list page shows (about 0.6 MB of HTML): a longer list (by status, service, sales, client
or department) is split by the year the orders were received, its page a table of the years. A list of every
order grew with the archive (9,856 rows, 5.5 MB, at 10,000 orders; about 27 MB at 50,000), and every merge that
touched one of its orders made it again in both languages. A year's list grows only with a year's orders."""
KIND_ORDER = ("order", "change_request", "quality_record", "delivery", "settlement", "loan", "disposal", "organization", "policy")


@dataclass(frozen=True)
class Planned:
    """A page to render, with a digest of everything it reads: a build that has the page made from the same
    inputs need not render it again (``site.reuse``)."""

    render: Callable[[], str]
    inputs: Callable[[], str]

    def __call__(self) -> str:
        return self.render()

    @classmethod
    def of(cls, render: Callable[..., str], inputs: Callable[..., str], *args: Any) -> Planned:
        """``render(*args)`` with its digest ``inputs(*args)``: both given the same arguments, so the digest
        covers what the page is rendered from."""
        return cls(partial(render, *args), partial(inputs, *args))


def inputs_digest(parts: list) -> str:
    """The digest a ``Planned`` page compares: of the values alone, however they are held (``cachefile.value_bytes``)."""
    return hashlib.sha1(cachefile.value_bytes(parts)).hexdigest()


def differing(before: dict, now: dict) -> list:
    """The keys whose values differ between two maps, or that one of them lacks: none at the cost of one comparison
    where they are equal (most sources of a basis in most merges' builds)."""
    if before == now:
        return []
    missing = object()
    return [key for key, value in now.items() if before.get(key, missing) != value] + [key for key in before if key not in now]


def page_url(page: str) -> str:
    return page[:-3] + ".html" if page.endswith(".md") else page


def relative(from_page: str, to_page: str) -> str:
    """A link between two pages, relative, as the built site (use_directory_urls: false) needs it."""
    target, hash_sign, anchor = to_page.partition("#")
    target, anchor, start = page_url(target), hash_sign + anchor, posixpath.dirname(from_page)
    folder, _, name = target.rpartition("/")
    if not name or name in (".", ".."):  # a folder, or no page at all: as ``relpath`` says it
        return posixpath.relpath(target, start or ".") + anchor
    return _folder_to_folder(start, folder) + name + anchor


@cache
def _folder_to_folder(start: str, folder: str) -> str:
    """``relpath`` from one folder to another, with a slash after it (none for the same folder): a page links to
    thousands of pages in a few folders (a list to its dossiers, 10 µs a ``relpath``)."""
    way = posixpath.relpath(folder or ".", start or ".")
    return "" if way == "." else way + "/"


def slug(text: str) -> str:
    """A readable, file-name-safe name for free text: its words (letters and digits of any script, so a
    Chinese name stays Chinese), lower-case, joined by hyphens — ``Pacific Rim Trading Ltd.`` →
    ``pacific-rim-trading-ltd``. At most 60 characters (180 bytes in UTF-8, within any file system's limit)."""
    words = re.findall(r"[^\W_]+", unicodedata.normalize("NFKC", text).casefold())
    return "-".join(words)[:60].strip("-") or "x-" + hashlib.sha1(text.encode()).hexdigest()[:8]


def unique_slugs(names: Iterable[str]) -> dict[str, str]:
    """Each name's slug, unique: ``names`` come in the order they first appeared (by order id), and a name
    that reads like an earlier one gets ``-2``, ``-3`` — so a client's address never changes when a later
    client with a similar name arrives."""
    slugs: dict[str, str] = {}
    taken: set[str] = set()
    for name in names:
        if name in slugs:
            continue
        base = candidate = slug(name)
        n = 1
        while candidate in taken:
            n += 1
            candidate = f"{base}-{n}"
        slugs[name] = candidate
        taken.add(candidate)
    return slugs


GROUP_TITLES = {
    "status": "index.by_status",
    "service": "index.by_service",
    "sales": "index.by_sales",
    "client": "index.by_client",
    "period": "index.by_period",
    "department": "index.by_department",
}


def short_place(path: str, line: int) -> str:
    """Where a problem is, as people look for it: ``ORD-2026-0010 · delivery.yaml:18`` for a dossier's file,
    the path under records/ otherwise (the full path is the same on every page: the reader needs the order)."""
    order_id = order_in_path(path)
    if order_id:
        return f"{order_id} · {path.rsplit('/', 1)[-1]}:{line}"
    return f"{path.removeprefix('records/')}:{line}"


def order_in_path(path: str) -> str | None:
    """``ORD-2026-0001`` for a file of ``records/orders/2026/ORD-2026-0001/…``, else None."""
    return path.split("/")[3] if path.startswith("records/orders/") and path.count("/") >= 4 else None


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
        """A relative link; a readable address with non-ASCII letters (a client's page) is percent-encoded."""
        return quote(relative(self.path, page), safe="/#")

    def order_link(self, order_id: str) -> str:
        return escape.link(self.to(dossier_page(order_id)), order_id)


@cache
def templates(folder: Path) -> jinja2.Environment:
    """The page templates, compiled once per process: both editions share them, and a build compiles them all
    before it forks its page workers (``compile_all``), which would otherwise each compile them again. Jinja
    checks each file's time on use, so an edited template (``orders serve``) is compiled again."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        autoescape=False,  # Markdown, not HTML: every value goes through escape.* instead
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        bytecode_cache=compiled.SHARED,  # what a process forked to compile them sent (``compiled.ahead``)
    )
    env.filters.update(md=escape.inline, html=escape.text, money=escape.money, title=escape.title, plain=escape.plain)
    return env


COMPILING = "templates compiling"
"""``Checked.derived``'s key of the templates being compiled by a process beside (``compiled.ahead``), which the
plan takes (``compiled.take``) before it compiles what is still missing."""


def compile_all(env: jinja2.Environment) -> None:
    for name in env.list_templates(extensions=["j2"]):
        env.get_template(name)


@dataclass
class Indexed:
    """What every page family looks up in the checked archive and no language changes, worked out once for every
    edition of a check (``RendererBase.shared``): the second edition worked it out again, 0.07 s of a merge's build
    at 10,000 orders. Read, never changed, by the pages; ``rows`` and ``people_by_email`` fill as they are asked."""

    problems_by_path: dict[str, list]
    orders: list[tuple[Dossier, Any]]
    """Each dossier with a valid order.yaml, with its order, in the orders' order."""
    invalid_orders: list[str]
    """Orders whose order.yaml failed validation: they keep a page that says why, and count on the home page."""
    client_slugs: dict[str, str]
    """Each client's readable address (``orders/client/<slug>``), the earliest client keeping a shared one."""
    rows: dict[str, tuple]
    """Order id → (the order's model, its row): ``order_row``."""
    people_by_email: People
    """Commit addresses to the people of organization.yaml (memoised: every version of every dossier asks)."""
    loans_of: dict[str, list]
    """Order id → the loans of its records."""

    @classmethod
    def of(cls, checked: Checked) -> Indexed:
        catalog = checked.catalog
        problems_by_path: dict[str, list] = defaultdict(list)
        for problem in checked.problems:
            problems_by_path[problem.path].append(problem)
        orders = [(d, d.order_model) for d in catalog.dossiers.values() if d.order_model is not None]
        invalid = sorted(i for i in catalog.broken_dossiers if getattr(catalog.dossiers.get(i), "order_model", None) is None)
        slugs = unique_slugs(order.intake.client.name for _, order in sorted(orders, key=lambda item: item[1].id))
        loans_of: dict[str, list] = defaultdict(list)
        for entry, loan in catalog.loan_models:
            for order_id in {order_of(r) for r in loan.records}:
                loans_of[order_id].append((entry, loan))
        return cls(problems_by_path, orders, invalid, slugs, {}, People.of(catalog), loans_of)


class RendererBase:
    """What every page family shares: the checked archive, the language, the templates and the table helpers."""

    def __init__(self, checked: Checked, language: str = "zh-Hant", attachments_root: str = "", list_rows: int = LIST_ROWS):
        self.checked = checked
        self.list_rows = list_rows
        """The most orders a list page shows before it is split by year (``LIST_ROWS``; the plugin's ``list_rows``)."""
        self.catalog = checked.catalog
        self.language = language
        self.attachments_root = attachments_root
        """Where the attachments are from this edition's root: "" for the first edition, which publishes the one copy
        of them; "../" for a translation in a folder of its own, which links that copy."""
        self.env = templates(TEMPLATES)
        indexed = self.shared("indexed", partial(Indexed.of, checked))  # both editions of a check read the same
        self.problems_by_path = indexed.problems_by_path
        self.orders = indexed.orders
        self.invalid_orders = indexed.invalid_orders
        self.client_slugs = indexed.client_slugs
        self._rows = indexed.rows
        self.people_by_email = indexed.people_by_email
        self.timelines = checked.timelines
        """Every record's versions as its dossier shows them: the history itself is not held here (``Timelines``)."""
        self.loans_of = indexed.loans_of

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

    def orders_table(self, page: Page, orders: Iterable[tuple[Dossier, Any]], tools: bool = False) -> str:
        """Orders, one a row. With ``tools`` the table can be sorted by any column and filtered (by status,
        service, client, year and month) in the browser: a filter bar above it, each row's values in
        ``data-*`` attributes, and the status's place in the lifecycle to sort by (order-archive.js)."""
        rows, data = [], []
        orders = list(orders)
        for _dossier, order in orders:
            order_id, client, slug, project, service, status, received, year, month, due, budget, currency = self.order_row(order)
            rank = f' data-rank="{STATUS_RANK[OrderStatus(status)]}"' if tools else ""
            rows.append(
                [
                    page.order_link(order_id),
                    escape.text(client),
                    escape.text(project),
                    escape.text(self.label(ServiceType(service))),
                    f'<span class="oa-status oa-{status}"{rank}>{escape.text(self.label(OrderStatus(status)))}</span>',
                    escape.text(received),
                    escape.text(due),
                    escape.money(budget, currency),
                ]
            )
            data.append({"status": status, "service": service, "client": slug, "year": year, "month": month})
        headers = [page.t(k) for k in ("col.order", "col.client", "col.project", "col.service", "col.status", "col.received", "col.due", "col.budget")]
        if not tools:
            return escape.table(headers, rows, "oa-orders")
        return self._filter_bar(page, data) + escape.table(headers, rows, "oa-orders oa-sortable", data, "oa-list")

    def order_row(self, order) -> tuple:
        """Everything a row of ``orders_table`` shows of an order (its filter values too), as plain values: a list
        page's inputs digest is made of these, so a row can only show what the digest covers. Worked out once an
        order in each process: an order is on six lists, and the lists' digests made every row six times over
        (4.0 s of the page workers in a merge build at 10,000 orders)."""
        held = self._rows.get(order.id)
        if held is None or held[0] is not order:  # another model of the order (``orders serve`` read it again)
            held = self._rows[order.id] = (order, self._order_row(order))
        return held[1]

    def plain_inputs(self, page: Page, facts: Any) -> str:
        """The digest of a page rendered from plain ``facts`` (str, int, and lists and tuples of them) and its
        language alone: the facts themselves."""
        return inputs_digest([page.path, self.language, facts])

    def shared(self, name: str, work_out: Callable[[], Any]) -> Any:
        """``work_out()``, once per check (``Checked.derived``) for every edition of a build: what holds no word of
        the language (the second edition's plan took 3.5 s at 10,000 orders working the reports' facts out again)."""
        derived = self.checked.derived
        if name not in derived:
            derived[name] = work_out()
        return derived[name]

    def rows_digest(self, members: list) -> bytes:
        """What ``orders_table`` shows of ``members`` (dossier, order), for a list's inputs digest: each row's own
        digest (``row_digest``), of fixed length, one after the other."""
        return b"".join(map(self.row_digest, (order for _, order in members)))

    def row_digest(self, order) -> bytes:
        """What ``orders_table`` shows of ``order`` (``order_row``), as a digest worked out once for a check, as no
        row holds a word of the language (``take_rows`` may have it from the last build): each edition's lists
        digested 60,000 rows of twelve values at 10,000 orders (0.25 s an edition), now 60,000 digests."""
        digests = self.shared("row digests", dict)
        held = digests.get(id(order))
        if held is None or held[0] is not order:  # another model of the order (``orders serve`` read it again)
            held = digests[id(order)] = (order, hashlib.sha1(cachefile.value_bytes(self.order_row(order))).digest())
        return held[1]

    def order_month(self, order) -> tuple[int, int]:
        """The year and month ``order`` was received in, worked out once a check (``take_rows`` may have it from
        the last build): the lists of years and the orders index count every order by it."""
        months = self.shared("order months", dict)
        held = months.get(order.id)
        if held is None or held[0] is not order:  # another model of the order (``orders serve`` read it again)
            received = order.intake.received_on
            held = months[order.id] = (order, (received.year, received.month))
        return held[1]

    def take_rows(self, kept: object) -> None:
        """Each order's row digest (``rows_digest``) and month (``order_month``) as the last build kept them
        (``kept_rows``), where its order.yaml is the one it read, as the clients' addresses are: then the lists
        asked about read no order's model (at 10,000 orders the lists of a merge's order hold most orders)."""
        if not isinstance(kept, dict):
            return
        digests, months = self.shared("row digests", dict), self.shared("order months", dict)
        for dossier, order in self.orders:
            held = kept.get(order.id)
            if held is not None and held[0] == dossier.order.digest and id(order) not in digests:
                digests[id(order)] = (order, held[1])
                months[order.id] = (order, tuple(held[2]))

    def kept_rows(self) -> dict[str, tuple]:
        """Order id → (its order.yaml's digest, its row digest, its month), for the next build's ``take_rows``:
        worked out here where this check has them not yet (after a merge, the merged order's), so that the lists
        asked about later read no model — nor, asked after the page workers are forked, copy its memory."""
        row, month = self.row_digest, self.order_month
        return {order.id: (dossier.order.digest, row(order), month(order)) for dossier, order in self.orders}

    def _order_row(self, order) -> tuple:
        intake = order.intake
        client, received = intake.client.name, intake.received_on
        return (
            order.id,
            client,
            self.client_slugs[client],
            intake.project_name,
            intake.service_type.value,
            order.status.value,
            received.isoformat(),
            str(received.year),
            f"{received:%Y-%m}",
            intake.delivery_due.isoformat(),
            str(intake.budget),
            intake.currency.value,
        )

    def _filter_bar(self, page: Page, data: list[dict[str, str]]) -> str:
        """One choice list per filter that would narrow the list (two values or more), its values in the
        lifecycle's or the enum's order and in the reader's words, each with its count. Hidden until the
        script runs: without it the page is the whole list."""
        clients = {slug: name for name, slug in self.client_slugs.items()}
        names = {
            "status": [(s.value, self.label(s)) for s in OrderStatus],
            "service": [(s.value, self.label(s)) for s in ServiceType],
            "client": sorted({(d["client"], clients[d["client"]]) for d in data}, key=lambda x: x[1]),
            "year": sorted({(d["year"], d["year"]) for d in data}, reverse=True),
            "month": sorted({(d["month"], d["month"]) for d in data}, reverse=True),
        }
        selects = []
        for key, choices in names.items():
            counts = Counter(d[key] for d in data)
            present = [(value, name) for value, name in choices if counts[value]]
            if len(present) < 2:
                continue
            options = f'<option value="">{escape.text(page.t("filter.all"))}</option>'
            options += "".join(f'<option value="{escape.text(v)}">{escape.text(name)} ({counts[v]})</option>' for v, name in present)
            selects.append(f'<label>{escape.text(page.t(f"filter.{key}"))} <select data-key="{key}">{options}</select></label>')
        if not selects:
            return ""
        shown = escape.text(page.t("filter.shown"))
        # A block of its own (a blank line before the table), so the converter keeps both out of Markdown (slots).
        return f'<div class="oa-filters" data-table="oa-list" data-shown="{shown}" hidden>{"".join(selects)}<output></output></div>\n\n'

    def listing(self, page: Page, headers: list[str], rows: list[list[str]], caption: str = "") -> str:
        """A table of a dossier's entries, or the same words as every other empty section when there are none."""
        if not rows:
            empty = f"{caption}：" if caption and self.language == "zh-Hant" else f"{caption}: " if caption else ""
            return f'<p class="oa-empty">{escape.text(empty + page.t("dossier.not_yet"))}</p>'
        return escape.table(headers, rows, caption=caption)

    def loan_state(self, loan) -> str:
        """Where a loan stands today: awaiting approval, approved (not yet lent), out, overdue or returned."""
        if loan.returned_on:
            return "returned"
        if not loan.approved_by:
            return "awaiting"
        if not loan.borrowed_on:
            return "approved"
        return "overdue" if loan.due_on and loan.due_on < self.catalog.today else "out"

    def problems_table(self, page: Page, problems: list, link_records: bool = True) -> str:
        rows = []
        for p in problems:
            order_id = self.dossier_of(p.path)
            shown = short_place(p.path, p.line)
            where = escape.link(page.to(dossier_page(order_id)), shown) if link_records and order_id else escape.text(shown)
            rows.append([escape.text(page.t(f"severity.{p.severity}")), escape.text(p.rule), escape.text(p.clause or ""), where, self.problem_words(p)])
        return escape.table([page.t(k) for k in ("col.severity", "col.rule", "col.clause", "col.where", "col.message")], rows, "oa-problems")

    def problems_digest(self, problems: list) -> list:
        """What ``problems_table`` and the home page's attention lists show of ``problems``, for a page's inputs
        digest: each as the problem cache keeps it, with the dossier its place links to."""
        return [(*row, self.dossier_of(p.path)) for p, row in zip(problems, cachefile.problem_rows(problems), strict=True)]

    def problem_words(self, problem) -> str:
        """A problem as its reader reads it: in Chinese on the Chinese site (every archive-wide rule says its
        findings in both languages); where a check wrote English only (a file's format, the history), the
        rule's own Chinese words lead and the English details follow beneath."""
        rule = REGISTRY.get(problem.rule)
        if self.language != "zh-Hant" or (rule is None and problem.message_zh is None):
            return escape.text(problem.message)
        if problem.message_zh:
            return escape.text(problem.message_zh)
        return f'{escape.text(rule.zh)}<br><small class="oa-detail" lang="en">{escape.text(problem.message)}</small>'

    def dossier_of(self, path: str) -> str | None:
        """The order whose dossier page shows the file at ``path``, or None (not in a dossier, or no page)."""
        order_id = order_in_path(path)
        return order_id if order_id in self.catalog.dossiers or order_id in self.invalid_orders else None

    def render(self, template: str, page: Page, **context: Any) -> str:
        return self.env.get_template(template).render(page=page, r=self, **context)

    def _person_name(self, person_id: str) -> str:
        person = self.catalog.people.get(person_id)
        if person is None:
            return person_id
        return person.name if self.language == "zh-Hant" else (person.name_en or person.name)

    def _department_name(self, department_id: str) -> str:
        department = self.catalog.departments.get(department_id)
        if department is None:
            return department_id
        return department.name_zh if self.language == "zh-Hant" else department.name_en


def order_of(record_id: str) -> str:
    """The order a record id belongs to: CR-2026-0001-01 → ORD-2026-0001."""
    parts = record_id.split("-")
    return f"ORD-{parts[1]}-{parts[2]}" if parts[0] in ("ORD", "CR", "QC", "DLV", "STL") and len(parts) >= 3 else record_id


_DATED = {
    "order": attrgetter("intake.received_on"),
    "change_request": attrgetter("requested_on"),
    "quality_record": attrgetter("inspected_on"),
    "delivery": attrgetter("delivered_on"),
    "settlement": attrgetter("plan.drafted_on"),
    "loan": attrgetter("requested_on"),
    "disposal": attrgetter("proposed_on"),
}
"""The day each kind of record is dated by; the other kinds have none."""


def record_date(kind: str, model) -> date | None:
    dated = _DATED.get(kind)
    return dated(model) if dated is not None else None
