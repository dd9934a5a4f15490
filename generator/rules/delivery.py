"""Delivery and acceptance (§5)."""

from __future__ import annotations

from collections.abc import Iterator

from generator.records.catalog import Catalog
from schemas import OrderStatus
from schemas.delivery import ObjectionStatus

from . import E, Finding, W, each_order, each_record, rule
from .execution import delivery_due


@rule("delivery.no-documents", "§5.1", E, "A delivery comes with its delivery documents", "交付須附交付文件")
def no_documents(catalog: Catalog) -> Iterator[Finding]:
    for _, entry, delivery in each_record(catalog, "delivery"):
        if not delivery.documents:
            yield Finding(entry, ("delivered_on",), "the delivery lists no delivery documents (product manual, service report …)")


@rule("delivery.objection-open", "§5.3", W, "Client objections are negotiated to a resolution", "客戶異議應協商解決")
def objection_open(catalog: Catalog) -> Iterator[Finding]:
    for _, entry, delivery in each_record(catalog, "delivery"):
        for i, objection in enumerate(delivery.objections):
            if objection.status is ObjectionStatus.OPEN:
                days = (catalog.today - objection.raised_on).days
                yield Finding(entry, ("objections", i, "status"), f"objection raised on {objection.raised_on} is open ({days} days)")


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
                    yield Finding(entry, ("objections", i, "status"), "the objection was escalated but no dispute is recorded")


@rule("delivery.not-notified", "§5.4", W, "Sales and Finance are informed of a delivery", "交付後須通知業務與財務")
def not_notified(catalog: Catalog) -> Iterator[Finding]:
    for _, entry, delivery in each_record(catalog, "delivery"):
        if delivery.notified is None:
            yield Finding(entry, ("delivered_on",), "Sales and Finance are not recorded as informed of the delivery (notified)")


@rule("delivery.late", "§5.1", W, "Orders are delivered by their delivery date, as approved changes moved it", "訂單依（經核准變更後之）交付日期準時交付")
def late(catalog: Catalog) -> Iterator[Finding]:
    for dossier, entry, order in each_order(catalog):
        if order.status in (OrderStatus.CANCELLED, OrderStatus.RECEIVED) and dossier.delivery is None:
            continue
        due = delivery_due(dossier)
        if dossier.delivery is not None:
            delivered = dossier.delivery.model.delivered_on
            if delivered > due:
                yield Finding(dossier.delivery, ("delivered_on",), f"delivered {(delivered - due).days} days after the delivery date {due}")
        elif catalog.today > due:
            yield Finding(entry, ("intake", "delivery_due"), f"not delivered, {(catalog.today - due).days} days after the delivery date {due}")
