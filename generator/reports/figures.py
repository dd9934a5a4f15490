"""Every figure of the reports, computed from the checked catalog, each with its definition beside it.

One function per report (§3.5 delivery, §2.3 forwarding, §7 changes, §4.5 quality, §6 finance and
receivables, §8 archive); each returns a ``Table`` whose ``note`` says exactly what was counted, in both
languages — the site shows it under the table and ``orders report`` prints it. Pure: the same catalog
and period give the same tables. Money is summed per currency and never across currencies; an amount
is before tax unless its column says otherwise.
"""

from __future__ import annotations

import statistics
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from operator import itemgetter

from generator.records.catalog import Catalog, Dossier
from generator.reports.period import Period
from generator.rules.changes import GOING_AHEAD
from generator.rules.execution import delivery_due
from generator.rules.quality import ACCEPTED
from schemas import ChangeStatus, Order, OrderStatus, SettlementStatus
from schemas.change import ChangeReason
from schemas.quality import Result

Words = tuple[str, str]
"""(繁體中文, English)."""
Value = str | int | float | Decimal | StrEnum | date | None


class Rate(float):
    """A share, shown as a percentage."""


@dataclass
class Table:
    key: str
    title: Words
    note: Words
    """The definition of every figure in the table: what was counted, over which records and days."""
    columns: list[Words]
    rows: list[list[Value]] = field(default_factory=list)


@dataclass
class Report:
    period: Period
    today: date
    tables: list[Table]

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)


def counted(catalog: Catalog) -> Iterator[tuple[Dossier, Order]]:
    """The dossiers every report counts, with their orders: a valid order's, in a dossier whose records hold together."""
    for dossier in catalog.dossiers.values():
        order = dossier.order_model
        if order is not None and dossier.order_id not in catalog.broken_dossiers:
            yield dossier, order


def _delivered_on(dossier) -> date | None:
    return dossier.delivery_model.delivered_on if dossier.delivery_model else None


def _accepted_on(dossier) -> date | None:
    acceptance = dossier.delivery_model.acceptance if dossier.delivery_model else None
    return acceptance.accepted_on if acceptance is not None and acceptance.result in ACCEPTED else None


def _settled_on(dossier) -> date | None:
    settlement = dossier.settlement_model
    return settlement.settled_on if settlement is not None and settlement.status is SettlementStatus.SETTLED else None


def _cancelled_on(order) -> date | None:
    if order.status is not OrderStatus.CANCELLED:
        return None
    return order.cancellation.on if order.cancellation is not None else order.intake.received_on


@dataclass(frozen=True)
class OrderFacts:
    """One valid order and what every report asks of it, worked out once (dates of each step, the due date
    as approved changes moved it, business-day spans), so that a report for one more period costs little."""

    dossier: Dossier
    order: Order
    delivered: date | None
    due: date | None
    accepted: date | None
    settled: date | None
    cancelled: date | None
    forwarded_in_time: bool | None
    """Both departments had the order within the policy's business days; None when not forwarded."""
    spans: tuple[tuple[str, date, int], ...]
    """(step, the day it was done, business days since the step before)."""
    money: tuple
    """This order's share of the money columns (``_Money`` as a tuple, to be summed column by column)."""


