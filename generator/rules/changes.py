"""Change management (§3.4, §7): approval before implementation, review of major changes, verification."""

from __future__ import annotations

from collections.abc import Iterator

from generator.records.catalog import Catalog
from schemas import ChangeStatus
from schemas.change import ApprovalDecision, VerificationResult

from . import E, Finding, approving_departments, rule, zh_label

GOING_AHEAD = frozenset({ChangeStatus.APPROVED, ChangeStatus.IMPLEMENTED, ChangeStatus.VERIFIED})


@rule(
    "change.missing-approval",
    "§7.1",
    E,
    "A change goes ahead only after every department the policy names approved it",
    "變更須經政策所列各部門核准始得執行",
)
def missing_approval(catalog: Catalog) -> Iterator[Finding]:
    required = approving_departments(catalog, "change_request")
    for dossier in catalog.dossiers.values():
        for entry in dossier.changes:
            change = entry.model
            if change.status not in GOING_AHEAD:
                continue
            approved = {a.department for a in change.approvals if a.decision is ApprovalDecision.APPROVED}
            for department in required:
                if department not in approved:
                    yield Finding(
                        entry,
                        ("approvals",),
                        f"the change is {change.status.value} without the approval of {department}",
                        zh=f"變更已{zh_label(change.status)}，但未經 {department} 核准",
                    )


@rule(
    "change.approver-outside-department",
    ("§7.1", "§7.2"),
    E,
    "A department's approval is given by a person of that department",
    "部門核准須由該部門人員簽核",
)
def approver_outside_department(catalog: Catalog) -> Iterator[Finding]:
    for dossier in catalog.dossiers.values():
        for entry in dossier.changes:
            for i, approval in enumerate(entry.model.approvals):
                person = catalog.people.get(approval.by)
                if person is not None and person.department != approval.department:
                    yield Finding(
                        entry,
                        ("approvals", i, "by"),
                        f"{approval.by} is in {person.department}, not {approval.department}",
                        zh=f"{approval.by} 任職於 {person.department}，而非 {approval.department}",
                    )


@rule(
    "change.major-review-incomplete",
    "§7.2",
    E,
    "A major change is reviewed by every department concerned",
    "重大變更須經相關各部門評審",
)
def major_review_incomplete(catalog: Catalog) -> Iterator[Finding]:
    required = set(approving_departments(catalog, "change_request"))
    for dossier in catalog.dossiers.values():
        for entry in dossier.changes:
            change = entry.model
            if change.major and change.major_review is not None:
                missing = sorted(required - set(change.major_review.departments))
                if missing:
                    yield Finding(
                        entry,
                        ("major_review", "departments"),
                        f"the review of a major change lacks {', '.join(missing)}",
                        zh=f"重大變更之評審缺少 {'、'.join(missing)}",
                    )


@rule(
    "change.unverified-at-delivery",
    ("§7.3", "§7.4"),
    E,
    "Changes are implemented and verified before the order is delivered",
    "變更須於交付前完成實施並經驗證",
)
def unverified_at_delivery(catalog: Catalog) -> Iterator[Finding]:
    for dossier in catalog.dossiers.values():
        delivery = dossier.delivery_model
        if delivery is None:
            continue
        for entry in dossier.changes:
            change = entry.model
            if change.status in (ChangeStatus.APPROVED, ChangeStatus.IMPLEMENTED):
                yield Finding(
                    entry,
                    ("status",),
                    f"the order was delivered on {delivery.delivered_on} but this change is still {change.status.value}",
                    zh=f"訂單已於 {delivery.delivered_on} 交付，但此變更仍為{zh_label(change.status)}",
                )
            elif change.verification is not None and change.verification.on > delivery.delivered_on:
                yield Finding(
                    entry,
                    ("verification", "on"),
                    f"verified on {change.verification.on}, after the delivery on {delivery.delivered_on}",
                    zh=f"確認於 {change.verification.on}，晚於交付日 {delivery.delivered_on}",
                )


@rule("change.after-settlement", ("§3.4", "§7.1"), E, "No change is requested after the order was settled", "結算後不得再申請變更")
def after_settlement(catalog: Catalog) -> Iterator[Finding]:
    for dossier in catalog.dossiers.values():
        settlement = dossier.settlement_model
        if settlement is None or settlement.settled_on is None:
            continue
        for entry in dossier.changes:
            if entry.model.requested_on > settlement.settled_on:
                yield Finding(
                    entry,
                    ("requested_on",),
                    f"requested after the order was settled on {settlement.settled_on}",
                    zh=f"於訂單結算（{settlement.settled_on}）後才提出申請",
                )


@rule(
    "change.out-of-order",
    ("§7.2", "§7.3", "§7.4"),
    E,
    "A change is reviewed (if major) before its approval, implemented after it, and verified after its implementation",
    "變更依序：重大變更先評審後核准、核准後實施、實施後驗證",
)
def out_of_order(catalog: Catalog) -> Iterator[Finding]:
    for dossier in catalog.dossiers.values():
        for entry in dossier.changes:
            cr = entry.model
            approved = max((a.on for a in cr.approvals), default=None)
            if cr.major_review is not None and approved is not None and cr.major_review.held_on > approved:
                yield Finding(
                    entry,
                    ("major_review", "held_on"),
                    f"reviewed on {cr.major_review.held_on}, after its approval on {approved}",
                    "§7.2",
                    zh=f"評審於 {cr.major_review.held_on}，晚於核准日 {approved}",
                )
            implemented = cr.implementation
            if implemented is not None and approved is not None and implemented.started_on < approved:
                yield Finding(
                    entry,
                    ("implementation", "started_on"),
                    f"implemented from {implemented.started_on}, before its approval on {approved}",
                    "§7.3",
                    zh=f"自 {implemented.started_on} 起實施，早於核准日 {approved}",
                )
            done = implemented.completed_on or implemented.started_on if implemented is not None else None
            if cr.verification is not None and done is not None and cr.verification.on < done:
                yield Finding(
                    entry,
                    ("verification", "on"),
                    f"verified on {cr.verification.on}, before its implementation ({done})",
                    "§7.4",
                    zh=f"確認於 {cr.verification.on}，早於實施（{done}）",
                )


@rule("change.verification-failed", "§7.4", E, "A change whose verification failed is not marked verified", "驗證未通過之變更不得標示為已驗證")
def verification_failed(catalog: Catalog) -> Iterator[Finding]:
    for dossier in catalog.dossiers.values():
        for entry in dossier.changes:
            cr = entry.model
            if cr.status is ChangeStatus.VERIFIED and cr.verification is not None and cr.verification.result is VerificationResult.FAILED:
                yield Finding(
                    entry,
                    ("status",),
                    "marked verified, but its verification failed: rework it and verify again",
                    zh="標示為已確認，但確認結果為未通過：請重新處理並再次確認",
                )
