"""In time (§2.3, §4.5, §5.1): the regulation's deadlines, on the dates the records carry and the archive's today."""

from __future__ import annotations

from datetime import date

import pytest
from editing import assert_at, dossier, edit, fired, problems, read

O3 = f"{dossier('ORD-2026-0003')}/order.yaml"  # delivered 2026-11-14, due 2026-11-17
D3 = f"{dossier('ORD-2026-0003')}/delivery.yaml"
O5 = f"{dossier('ORD-2026-0005')}/order.yaml"  # in progress, due 2027-01-05
QC1 = f"{dossier('ORD-2025-0001')}/quality/QC-2025-0001-01.yaml"  # archived dossier


def test_a_delivery_after_its_due_date_is_late_unless_an_approved_change_moved_it(archive):
    assert fired(archive, "delivery.late") == []

    def earlier(order: dict) -> None:
        order["intake"]["delivery_due"] = "2026-10-27"  # + the 14 days of its verified change CR-2026-0003-01: 2026-11-10
        for item in order["work_plan"]["tasks"] + order["work_plan"]["milestones"]:
            item["due"] = min(item["due"], "2026-11-10")

    edit(archive, O3, earlier)
    [problem] = fired(archive, "delivery.late")
    assert str(problem.severity) == "warning"
    assert_at(problem, archive, D3, "delivered_on", clause="§5.1")
    assert "4 days after the delivery date 2026-11-10" in problem.message


def test_the_demo_delivers_after_its_first_date_within_an_approved_extension(archive):
    cr = f"{dossier('ORD-2025-0001')}/changes/CR-2025-0001-01.yaml"
    first_due = read(archive, f"{dossier('ORD-2025-0001')}/order.yaml")["intake"]["delivery_due"]
    delivered = read(archive, f"{dossier('ORD-2025-0001')}/delivery.yaml")["delivered_on"]
    change = read(archive, cr)
    assert first_due < delivered <= change["new_delivery_due"] and change["status"] == "verified"
    assert fired(archive, "delivery.late") == []
    edit(archive, cr, lambda d: d.pop("new_delivery_due"))  # its schedule_delta_days make the same move
    assert fired(archive, "delivery.late") == []
    edit(archive, cr, lambda d: d.update(schedule_delta_days=0))  # now the plan runs past the date too (order.plan-after-due)
    [problem] = [p for p in problems(archive) if p.rule == "delivery.late"]
    late = (date.fromisoformat(delivered) - date.fromisoformat(first_due)).days
    assert f"delivered {late} days after the delivery date {first_due}" in problem.message


def test_an_undelivered_order_past_its_due_date_is_overdue(archive):
    assert fired(archive, "delivery.late", today=date(2027, 1, 5)) == []
    [problem] = fired(archive, "delivery.late", today=date(2027, 1, 8))
    assert_at(problem, archive, O5, "intake", "delivery_due", clause="§5.1")
    assert "not delivered, 3 days after the delivery date 2027-01-05" in problem.message


def test_the_forwarding_deadline_can_be_tightened_never_loosened(archive):
    edit(archive, "records/policy.yaml", lambda d: d.update(forwarding_business_days=30))
    [problem] = [p for p in problems(archive) if p.path == "records/policy.yaml"]
    assert problem.rule.startswith("schema.") and "§2.3" in (problem.clause or "")


@pytest.mark.parametrize("resolved", [False, True])
def test_a_closed_dossier_has_no_open_complaint(archive, resolved):
    complaint = {
        "received_on": "2025-09-01",
        "description": "延遲 Late",
        **({"resolved_on": "2025-09-03", "resolution": "致歉 Apologised"} if resolved else {}),
    }
    edit(archive, QC1, lambda d: d.update(complaints=[complaint]))
    found = fired(archive, "quality.complaint-open-at-close")
    if resolved:
        assert found == []
    else:
        [problem] = found
        assert_at(problem, archive, QC1, "complaints", 0, "received_on", clause="§4.5")


D4 = f"{dossier('ORD-2026-0004')}/delivery.yaml"
ST3 = f"{dossier('ORD-2026-0003')}/settlement.yaml"


def test_an_order_in_execution_reports_its_progress_at_the_policys_interval(archive):
    edit(archive, O5, lambda d: d.update(tracking=[{"on": d["finance_review"]["reviewed_on"], "progress": 5, "quality": "at_risk"}]))
    found = fired(archive, "order.tracking-gap", today=date(2026, 11, 20))
    assert [p.message.split(":")[0] for p in found] == ["the last progress report says at_risk"]
    assert_at(found[0], archive, O5, "tracking", 0, "quality", clause="§3.2")
    later = fired(archive, "order.tracking-gap", today=date(2027, 1, 4))
    assert any("no progress report for" in p.message for p in later)


