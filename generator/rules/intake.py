"""Intake, forwarding and the two reviews (§2)."""

from __future__ import annotations

from collections.abc import Iterator

from generator.records.catalog import Catalog
from schemas import OrderStatus
from schemas.order import Decision

from . import E, Finding, W, each_order, rule, zh_label

# States in which the order is being (or has been) executed.
EXECUTED = frozenset(OrderStatus) - {OrderStatus.RECEIVED, OrderStatus.CANCELLED}


def _deadline(catalog: Catalog, order):
    days = catalog.policy.forwarding_business_days if catalog.policy else 1
    return catalog.calendar.add(order.intake.confirmed_on, days), days


_ZH = {"Operations": "運營部", "Finance": "財務部", "operations_review": "運營審核（§2.4）", "finance_review": "財務審核（§2.5）"}


@rule(
    "order.forwarded-late",
    "§2.3",
    W,
    "Orders reach Operations and Finance within the business days the policy allows",
    "訂單於規定工作天內轉交運營與財務",
    timely=True,
)
def forwarded_late(catalog: Catalog) -> Iterator[Finding]:
    for _, entry, order in each_order(catalog):
        deadline, days = _deadline(catalog, order)
        if order.forwarding is None:
            if order.status is OrderStatus.RECEIVED and catalog.today > deadline:
                yield Finding(
                    entry,
                    ("status",),
                    f"confirmed on {order.intake.confirmed_on} but not yet forwarded; due by {deadline}",
                    zh=f"已於 {order.intake.confirmed_on} 確認，但尚未轉交；期限為 {deadline}",
                )
            continue
        for name, department in (("operations_on", "Operations"), ("finance_on", "Finance")):
            day = getattr(order.forwarding, name)
            if day > deadline:
                taken = catalog.calendar.between(order.intake.confirmed_on, day)
                yield Finding(
                    entry,
                    ("forwarding", name),
                    f"reached {department} on {day}, {taken} business days after confirmation on "
                    f"{order.intake.confirmed_on}; the policy allows {days} (due by {deadline})",
                    zh=f"於 {day} 才轉交{_ZH[department]}，距確認日 {order.intake.confirmed_on} {taken} 個工作天；政策限 {days} 天（期限 {deadline}）",
                )


@rule(
    "order.executed-without-review",
    ("§2.4", "§2.5"),
    E,
    "An order is executed only after the operations and the finance review approved it",
    "訂單須經運營與財務審核通過始得執行",
)
def executed_without_review(catalog: Catalog) -> Iterator[Finding]:
    for _, entry, order in each_order(catalog):
        if order.status not in EXECUTED:
            continue
        for name, label in (("operations_review", "operations review (§2.4)"), ("finance_review", "finance review (§2.5)")):
            review = getattr(order, name)
            said = _ZH[name]
            if review is None:
                zh = f"訂單為{zh_label(order.status)}，但無{said}"
                yield Finding(entry, ("status",), f"the order is {order.status.value} but has no {label}", zh=zh)
            elif review.decision is not Decision.APPROVED:
                zh = f"訂單為{zh_label(order.status)}，但{said}之決定為「{zh_label(review.decision)}」"
                yield Finding(entry, (name, "decision"), f"the order is {order.status.value} but its {label} says {review.decision.value}", zh=zh)


@rule(
    "order.review-before-forwarding",
    ("§2.4", "§2.5"),
    W,
    "Reviews happen after the order was forwarded to the department",
    "審核應於訂單轉交後進行",
)
def review_before_forwarding(catalog: Catalog) -> Iterator[Finding]:
    for _, entry, order in each_order(catalog):
        if order.forwarding is None:
            continue
        for review_name, forward_name in (("operations_review", "operations_on"), ("finance_review", "finance_on")):
            review = getattr(order, review_name)
            forwarded = getattr(order.forwarding, forward_name)
            if review is not None and review.reviewed_on < forwarded:
                yield Finding(
                    entry,
                    (review_name, "reviewed_on"),
                    f"reviewed on {review.reviewed_on}, before the order was forwarded on {forwarded}",
                    zh=f"審核於 {review.reviewed_on}，早於訂單轉交日 {forwarded}",
                )


@rule(
    "order.budget-adjustment-unagreed",
    "§2.5",
    E,
    "A fee adjustment applies only once sales and the client agreed it",
    "費用調整須經業務與客戶同意始生效",
)
def budget_adjustment_unagreed(catalog: Catalog) -> Iterator[Finding]:
    for _, entry, order in each_order(catalog):
        review = order.finance_review
        adjustment = review.budget_adjustment if review else None
        if adjustment is None:
            continue
        loc = ("finance_review", "budget_adjustment")
        if adjustment.client_agreed_on is None:
            yield Finding(
                entry,
                loc,
                "the budget adjustment has no date of the client's agreement (client_agreed_on)",
                zh="費用調整未記錄客戶同意日期（client_agreed_on）",
            )
        if adjustment.agreed_by_sales is None:
            yield Finding(
                entry,
                loc,
                "the budget adjustment does not name the sales representative who agreed it (agreed_by_sales)",
                zh="費用調整未記錄同意之業務代表（agreed_by_sales）",
            )
