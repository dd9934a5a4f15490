"""The home page and the order indexes: by status, service, sales, client, period and department, and open work."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import partial
from typing import Any

from generator.core.problems import Severity
from generator.site import escape
from generator.site.render.attention import Waiting
from generator.site.render.pages import GROUP_TITLES, STATUS_RANK, Page, Planned, RendererBase, differing, inputs_digest
from schemas import OrderStatus
from schemas.lifecycle import REGULATION_STATUS_WORDS
from schemas.order import ServiceType


class OrderIndexes(RendererBase):
    def home(self, page: Page, home: Home) -> str:
        rows = [[escape.link(page.to(f"orders/status/{s.value}.md"), self.label(s)), escape.text(n)] for s, n in home.counts]
        names = home.company
        return self.render(
            "home.md.j2",
            page,
            counts=escape.table([page.t("col.status"), page.t("col.count")], rows),
            recent=self.orders_table(page, home.recent),
            errors=home.errors,
            warnings=home.warnings,
            records=home.records,
            orders=home.orders,
            invalid=", ".join(page.order_link(i) for i in home.invalid),
            attention=self.attention(page, home.waiting),  # type: ignore[attr-defined]  # AttentionList, beside this class in Renderer
            today=home.today,
            company=(names[0] if self.language == "zh-Hant" else names[1]) if names else "",
        )

    def _home_inputs(self, page: Page, home: Home) -> str:
        """A digest of everything ``home`` reads (``Planned``): what ``Home`` gathered, rows as their digests."""
        counts = [(status.value, n) for status, n in home.counts]
        shown = [counts, self.rows_digest(home.recent), home.errors, home.warnings, home.records, home.orders, home.invalid, str(home.today), home.company]
        return inputs_digest([page.path, self.language, shown, self.attention_digest(home.waiting)])  # type: ignore[attr-defined]

    @property
    def home_facts(self) -> Home:
        """The home page's figures, gathered once for every edition of a check."""
        return self.shared("home", self._gather_home)

    def _gather_home(self) -> Home:
        counts = Counter(order.status for _, order in self.orders)
        organization = self.catalog.organization
        errors = sum(1 for p in self.checked.problems if p.severity is Severity.ERROR)
        return Home(
            counts=[(s, counts.get(s, 0)) for s in OrderStatus],
            recent=sorted(self.orders, key=lambda item: item[1].intake.received_on, reverse=True)[:10],
            errors=errors,
            warnings=len(self.checked.problems) - errors,
            records=len(self.catalog.entries),
            orders=len(self.orders) + len(self.invalid_orders),
            invalid=list(self.invalid_orders),
            waiting=self.waiting,  # type: ignore[attr-defined]  # AttentionList, beside this class in Renderer
            today=self.catalog.today,
            company=(organization.name_zh, organization.name_en) if organization else None,
        )

    def order_index_plan(self) -> list[tuple[str, Callable[[], str]]]:
        names: dict[str, Callable[[str, Any], str]] = {  # a list's name, from its key and any of its orders
            "status": lambda key, _: self.label(OrderStatus(key)),  # a status's list may have none
            "service": lambda _, o: self.label(o.intake.service_type),
            "sales": lambda _, o: self._person_name(o.intake.sales_rep),
            "client": lambda _, o: o.intake.client.name,
            "period": lambda _, o: str(o.intake.received_on.year),
            "department": lambda _, o: self._department_name(self._owner_department(o)),
        }
        plan: list[tuple[str, Callable[[], str]]] = []
        listing: dict[str, list[tuple[str, str, int]]] = {}
        for group, grouped in self.shared("order groups", self._order_groups_by_key).items():
            buckets = {key: (names[group](key, members[0][1] if members else None), members) for key, members in grouped.items()}
            listing[group] = []
            for key, (name, members) in sorted(buckets.items(), key=partial(_group_order, group)):
                path = f"orders/{group}/{key}.md"
                plan += self._list_plan(path, group, key, name, members)
                listing[group].append((path, name, len(members)))
        index = Page("orders/index.md", self.language)
        plan.append((index.path, Planned.of(self._order_groups, self._order_groups_inputs, index, listing)))
        plan.append(("orders/open.md", Planned.of(self.open_work, self._open_work_inputs, Page("orders/open.md", self.language), self.open_work_facts)))
        return plan

    def list_basis(self) -> dict:
        """What the order lists read but their orders' own order.yaml: each list's orders by id, in the lists'
        order (a status's list with none too), and the clients' addresses. Kept with the pages beside the dossiers'
        basis, it lets the next build take the inputs digest of each list whose orders are the same and unchanged
        (``changed_lists``) from the page it kept: working the rows' digests out was 0.3 s of a merge's first
        edition at 10,000 orders."""
        grouped = self.shared("order groups", self._order_groups_by_key)
        members = {(group, key): tuple(order.id for _, order in held) for group, lists in grouped.items() for key, held in lists.items()}
        return {"members": members, "slugs": self.client_slugs}

    def _months(self, members: list) -> dict[str, int]:
        """How many of ``members`` (dossier, order) were received in each month, by ``YYYY-MM``. Counted by numbers
        and named once a month: formatting each order's date was 0.6 s of a merge at 10,000 orders (the years pages'
        digests count every order of every long list)."""
        held, month_of = self.shared("order months", dict), self.order_month  # ``order_month``'s, looked up here: 45,000 calls a merge
        counts = Counter([known[1] if (known := held.get(order.id)) is not None and known[0] is order else month_of(order) for _, order in members])
        return {f"{year:04d}-{month:02d}": n for (year, month), n in counts.items()}

    def _order_groups_by_key(self) -> dict[str, dict[str, list]]:
        """Each way of listing the orders, its lists' keys (page names) and each list's orders (dossier, order), in
        the orders' order, a status's list with none in it too (every status has its page): no word of the language,
        so worked out once for every edition (an order's department counts its work plan's owners: 0.3 s an edition
        at 10,000 orders, when every order was named in each). One pass over the orders for all six: a pass for each
        was 0.15 s of a merge's thread at 10,000 orders."""
        groups: dict[str, dict[str, list]] = {group: {} for group in ("status", "service", "sales", "client", "period", "department")}
        status, service, sales, client, period, department = groups.values()
        slugs, owner_department = self.client_slugs, self._owner_department
        for item in self.orders:
            order = item[1]
            intake = order.intake
            status.setdefault(order.status.value, []).append(item)
            service.setdefault(intake.service_type.value, []).append(item)
            sales.setdefault(intake.sales_rep, []).append(item)
            client.setdefault(slugs[intake.client.name], []).append(item)
            period.setdefault(str(intake.received_on.year), []).append(item)
            department.setdefault(owner_department(order), []).append(item)
        for each in OrderStatus:
            status.setdefault(each.value, [])
        return groups

    def _list_plan(self, path: str, group: str, key: str, name: str, members: list) -> list[tuple[str, Planned]]:
        """One list's pages: the list, or, when it is longer than ``list_rows``, a page of its years and a list for
        each year at ``<list>/<year>.md`` (``LIST_ROWS`` says why). A year of the period group is one list already."""
        page = Page(path, self.language)
        if group == "period" or len(members) <= self.list_rows:
            return [(path, Planned.of(self._order_list, self._order_list_inputs, page, group, key, name, members))]
        split = self.shared("lists by year", dict)  # both editions split the same lists alike
        held = split.get(path)
        if held is None or held[0] is not members:
            by_year: dict[int, list] = {}
            for item in members:
                by_year.setdefault(item[1].intake.received_on.year, []).append(item)
            held = split[path] = (members, [(f"{path[:-3]}/{year}.md", year, by_year[year]) for year in sorted(by_year, reverse=True)])
        years = held[1]
        whole = (path, len(members))
        plan = [(path, Planned.of(self._order_years, self._order_years_inputs, page, group, key, name, years))]
        for year_path, year, held in years:
            year_page = Page(year_path, self.language)
            plan.append((year_path, Planned.of(self._order_list, self._order_list_inputs, year_page, group, key, name, held, year, whole)))
        return plan

    def _list_title(self, page: Page, group: str, name: str, year: int | None = None) -> str:
        title = f"{page.t(GROUP_TITLES[group])}: {name}"
        return f"{title} · {year}" if year is not None else title

    def _order_list(self, page: Page, group: str, key: str, name: str, members: list, year: int | None = None, whole: tuple[str, int] | None = None) -> str:
        """A list of orders, newest first, with its filters; ``year`` and ``whole`` (the list's page and length)
        when it is one year of a longer list."""
        members = sorted(members, key=lambda item: item[1].id, reverse=True)
        sections = [("", self.orders_table(page, members, tools=True))]
        word = _regulation_word(group, key)
        up = escape.link(page.to(whole[0]), page.t("index.all_years", n=whole[1])) if whole else None
        title = self._list_title(page, group, name, year)
        return self.render("order-list.md.j2", page, title=title, sections=sections, count=len(members), regulation=word, up=up)

    def _order_list_inputs(self, page: Page, group: str, key: str, name: str, members: list, year: int | None = None, whole: tuple | None = None) -> str:
        """A digest of everything ``_order_list`` reads (``Planned``): a merged order changes the lists it is on,
        and the others are not rendered again (the lists of every order were most of a merge's rendering). A list's
        rows are the same in every edition of a check: their digest is worked out once (the second edition went over
        the 60,000 rows' digests again at 10,000 orders, 0.3 s of a merge)."""
        rows = self.shared("list rows", dict)
        first = members[0][1] if members else None
        held = rows.get(page.path)
        if held is None or held[0] is not first:  # a list of other models than this one's: worked out for it
            held = rows[page.path] = (first, hashlib.sha1(self.rows_digest(members)).digest())
        return inputs_digest([page.path, self.language, group, key, name, year, whole, held[1]])

    def _order_years(self, page: Page, group: str, key: str, name: str, years: list[tuple[str, int, list]]) -> str:
        """A list too long for one page: each year's list with its count and its months, each month a link to
        the year's list filtered to it."""
        rows = [[escape.link(page.to(path), year), escape.text(len(held)), self._month_links(page, path, held)] for path, year, held in years]
        table = escape.table([page.t("filter.year"), page.t("col.count"), page.t("filter.month")], rows)
        word = _regulation_word(group, key)
        count = sum(len(held) for _, _, held in years)
        sections = [(page.t("index.by_year"), table)]
        return self.render("order-list.md.j2", page, title=self._list_title(page, group, name), sections=sections, count=count, regulation=word, up=None)

    def _order_years_inputs(self, page: Page, group: str, key: str, name: str, years: list[tuple[str, int, list]]) -> str:
        """A digest of everything ``_order_years`` reads: each year's page with the months of its orders."""
        months = self.shared("years months", dict)  # both editions list the same orders by the same years
        counts = [(path, year, months.get(path) or months.setdefault(path, sorted(self._months(held).items()))) for path, year, held in years]
        return inputs_digest([page.path, self.language, group, key, name, counts])

    def _order_groups_inputs(self, page: Page, listing: dict[str, list[tuple[str, str, int]]]) -> str:
        """A digest of everything ``_order_groups`` reads: the lists with their counts, each year's months, the latest year's orders."""
        latest, members = self._latest_orders()
        months = self.shared("all months", lambda: sorted(self._months(self.orders).items()))
        return inputs_digest([page.path, self.language, listing, months, latest, self.rows_digest(members)])

    def _latest_orders(self) -> tuple[int | None, list]:
        """The latest year's orders, newest first: the orders index lists them (worked out once for every edition)."""
        return self.shared("latest orders", self._work_out_latest_orders)

    def _work_out_latest_orders(self) -> tuple[int | None, list]:
        month = self.order_month
        latest = max((month(o)[0] for _, o in self.orders), default=None)
        return latest, sorted(((d, o) for d, o in self.orders if month(o)[0] == latest), key=lambda item: item[1].id, reverse=True)

    def _order_groups(self, page: Page, listing: dict[str, list[tuple[str, str, int]]]) -> str:
        """Every way to look for an order, then the latest year's orders (each year has a page of its own,
        so the index stays light at any size). The period block lists each year's months, each a link to its
        year's list filtered to that month."""
        blocks = []
        for group, entries in listing.items():
            if group == "period":
                by_year: dict[str, list] = {}
                for item in self.orders:
                    by_year.setdefault(str(item[1].intake.received_on.year), []).append(item)
                rows = [[escape.link(page.to(path), name), escape.text(count), self._month_links(page, path, by_year[name])] for path, name, count in entries]
                headers = [page.t("filter.year"), page.t("col.count"), page.t("filter.month")]
            else:
                rows = [[escape.link(page.to(path), name), escape.text(count)] for path, name, count in entries]
                named = group in ("status", "service", "client")
                headers = [page.t(f"filter.{group}") if named else page.t("col.value"), page.t("col.count")]
            blocks.append((page.t(GROUP_TITLES[group]), escape.table(headers, rows)))
        latest, members = self._latest_orders()
        recent = (page.t("index.year_orders", year=latest), self.orders_table(page, members, tools=True)) if latest else None
        return self.render("orders.md.j2", page, blocks=blocks, recent=recent)

    def _month_links(self, page: Page, path: str, members: list) -> str:
        """Each month of ``members`` with its count, a link to the list at ``path`` filtered to that month."""
        return " · ".join(f"{escape.link(page.to(f'{path}#month-{m}'), m[5:])} ({n})" for m, n in sorted(self._months(members).items()))

    def _owner_department(self, order) -> str:
        """The department of whoever owns most of the order's tasks (the first of them in a tie), else of its sales rep."""
        owner = order.intake.sales_rep
        if order.work_plan:
            counts: dict[str, int] = {}
            for task in order.work_plan.tasks:
                counts[task.owner] = counts.get(task.owner, 0) + 1
            owner = max(counts, key=counts.__getitem__)  # the first counted of the most, as ``Counter.most_common``
        person = self.catalog.people.get(owner)
        return person.department if person else "unknown"

    def open_work(self, page: Page, work: OpenWork) -> str:
        overdue = [[page.order_link(i), escape.text(name), escape.text(due), escape.text(days)] for i, name, due, days in work.overdue]
        unpaid = [[page.order_link(i), escape.text(client), escape.money(amount, currency)] for i, client, amount, currency in work.unpaid]
        sections = [
            (page.t("open.attention"), len(work.attention), self.problems_table(page, work.attention)),
            (page.t("open.in_progress"), len(work.in_progress), self.orders_table(page, work.in_progress)),
            (
                page.t("open.overdue_milestones"),
                len(overdue),
                escape.table([page.t(k) for k in ("col.order", "col.milestone", "col.due", "col.days")], overdue),
            ),
            (page.t("open.awaiting_acceptance"), len(work.awaiting), self.orders_table(page, work.awaiting)),
            (page.t("open.awaiting_payment"), len(unpaid), escape.table([page.t("col.order"), page.t("col.client"), page.t("col.amount")], unpaid)),
        ]
        # Each section counts its own list (in its heading), as the home page's attention list does: one count
        # for the page would say how many of one kind while the page lists five.
        sections = [(f"{title} ({n})", table if n else f'<p class="oa-empty">{escape.text(page.t("attention.nothing"))}</p>') for title, n, table in sections]
        return self.render("order-list.md.j2", page, title=page.t("index.open_work"), sections=sections, count=None, regulation=None, up=None)

    def _open_work_inputs(self, page: Page, work: OpenWork) -> str:
        """A digest of everything ``open_work`` reads (``Planned``): what ``OpenWork`` gathered, rows as their digests."""
        unpaid = [(i, client, str(amount), currency) for i, client, amount, currency in work.unpaid]
        shown = [self.rows_digest(work.in_progress), work.overdue, self.rows_digest(work.awaiting), unpaid, self.problems_digest(work.attention)]
        return inputs_digest([page.path, self.language, shown])

    @property
    def open_work_facts(self) -> OpenWork:
        """The open work, gathered once for every edition of a check (no word of it depends on the language)."""
        return self.shared("open work", lambda: OpenWork.of(self.orders, self.checked.problems, self.catalog.today))


