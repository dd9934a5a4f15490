"""In time (§2.3, §4.5, §5.1): the regulation's deadlines, on the dates the records carry and the archive's today."""

from __future__ import annotations

from datetime import date

import pytest
from editing import assert_at, dossier, edit, fired, problems

O3 = f"{dossier('ORD-2026-0003')}/order.yaml"  # delivered 2026-11-14, due 2026-11-17
D3 = f"{dossier('ORD-2026-0003')}/delivery.yaml"
O5 = f"{dossier('ORD-2026-0005')}/order.yaml"  # in progress, due 2027-01-05
QC1 = f"{dossier('ORD-2025-0001')}/quality/QC-2025-0001-01.yaml"  # archived dossier


def test_a_delivery_after_its_due_date_is_late_unless_an_approved_change_moved_it(archive):
    assert fired(archive, "delivery.late") == []

    def earlier(order: dict) -> None:
        order["intake"]["delivery_due"] = "2026-11-10"
        for item in order["work_plan"]["tasks"] + order["work_plan"]["milestones"]:
            item["due"] = min(item["due"], "2026-11-10")

    edit(archive, O3, earlier)
    [problem] = fired(archive, "delivery.late")
    assert str(problem.severity) == "warning"
    assert_at(problem, archive, D3, "delivered_on", clause="§5.1")
    assert "4 days after the delivery date 2026-11-10" in problem.message


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