def test_pending_acceptance_and_unpaid_invoices_are_flagged_past_the_policys_days(archive):
    def invoiced(settlement: dict) -> None:
        settlement["status"] = "invoicing"
        settlement["plan"].update(client_confirmed_on="2026-11-19", client_confirmed_by="王經理")
        settlement["invoices"] = [{"number": "AB12345678", "issued_on": "2026-11-19", "amount": "403200", "due_on": "2026-11-20"}]

    edit(archive, ST3, invoiced)
    assert fired(archive, "settlement.unpaid-invoice", today=date(2026, 11, 20)) == []
    [problem] = fired(archive, "settlement.unpaid-invoice", today=date(2026, 12, 9))
    assert "unpaid, 19 days past its due date 2026-11-20" in problem.message
    assert_at(problem, archive, ST3, "invoices", 0, "due_on", clause="§6.3")


O3_ORDER = O3
ST1 = f"{dossier('ORD-2026-0001')}/settlement.yaml"  # settled 2026-06-12 (a Friday), told the same day
QC3 = f"{dossier('ORD-2026-0003')}/quality/QC-2026-0003-01.yaml"  # final inspection passed 2026-11-06


def _unaccepted(root) -> None:
    edit(root, D3, lambda d: d["acceptance"].update(result="pending", accepted_on=None, accepted_by=None))
    edit(root, O3_ORDER, lambda d: d.update(status="delivered"))


def test_a_delivery_waits_for_acceptance_no_longer_than_the_policy_allows(archive):
    _unaccepted(archive)
    assert fired(archive, "delivery.acceptance-pending", today=date(2026, 12, 14)) == []  # 30 days after 2026-11-14
    [problem] = fired(archive, "delivery.acceptance-pending", today=date(2026, 12, 15))
    assert_at(problem, archive, D3, "acceptance", "result", clause="§5.2")
    assert "acceptance pending after 31 days; the policy allows 30" in problem.message
    assert problem.attention and str(problem.severity) == "warning"
    edit(archive, "records/policy.yaml", lambda d: d.setdefault("deadlines", {}).update(acceptance_days=40))
    assert fired(archive, "delivery.acceptance-pending", today=date(2026, 12, 15)) == []


def test_an_accepted_order_is_settled_within_the_policys_days(archive):
    assert fired(archive, "settlement.not-settled", today=date(2027, 1, 18)) == []  # 60 days after acceptance on 2026-11-19
    [problem] = fired(archive, "settlement.not-settled", today=date(2027, 1, 19))
    assert_at(problem, archive, ST3, "status", clause="§6.5")
    assert "accepted on 2026-11-19, not settled after 61 days" in problem.message and "the settlement is draft" in problem.message


def test_open_objections_and_disputes_are_flagged_past_the_policys_days(archive):
    def objected(delivery: dict) -> None:
        delivery["objections"] = [{"raised_on": "2026-11-15", "description": "缺頁 Pages missing", "status": "open"}]

    edit(archive, D3, objected)
    assert fired(archive, "delivery.objection-open", today=date(2026, 12, 15)) == []
    [problem] = fired(archive, "delivery.objection-open", today=date(2026, 12, 16))
    assert_at(problem, archive, D3, "objections", 0, "status", clause="§5.3")
    assert "open after 31 days; the policy allows 30" in problem.message
    # the dispute of ORD-2026-0004, opened 2026-12-02, has its own clock
    [dispute] = [p for p in fired(archive, "delivery.objection-open", today=date(2027, 1, 2)) if p.path == D4]
    assert_at(dispute, archive, D4, "dispute", "status", clause="§5.3")


def test_an_open_settlement_objection_is_flagged_past_the_policys_days(archive):
    edit(archive, ST3, lambda d: d.update(disputes=[{"raised_on": "2026-11-01", "description": "費用有誤 Wrong fee"}]))
    assert fired(archive, "settlement.dispute-open", today=date(2026, 12, 1)) == []
    [problem] = fired(archive, "settlement.dispute-open", today=date(2026, 12, 2))
    assert_at(problem, archive, ST3, "disputes", 0, "raised_on", clause="§6.4")
    edit(archive, ST3, lambda d: d["disputes"][0].update(resolved_on="2026-11-05", outcome="更正 Corrected"))
    assert fired(archive, "settlement.dispute-open", today=date(2026, 12, 2)) == []


