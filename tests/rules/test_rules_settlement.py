"""§6 rules: currency, budget ceiling, invoice order, unique invoice numbers, write-off and notices."""

from __future__ import annotations

from editing import assert_at, dossier, edit, fired, read

ST1 = f"{dossier('ORD-2025-0001')}/settlement.yaml"  # settled
ST3 = f"{dossier('ORD-2026-0003')}/settlement.yaml"  # draft, total = budget
O3 = f"{dossier('ORD-2026-0003')}/order.yaml"
ST2 = f"{dossier('ORD-2025-0002')}/settlement.yaml"


def test_settlement_in_the_orders_currency(archive):
    edit(archive, ST3, lambda d: d.update(currency="USD"))
    [problem] = fired(archive, "settlement.currency-mismatch")
    assert_at(problem, archive, ST3, "currency", clause="§6.2")


def test_fees_over_budget_need_a_finance_approval(archive):
    assert fired(archive, "settlement.over-budget") == []
    edit(archive, ST3, lambda d: d["plan"]["fee_lines"].append({"description": "加值服務 Extra", "amount": "1000"}))
    [problem] = fired(archive, "settlement.over-budget")
    assert "exceed the budget plus approved changes (1008000)" in problem.message
    assert_at(problem, archive, ST3, "plan", "fee_lines", clause="§6.1")
    approval = {"approved_by": "lin.yating", "on": "2026-11-19", "reason": "客戶同意追加"}
    edit(archive, ST3, lambda d: d.update(excess_approval=approval))
    [problem] = fired(archive, "settlement.over-budget")
    assert "not in finance" in problem.message
    edit(archive, ST3, lambda d: d["excess_approval"].update(approved_by="huang.shuhua"))
    assert fired(archive, "settlement.over-budget") == []


def test_an_agreed_budget_adjustment_raises_the_ceiling(archive):
    edit(archive, ST3, lambda d: d["plan"]["fee_lines"].append({"description": "加值服務 Extra", "amount": "1000"}))
    adjustment = {"new_budget": "1009000", "reason": "追加", "client_agreed_on": "2026-09-01", "agreed_by_sales": "lin.yating"}
    edit(archive, O3, lambda d: d["finance_review"].update(budget_adjustment=adjustment))
    assert fired(archive, "settlement.over-budget") == []


def test_invoices_follow_the_clients_confirmation(archive):
    def early(data):
        confirmed = data["plan"]["client_confirmed_on"]
        data["invoices"][0]["issued_on"] = "2025-01-02"
        assert confirmed > "2025-01-02"

    edit(archive, ST1, early)
    found = fired(archive, "settlement.invoiced-before-confirmation")
    assert_at(found[0], archive, ST1, "invoices", 0, "issued_on", clause="§6.2")


def test_payments_follow_their_invoice(archive):
    def early(data):
        data["payments"][0]["received_on"] = data["plan"]["client_confirmed_on"]
        data["invoices"][0]["issued_on"] = data["invoices"][1]["issued_on"]

    edit(archive, ST1, early)
    found = fired(archive, "settlement.paid-before-invoiced")
    assert_at(found[0], archive, ST1, "payments", 0, "received_on", clause="§6.3")


def test_invoice_numbers_are_unique_across_the_archive(archive):
    number = read(archive, ST1)["invoices"][0]["number"]
    edit(archive, ST2, lambda d: d["invoices"][0].update(number=number))
    edit(archive, ST2, lambda d: [p.update(invoice=number) for p in d["payments"] if p["invoice"] != d["invoices"][1]["number"]])
    found = fired(archive, "settlement.duplicate-invoice")
    assert len(found) == 1
    assert ST1 in found[0].message or ST2 in found[0].message


def test_write_off_is_approved_by_finance(archive):
    write_off = {"amount": "0", "reason": "尾差 Rounding", "approved_by": "lin.yating", "on": "2026-01-01"}
    edit(archive, ST1, lambda d: d.update(write_off=write_off))
    [problem] = fired(archive, "settlement.write-off-approver")
    assert_at(problem, archive, ST1, "write_off", "approved_by", clause="§6.3")


def test_settlement_notice(archive):
    assert fired(archive, "settlement.not-notified") == []
    edit(archive, ST1, lambda d: d.pop("notified"))
    [problem] = fired(archive, "settlement.not-notified")
    assert_at(problem, archive, ST1, "settled_on", clause="§6.5")


def test_a_broken_change_form_does_not_make_the_settlement_look_over_budget(archive):
    cr = f"{dossier('ORD-2025-0001')}/changes/CR-2025-0001-01.yaml"
    edit(archive, cr, lambda d: d.update(cost_delta="1,000"))  # a schema error: the change drops out
    from editing import problems

    rules = {p.rule for p in problems(archive) if str(p.severity) == "error"}
    assert rules == {"schema.invalid-value"}