@dataclass(frozen=True)
class Facts:
    today: date
    orders: list[OrderFacts]
    retention_ends: list[date]
    disposals: list
    loans: list
    forwarding_days: int
    billed: list[tuple[date, date | None, object]] = field(default_factory=list)
    """(first invoice issued, the day nothing is owed any more or None, settlement) of every settlement that invoiced."""
    _index: dict = field(default_factory=dict, compare=False, repr=False)

    def as_of(self, period: Period) -> date:
        """The day money owed is counted at: the period's end, or today for a period not over."""
        return self.today if period.end is None else min(self.today, period.end)

    def owed(self, as_of: date) -> list[tuple]:
        """(settlement, invoice, amount) for every invoice with something owed on ``as_of`` (once per day: the ageing
        and the overdue list ask for the same one); settlements that had invoiced nothing yet, or were cleared by
        then, are skipped without looking at their invoices."""
        key = ("owed", as_of)
        if key not in self._index:
            self._index[key] = [
                (settlement, invoice, amount)
                for first, cleared, settlement in (self._owing().get((as_of.year, as_of.month), ()) if as_of <= self.today else self.billed)
                if first <= as_of and (cleared is None or cleared > as_of)
                for invoice, amount in outstanding(settlement, as_of)
            ]
        return self._index[key]

    def _owing(self) -> dict[tuple[int, int], list[tuple]]:
        """``billed`` by each month in which something may be owed on it, in its order: a day's question looks
        at its month's settlements, not at all of them (at 10,000 orders, 169 periods' reports asked it for 119
        days over 8,000 settlements each: 0.7 of their 2.3 s)."""
        owing = self._index.get("owing")
        if owing is None:
            owing = self._index["owing"] = defaultdict(list)
            for item in self.billed:
                first, cleared = item[0], item[1]
                last = cleared - timedelta(days=1) if cleared is not None else self.today  # no day asked is past today
                year, month = first.year, first.month
                while (year, month) <= (last.year, last.month):
                    owing[year, month].append(item)
                    year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return owing

    def within(self, name: str, period: Period) -> list:
        """The items of one kind (``_ITEMS``) whose day falls in ``period``: a slice of a list sorted once, so a
        report for one more period does not walk the whole archive again."""
        index = self._index.get(name)
        if index is None:
            pairs = sorted([pair for pair in _ITEMS[name](self) if pair[0] is not None], key=itemgetter(0))  # stable: a day's items as they came
            index = self._index[name] = ([day for day, _ in pairs], [item for _, item in pairs])
        days, items = index
        if period.start is None:
            return items
        return items[bisect_left(days, period.start) : bisect_right(days, period.end)]

    @classmethod
    def of(cls, catalog: Catalog) -> Facts:
        days = catalog.policy.forwarding_business_days if catalog.policy else 1
        orders = []
        for dossier, order in counted(catalog):
            delivered = _delivered_on(dossier)
            accepted, settled = _accepted_on(dossier), _settled_on(dossier)
            steps = (
                ("received_delivered", order.intake.received_on, delivered),
                ("delivered_accepted", delivered, accepted),
                ("accepted_settled", accepted, settled),
            )
            spans = tuple((step, end, catalog.calendar.between(start, end)) for step, start, end in steps if start and end and end >= start)
            forwarded = None
            if order.forwarding is not None:
                deadline = catalog.calendar.add(order.intake.confirmed_on, days)
                forwarded = max(order.forwarding.operations_on, order.forwarding.finance_on) <= deadline
            due = delivery_due(catalog, dossier)
            money = _Money.of(dossier, order).values()
            orders.append(OrderFacts(dossier, order, delivered, due, accepted, settled, _cancelled_on(order), forwarded, spans, money))
        ends = [until for _, until in catalog.retentions]
        billed = []
        for f in orders:
            settlement = f.dossier.settlement_model
            if settlement is not None and settlement.invoices:
                last = max([i.issued_on for i in settlement.invoices] + [p.received_on for p in settlement.payments])
                last = max(last, settlement.write_off.on) if settlement.write_off else last
                billed.append((min(i.issued_on for i in settlement.invoices), None if outstanding(settlement, last) else last, settlement))
        disposals, loans = [d for _, d in catalog.disposal_models], [loan for _, loan in catalog.loan_models]
        return cls(catalog.today, orders, ends, disposals, loans, days, billed)


