"""Archive records (§8): the borrowing register 《檔案借閱登記表》 and approved disposals."""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from typing import ClassVar, Literal

from .base import (
    DepartmentId,
    DisposalId,
    FieldError,
    IsoDate,
    Line,
    LoanId,
    Part,
    PersonId,
    Record,
    RecordId,
    Text,
    field,
)


class Loan(Record):
    """One entry of the borrowing register, ``archive/borrowing/BR-YYYY-NNNN.yaml``."""

    clause: ClassVar[str] = "§8.3"

    kind: Literal["loan"] = field("Record kind", "記錄類型")
    id: LoanId = field("Register number", "借閱登記編號", "§8.3")
    borrower: PersonId = field("Who borrows", "借閱人", "§8.3")
    department: DepartmentId = field("Borrower's department", "借閱部門", "§8.3")
    records: list[RecordId] = field("Records borrowed (order or record numbers)", "借閱檔案", "§8.3", min_length=1, max_length=500)
    purpose: Text = field("Why the records are borrowed", "借閱目的", "§8.3")
    requested_on: IsoDate = field("Date requested", "申請日期", "§8.3")
    approved_by: PersonId | None = field("Head of the borrower's department who approved", "核准之部門主管", "§8.3", default=None)
    approved_on: IsoDate | None = field("Date approved", "核准日期", "§8.3", default=None)
    borrowed_on: IsoDate | None = field("Date taken out", "借出日期", "§8.3", default=None)
    due_on: IsoDate | None = field("Date due back", "應歸還日期", "§8.3", default=None)
    returned_on: IsoDate | None = field("Date returned", "歸還日期", "§8.3", default=None)

    def checks(self) -> Iterator[FieldError]:
        if (self.approved_by is None) != (self.approved_on is None):
            yield FieldError(("approved_on",), "an approval needs both the approver and the date", "§8.3")
        if self.borrowed_on is not None:
            if self.approved_on is None:
                yield FieldError(("borrowed_on",), "records are lent only after the department head approved", "§8.3")
            elif self.borrowed_on < self.approved_on:
                yield FieldError(("borrowed_on",), "lent before the loan was approved", "§8.3")
            if self.due_on is None:
                yield FieldError(("due_on",), "a loan needs the date it is due back", "§8.3")
            elif self.due_on < self.borrowed_on:
                yield FieldError(("due_on",), "due back before it was lent", "§8.3")
        if self.returned_on is not None:
            if self.borrowed_on is None:
                yield FieldError(("returned_on",), "returned, but never lent", "§8.3")
            elif self.returned_on < self.borrowed_on:
                yield FieldError(("returned_on",), "returned before it was lent", "§8.3")
        if self.approved_on and self.approved_on < self.requested_on:
            yield FieldError(("approved_on",), "approved before it was requested", "§8.3")
        for i, rec in enumerate(self.records):
            if rec in self.records[:i]:
                yield FieldError(("records", i), f"{rec} is listed twice")


class DisposalMethod(StrEnum):
    SHREDDING = "shredding"
    SECURE_DELETION = "secure_deletion"
    INCINERATION = "incineration"


class DisposalItem(Part):
    record: RecordId = field("Record destroyed (an order number covers its whole dossier)", "銷毀之檔案", "§8.2")
    retention_until: IsoDate = field("End of its retention period", "保存期限", "§8.2")


class DisposalApproval(Part):
    by: PersonId = field("Approver", "核准人", "§8.2")
    department: DepartmentId = field("Approver's department", "核准部門", "§8.2")
    on: IsoDate = field("Date", "核准日期", "§8.2")


class Disposal(Record):
    """Approved destruction of records whose retention expired, ``archive/disposals/DS-YYYY-NNNN.yaml``."""

    clause: ClassVar[str] = "§8.2"

    kind: Literal["disposal"] = field("Record kind", "記錄類型")
    id: DisposalId = field("Disposal number", "銷毀編號", "§8.2")
    items: list[DisposalItem] = field("Records to destroy", "銷毀清單", "§8.2", min_length=1, max_length=5000)
    reason: Text = field("Reason", "銷毀原因", "§8.2")
    proposed_by: PersonId = field("Who proposed the disposal", "提出人", "§8.2")
    proposed_on: IsoDate = field("Date proposed", "提出日期", "§8.2")
    approvals: list[DisposalApproval] = field("Approvals", "核准", "§8.2", default_factory=list, max_length=20)
    method: DisposalMethod = field("How records are destroyed", "銷毀方式", "§8.2")
    destroyed_on: IsoDate | None = field("Date destroyed", "銷毀日期", "§8.2", default=None)
    witness: PersonId | None = field("Witness of the destruction", "監銷人", "§8.2", default=None)
    note: Line | None = field("Note", "備註", default=None)

    def checks(self) -> Iterator[FieldError]:
        if self.destroyed_on is not None:
            if not self.approvals:
                yield FieldError(("destroyed_on",), "records are destroyed only after approval", "§8.2")
            for i, approval in enumerate(self.approvals):
                if approval.on > self.destroyed_on:
                    yield FieldError(("approvals", i, "on"), "approved after the records were destroyed", "§8.2")
            if self.witness is None:
                yield FieldError(("witness",), "a destruction needs a witness", "§8.2")
        for i, item in enumerate(self.items):
            if item.retention_until > self.proposed_on:
                yield FieldError(("items", i, "retention_until"), f"{item.record} is still under retention until {item.retention_until}", "§8.2")
        ids = [item.record for item in self.items]
        for i, rec in enumerate(ids):
            if rec in ids[:i]:
                yield FieldError(("items", i, "record"), f"{rec} is listed twice")
