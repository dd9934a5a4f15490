"""§2 rules: forwarding deadline on the business calendar, reviews before execution, fee adjustments."""

from __future__ import annotations

from datetime import date

from editing import assert_at, dossier, edit, fired

O5 = f"{dossier('ORD-2026-0005')}/order.yaml"  # in progress
O8 = f"{dossier('ORD-2026-0008')}/order.yaml"  # received


def test_forwarding_in_time_passes(archive):
    assert [p.path for p in fired(archive, "order.forwarded-late")] == ["records/orders/2025/ORD-2025-0001/order.yaml"] * 2


def test_forwarding_late_counts_business_days(archive):
    def late(data):
        data["intake"]["confirmed_on"] = "2026-02-13"  # Friday before the 春節 holidays
        data["intake"]["received_on"] = "2026-02-13"
        data["forwarding"] = {"operations_on": "2026-02-23", "finance_on": "2026-02-24"}

    edit(archive, O5, late)
    [problem] = [p for p in fired(archive, "order.forwarded-late") if p.path == O5]
    # 2026-02-23 is the first business day after the holidays: in time. 02-24 is the second: late.
    assert_at(problem, archive, O5, "forwarding", "finance_on", clause="§2.3")
    assert "2 business days" in problem.message


def test_not_yet_forwarded_after_the_deadline(archive):
    edit(archive, O8, lambda d: d.pop("forwarding"))
    assert [p for p in fired(archive, "order.forwarded-late", today=date(2026, 11, 1)) if p.path == O8] == []
    [problem] = [p for p in fired(archive, "order.forwarded-late", today=date(2026, 12, 31)) if p.path == O8]
    assert "not yet forwarded" in problem.message
    assert_at(problem, archive, O8, "status", clause="§2.3")


def test_execution_needs_both_reviews_approved(archive):
    edit(archive, O5, lambda d: d.pop("finance_review"))
    [problem] = fired(archive, "order.executed-without-review")
    assert "finance review" in problem.message
    assert_at(problem, archive, O5, "status", clause="§2.5")


def test_a_rejected_review_blocks_execution(archive):
    edit(archive, O5, lambda d: d["operations_review"].update(decision="needs_discussion"))
    [problem] = fired(archive, "order.executed-without-review")
    assert_at(problem, archive, O5, "operations_review", "decision", clause="§2.4")


def test_received_order_needs_no_review_yet(archive):
    edit(archive, O8, lambda d: (d.pop("operations_review", None), d.pop("finance_review", None)))
    assert fired(archive, "order.executed-without-review") == []


def test_review_before_forwarding_is_flagged(archive):
    edit(archive, O5, lambda d: d["operations_review"].update(reviewed_on=d["intake"]["confirmed_on"]))
    [problem] = fired(archive, "order.review-before-forwarding")
    assert_at(problem, archive, O5, "operations_review", "reviewed_on", clause="§2.4")


def test_budget_adjustment_needs_the_clients_agreement(archive):
    adjustment = {"new_budget": "999000", "reason": "範圍縮減 Smaller scope", "agreed_by_sales": "lin.yating"}
    edit(archive, O5, lambda d: d["finance_review"].update(budget_adjustment=adjustment))
    [problem] = fired(archive, "order.budget-adjustment-unagreed")
    assert "client" in problem.message
    assert_at(problem, archive, O5, "finance_review", "budget_adjustment", clause="§2.5")
    edit(archive, O5, lambda d: d["finance_review"]["budget_adjustment"].update(client_agreed_on="2026-10-01"))
    assert fired(archive, "order.budget-adjustment-unagreed") == []