_ITEMS = {
    "received": lambda facts: ((f.order.intake.received_on, f) for f in facts.orders),
    "delivered": lambda facts: ((f.delivered, f) for f in facts.orders),
    "accepted": lambda facts: ((f.accepted, f) for f in facts.orders),
    "settled": lambda facts: ((f.settled, f) for f in facts.orders),
    "cancelled": lambda facts: ((f.cancelled, f) for f in facts.orders),
    "forwarded": lambda facts: ((f.order.intake.confirmed_on if f.forwarded_in_time is not None else None, f) for f in facts.orders),
    "spans": lambda facts: ((end, (step, days)) for f in facts.orders for step, end, days in f.spans),
    "changes": lambda facts: ((c.requested_on, (f, c)) for f in facts.orders for c in f.dossier.change_models),
    "inspections": lambda facts: ((q.inspected_on, (f.dossier, q)) for f in facts.orders for q in f.dossier.quality_models),
    "complaints": lambda facts: ((c.received_on, c) for f in facts.orders for q in f.dossier.quality_models for c in q.complaints),
    "disposals": lambda facts: ((d.destroyed_on, d) for d in facts.disposals),
}
"""Each kind of item a report counts in a period, with the day that places it there."""


def report(source: Catalog | Facts, period: Period) -> Report:
    """Every table of the reports for ``period`` (deadlines and ageing as of the archive's today). Give the
    ``Facts`` when making several periods' reports of one archive: they are worked out once."""
    facts = source if isinstance(source, Facts) else Facts.of(source)
    return Report(period, facts.today, [build(facts, period) for build in BUILDERS])


def flow(facts: Facts, period: Period) -> Table:
    counts = {step: len(facts.within(step, period)) for step in ("received", "delivered", "accepted", "settled", "cancelled")}
    names = {
        "received": ("接單", "Received"),
        "delivered": ("交付", "Delivered"),
        "accepted": ("驗收", "Accepted"),
        "settled": ("結算", "Settled"),
        "cancelled": ("取消", "Cancelled"),
    }
    return Table(
        "flow",
        ("訂單流量", "Orders through the steps"),
        (
            "期間內接單（接單日）、交付（交付日）、驗收（客戶驗收日，驗收通過者）、結算（結算完成日）之訂單數；取消之訂單依取消日計，另列。",
            "Orders received (by date received), delivered (delivery date), accepted (the client's acceptance date, when accepted), "
            "settled (date settled) in the period; cancelled orders, by the date cancelled, on a line of their own.",
        ),
        [("項目", "Step"), ("訂單數", "Orders")],
        [[names[k], counts[k]] for k in names],
    )


def delivery(facts: Facts, period: Period) -> Table:
    on_time = late = 0
    for f in facts.within("delivered", period):
        if f.due is not None:
            on_time += f.delivered <= f.due
            late += f.delivered > f.due
    done = on_time + late
    return Table(
        "delivery",
        ("準時交付 (§3.5, §5.1)", "On-time delivery (§3.5, §5.1)"),
        (
            "期間內交付之訂單；交付日不晚於交付期限者為準時。交付期限依已核准（或已實施、已確認）之變更調整：有新交付日期者採之，否則加計工期增減。",
            "Orders delivered in the period; on time when delivered on or before the delivery date as approved (implemented or verified) "
            "changes moved it — to their new delivery date where they state one, else by their schedule change.",
        ),
        [("交付", "Delivered"), ("準時", "On time"), ("逾期", "Late"), ("準時率", "On-time rate")],
        [[done, on_time, late, Rate(on_time / done) if done else None]],
    )


