"""An order's status agrees with the records in its dossier (§5.4, §6.5, §8.1)."""

from __future__ import annotations

from collections.abc import Iterator

from generator.records.catalog import Catalog, Dossier
from schemas import ChangeStatus, OrderStatus, QualityStatus, SettlementStatus
from schemas.delivery import DisputeStatus, ObjectionStatus

from . import E, Finding, each_order, rule, zh_label
from .delivery import ACCEPTED

S = OrderStatus
DELIVERED_OR_LATER = frozenset({S.DELIVERED, S.ACCEPTED, S.SETTLED, S.ARCHIVED})
ACCEPTED_OR_LATER = frozenset({S.ACCEPTED, S.SETTLED, S.ARCHIVED})
SETTLED_OR_LATER = frozenset({S.SETTLED, S.ARCHIVED})
CLOSED_CHANGES = frozenset({ChangeStatus.VERIFIED, ChangeStatus.REJECTED})


def mismatches(dossier: Dossier) -> Iterator[tuple[str, str, str]]:
    """Every way the order's status disagrees with the dossier: (what is wrong, in English and Chinese, the clause)."""
    order = dossier.order_model
    status = order.status
    delivery = dossier.delivery_model
    settlement = dossier.settlement_model
    acceptance = delivery.acceptance if delivery else None
    settled = settlement is not None and settlement.status is SettlementStatus.SETTLED
    said = zh_label(status)
    if status in DELIVERED_OR_LATER and delivery is None:
        yield f"status {status.value} needs a delivery record (delivery.yaml)", f"狀態為{said}，須有交付記錄（delivery.yaml）", "§5.4"
    if status in ACCEPTED_OR_LATER and delivery is not None and (acceptance is None or acceptance.result not in ACCEPTED):
        yield f"status {status.value} needs the client's acceptance in delivery.yaml", f"狀態為{said}，delivery.yaml 須記錄客戶驗收", "§5.2"
    if status in SETTLED_OR_LATER and not settled:
        yield f"status {status.value} needs a settled settlement.yaml", f"狀態為{said}，須有已結算之 settlement.yaml", "§6.5"
    if status in (S.RECEIVED, S.IN_PROGRESS) and delivery is not None:
        yield f"a delivery is on record, so the status is delivered, not {status.value}", f"已有交付記錄，狀態應為已交付，而非{said}", "§5.4"
    if status not in SETTLED_OR_LATER and status is not S.DISPUTED and settled:
        yield f"the settlement is settled, so the status is settled, not {status.value}", f"結算單已結算，狀態應為已結算，而非{said}", "§6.5"
    if status is S.CANCELLED and (delivery is not None or settlement is not None):
        yield "a cancelled order has no delivery or settlement", "已取消之訂單不得有交付或結算記錄", "§5.4"
    if status is S.ARCHIVED:
        if any(c.status not in CLOSED_CHANGES for c in dossier.change_models):
            yield "an archived dossier has no open change requests", "已歸檔之檔案夾不得有未結之變更申請", "§8.1"
        if any(q.status is not QualityStatus.CLOSED for q in dossier.quality_models):
            yield "an archived dossier has no open quality records", "已歸檔之檔案夾不得有未結之品質記錄", "§8.1"
    if status is S.DISPUTED and not _open_dispute(dossier):
        yield (
            "status disputed needs an open dispute in delivery.yaml or settlement.yaml",
            "狀態為爭議中，delivery.yaml 或 settlement.yaml 須有處理中之爭議",
            "§5.3, §6.4",
        )


def _open_dispute(dossier: Dossier) -> bool:
    delivery = dossier.delivery_model
    settlement = dossier.settlement_model
    if delivery is not None:
        if delivery.dispute is not None and delivery.dispute.status is DisputeStatus.OPEN:
            return True
        if any(o.status is ObjectionStatus.ESCALATED for o in delivery.objections) and delivery.dispute is None:
            return True
    return settlement is not None and any(d.resolved_on is None for d in settlement.disputes)


@rule(
    "order.status-mismatch",
    ("§5.2", "§5.3", "§5.4", "§6.4", "§6.5", "§8.1"),
    E,
    "An order's status agrees with the records in its dossier",
    "訂單狀態與檔案夾中之記錄一致",
)
def status_mismatch(catalog: Catalog) -> Iterator[Finding]:
    for dossier, entry, _ in each_order(catalog):
        for message, zh, clause in mismatches(dossier):
            yield Finding(entry, ("status",), message, clause, zh=zh)