@dataclass(frozen=True)
class Home:
    """What the home page shows, gathered where the plan is made (``OpenWork`` says why)."""

    counts: list[tuple[OrderStatus, int]]
    recent: list
    errors: int
    warnings: int
    records: int
    orders: int
    invalid: list[str]
    waiting: Waiting
    today: date
    company: tuple[str, str] | None


@dataclass(frozen=True)
class OpenWork:
    """What the open-work page lists, gathered where the plan is made: a worker that renders the page reads only
    these orders (walking every order, it wrote into each one's memory: 80–100 MB of the archive copied into the
    worker at 10,000 orders), and a build whose open work is the last build's does not render it at all."""

    in_progress: list
    overdue: list[tuple[str, str, str, int]]  # order, milestone, due (ISO), days late
    awaiting: list  # delivered, awaiting acceptance
    unpaid: list[tuple[str, str, Decimal, str]]  # order, client, amount unpaid, currency
    attention: list

    @classmethod
    def of(cls, orders: list, problems: list, today: date) -> OpenWork:
        in_progress = [(d, o) for d, o in orders if o.status is OrderStatus.IN_PROGRESS]
        overdue = [
            (order.id, milestone.name, milestone.due.isoformat(), (today - milestone.due).days)
            for _, order in in_progress
            for milestone in (order.work_plan.milestones if order.work_plan else [])
            if milestone.done_on is None and milestone.due < today
        ]
        unpaid = []
        for dossier, order in orders:
            settlement = dossier.settlement_model
            if settlement is not None and (owed := settlement.invoiced - settlement.paid) > 0:  # each a sum: worked out once
                unpaid.append((order.id, order.intake.client.name, owed, settlement.currency.value))
        awaiting = [(d, o) for d, o in orders if o.status is OrderStatus.DELIVERED]
        attention = sorted((p for p in problems if p.attention), key=lambda p: p.sort_key)
        return cls(in_progress, overdue, awaiting, unpaid, attention)


