"""The settlement record (§6): plan, client confirmation, invoices, payments, disputes."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar, Literal

from .base import (
    Checked,
    Currency,
    FieldError,
    IsoDate,
    Line,
    Money,
    OrderId,
    Part,
    PersonId,
    Record,
    SettlementId,
    Text,
    field,
    line,
)
from .lifecycle import SettlementStatus

InvoiceNumber = line(40)
"""An invoice number as printed on the invoice; its form per currency is the policy's (§6.3)."""


class Method(StrEnum):
    """§6.2 settlement method."""

    BANK_TRANSFER = "bank_transfer"
    CHEQUE = "cheque"
    CREDIT_CARD = "credit_card"
    OTHER = "other"


class Cycle(StrEnum):
    """§6.2 settlement cycle."""

    ONE_OFF = "one_off"
    PER_MILESTONE = "per_milestone"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"


class FeeLine(Part):
    description: Line = field("Fee item", "費用項目", "§6.2")
    amount: Money = field("Amount before tax", "金額（未稅）", "§6.2")


class Plan(Checked):
    """§6.1–§6.2: drafted by Finance, applies once the client confirms it."""

    method: Method = field("Settlement method", "結算方式", "§6.2")
    cycle: Cycle = field("Settlement cycle", "結算週期", "§6.2")
    fee_lines: list[FeeLine] = field("Fee details", "費用明細", "§6.2", min_length=1, max_length=500)
    drafted_by: PersonId = field("Finance staff who drafted the plan", "擬定人", "§6.1")
    drafted_on: IsoDate = field("Date drafted", "擬定日期", "§6.1")
    client_confirmed_on: IsoDate | None = field("Date the client confirmed the plan", "客戶確認日期", "§6.2", default=None)
    client_confirmed_by: Line | None = field("Client person who confirmed", "客戶確認人", "§6.2", default=None)

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.fee_lines), Decimal(0))

    def checks(self) -> Iterator[FieldError]:
        if (self.client_confirmed_on is None) != (self.client_confirmed_by is None):
            yield FieldError(("client_confirmed_on",), "a client confirmation needs both the date and the person", "§6.2")
        if self.client_confirmed_on and self.client_confirmed_on < self.drafted_on:
            yield FieldError(("client_confirmed_on",), "confirmed before the plan was drafted", "§6.2")


class Invoice(Part):
    """§6.3: a formal invoice (統一發票 in Taiwan)."""

    number: InvoiceNumber = field("Invoice number", "發票號碼", "§6.3")
    issued_on: IsoDate = field("Date issued", "開立日期", "§6.3")
    amount: Money = field("Amount before tax", "未稅金額", "§6.3")
    tax: Money = field("Tax", "稅額", "§6.3", default=0)
    due_on: IsoDate | None = field("Payment due date", "付款期限", "§6.3", default=None)

    @property
    def total(self) -> Decimal:
        return self.amount + self.tax


class Payment(Part):
    received_on: IsoDate = field("Date received", "收款日期", "§6.3")
    amount: Money = field("Amount received (tax included)", "收款金額（含稅）", "§6.3")
    invoice: InvoiceNumber = field("Invoice number it pays", "對應發票號碼", "§6.3")
    reference: Line | None = field("Bank reference", "收款參考號", "§6.3", default=None)


class WriteOff(Part):
    amount: Money = field("Amount written off", "沖銷金額", "§6.3")
    reason: Text = field("Reason", "原因", "§6.3")
    approved_by: PersonId = field("Finance approver", "核准人", "§6.3")
    on: IsoDate = field("Date", "日期", "§6.3")


class ExcessApproval(Part):
    """Finance approval for settling above budget plus approved changes."""

    approved_by: PersonId = field("Finance approver", "核准人", "§6.1")
    on: IsoDate = field("Date", "核准日期", "§6.1")
    reason: Text = field("Why the excess is accepted", "原因", "§6.1")


class Dispute(Part):
    """§6.4: an objection to the settlement."""

    raised_on: IsoDate = field("Date raised", "提出日期", "§6.4")
    description: Text = field("The objection", "異議內容", "§6.4")
    resolved_on: IsoDate | None = field("Date resolved", "解決日期", "§6.4", default=None)
    outcome: Text | None = field("Outcome (negotiated or dispute resolution)", "處理結果", "§6.4", default=None)