def test_departments_are_told_of_a_delivery_within_the_policys_business_days(archive):
    # delivered on Saturday 2026-11-14: one business day later is Monday 2026-11-16
    edit(archive, D3, lambda d: d["notified"].update(sales_on="2026-11-16"))
    assert fired(archive, "delivery.not-notified") == []
    edit(archive, D3, lambda d: d["notified"].update(sales_on="2026-11-17"))
    [problem] = fired(archive, "delivery.not-notified")
    assert_at(problem, archive, D3, "notified", "sales_on", clause="§5.4")
    assert "Sales was informed on 2026-11-17, 2 business days after the delivery on 2026-11-14; due by 2026-11-16" in problem.message
    edit(archive, D3, lambda d: d.pop("notified"))
    assert fired(archive, "delivery.not-notified", today=date(2026, 11, 16)) == []
    [missing] = fired(archive, "delivery.not-notified", today=date(2026, 11, 17))
    assert_at(missing, archive, D3, "delivered_on", clause="§5.4")


def test_departments_are_told_of_a_settlement_within_the_policys_business_days(archive):
    edit(archive, ST1, lambda d: d["notified"].update(operations_on="2026-06-16"))  # Fri → Tue: two business days
    [problem] = fired(archive, "settlement.not-notified")
    assert_at(problem, archive, ST1, "notified", "operations_on", clause="§6.5")
    edit(archive, "records/policy.yaml", lambda d: d.setdefault("deadlines", {}).update(notice_business_days=2))
    assert fired(archive, "settlement.not-notified") == []


def test_the_policy_makes_a_deadline_an_error(archive):
    _unaccepted(archive)
    edit(archive, "records/policy.yaml", lambda d: d.setdefault("deadlines", {}).update(as_errors=["delivery.acceptance-pending"]))
    found = [p for p in problems(archive, date(2026, 12, 15)) if p.rule == "delivery.acceptance-pending"]
    assert [str(p.severity) for p in found] == ["error"]
    edit(archive, "records/policy.yaml", lambda d: d["deadlines"].update(as_errors=["order.complexity-undecided"]))
    [problem] = [p for p in problems(archive) if p.path == "records/policy.yaml"]
    assert problem.rule == "schema.invalid-choice"


@pytest.mark.parametrize(
    ("change", "fires"),
    [
        ({"stage": "production"}, True),  # no final-stage inspection at all
        ({"inspected_on": "2026-11-15", "closed_on": "2026-11-15"}, True),  # inspected the day after delivery
        ({}, False),
    ],
)
def test_a_delivery_follows_a_passed_final_inspection(archive, change, fires):
    edit(archive, QC3, lambda d: d.update(change))
    found = fired(archive, "quality.no-final-inspection")
    if not fires:
        assert found == []
        return
    [problem] = found
    assert_at(problem, archive, D3, "delivered_on", clause="§4.3")


def test_a_failed_final_inspection_counts_once_its_rectification_was_verified(archive):
    qc1 = f"{dossier('ORD-2025-0001')}/quality/QC-2025-0001-01.yaml"  # failed, rectified and verified before delivery
    assert read(archive, qc1)["result"] == "fail"
    assert fired(archive, "quality.no-final-inspection") == []
    edit(archive, qc1, lambda d: d["rectification"].update(completed_on="2025-09-02"))  # completed after the delivery on 2025-09-01
    [problem] = fired(archive, "quality.no-final-inspection")
    assert problem.path.endswith("ORD-2025-0001/delivery.yaml")


@pytest.mark.parametrize(("order", "fires"), [("ORD-2025-0001", False), ("ORD-2026-0003", True)])
def test_inspections_destroyed_under_a_disposal_leave_the_delivery_unjudged(archive, order, fires):
    """A quality record is kept for fewer years than the delivery it cleared; once it is destroyed under a
    disposal, the delivery cannot be judged and is not reported (at 10,000 demo orders: 3,479 false errors).
    Only a closed dossier can have had its records destroyed: a disposal listing an open order's inspection
    hides nothing."""
    qc = f"{dossier(order)}/quality/{order.replace('ORD', 'QC')}-01.yaml"
    (archive / qc).unlink()
    listed = {"record": qc.rsplit("/", 1)[1].removesuffix(".yaml"), "retention_until": "2024-12-31"}
    edit(archive, "records/archive/disposals/DS-2026-0001.yaml", lambda d: d["items"].append(listed))
    found = [p.path for p in fired(archive, "quality.no-final-inspection")]
    assert found == ([f"{dossier(order)}/delivery.yaml"] if fires else [])
