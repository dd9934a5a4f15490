"""The change request form 《訂單變更申請表》 (§3.4, §7)."""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from typing import ClassVar, Literal

from .base import (
    ChangeId,
    Checked,
    Count,
    DepartmentId,
    FieldError,
    IsoDate,
    Line,
    MoneyDelta,
    OrderId,
    Part,
    PersonId,
    Record,
    Text,
    field,
)
from .lifecycle import ChangeStatus


class ApprovalDecision(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"


class ChangeReason(StrEnum):
    """§7.1: what a change is about, so the reports can count changes by reason (the reason itself is free text)."""

    SCOPE = "scope"
    SCHEDULE = "schedule"
    BUDGET = "budget"
    CLIENT_ENVIRONMENT = "client_environment"
    QUALITY = "quality"
    OTHER = "other"


class VerificationResult(StrEnum):
    CONFIRMED = "confirmed"
    FAILED = "failed"


class Assessment(Part):
    """§3.4: assessment of the change's feasibility, cost and schedule."""

    by: PersonId = field("Assessor", "評估人", "§3.4")
    on: IsoDate = field("Assessment date", "評估日期", "§3.4")
    summary: Text = field("Assessment", "評估意見", "§3.4")


class DepartmentApproval(Part):
    """§7.1: one department's approval of the change."""

    department: DepartmentId = field("Approving department", "核准部門", "§7.1")
    by: PersonId = field("Approver", "核准人", "§7.1")
    on: IsoDate = field("Date", "核准日期", "§7.1")
    decision: ApprovalDecision = field("Decision", "決定", "§7.1")
    comment: Text | None = field("Comment", "意見", "§7.1", default=None)


class MajorReview(Part):
    """§7.2: a major change is reviewed by the departments concerned."""

    held_on: IsoDate = field("Review date", "評審日期", "§7.2")
    departments: list[DepartmentId] = field("Departments that reviewed", "參與評審部門", "§7.2", min_length=2)
    conclusion: Text = field("Conclusion", "評審結論", "§7.2")


class Implementation(Checked):
    """§7.3: implementation per the change plan; who was notified; adjustments."""

    plan: Text = field("Change plan", "變更計劃", "§7.3")
    started_on: IsoDate = field("Start", "開始實施日期", "§7.3")
    completed_on: IsoDate | None = field("Completion", "完成日期", "§7.3", default=None)
    notified: list[PersonId] = field("People notified", "已通知人員", "§7.3", min_length=1)
    adjustments: Text | None = field("Adjustments made during implementation", "實施中之調整", "§7.3", default=None)

    def checks(self) -> Iterator[FieldError]:
        if self.completed_on and self.completed_on < self.started_on:
            yield FieldError(("completed_on",), "completed before it started", "§7.3")


class Verification(Part):
    """§7.4: the result is verified and confirmed after implementation."""

    by: PersonId = field("Verified by", "驗證人", "§7.4")
    on: IsoDate = field("Date", "驗證日期", "§7.4")
    result: VerificationResult = field("Result", "驗證結果", "§7.4")
    note: Text | None = field("Notes", "備註", "§7.4", default=None)


class ChangeRequest(Record):
    """A change request form, ``changes/CR-YYYY-NNNN-NN.yaml`` in the order's dossier."""

    clause: ClassVar[str] = "§7.1"

    kind: Literal["change_request"] = field("Record kind", "記錄類型")
    id: ChangeId = field("Change request number", "變更申請編號", "§7.1")
    order: OrderId = field("The order this change belongs to", "所屬訂單", "§7.1")
    status: ChangeStatus = field("Status of the change", "變更狀態", "§7.1")
    title: Line = field("Short title", "變更標題", "§7.1")
    requested_on: IsoDate = field("Date the client requested it", "申請日期", "§7.1")
    requested_by: Line = field("Client person who requested it", "客戶申請人", "§7.1")
    recorded_by: PersonId = field("Staff member who filled in the form", "填表人", "§7.1")
    reason: Text = field("Reason for the change", "變更原因", "§7.1")
    reason_type: ChangeReason | None = field("Kind of reason, for the reports (scope, schedule, budget …)", "變更原因類別", "§7.1", default=None)
    content: Text = field("What changes", "變更內容", "§7.1")
    impact: Text = field("Impact on scope, schedule, cost and quality", "變更影響", "§7.1")
    major: bool = field("Major change: needs a review by the departments concerned", "是否重大變更", "§7.2", strict=True)
    cost_delta: MoneyDelta = field("Change in cost (may be negative)", "費用增減", "§7.1", default=0)
    schedule_delta_days: int = field("Change in schedule, days", "工期增減（天）", "§7.1", default=0, strict=True, ge=-3650, le=3650)
    new_delivery_due: IsoDate | None = field("New delivery date, if it moves", "新交付日期", "§7.1", default=None)
    assessment: Assessment | None = field("Assessment", "評估", "§3.4", default=None)
    approvals: list[DepartmentApproval] = field("Departmental approvals", "部門核准", "§7.1", default_factory=list, max_length=20)
    major_review: MajorReview | None = field("Review of a major change", "重大變更評審", "§7.2", default=None)
    implementation: Implementation | None = field("Implementation", "變更實施", "§7.3", default=None)
    verification: Verification | None = field("Verification", "結果確認", "§7.4", default=None)
    effort_hours: Count | None = field("Estimated extra effort, hours", "預估增加工時", default=None)

    def checks(self) -> Iterator[FieldError]:
        s = ChangeStatus
        at_least_assessed = self.status is not s.REQUESTED
        if at_least_assessed and self.status is not s.REJECTED and self.assessment is None:
            yield FieldError(("assessment",), f"a change that is {self.status.value} needs its assessment", "§3.4")
        if self.status in (s.APPROVED, s.IMPLEMENTED, s.VERIFIED):
            if not any(a.decision is ApprovalDecision.APPROVED for a in self.approvals):
                yield FieldError(("approvals",), f"a change that is {self.status.value} needs departmental approvals", "§7.1")
            rejected = [i for i, a in enumerate(self.approvals) if a.decision is ApprovalDecision.REJECTED]
            for i in rejected:
                yield FieldError(("approvals", i, "decision"), "a department rejected this change, so it cannot go ahead", "§7.1")
        if self.status in (s.IMPLEMENTED, s.VERIFIED) and self.implementation is None:
            yield FieldError(("implementation",), f"a change that is {self.status.value} needs its implementation", "§7.3")
        if self.status is s.IMPLEMENTED and self.implementation and self.implementation.completed_on is None:
            yield FieldError(("implementation", "completed_on"), "an implemented change needs its completion date", "§7.3")
        if self.status is s.VERIFIED and self.verification is None:
            yield FieldError(("verification",), "a verified change needs its verification", "§7.4")
        if self.verification and self.status is not s.VERIFIED:
            yield FieldError(("status",), "the change has a verification, so its status is verified", "§7.4")
        if self.major and self.status in (s.APPROVED, s.IMPLEMENTED, s.VERIFIED) and self.major_review is None:
            yield FieldError(("major_review",), "a major change is reviewed by the departments concerned before approval", "§7.2")
        departments = [a.department for a in self.approvals]
        for i, dept in enumerate(departments):
            if dept in departments[:i]:
                yield FieldError(("approvals", i, "department"), f"{dept} approves twice")
        for i, approval in enumerate(self.approvals):
            if approval.on < self.requested_on:
                yield FieldError(("approvals", i, "on"), "approved before it was requested", "§7.1")