def _group_order(group: str, item: tuple[str, tuple[str, list]]) -> tuple:
    """Statuses in lifecycle order, services in the regulation's order, years newest first, the rest by name."""
    key, (name, _) = item
    if group == "status":
        return (STATUS_RANK[OrderStatus(key)],)
    if group == "service":
        return (list(ServiceType).index(ServiceType(key)),)
    if group == "period":
        return (-int(key),)
    return (name, key)


def _regulation_word(group: str, key: str) -> tuple[str, str] | None:
    """The regulation's own word for a status list's status (and its clause); None for any other list."""
    return REGULATION_STATUS_WORDS.get(OrderStatus(key)) if group == "status" else None


def changed_lists(before: object, now: dict, changed: set[str]) -> set[tuple[str, str]] | None:
    """The lists (group, key) whose pages may differ from one basis (``list_basis``) to the next, given the orders
    whose records may have (``changed_orders``): a list with other orders, or with one of those. None where any
    may: no earlier basis, one of another kind, or the clients' addresses changed. A list's rows read its orders'
    order.yaml alone and the addresses; its name, the organisation too, which ``changed_orders`` watches."""
    if not isinstance(before, dict) or before.keys() != now.keys() or before["slugs"] != now["slugs"]:
        return None
    members_now = now["members"]
    return {*differing(before["members"], members_now), *(name for name, ids in members_now.items() if not changed.isdisjoint(ids))}


def list_of(path: str) -> tuple[str, str] | None:
    """The list (group, key) a page of ``order_index_plan`` belongs to: the list, its years or one year of it;
    None for the pages of every order (the lists' index, the open work)."""
    parts = path.split("/")
    if parts[0] != "orders" or len(parts) not in (3, 4):
        return None
    return (parts[1], parts[2].removesuffix(".md")) if len(parts) == 3 else (parts[1], parts[2])