class Notice(Part):
    """§6.5: Sales and Operations are told of the settlement."""

    sales_on: IsoDate = field("Date Sales was informed", "通知業務日期", "§6.5")
    operations_on: IsoDate = field("Date Operations was informed", "通知運營日期", "§6.5")


class Settlement(Record):
    """Settlement and collection of one order, ``settlement.yaml`` in its dossier."""

    clause: ClassVar[str] = "§6.1"

    kind: Literal["settlement"] = field("Record kind", "記錄類型")
    id: SettlementId = field("Settlement number (STL- and the order's number)", "結算編號", "§6.1")
    order: OrderId = field("Order settled", "所屬訂單", "§6.1")
    status: SettlementStatus = field("Settlement status", "結算狀態", "§6.5")
    currency: Currency = field("Currency", "幣別", "§6.2")
    plan: Plan = field("Settlement plan", "結算方案", "§6.1")
    invoices: list[Invoice] = field("Invoices issued", "已開發票", "§6.3", default_factory=list, max_length=500)
    payments: list[Payment] = field("Payments received", "收款紀錄", "§6.3", default_factory=list, max_length=1000)
    write_off: WriteOff | None = field("Amount written off", "呆帳沖銷", "§6.3", default=None)
    excess_approval: ExcessApproval | None = field("Approval to settle above budget", "超出預算核准", "§6.1", default=None)
    disputes: list[Dispute] = field("Objections to the settlement", "結算異議", "§6.4", default_factory=list, max_length=100)
    settled_on: IsoDate | None = field("Date settled", "結算完成日期", "§6.5", default=None)
    notified: Notice | None = field("Sales and Operations informed", "通知業務與運營", "§6.5", default=None)

    @property
    def invoiced(self) -> Decimal:
        return sum((i.total for i in self.invoices), Decimal(0))

    @property
    def paid(self) -> Decimal:
        return sum((p.amount for p in self.payments), Decimal(0))

    def checks(self) -> Iterator[FieldError]:
        s = SettlementStatus
        numbers = [i.number for i in self.invoices]
        for i, number in enumerate(numbers):
            if number in numbers[:i]:
                yield FieldError(("invoices", i, "number"), f"invoice {number} is listed twice", "§6.3")
        for i, payment in enumerate(self.payments):
            if payment.invoice not in numbers:
                yield FieldError(("payments", i, "invoice"), f"no invoice {payment.invoice} in this settlement", "§6.3")
        if self.invoices and self.plan.client_confirmed_on is None:
            yield FieldError(("invoices",), "invoices are issued only after the client confirmed the plan", "§6.2")
        if self.status is not s.DRAFT and self.plan.client_confirmed_on is None:
            yield FieldError(("plan", "client_confirmed_on"), f"a {self.status.value} settlement needs the client's confirmation", "§6.2")
        if self.paid > self.invoiced:
            yield FieldError(("payments",), f"payments ({self.paid}) exceed the invoiced total ({self.invoiced})", "§6.3")
        if self.status is s.SETTLED:
            if self.settled_on is None:
                yield FieldError(("settled_on",), "a settled record needs its settlement date", "§6.5")
            outstanding = self.invoiced - self.paid - (self.write_off.amount if self.write_off else 0)
            if outstanding > 0:
                yield FieldError(("status",), f"{outstanding} is still unpaid: settle only when paid in full or written off", "§6.3")
            net = sum((i.amount for i in self.invoices), Decimal(0))
            if net < self.plan.total:
                yield FieldError(("invoices",), f"invoices ({net} before tax) do not cover the plan's fees ({self.plan.total})", "§6.3")
        elif self.settled_on is not None:
            yield FieldError(("settled_on",), f"settled_on is set but the status is {self.status.value}", "§6.5")
        if self.status is s.DISPUTED and not any(d.resolved_on is None for d in self.disputes):
            yield FieldError(("disputes",), "a disputed settlement has an open dispute", "§6.4")
