"""Settlement and collection (§6)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

from generator.records.catalog import Catalog, Dossier
from schemas import ChangeStatus, SettlementStatus
from schemas.policy import invoice_number_fits

from . import E, Finding, W, approving_departments, deadlines, each_record, overdue, rule, zh_label
from .delivery import ACCEPTED, late_notices

COUNTED = frozenset({ChangeStatus.APPROVED, ChangeStatus.IMPLEMENTED, ChangeStatus.VERIFIED})


def ceiling(dossier: Dossier) -> Decimal | None:
    """What may be settled: the agreed budget plus the cost of approved changes."""
    order = dossier.order_model
    if order is None:
        return None
    budget = order.intake.budget
    review = order.finance_review
    adjustment = review.budget_adjustment if review else None
    if adjustment is not None and adjustment.client_agreed_on is not None:
        budget = adjustment.new_budget
    return budget + sum((c.cost_delta for c in dossier.change_models if c.status in COUNTED), Decimal(0))


@rule("settlement.currency-mismatch", "§6.2", E, "A settlement is in the order's currency", "結算幣別與訂單相同")
def currency_mismatch(catalog: Catalog) -> Iterator[Finding]:
    for dossier, entry, settlement in each_record(catalog, "settlement"):
        order = dossier.order_model
        if order is not None and settlement.currency != order.intake.currency:
            yield Finding(
                entry,
                ("currency",),
                f"the order is in {order.intake.currency}, the settlement in {settlement.currency}",
                zh=f"訂單幣別為 {order.intake.currency}，結算單為 {settlement.currency}",
            )


@rule(
    "settlement.over-budget",
    "§6.1",
    E,
    "The settled total stays within budget plus approved changes, or Finance approved the excess",
    "結算金額不得超過預算加核准變更，超出須經財務核准",
)
def over_budget(catalog: Catalog) -> Iterator[Finding]:
    finance = set(approving_departments(catalog, "settlement"))
    for dossier, entry, settlement in each_record(catalog, "settlement"):
        limit = ceiling(dossier)
        total = settlement.plan.total
        if limit is None or total <= limit or dossier.order_id in catalog.broken_dossiers:
            continue
        approval = settlement.excess_approval
        if approval is None:
            yield Finding(
                entry,
                ("plan", "fee_lines"),
                f"the fees ({total}) exceed the budget plus approved changes ({limit}) without an excess_approval",
                zh=f"費用（{total}）超過預算加核准變更（{limit}），且無超支核准（excess_approval）",
            )
            continue
        person = catalog.people.get(approval.approved_by)
        if person is not None and finance and person.department not in finance:
            yield Finding(
                entry,
                ("excess_approval", "approved_by"),
                f"{approval.approved_by} is not in {', '.join(sorted(finance))}",
                zh=f"{approval.approved_by} 不在 {'、'.join(sorted(finance))} 之中",
            )


@rule(
    "settlement.invoiced-before-confirmation",
    "§6.2",
    E,
    "Invoices follow the client's confirmation of the plan",
    "發票須於客戶確認結算方案後開立",
)
def invoiced_before_confirmation(catalog: Catalog) -> Iterator[Finding]:
    for _, entry, settlement in each_record(catalog, "settlement"):
        confirmed = settlement.plan.client_confirmed_on
        for i, invoice in enumerate(settlement.invoices):
            if confirmed is not None and invoice.issued_on < confirmed:
                yield Finding(
                    entry,
                    ("invoices", i, "issued_on"),
                    f"issued before the client confirmed the plan on {confirmed}",
                    zh=f"開立於客戶確認結算方案（{confirmed}）之前",
                )


@rule("settlement.paid-before-invoiced", "§6.3", E, "A payment follows the invoice it pays", "收款須在對應發票開立之後")
def paid_before_invoiced(catalog: Catalog) -> Iterator[Finding]:
    for _, entry, settlement in each_record(catalog, "settlement"):
        issued = {i.number: i.issued_on for i in settlement.invoices}
        for i, payment in enumerate(settlement.payments):
            day = issued.get(payment.invoice)
            if day is not None and payment.received_on < day:
                yield Finding(
                    entry,
                    ("payments", i, "received_on"),
                    f"received before invoice {payment.invoice} was issued on {day}",
                    zh=f"收款早於發票 {payment.invoice} 之開立日 {day}",
                )


@rule("settlement.duplicate-invoice", "§6.3", E, "An invoice number is used once in the whole archive", "發票號碼在檔案庫中唯一")
def duplicate_invoice(catalog: Catalog) -> Iterator[Finding]:
    first: dict[str, str] = {}
    for _, entry, settlement in each_record(catalog, "settlement"):
        for i, invoice in enumerate(settlement.invoices):
            seen = first.setdefault(invoice.number, entry.path)
            if seen != entry.path:
                yield Finding(entry, ("invoices", i, "number"), f"invoice {invoice.number} is also in {seen}", zh=f"發票 {invoice.number} 亦見於 {seen}")


@rule("settlement.write-off-approver", "§6.3", E, "A write-off is approved by Finance", "呆帳沖銷須經財務核准")
def write_off_approver(catalog: Catalog) -> Iterator[Finding]:
    finance = set(approving_departments(catalog, "settlement"))
    for _, entry, settlement in each_record(catalog, "settlement"):
        write_off = settlement.write_off
        if write_off is None or not finance:
            continue
        person = catalog.people.get(write_off.approved_by)
        if person is not None and person.department not in finance:
            yield Finding(
                entry,
                ("write_off", "approved_by"),
                f"{write_off.approved_by} is not in {', '.join(sorted(finance))}",
                zh=f"{write_off.approved_by} 不在 {'、'.join(sorted(finance))} 之中",
            )


@rule(
    "settlement.not-notified",
    "§6.5",
    W,
    "Sales and Operations are informed of the settlement within the policy's business days",
    "結算後於規定工作天內通知業務與運營",
    timely=True,
)
def not_notified(catalog: Catalog) -> Iterator[Finding]:
    days = deadlines(catalog).notice_business_days
    for _, entry, settlement in each_record(catalog, "settlement"):
        if settlement.status is SettlementStatus.SETTLED and settlement.settled_on is not None:
            since = (("settled_on",), settlement.settled_on)
            yield from late_notices(catalog, entry, since, settlement.notified, days, "settlement", {"sales_on": "Sales", "operations_on": "Operations"})


@rule(
    "settlement.not-settled",
    ("§6.3", "§6.5"),
    W,
    "An accepted order is settled within the policy's days",
    "驗收後於政策規定天數內完成結算",
    timely=True,
)
def not_settled(catalog: Catalog) -> Iterator[Finding]:
    days = deadlines(catalog).settlement_days
    for dossier, entry, delivery in each_record(catalog, "delivery"):
        acceptance = delivery.acceptance
        if acceptance is None or acceptance.result not in ACCEPTED or acceptance.accepted_on is None:
            continue
        settlement = dossier.settlement
        if settlement is not None and settlement.model.status is SettlementStatus.SETTLED:
            continue
        if late := overdue(catalog, acceptance.accepted_on, days):
            message = f"accepted on {acceptance.accepted_on}, not settled {late.en}"
            zh = f"已於 {acceptance.accepted_on} 驗收，尚未結算，{late.zh}"
            if settlement is None:
                yield Finding(entry, ("acceptance", "accepted_on"), message + " (no settlement record)", zh=zh + "（無結算單）")
            else:
                zh += f"（結算單為{zh_label(settlement.model.status)}）"
                yield Finding(settlement, ("status",), f"{message} (the settlement is {settlement.model.status.value})", zh=zh)


@rule(
    "settlement.dispute-open",
    "§6.4",
    W,
    "Settlement objections are resolved within the policy's days",
    "結算異議於政策規定天數內解決",
    timely=True,
)
def dispute_open(catalog: Catalog) -> Iterator[Finding]:
    days = deadlines(catalog).objection_days
    for _, entry, settlement in each_record(catalog, "settlement"):
        for i, dispute in enumerate(settlement.disputes):
            if dispute.resolved_on is None and (late := overdue(catalog, dispute.raised_on, days)):
                zh = f"{dispute.raised_on} 提出之結算異議仍未解決，{late.zh}"
                yield Finding(entry, ("disputes", i, "raised_on"), f"the objection raised on {dispute.raised_on} is open {late.en}", zh=zh)


@rule("settlement.unpaid-invoice", "§6.3", W, "Invoices are paid by their due date", "發票應於付款期限內收款", timely=True)
def unpaid_invoice(catalog: Catalog) -> Iterator[Finding]:
    days = deadlines(catalog).invoice_payment_days
    for _, entry, settlement in each_record(catalog, "settlement"):
        if settlement.write_off is not None:
            continue
        for i, invoice in enumerate(settlement.invoices):
            paid = sum((p.amount for p in settlement.payments if p.invoice == invoice.number), start=Decimal(0))
            due = invoice.due_on or invoice.issued_on + timedelta(days=days)
            if paid < invoice.amount + invoice.tax and catalog.today > due:
                where = ("invoices", i, "due_on") if invoice.due_on else ("invoices", i, "issued_on")
                yield Finding(
                    entry,
                    where,
                    f"invoice {invoice.number} is unpaid, {(catalog.today - due).days} days past its due date {due}",
                    zh=f"發票 {invoice.number} 未收款，已逾付款期限 {due} 共 {(catalog.today - due).days} 天",
                )


@rule("settlement.invoice-number-format", "§6.3", E, "Invoice numbers have the form the policy gives for their currency", "發票號碼符合政策就該幣別規定之格式")
def invoice_number_format(catalog: Catalog) -> Iterator[Finding]:
    forms = {rule.currency: rule for rule in catalog.policy.invoice_numbers} if catalog.policy else {}
    for _, entry, settlement in each_record(catalog, "settlement"):
        rule_ = forms.get(settlement.currency)
        if rule_ is None:
            continue
        for i, invoice in enumerate(settlement.invoices):
            if not any(invoice_number_fits(invoice.number, mask) for mask in rule_.formats):
                system = f" ({rule_.name})" if rule_.name else ""
                message = f"{invoice.number} is not a {settlement.currency} invoice number{system}: the policy allows {' or '.join(rule_.formats)}"
                zh = f"{invoice.number} 不是 {settlement.currency} 發票號碼{system}：政策允許之格式為 {' 或 '.join(rule_.formats)}"
                yield Finding(entry, ("invoices", i, "number"), message, zh=zh)
