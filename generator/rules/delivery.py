"""Delivery and acceptance (§5)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from generator.records.catalog import Catalog
from generator.records.validate import Loc
from schemas import OrderStatus
from schemas.delivery import AcceptanceResult, DisputeStatus, ObjectionStatus

from . import E, Finding, W, deadlines, each_order, each_record, overdue, rule, zh_label
from .execution import delivery_due

ACCEPTED = frozenset({AcceptanceResult.ACCEPTED, AcceptanceResult.ACCEPTED_WITH_REMARKS})


@rule("delivery.no-documents", "§5.1", E, "A delivery comes with its delivery documents", "交付須附交付文件")
def no_documents(catalog: Catalog) -> Iterator[Finding]:
    for _, entry, delivery in each_record(catalog, "delivery"):
        if not delivery.documents:
            yield Finding(
                entry,
                ("delivered_on",),
                "the delivery lists no delivery documents (product manual, service report …)",
                zh="交付記錄未列出任何交付文件（產品手冊、服務報告…）",
            )


@rule(
    "delivery.objection-open",
    "§5.3",
    W,
    "Client objections and disputes are resolved within the policy's days",
    "客戶異議與爭議於政策規定天數內解決",
    timely=True,
)
def objection_open(catalog: Catalog) -> Iterator[Finding]:
    days = deadlines(catalog).objection_days
    for _, entry, delivery in each_record(catalog, "delivery"):
        for i, objection in enumerate(delivery.objections):
            if objection.status is ObjectionStatus.OPEN and (late := overdue(catalog, objection.raised_on, days)):
                yield Finding(
                    entry,
                    ("objections", i, "status"),
                    f"the objection raised on {objection.raised_on} is open {late.en}",
                    zh=f"{objection.raised_on} 提出之異議仍未解決，{late.zh}",
                )
        dispute = delivery.dispute
        if dispute is not None and dispute.status is DisputeStatus.OPEN and (late := overdue(catalog, dispute.opened_on, days)):
            yield Finding(
                entry,
                ("dispute", "status"),
                f"the dispute opened on {dispute.opened_on} is open {late.en}",
                zh=f"{dispute.opened_on} 提出之爭議仍未解決，{late.zh}",
            )


@rule(
    "delivery.acceptance-pending",
    "§5.2",
    W,
    "The client accepts a delivery within the policy's days",
    "客戶於政策規定天數內完成驗收",
    timely=True,
)
def acceptance_pending(catalog: Catalog) -> Iterator[Finding]:
    days = deadlines(catalog).acceptance_days
    for dossier, entry, delivery in each_record(catalog, "delivery"):
        order = dossier.order_model
        acceptance = delivery.acceptance
        if (order is not None and order.status is OrderStatus.CANCELLED) or delivery.dispute is not None:
            continue  # a dispute has its own clock (delivery.objection-open)
        if acceptance is not None and acceptance.result in ACCEPTED:
            continue
        if late := overdue(catalog, delivery.delivered_on, days):
            state = acceptance.result.value if acceptance is not None else "not recorded"
            state_zh = zh_label(acceptance.result) if acceptance is not None else "未記錄"
            where = ("acceptance", "result") if acceptance is not None else ("delivered_on",)
            zh = f"已於 {delivery.delivered_on} 交付，驗收{state_zh}，{late.zh}"
            yield Finding(entry, where, f"delivered on {delivery.delivered_on}, acceptance {state} {late.en}", zh=zh)


@rule(
    "delivery.escalated-without-dispute",
    "§5.3",
    E,
    "An objection that is not settled by negotiation goes to dispute resolution",
    "協商未果之異議須進入爭議處理",
)
def escalated_without_dispute(catalog: Catalog) -> Iterator[Finding]:
    for _, entry, delivery in each_record(catalog, "delivery"):
        if delivery.dispute is None:
            for i, objection in enumerate(delivery.objections):
                if objection.status is ObjectionStatus.ESCALATED:
                    yield Finding(
                        entry, ("objections", i, "status"), "the objection was escalated but no dispute is recorded", zh="異議已升級，但未記錄爭議處理"
                    )


@rule(
    "delivery.not-notified",
    "§5.4",
    W,
    "Sales and Finance are informed of a delivery within the policy's business days",
    "交付後於規定工作天內通知業務與財務",
    timely=True,
)
def not_notified(catalog: Catalog) -> Iterator[Finding]:
    days = deadlines(catalog).notice_business_days
    for _, entry, delivery in each_record(catalog, "delivery"):
        since = (("delivered_on",), delivery.delivered_on)
        yield from late_notices(catalog, entry, since, delivery.notified, days, "delivery", {"sales_on": "Sales", "finance_on": "Finance"})


_NOTICE_ZH = {"delivery": "交付", "settlement": "結算", "Sales": "業務", "Finance": "財務", "Operations": "運營"}


def late_notices(catalog: Catalog, entry, since: tuple[Loc, date], notice, days: int, event: str, departments: dict[str, str]) -> Iterator[Finding]:
    """Each department told later than ``days`` business days after the event, or not yet told once that deadline passed."""
    where, since = since
    deadline = catalog.calendar.add(since, days)
    said = _NOTICE_ZH[event]
    if notice is None:
        if catalog.today > deadline:
            names = " and ".join(departments.values())
            zh = f"未記錄已通知{'與'.join(_NOTICE_ZH[d] for d in departments.values())}（notified），期限為 {deadline}"
            yield Finding(entry, where, f"{names} are not recorded as informed of the {event} (notified), due by {deadline}", zh=zh)
        return
    for name, department in departments.items():
        day = getattr(notice, name)
        if day > deadline:
            taken = catalog.calendar.between(since, day)
            message = f"{department} was informed on {day}, {taken} business days after the {event} on {since}; due by {deadline}"
            zh = f"{_NOTICE_ZH[department]}於 {day} 才獲通知，距{said}（{since}）{taken} 個工作天；期限為 {deadline}"
            yield Finding(entry, ("notified", name), message, zh=zh)


@rule(
    "delivery.late",
    "§5.1",
    W,
    "Orders are delivered by their delivery date, as approved changes moved it",
    "訂單依（經核准變更後之）交付日期準時交付",
    timely=True,
)
def late(catalog: Catalog) -> Iterator[Finding]:
    for dossier, entry, order in each_order(catalog):
        if order.status in (OrderStatus.CANCELLED, OrderStatus.RECEIVED) and dossier.delivery is None:
            continue
        due = delivery_due(catalog, dossier)
        if due is None:
            continue
        if dossier.delivery is not None:
            delivered = dossier.delivery.model.delivered_on
            if delivered > due:
                yield Finding(
                    dossier.delivery,
                    ("delivered_on",),
                    f"delivered {(delivered - due).days} days after the delivery date {due}",
                    zh=f"交付日晚於交付期限 {due} 共 {(delivered - due).days} 天",
                )
        elif catalog.today > due:
            yield Finding(
                entry,
                ("intake", "delivery_due"),
                f"not delivered, {(catalog.today - due).days} days after the delivery date {due}",
                zh=f"已逾交付期限 {due} 共 {(catalog.today - due).days} 天，尚未交付",
            )
