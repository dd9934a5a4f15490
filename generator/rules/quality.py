"""Quality control (§4): inspectors, rectification, the client told, records closed before acceptance."""

from __future__ import annotations

from collections.abc import Iterator

from generator.records.catalog import Catalog
from schemas import QualityStatus
from schemas.organization import Role
from schemas.quality import Result, Stage

from . import E, Finding, rule, zh_label
from .delivery import ACCEPTED
from .lifecycle import SETTLED_OR_LATER


@rule("quality.no-rectification", "§4.4", E, "A failed inspection is rectified by rework, repair or scrap", "檢驗不合格須返工、返修或報廢")
def no_rectification(catalog: Catalog) -> Iterator[Finding]:
    for dossier in catalog.dossiers.values():
        for entry in dossier.quality:
            if entry.model.result is Result.FAIL and entry.model.rectification is None:
                yield Finding(
                    entry,
                    ("result",),
                    "the inspection failed but no rectification (rework, repair or scrap) is recorded",
                    zh="檢驗不合格，但未記錄整改（返工、返修或報廢）",
                )


@rule("quality.client-not-notified", "§4.4", E, "The client is notified of a quality problem", "品質問題須通知客戶")
def client_not_notified(catalog: Catalog) -> Iterator[Finding]:
    for dossier in catalog.dossiers.values():
        for entry in dossier.quality:
            rectification = entry.model.rectification
            if rectification is not None and rectification.client_notified_on is None:
                yield Finding(
                    entry,
                    ("rectification",),
                    "the rectification does not say when the client was notified (client_notified_on)",
                    zh="整改未記錄通知客戶之日期（client_notified_on）",
                )


@rule(
    "quality.open-at-acceptance",
    "§4.4",
    E,
    "Quality records are closed before the client accepts the delivery",
    "客戶驗收前品質記錄須結案",
)
def open_at_acceptance(catalog: Catalog) -> Iterator[Finding]:
    for dossier in catalog.dossiers.values():
        delivery = dossier.delivery_model
        acceptance = delivery.acceptance if delivery else None
        if acceptance is None or acceptance.result not in ACCEPTED or acceptance.accepted_on is None:
            continue
        for entry in dossier.quality:
            record = entry.model
            if record.status is not QualityStatus.CLOSED:
                yield Finding(
                    entry,
                    ("status",),
                    f"the client accepted on {acceptance.accepted_on} but this record is still {record.status.value}",
                    zh=f"客戶已於 {acceptance.accepted_on} 驗收，但此記錄仍為{zh_label(record.status)}",
                )
            elif record.closed_on and record.closed_on > acceptance.accepted_on:
                yield Finding(
                    entry,
                    ("closed_on",),
                    f"closed on {record.closed_on}, after the client accepted on {acceptance.accepted_on}",
                    zh=f"結案於 {record.closed_on}，晚於客戶驗收日 {acceptance.accepted_on}",
                )


@rule("quality.inspector-role", "§4.3", E, "Inspections are made by people with the quality-inspector role", "檢驗須由品檢人員執行")
def inspector_role(catalog: Catalog) -> Iterator[Finding]:
    for dossier in catalog.dossiers.values():
        for entry in dossier.quality:
            record = entry.model
            checks = [(("inspector",), record.inspector)]
            if record.rectification and record.rectification.verified_by:
                checks.append((("rectification", "verified_by"), record.rectification.verified_by))
            for loc, person_id in checks:
                person = catalog.people.get(person_id)
                if person is not None and Role.QUALITY_INSPECTOR not in person.roles:
                    yield Finding(entry, loc, f"{person_id} does not have the quality_inspector role", zh=f"{person_id} 不具品檢人員（quality_inspector）角色")


