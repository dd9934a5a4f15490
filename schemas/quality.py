"""The quality record (§4): inspection, defects, rectification, client notice, complaints."""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from typing import Annotated, ClassVar, Literal

from pydantic import Field, StrictInt

from .base import FieldError, IsoDate, Line, OrderId, Part, PersonId, QualityId, Record, Text, field
from .lifecycle import QualityStatus


class Stage(StrEnum):
    """§4.2: quality control covers every stage."""

    PROCUREMENT = "procurement"
    PRODUCTION = "production"
    INSPECTION = "inspection"
    AFTER_SALES = "after_sales"


class Result(StrEnum):
    PASS = "pass"
    FAIL = "fail"


class DefectType(StrEnum):
    """§4.5: defect types for the quality statistics."""

    FUNCTIONAL = "functional"
    PERFORMANCE = "performance"
    DATA_ACCURACY = "data_accuracy"
    DOCUMENTATION = "documentation"
    SERVICE = "service"
    SECURITY = "security"
    OTHER = "other"


class Severity(StrEnum):
    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"


class Action(StrEnum):
    """§4.4: rework 返工, repair 返修, scrap 報廢."""

    REWORK = "rework"
    REPAIR = "repair"
    SCRAP = "scrap"


class Defect(Part):
    type: DefectType = field("Defect type", "缺陷類型", "§4.5")
    severity: Severity = field("Severity", "嚴重程度", "§4.5")
    description: Text = field("What is wrong", "缺陷描述", "§4.3")


class Rectification(Part):
    """§4.4: how a defect was corrected, with the client informed."""

    action: Action = field("rework 返工 / repair 返修 / scrap 報廢", "整改方式", "§4.4")
    description: Text = field("What was done", "整改內容", "§4.4")
    client_notified_on: IsoDate | None = field("Date the client was notified", "通知客戶日期", "§4.4", default=None)
    completed_on: IsoDate | None = field("Date the rectification was completed", "整改完成日期", "§4.4", default=None)
    done_by: PersonId | None = field("Who carried out the rectification", "整改執行人", "§4.4", default=None)
    verified_by: PersonId | None = field("Inspector who verified the rectification", "整改驗證人", "§4.3", default=None)


class Complaint(Part):
    """§4.5: a client complaint, counted in the quality statistics."""

    received_on: IsoDate = field("Date received", "投訴日期", "§4.5")
    description: Text = field("Complaint", "投訴內容", "§4.5")
    resolved_on: IsoDate | None = field("Date resolved", "處理完成日期", "§4.5", default=None)
    resolution: Text | None = field("How it was resolved", "處理結果", "§4.5", default=None)


class QualityRecord(Record):
    """An inspection of an order, ``quality/QC-YYYY-NNNN-NN.yaml`` in its dossier."""

    clause: ClassVar[str] = "§4.3"

    kind: Literal["quality_record"] = field("Record kind", "記錄類型")
    id: QualityId = field("Quality record number", "品質記錄編號", "§4.3")
    order: OrderId = field("Order inspected", "所屬訂單", "§4.3")
    status: QualityStatus = field("Status of the record", "記錄狀態", "§4.4")
    stage: Stage = field("Stage inspected", "檢驗階段", "§4.2")
    inspected_on: IsoDate = field("Inspection date", "檢驗日期", "§4.3")
    inspector: PersonId = field("Quality inspector", "品檢人員", "§4.3")
    standard: Line = field("Quality standard or inspection specification applied", "適用品質標準", "§4.1")
    result: Result = field("Inspection result", "檢驗結果", "§4.3")
    defects: list[Defect] = field("Defects found", "缺陷", "§4.3", default_factory=list, max_length=500)
    rectification: Rectification | None = field("Rectification", "整改", "§4.4", default=None)
    complaints: list[Complaint] = field("Client complaints", "客戶投訴", "§4.5", default_factory=list, max_length=200)
    satisfaction: Annotated[StrictInt, Field(ge=1, le=5)] | None = field(
        "Client satisfaction, 1 (poor) to 5 (excellent)", "客戶滿意度（1–5）", "§3.5", default=None
    )
    closed_on: IsoDate | None = field("Date the record was closed", "結案日期", "§4.4", default=None)
    notes: Text | None = field("Notes", "備註", default=None)

    def checks(self) -> Iterator[FieldError]:
        if self.result is Result.FAIL and not self.defects:
            yield FieldError(("defects",), "a failed inspection lists the defects found", "§4.3")
        if self.status is QualityStatus.CLOSED and self.closed_on is None:
            yield FieldError(("closed_on",), "a closed quality record needs its closing date", "§4.4")
        if self.closed_on is not None and self.status is not QualityStatus.CLOSED:
            yield FieldError(("closed_on",), f"closed_on is set but the status is {self.status.value}", "§4.4")
        if self.closed_on and self.closed_on < self.inspected_on:
            yield FieldError(("closed_on",), "closed before the inspection", "§4.4")
        if self.rectification and self.status is QualityStatus.CLOSED and self.rectification.completed_on is None:
            yield FieldError(("rectification", "completed_on"), "a closed record's rectification needs its completion date", "§4.4")
