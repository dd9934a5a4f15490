"""The order record (`order.yaml`): intake §2, reviews §2.4–§2.5, work plan and tracking §3."""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from typing import ClassVar, Literal

from .base import (
    Checked,
    Currency,
    Email,
    FieldError,
    IsoDate,
    Line,
    Money,
    OrderId,
    Part,
    Percent,
    PersonId,
    Phone,
    Record,
    Text,
    field,
    line,
)
from .lifecycle import OrderStatus

TaskId = line(20)
"""A task's id within its order: T1, T2 …"""


class Channel(StrEnum):
    """§2.1 intake channels."""

    PHONE = "phone"
    EMAIL = "email"
    ONLINE_CHAT = "online_chat"


class ServiceType(StrEnum):
    """§1.2 the kinds of outsourced work."""

    SOFTWARE_DEVELOPMENT = "software_development"
    DATA_ANALYSIS = "data_analysis"
    CUSTOMER_SUPPORT = "customer_support"
    MARKETING = "marketing"
    OTHER = "other"


class Decision(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"
    NEEDS_DISCUSSION = "needs_discussion"


class Complexity(StrEnum):
    """§3.3: complex orders and major projects need a project review and risk plan."""

    STANDARD = "standard"
    COMPLEX = "complex"
    MAJOR = "major"


class Level(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class TaskStatus(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    BLOCKED = "blocked"


class QualityState(StrEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    ISSUE = "issue"


class Client(Part):
    name: Line = field("Client company name", "客戶名稱", "§2.2")
    contact: Line = field("Client contact person", "客戶聯絡人", "§2.2")
    email: Email | None = field("Contact e-mail", "聯絡電子郵件", default=None)
    phone: Phone | None = field("Contact phone", "聯絡電話", default=None)


class Intake(Checked):
    """§2.1–§2.2: what the sales representative records and confirms with the client."""

    channel: Channel = field("Channel the order came in by", "接單管道", "§2.1")
    received_on: IsoDate = field("Date the order was received", "接單日期", "§2.2")
    confirmed_on: IsoDate = field("Date the order was confirmed with the client", "與客戶確認日期", "§2.2")
    sales_rep: PersonId = field("Sales representative who recorded the order", "業務代表", "§2.2")
    client: Client = field("Client", "客戶", "§2.2")
    project_name: Line = field("Project name", "專案名稱", "§2.2")
    service_type: ServiceType = field("Type of service", "服務類型", "§1.2")
    service_content: Text = field("Service content as agreed with the client", "服務內容", "§2.2")
    delivery_due: IsoDate = field("Agreed delivery date", "約定交付日期", "§2.2")
    budget: Money = field("Agreed budget", "預算", "§2.2")
    currency: Currency = field("Currency of all amounts of this order", "幣別", "§2.2")

    def checks(self) -> Iterator[FieldError]:
        if self.confirmed_on < self.received_on:
            yield FieldError(("confirmed_on",), "the order cannot be confirmed before it was received", "§2.2")
        if self.delivery_due < self.confirmed_on:
            yield FieldError(("delivery_due",), "the delivery date is before the order was confirmed", "§2.2")


class Forwarding(Part):
    """§2.3: the order goes to Operations and Finance after confirmation."""

    operations_on: IsoDate = field("Date forwarded to Operations", "轉交運營部門日期", "§2.3")
    finance_on: IsoDate = field("Date forwarded to Finance", "轉交財務部門日期", "§2.3")


class OperationsReview(Part):
    """§2.4: feasibility and resources."""

    reviewer: PersonId = field("Operations reviewer", "運營審核人", "§2.4")
    reviewed_on: IsoDate = field("Review date", "審核日期", "§2.4")
    decision: Decision = field("Review decision", "審核結論", "§2.4")
    feasibility: Text = field("Feasibility assessment", "可行性評估", "§2.4")
    resources: Text | None = field("Resources needed", "所需資源", "§2.4", default=None)
    issues: Text | None = field("Problems settled with the sales representative", "與業務協調之問題", "§2.4", default=None)
    feedback_to_sales_on: IsoDate | None = field("Date the result was fed back to sales", "審核結果反饋業務日期", "§2.4", default=None)


class BudgetAdjustment(Part):
    """§2.5: a fee adjustment applies only once sales and the client agreed it."""

    new_budget: Money = field("Adjusted budget", "調整後預算", "§2.5")
    reason: Text = field("Why the budget changes", "調整原因", "§2.5")
    client_agreed_on: IsoDate | None = field("Date the client agreed", "客戶同意日期", "§2.5", default=None)
    agreed_by_sales: PersonId | None = field("Sales representative who agreed it with the client", "同意之業務代表", "§2.5", default=None)


class FinanceReview(Part):
    """§2.5: budget review."""

    reviewer: PersonId = field("Finance reviewer", "財務審核人", "§2.5")
    reviewed_on: IsoDate = field("Review date", "審核日期", "§2.5")
    decision: Decision = field("Review decision", "審核結論", "§2.5")
    notes: Text | None = field("Review notes", "審核意見", "§2.5", default=None)
    budget_adjustment: BudgetAdjustment | None = field("Agreed fee adjustment", "費用調整", "§2.5", default=None)
    feedback_to_sales_on: IsoDate | None = field("Date the result was fed back to sales", "審核結果反饋業務日期", "§2.5", default=None)


class ProjectReview(Part):
    """§3.3: review of complex orders and major projects by the departments concerned."""

    held_on: IsoDate = field("Date of the project review", "專案評審日期", "§3.3")
    participants: list[PersonId] = field("People who took part", "參與人員", "§3.3", min_length=1)
    conclusion: Text = field("Conclusion of the review", "評審結論", "§3.3")


class Risk(Part):
    """§3.3: risk-control measures."""

    risk: Line = field("The risk", "風險", "§3.3")
    likelihood: Level = field("Likelihood", "可能性", "§3.3")
    impact: Level = field("Impact", "影響程度", "§3.3")
    mitigation: Text = field("Control measure", "控制措施", "§3.3")
    owner: PersonId = field("Person responsible", "負責人", "§3.3")


class Task(Checked):
    """§3.1: one task of the work plan with its responsible person."""

    id: TaskId = field("Task id, unique in the order (T1, T2 …)", "任務編號", "§3.1")
    title: Line = field("Task", "任務名稱", "§3.1")
    owner: PersonId = field("Person responsible", "負責人", "§3.1")
    start: IsoDate | None = field("Planned start", "預計開始", "§3.1", default=None)
    due: IsoDate = field("Planned end", "預計完成", "§3.1")
    status: TaskStatus = field("Task status", "任務狀態", "§3.2", default=TaskStatus.NOT_STARTED)

    def checks(self) -> Iterator[FieldError]:
        if self.start and self.due < self.start:
            yield FieldError(("due",), "a task cannot end before it starts", "§3.1")


class Milestone(Part):
    """§3.1: a time node of the work plan."""

    name: Line = field("Milestone", "里程碑", "§3.1")
    due: IsoDate = field("Planned date", "預計日期", "§3.1")
    done_on: IsoDate | None = field("Date reached", "完成日期", "§3.2", default=None)


class WorkPlan(Checked):
    """§3.1: task breakdown, milestones, responsible people."""

    tasks: list[Task] = field("Tasks", "任務分解", "§3.1", min_length=1, max_length=500)
    milestones: list[Milestone] = field("Milestones", "里程碑", "§3.1", default_factory=list, max_length=200)

    def checks(self) -> Iterator[FieldError]:
        seen: set[str] = set()
        for i, task in enumerate(self.tasks):
            if task.id in seen:
                yield FieldError(("tasks", i, "id"), f"task id {task.id} is used twice", "§3.1")
            seen.add(task.id)


class Progress(Part):
    """§3.2: one tracking entry: progress, quality status, resources."""

    on: IsoDate = field("Date of the report", "回報日期", "§3.2")
    progress: Percent = field("Progress in percent", "進度百分比", "§3.2")
    quality: QualityState = field("Quality status", "品質狀況", "§3.2")
    resources: Line | None = field("Resource usage", "資源使用", "§3.2", default=None)
    note: Text | None = field("Notes", "備註", "§3.2", default=None)


class DocumentKind(StrEnum):
    """§8.1: what an attached file is, so the archive can tell which documents a dossier holds."""

    CONTRACT = "contract"
    CHANGE_FORM = "change_form"
    DELIVERY = "delivery"
    SETTLEMENT = "settlement"
    INVOICE = "invoice"
    CORRESPONDENCE = "correspondence"
    OTHER = "other"


class Attachment(Part):
    """A file kept in the dossier's ``attachments/`` folder (contract, delivery documents …)."""

    file: Line = field("File name inside attachments/", "附件檔名", "§8.1")
    title: Line = field("What the file is", "附件說明", "§8.1")
    type: DocumentKind | None = field(
        "Kind of document (contract, delivery, settlement …): the policy names the kinds a dossier must hold at each state",
        "文件類別（合約、交付、結算…）：政策規定各狀態須具備之文件",
        "§8.1",
        default=None,
    )


class Cancellation(Part):
    on: IsoDate = field("Date cancelled", "取消日期")
    reason: Text = field("Why the order was cancelled", "取消原因")
    approved_by: PersonId = field("Who approved the cancellation", "核准人")


class Order(Record):
    """An order 訂單: one per dossier folder ``records/orders/YYYY/ORD-YYYY-NNNN/``."""

    clause: ClassVar[str] = "§2.2"

    kind: Literal["order"] = field("Record kind", "記錄類型")
    id: OrderId = field("Order number", "訂單編號", "§2.2")
    status: OrderStatus = field("Order status (已接收 received, 已交付 delivered, 已結算 settled …)", "訂單狀態", "§2.3")
    intake: Intake = field("Intake and confirmation", "訂單接收與確認", "§2.2")
    forwarding: Forwarding | None = field("Forwarding to Operations and Finance", "轉交運營與財務", "§2.3", default=None)
    operations_review: OperationsReview | None = field("Operations review", "運營審核", "§2.4", default=None)
    finance_review: FinanceReview | None = field("Finance review", "財務審核", "§2.5", default=None)
    complexity: Complexity | None = field(
        "Complexity of the order (standard, complex, major), decided by the reviews; required before execution",
        "訂單複雜度（審核時決定；執行前必填）",
        "§3.3",
        default=None,
    )
    project_review: ProjectReview | None = field("Project review", "專案評審", "§3.3", default=None)
    risks: list[Risk] = field("Risk plan", "風險控制", "§3.3", default_factory=list, max_length=200)
    work_plan: WorkPlan | None = field("Work plan", "工作計劃", "§3.1", default=None)
    tracking: list[Progress] = field("Execution tracking", "執行追蹤", "§3.2", default_factory=list, max_length=2000)
    attachments: list[Attachment] = field("Attached files", "附件", "§8.1", default_factory=list, max_length=200)
    cancellation: Cancellation | None = field("Cancellation", "取消", default=None)
    archived_on: IsoDate | None = field("Date the dossier was archived", "歸檔日期", "§8.1", default=None)

    def checks(self) -> Iterator[FieldError]:
        if self.status is OrderStatus.CANCELLED and self.cancellation is None:
            yield FieldError(("status",), "a cancelled order needs a cancellation block with date, reason and approver")
        if self.cancellation is not None and self.status not in (OrderStatus.CANCELLED, OrderStatus.ARCHIVED):
            yield FieldError(("cancellation",), f"the order has a cancellation but its status is {self.status.value}")
        if self.status is OrderStatus.ARCHIVED and self.archived_on is None:
            yield FieldError(("archived_on",), "an archived order needs the date it was archived", "§8.1")
        if self.archived_on is not None and self.status is not OrderStatus.ARCHIVED:
            yield FieldError(("archived_on",), f"archived_on is set but the status is {self.status.value}", "§8.1")
        if self.forwarding:
            for name in ("operations_on", "finance_on"):
                if getattr(self.forwarding, name) < self.intake.confirmed_on:
                    yield FieldError(("forwarding", name), "the order was forwarded before it was confirmed with the client", "§2.3")
        if self.status is not OrderStatus.RECEIVED and self.status is not OrderStatus.CANCELLED and self.forwarding is None:
            yield FieldError(("status",), f"status {self.status.value} needs the forwarding dates", "§2.3")
        files = [a.file for a in self.attachments]
        for i, name in enumerate(files):
            if name in files[:i]:
                yield FieldError(("attachments", i, "file"), f"{name} is listed twice")