@rule(
    "quality.rectification-out-of-order",
    "§4.4",
    E,
    "The client hears of a defect after the inspection found it, and a completed rectification is verified by someone else",
    "缺陷經檢驗發現後始通知客戶；整改完成後由他人驗證",
)
def rectification_out_of_order(catalog: Catalog) -> Iterator[Finding]:
    for dossier in catalog.dossiers.values():
        for entry in dossier.quality:
            qc, rect = entry.model, entry.model.rectification
            if rect is None:
                continue
            if rect.client_notified_on is not None and rect.client_notified_on < qc.inspected_on:
                message = f"the client was notified on {rect.client_notified_on}, before the inspection on {qc.inspected_on} found the defect"
                zh = f"客戶於 {rect.client_notified_on} 獲通知，早於發現缺陷之檢驗日 {qc.inspected_on}"
                yield Finding(entry, ("rectification", "client_notified_on"), message, zh=zh)
            if rect.completed_on is not None and rect.verified_by is None:
                yield Finding(
                    entry,
                    ("rectification", "completed_on"),
                    "a completed rectification names who verified it (verified_by)",
                    zh="已完成之整改須記錄驗證人（verified_by）",
                )
            elif rect.verified_by is not None and rect.verified_by == rect.done_by:
                yield Finding(
                    entry,
                    ("rectification", "verified_by"),
                    f"verified by the person who did it ({rect.done_by}): another inspector verifies",
                    zh=f"由執行者本人（{rect.done_by}）驗證：須由另一位品檢人員驗證",
                )


@rule("quality.complaint-open-at-close", "§4.5", E, "A settled or archived dossier has no unresolved complaint", "結算或歸檔之訂單不得有未處理之投訴")
def complaint_open_at_close(catalog: Catalog) -> Iterator[Finding]:
    for dossier in catalog.dossiers.values():
        order = dossier.order.model if dossier.order is not None else None
        if order is None or order.status not in SETTLED_OR_LATER:
            continue
        for entry in dossier.quality:
            for i, complaint in enumerate(entry.model.complaints):
                if complaint.resolved_on is None:
                    yield Finding(
                        entry,
                        ("complaints", i, "received_on"),
                        f"a complaint received on {complaint.received_on} is unresolved, and the order is {order.status.value}",
                        zh=f"{complaint.received_on} 收到之投訴尚未處理，而訂單已{zh_label(order.status)}",
                    )


@rule(
    "quality.no-final-inspection",
    "§4.3",
    E,
    "An order is delivered only after a final inspection passed (or its rectification was verified)",
    "交付前須經最終檢驗合格（或整改經驗證）",
)
def no_final_inspection(catalog: Catalog) -> Iterator[Finding]:
    # A quality record is kept for fewer years than the delivery it cleared: once a closed dossier's inspection
    # is destroyed under a disposal, its delivery cannot be judged (an open dossier's cannot have been destroyed).
    destroyed = {record[3:12] for record in catalog.destroyed if record.startswith("QC-")}
    for dossier in catalog.dossiers.values():
        delivery = dossier.delivery_model
        if delivery is None:
            continue
        order = dossier.order_model
        if dossier.order_id[4:] in destroyed and order is not None and order.status in SETTLED_OR_LATER:
            continue
        if not any(_passed_by(entry.model, delivery.delivered_on) for entry in dossier.quality):
            stages = sorted({entry.model.stage.value for entry in dossier.quality}) or ["none"]
            message = f"no final inspection (stage inspection) passed on or before the delivery on {delivery.delivered_on}; inspections: {', '.join(stages)}"
            done = "、".join(sorted({zh_label(entry.model.stage) for entry in dossier.quality})) or "無"
            zh = f"交付日 {delivery.delivered_on} 以前無合格之最終檢驗（stage: final）；已有之檢驗：{done}"
            yield Finding(dossier.delivery, ("delivered_on",), message, zh=zh)


def _passed_by(record, day) -> bool:
    """A final-stage inspection that passed by ``day``, or failed and had its rectification completed and verified by then."""
    if record.stage is not Stage.INSPECTION or record.inspected_on > day:
        return False
    if record.result is Result.PASS:
        return True
    rect = record.rectification
    return rect is not None and rect.verified_by is not None and rect.completed_on is not None and rect.completed_on <= day
