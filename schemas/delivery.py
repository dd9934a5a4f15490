"""The delivery and acceptance record (§5), ``delivery.yaml`` in the order's dossier."""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from typing import ClassVar, Literal

from .base import Checked, DeliveryId, FieldError, IsoDate, Line, OrderId, Part, PersonId, Record, Text, field


class Method(StrEnum):
    """§5.1: the agreed way of delivering."""

    ONLINE = "online"
    EMAIL = "email"
    ONSITE = "onsite"
    PHYSICAL_MEDIA = "physical_media"
    SERVICE_HANDOVER = "service_handover"


class DocumentType(StrEnum):
    """§5.1: delivery documents."""

    PRODUCT_MANUAL = "product_manual"
    SERVICE_REPORT = "service_report"
    USER_GUIDE = "user_guide"
    SOURCE_CODE = "source_code"
    DATA_REPORT = "data_report"
    TEST_REPORT = "test_report"
    OTHER = "other"


class AcceptanceResult(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    ACCEPTED_WITH_REMARKS = "accepted_with_remarks"
    REJECTED = "rejected"


class ObjectionStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"
    ESCALATED = "escalated"


class DisputeStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class Document(Part):
    type: DocumentType = field("Document type", "文件類型", "§5.1")
    title: Line = field("Title", "文件名稱", "§5.1")
    file: Line | None = field("File inside the dossier's attachments/", "附件檔名", "§8.1", default=None)


class Acceptance(Checked):
    """§5.2: the client's inspection against the agreed criteria."""

    criteria: Text = field("Agreed acceptance criteria", "驗收標準", "§5.2")
    method: Line = field("Agreed acceptance method", "驗收方式", "§5.2")
    result: AcceptanceResult = field("Result", "驗收結果", "§5.2")
    accepted_on: IsoDate | None = field("Date of acceptance", "驗收日期", "§5.2", default=None)
    accepted_by: Line | None = field("Client person who signed off", "客戶驗收人", "§5.2", default=None)
    remarks: Text | None = field("Remarks", "驗收意見", "§5.2", default=None)

    def checks(self) -> Iterator[FieldError]:
        done = self.result in (AcceptanceResult.ACCEPTED, AcceptanceResult.ACCEPTED_WITH_REMARKS)
        if done and (self.accepted_on is None or self.accepted_by is None):
            yield FieldError(("accepted_on",), "an acceptance needs its date and the client person who signed off", "§5.2")


class Objection(Checked):
    """§5.3: a client objection, negotiated or escalated to a dispute."""

    raised_on: IsoDate = field("Date raised", "提出日期", "§5.3")
    description: Text = field("The objection", "異議內容", "§5.3")
    status: ObjectionStatus = field("Status", "處理狀態", "§5.3")
    resolution: Text | None = field("Outcome of the negotiation", "協商結果", "§5.3", default=None)
    resolved_on: IsoDate | None = field("Date resolved", "解決日期", "§5.3", default=None)

    def checks(self) -> Iterator[FieldError]:
        if self.status is ObjectionStatus.RESOLVED and (self.resolution is None or self.resolved_on is None):
            yield FieldError(("resolution",), "a resolved objection states the outcome and the date", "§5.3")


class Dispute(Part):
    """§5.3 / §6.4: the company's dispute-resolution mechanism."""

    opened_on: IsoDate = field("Date opened", "啟動日期", "§5.3")
    mechanism: Line = field("Mechanism used (mediation, arbitration …)", "爭議處理方式", "§5.3")
    status: DisputeStatus = field("Status", "狀態", "§5.3")
    outcome: Text | None = field("Outcome", "處理結果", "§5.3", default=None)
    closed_on: IsoDate | None = field("Date closed", "結案日期", "§5.3", default=None)


class Notice(Part):
    """§5.4: Sales and Finance are told of the delivery."""

    sales_on: IsoDate = field("Date Sales was informed", "通知業務日期", "§5.4")
    finance_on: IsoDate = field("Date Finance was informed", "通知財務日期", "§5.4")


class Delivery(Record):
    """Delivery and acceptance of one order."""

    clause: ClassVar[str] = "§5.1"

    kind: Literal["delivery"] = field("Record kind", "記錄類型")
    id: DeliveryId = field("Delivery record number (DLV- and the order's number)", "交付記錄編號", "§5.1")
    order: OrderId = field("Order delivered", "所屬訂單", "§5.1")
    delivered_on: IsoDate = field("Delivery date", "交付日期", "§5.1")
    method: Method = field("Delivery method", "交付方式", "§5.1")
    delivered_by: PersonId = field("Staff member who delivered", "交付人", "§5.1")
    documents: list[Document] = field("Delivery documents", "交付文件", "§5.1", default_factory=list, max_length=200)
    acceptance: Acceptance | None = field("Client acceptance", "客戶驗收", "§5.2", default=None)
    objections: list[Objection] = field("Client objections", "客戶異議", "§5.3", default_factory=list, max_length=100)
    dispute: Dispute | None = field("Dispute resolution", "爭議處理", "§5.3", default=None)
    notified: Notice | None = field("Sales and Finance informed", "通知業務與財務", "§5.4", default=None)

    def checks(self) -> Iterator[FieldError]:
        if self.acceptance and self.acceptance.accepted_on and self.acceptance.accepted_on < self.delivered_on:
            yield FieldError(("acceptance", "accepted_on"), "accepted before it was delivered", "§5.2")
        if self.notified:
            for name in ("sales_on", "finance_on"):
                if getattr(self.notified, name) < self.delivered_on:
                    yield FieldError(("notified", name), "informed before the delivery happened", "§5.4")