def _percentile(values: list[int], share: float) -> float | None:
    """The nearest-rank percentile (90th: the value 90 % of the cases do not exceed)."""
    if not values:
        return None
    ranked = sorted(values)
    return float(ranked[max(0, -(-len(ranked) * int(share * 100) // 100) - 1)])


def cycle_times(facts: Facts, period: Period) -> Table:
    spans: dict[str, list[int]] = defaultdict(list)
    for key, days in facts.within("spans", period):
        spans[key].append(days)
    names = {
        "received_delivered": ("接單 → 交付", "Received → delivered"),
        "delivered_accepted": ("交付 → 驗收", "Delivered → accepted"),
        "accepted_settled": ("驗收 → 結算", "Accepted → settled"),
    }
    rows = [[names[k], len(spans[k]), float(statistics.median(spans[k])) if spans[k] else None, _percentile(spans[k], 0.9)] for k in names]
    return Table(
        "cycle_times",
        ("週期時間（工作天）", "Cycle times (business days)"),
        (
            "各步驟於期間內完成之訂單，自前一步驟起算之工作天數（依政策之工作日曆）：中位數與第 90 百分位數（最近排名法）。",
            "For each step completed in the period, the business days since the step before it (on the policy's calendar): "
            "the median and the 90th percentile (nearest rank).",
        ),
        [("步驟", "Step"), ("訂單數", "Orders"), ("中位數", "Median"), ("第 90 百分位", "90th percentile")],
        rows,
    )


def forwarding(facts: Facts, period: Period) -> Table:
    days = facts.forwarding_days
    confirmed = in_time = 0
    for f in facts.within("forwarded", period):
        confirmed += 1
        in_time += f.forwarded_in_time
    return Table(
        "forwarding",
        ("轉交運營與財務 (§2.3)", "Forwarding to Operations and Finance (§2.3)"),
        (
            f"期間內確認且已轉交之訂單；運營與財務皆於確認後 {days} 個工作天內收到者為及時。",
            f"Orders confirmed in the period and forwarded; in time when both Operations and Finance had them within {days} business day(s) of confirmation.",
        ),
        [("已轉交", "Forwarded"), ("及時", "In time"), ("及時率", "Rate")],
        [[confirmed, in_time, Rate(in_time / confirmed) if confirmed else None]],
    )


def _tally_changes(facts: Facts, period: Period, key) -> dict[tuple, dict]:
    """The period's change requests grouped by ``key(order facts, change)``: how many, how many major, approved
    (going ahead) and rejected, and the cost and schedule impact of the approved ones."""
    groups: dict[tuple, dict] = defaultdict(lambda: {"count": 0, "major": 0, "ahead": 0, "rejected": 0, "cost": Decimal(0), "days": 0})
    for f, change in facts.within("changes", period):
        row = groups[key(f, change)]
        row["count"] += 1
        row["major"] += change.major
        row["rejected"] += change.status is ChangeStatus.REJECTED
        if change.status in GOING_AHEAD:
            row["ahead"] += 1
            row["cost"] += change.cost_delta
            row["days"] += change.schedule_delta_days
    return groups


def _shares(r: dict) -> list[Value]:
    return [Rate(r["ahead"] / r["count"]), Rate(r["rejected"] / r["count"]), r["cost"], r["days"]]


def changes(facts: Facts, period: Period) -> Table:
    by_currency = _tally_changes(facts, period, lambda f, _: (f.order.intake.currency.value,))
    rows = [[c, r["count"], r["major"], *_shares(r)] for (c,), r in sorted(by_currency.items())]
    return Table(
        "changes",
        ("變更管理 (§7)", "Changes (§7)"),
        (
            "期間內申請之變更（依訂單幣別）：件數、重大變更、核准（含已實施、已確認）與駁回之比例；費用與工期影響僅計核准者。",
            "Change requests made in the period, by the order's currency: how many, how many major, the share approved "
            "(implemented or verified included) and rejected; cost and schedule impact of the approved ones only.",
        ),
        [
            ("幣別", "Currency"),
            ("件數", "Requests"),
            ("重大", "Major"),
            ("核准", "Approved"),
            ("駁回", "Rejected"),
            ("費用增減", "Cost"),
            ("工期增減（天）", "Days"),
        ],
        rows,
    )


_REASON_COLUMNS: list[Words] = [("原因", "Reason"), ("幣別", "Currency"), ("件數", "Requests"), ("核准", "Approved"), ("駁回", "Rejected")]
_REASON_COLUMNS += [("費用增減", "Cost"), ("工期增減（天）", "Days")]


def changes_by_reason(facts: Facts, period: Period) -> Table:
    groups = _tally_changes(facts, period, lambda f, change: (change.reason_type, f.order.intake.currency.value))
    order = list(ChangeReason)
    rows = [
        [reason or ("未分類", "Not classified"), currency, r["count"], *_shares(r)]
        for (reason, currency), r in sorted(groups.items(), key=lambda x: (order.index(x[0][0]) if x[0][0] else len(order), x[0][1]))
    ]
    return Table(
        "changes_by_reason",
        ("變更原因 (§7.1)", "Changes by reason (§7.1)"),
        (
            "期間內申請之變更，依變更單之原因類別（reason_type）與訂單幣別：件數、核准與駁回之比例；費用與工期影響僅計核准者。未填類別者列為未分類。",
            "Change requests made in the period, by the form's kind of reason (reason_type) and the order's currency: how many, "
            "the share approved and rejected; cost and schedule impact of the approved ones. Forms without a kind are not classified.",
        ),
        _REASON_COLUMNS,
        rows,
    )


def _inspections(facts: Facts, period: Period):
    return facts.within("inspections", period)


def quality(facts: Facts, period: Period) -> Table:
    inspected = _inspections(facts, period)
    failed = [q for _, q in inspected if q.result is Result.FAIL]
    orders = {d.order_id for d, _ in inspected}
    defects = sum(len(q.defects) for _, q in inspected)
    actions = Counter(q.rectification.action for _, q in inspected if q.rectification)
    complaints = facts.within("complaints", period)
    resolved = [(c.resolved_on - c.received_on).days for c in complaints if c.resolved_on]
    scores: dict[str, list[int]] = defaultdict(list)
    for dossier, q in inspected:
        if q.satisfaction:
            scores[dossier.order_id].append(q.satisfaction)
    per_order = [sum(s) / len(s) for s in scores.values()]
    rows: list[list[Value]] = [
        [("檢驗次數", "Inspections"), len(inspected)],
        [("不合格", "Failed"), len(failed)],
        [("不合格率", "Failed rate"), Rate(len(failed) / len(inspected)) if inspected else None],
        [("缺陷數", "Defects"), defects],
        [("每張受檢訂單之缺陷", "Defects per order inspected"), round(defects / len(orders), 2) if orders else None],
        [("返工", "Rework"), actions.get("rework", 0)],
        [("返修", "Repair"), actions.get("repair", 0)],
        [("報廢", "Scrap"), actions.get("scrap", 0)],
        [("客戶投訴", "Complaints"), len(complaints)],
        [("已處理投訴", "Complaints resolved"), len(resolved)],
        [("投訴處理天數（中位數）", "Days to resolve a complaint (median)"), float(statistics.median(resolved)) if resolved else None],
        [("客戶滿意度（每張訂單平均，1–5）", "Satisfaction (mean per order, 1–5)"), round(sum(per_order) / len(per_order), 2) if per_order else None],
    ]
    return Table(
        "quality",
        ("品質統計 (§4.5)", "Quality (§4.5)"),
        (
            "期間內之檢驗（檢驗日）與收到之投訴（投訴日）。滿意度先求每張訂單之平均，再求各訂單之平均，檢驗多次之訂單不會多計。",
            "Inspections made in the period (by inspection date) and complaints received in it. Satisfaction is averaged per order "
            "first, then over the orders, so an order inspected twice counts once.",
        ),
        [("項目", "Figure"), ("數值", "Value")],
        rows,
    )


def defect_types(facts: Facts, period: Period) -> Table:
    counts = Counter(defect.type for _, q in _inspections(facts, period) for defect in q.defects)
    total = sum(counts.values())
    rows, running = [], 0
    for kind, n in sorted(counts.items(), key=lambda item: (-item[1], item[0].value)):
        running += n
        rows.append([kind, n, Rate(n / total), Rate(running / total)])
    return Table(
        "defect_types",
        ("缺陷類型（柏拉圖）", "Defect types (Pareto)"),
        (
            "期間內檢驗發現之缺陷，依類型由多至少排列，附累計比例。",
            "Defects found by the period's inspections, by type, most first, with the cumulative share.",
        ),
        [("缺陷類型", "Type"), ("件數", "Defects"), ("比例", "Share"), ("累計", "Cumulative")],
        rows,
    )


@dataclass
class _Money:
    orders: int = 0
    budget: Decimal = Decimal(0)
    changes: Decimal = Decimal(0)
    fees: Decimal = Decimal(0)
    drafts: int = 0
    draft_fees: Decimal = Decimal(0)
    invoiced: Decimal = Decimal(0)
    tax: Decimal = Decimal(0)
    paid: Decimal = Decimal(0)
    written_off: Decimal = Decimal(0)
    cancelled: int = 0
    cancelled_budget: Decimal = Decimal(0)

    def values(self) -> tuple:
        """The columns in order (``astuple`` copied each value deeply: 0.10 s of a build at 10,000 orders)."""
        return tuple(getattr(self, f.name) for f in fields(self))

    @classmethod
    def of(cls, dossier: Dossier, order: Order) -> _Money:
        """One order's share of the money columns."""
        if order.status is OrderStatus.CANCELLED:
            return cls(cancelled=1, cancelled_budget=order.intake.budget)
        row = cls(orders=1, budget=order.intake.budget)
        row.changes = sum((c.cost_delta for c in dossier.change_models if c.status in GOING_AHEAD), Decimal(0))
        settlement = dossier.settlement_model
        if settlement is None:
            return row
        if settlement.plan.client_confirmed_on is None:
            row.drafts, row.draft_fees = 1, settlement.plan.total
        else:
            row.fees = settlement.plan.total
        row.invoiced = sum((i.amount for i in settlement.invoices), Decimal(0))
        row.tax = sum((i.tax for i in settlement.invoices), Decimal(0))
        row.paid = settlement.paid
        row.written_off = settlement.write_off.amount if settlement.write_off else Decimal(0)
        return row


def _sum(rows: list[tuple]) -> tuple:
    """Money rows (``_Money.values``) added column by column."""
    return tuple(map(sum, zip(*rows, strict=True)))


def _money(facts: Facts, period: Period, key) -> dict[tuple, tuple]:
    """Money of the orders received in the period, grouped by ``key(service, client)`` and the currency. The
    period's orders are summed once by (service, client, currency), which the three money tables regroup."""
    groups = facts._index.get(("money", period))
    if groups is None:
        shares: dict[tuple, list[tuple]] = defaultdict(list)
        for f in facts.within("received", period):
            intake = f.order.intake
            shares[(intake.service_type, intake.client.name, intake.currency.value)].append(f.money)
        groups = facts._index[("money", period)] = {group: _sum(rows) for group, rows in shares.items()}
    regrouped: dict[tuple, list[tuple]] = defaultdict(list)
    for (service, client, currency), row in groups.items():
        regrouped[(*key(service, client), currency)].append(row)
    return {group: _sum(rows) for group, rows in regrouped.items()}


_MONEY_NOTE = (
    "期間內接單之訂單（依幣別）。預算與核准變更（已核准、已實施、已確認之費用增減）不含已取消之訂單，取消者另列；"
    "結算費用為客戶已確認之結算方案合計（未稅），草案另列；發票金額未稅、稅額另列；收款含稅；沖銷為核准之呆帳沖銷。",
    "Orders received in the period, by currency. Budget and approved changes (cost changes approved, implemented or verified) "
    "leave cancelled orders out — they have their own columns; settled fees are the totals of settlement plans the client "
    "confirmed (before tax), draft plans apart; invoiced before tax, tax apart; paid includes tax; written off as approved.",
)
_MONEY_COLUMNS: list[Words] = [  # in the order of _Money's fields
    ("訂單數", "Orders"),
    ("預算", "Budget"),
    ("核准變更", "Approved changes"),
    ("結算費用（未稅）", "Settled fees (before tax)"),
    ("草案方案", "Draft plans"),
    ("草案費用", "Draft fees"),
    ("發票（未稅）", "Invoiced (before tax)"),
    ("稅額", "Tax"),
    ("已收款（含稅）", "Paid (tax included)"),
    ("沖銷", "Written off"),
    ("取消訂單", "Cancelled orders"),
    ("取消之預算", "Cancelled budget"),
]


def finance(facts: Facts, period: Period) -> Table:
    money = _money(facts, period, lambda service, client: ())
    return Table(
        "finance",
        ("預算、變更、結算與收款 (§6)", "Budget, changes, settlement and payment (§6)"),
        _MONEY_NOTE,
        [("幣別", "Currency"), *_MONEY_COLUMNS],
        [[currency, *m] for (currency,), m in sorted(money.items())],
    )


def by_service(facts: Facts, period: Period) -> Table:
    money = _money(facts, period, lambda service, client: (service,))
    return Table(
        "by_service",
        ("依服務類型", "By service type"),
        _MONEY_NOTE,
        [("服務類型", "Service"), ("幣別", "Currency"), *_MONEY_COLUMNS],
        [[service, currency, *m] for (service, currency), m in sorted(money.items(), key=lambda x: (list(type(x[0][0])).index(x[0][0]), x[0][1]))],
    )


def by_client(facts: Facts, period: Period) -> Table:
    money = _money(facts, period, lambda service, client: (client,))
    return Table(
        "by_client",
        ("依客戶", "By client"),
        _MONEY_NOTE,
        [("客戶", "Client"), ("幣別", "Currency"), *_MONEY_COLUMNS],
        [[client, currency, *m] for (client, currency), m in sorted(money.items())],
    )


AGEING = (("not_due", ("未到期", "Not yet due")), ("0-30", ("逾期 0–30 天", "0–30 days")), ("31-60", ("31–60 天", "31–60 days")))
AGEING += (("61-90", ("61–90 天", "61–90 days")), ("90+", ("逾 90 天", "> 90 days")))


def outstanding(settlement, as_of: date) -> list[tuple[object, Decimal]]:
    """Each invoice issued by ``as_of`` with what was still owed on it that day: its total (tax included)
    less the payments that name it, received by then; a write-off made by then clears the earliest-due
    invoices first. Invoices paid in full are left out."""
    left = []
    for invoice in sorted(settlement.invoices, key=lambda i: (i.due_on or i.issued_on, i.number)):
        if invoice.issued_on > as_of:
            continue
        paid = sum((p.amount for p in settlement.payments if p.invoice == invoice.number and p.received_on <= as_of), Decimal(0))
        left.append([invoice, invoice.total - paid])
    write_off = settlement.write_off
    cleared = write_off.amount if write_off is not None and write_off.on <= as_of else Decimal(0)
    for item in left:
        taken = min(cleared, max(item[1], Decimal(0)))
        item[1] -= taken
        cleared -= taken
    return [(invoice, owed) for invoice, owed in left if owed > 0]


def _bucket(days_past_due: int) -> str:
    if days_past_due < 0:
        return "not_due"
    return "0-30" if days_past_due <= 30 else "31-60" if days_past_due <= 60 else "61-90" if days_past_due <= 90 else "90+"


def receivables(facts: Facts, period: Period) -> Table:
    as_of = facts.as_of(period)
    ageing: dict[str, dict[str, Decimal]] = defaultdict(lambda: {k: Decimal(0) for k, _ in AGEING})
    for settlement, invoice, owed in facts.owed(as_of):
        due = invoice.due_on or invoice.issued_on
        ageing[settlement.currency.value][_bucket((as_of - due).days)] += owed
    rows = [[currency, *buckets.values(), sum(buckets.values(), Decimal(0))] for currency, buckets in sorted(ageing.items())]
    return Table(
        "receivables",
        ("應收帳款帳齡 (§6.3)", "Receivables ageing (§6.3)"),
        (
            f"截至 {as_of} 已開立之發票：應收＝發票含稅金額－指名該發票之收款－沖銷（由最早到期之發票起沖銷）；"
            "依付款期限（無則依開立日）計算逾期天數；依幣別。",
            f"Invoices issued by {as_of}: owed = the invoice's total with tax − the payments that name it − the write-off (clearing "
            "the earliest-due invoices first); days past the payment due date (the issue date where none), per currency.",
        ),
        [("幣別", "Currency"), *(words for _, words in AGEING), ("合計", "Total")],
        rows,
    )


def overdue_invoices(facts: Facts, period: Period) -> Table:
    """Every invoice still owed past its due date at the end of the period (today for a period not over)."""
    as_of = facts.as_of(period)
    rows = []
    for settlement, invoice, owed in facts.owed(as_of):
        if invoice.due_on is not None and invoice.due_on < as_of:
            rows.append([settlement.order, invoice.number, settlement.currency.value, owed, invoice.due_on, (as_of - invoice.due_on).days])
    rows.sort(key=lambda r: (-r[5], r[0], r[1]))
    return Table(
        "overdue_invoices",
        ("逾期未收款發票 (§6.3)", "Invoices overdue (§6.3)"),
        (
            f"截至 {as_of} 已逾付款期限仍有應收之發票，逾期最久者在前；應收之定義同帳齡表。",
            f"Invoices still owed past their due date on {as_of}, longest overdue first; owed as the ageing defines it.",
        ),
        [("訂單", "Order"), ("發票", "Invoice"), ("幣別", "Currency"), ("應收", "Owed"), ("付款期限", "Due"), ("逾期天數", "Days overdue")],
        rows,
    )


def archive(facts: Facts, period: Period) -> Table:
    today = facts.today
    ending = facts._index.get("retention ending")
    if ending is None:  # the same for every period: counted once
        horizon = today + timedelta(days=365)
        ending = facts._index["retention ending"] = sum(1 for until in facts.retention_ends if today <= until <= horizon)
    disposals = facts.within("disposals", period)
    out = [loan for loan in facts.loans if loan.borrowed_on and not loan.returned_on]
    overdue = [loan for loan in out if loan.due_on and loan.due_on < today]
    rows: list[list[Value]] = [
        [("未來 12 個月保存期滿之記錄", "Records whose retention ends in the next 12 months"), ending],
        [("期間內執行之銷毀", "Disposals carried out in the period"), len(disposals)],
        [("期間內銷毀之記錄", "Records destroyed in the period"), sum(len(d.items) for d in disposals)],
        [("借出中", "Loans out today"), len(out)],
        [("逾期未還", "Loans overdue today"), len(overdue)],
    ]
    return Table(
        "archive",
        ("檔案管理 (§8)", "Archive (§8)"),
        (
            f"保存期限依政策自檔案夾結案起算，截至 {today}；銷毀依銷毀日期計；借閱為 {today} 當日之狀況。",
            f"Retention as the policy counts it from a dossier's close, as of {today}; disposals by the date destroyed; loans as they stand on {today}.",
        ),
        [("項目", "Figure"), ("數值", "Value")],
        rows,
    )


def activity_days(catalog: Catalog) -> list[date]:
    """Every day something a report counts happened: the periods worth a page. Read from the records, not from
    ``Facts``, which take their business days and money as long again to work out: the site plans a page for each
    period while another process works the facts and the reports out (0.5 s of a merge's build at 10,000 orders)."""
    days: list[date] = []
    for dossier, order in counted(catalog):
        days += [d for d in (order.intake.received_on, _delivered_on(dossier), _accepted_on(dossier), _settled_on(dossier), _cancelled_on(order)) if d]
        days += [c.requested_on for c in dossier.change_models] + [q.inspected_on for q in dossier.quality_models]
        settlement = dossier.settlement_model
        if settlement is not None:  # money that moved is activity too (an invoice issued, a payment received)
            days += [i.issued_on for i in settlement.invoices] + [p.received_on for p in settlement.payments]
    return days


BUILDERS = (
    flow,
    delivery,
    cycle_times,
    forwarding,
    changes,
    changes_by_reason,
    quality,
    defect_types,
    finance,
    by_service,
    by_client,
    receivables,
    overdue_invoices,
    archive,
)
