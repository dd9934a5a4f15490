"""The order of steps (§3.1, §7.3, §7.4, §8.3): dates inside records must tell a possible story."""

from __future__ import annotations

from editing import assert_at, dossier, edit, fired, problems, read

O5 = f"{dossier('ORD-2026-0005')}/order.yaml"  # in progress, reviewed 2026-11-0x
CR = f"{dossier('ORD-2026-0003')}/changes/CR-2026-0003-01.yaml"  # verified


def test_no_work_is_reported_before_the_reviews_allowed_it(archive):
    assert fired(archive, "order.work-before-review") == []
    order = read(archive, O5)
    reviewed = max(order["operations_review"]["reviewed_on"], order["finance_review"]["reviewed_on"])
    edit(archive, O5, lambda d: d.setdefault("tracking", []).insert(0, {"on": "2026-01-05", "progress": 10, "quality": "on_track"}))
    [problem] = fired(archive, "order.work-before-review")
    assert_at(problem, archive, O5, "tracking", 0, "on", clause="§3.1")
    assert f"before the reviews allowed work on {reviewed}" in problem.message


def test_a_change_is_implemented_after_its_approval_and_verified_after_it(archive):
    assert fired(archive, "change.out-of-order") == []
    edit(archive, CR, lambda d: d["implementation"].update(started_on="2026-01-02"))
    [problem] = fired(archive, "change.out-of-order")
    assert_at(problem, archive, CR, "implementation", "started_on", clause="§7.3")
    edit(archive, CR, lambda d: d["implementation"].update(started_on=d["approvals"][-1]["on"]))
    edit(archive, CR, lambda d: d["verification"].update(on="2026-01-03"))
    [problem] = fired(archive, "change.out-of-order")
    assert_at(problem, archive, CR, "verification", "on", clause="§7.4")


def test_a_change_whose_verification_failed_is_not_verified(archive):
    edit(archive, CR, lambda d: d["verification"].update(result="failed"))
    [problem] = fired(archive, "change.verification-failed")
    assert_at(problem, archive, CR, "status", clause="§7.4")


def test_a_destroyed_record_cannot_be_lent(archive):
    destroyed = read(archive, "records/archive/disposals/DS-2026-0001.yaml")["items"][0]["record"]
    loan = "records/archive/borrowing/BR-2026-0004.yaml"
    edit(archive, loan, lambda d: d.update(records=[destroyed]))
    [problem] = fired(archive, "loan.destroyed-record")
    assert_at(problem, archive, loan, "records", 0, clause="§8.3")


def test_the_plan_ends_by_the_delivery_date_as_approved_changes_moved_it(archive):
    assert fired(archive, "order.plan-after-due") == []
    due = read(archive, O5)["intake"]["delivery_due"]
    edit(archive, O5, lambda d: d["work_plan"]["milestones"][-1].update(due="2027-06-30"))
    [problem] = fired(archive, "order.plan-after-due")
    assert_at(problem, archive, O5, "work_plan", "milestones", 1, "due", clause="§3.1")
    assert f"after the delivery date {due}" in problem.message


def test_a_rectification_follows_its_inspection_and_is_verified_by_someone_else(archive):
    qc = f"{dossier('ORD-2025-0001')}/quality/QC-2025-0001-01.yaml"
    assert fired(archive, "quality.rectification-out-of-order") == []
    edit(archive, qc, lambda d: d["rectification"].update(client_notified_on="2025-01-01"))
    [problem] = fired(archive, "quality.rectification-out-of-order")
    assert_at(problem, archive, qc, "rectification", "client_notified_on", clause="§4.4")
    edit(archive, qc, lambda d: d["rectification"].update(client_notified_on=d["inspected_on"], done_by=d["rectification"]["verified_by"]))
    [problem] = fired(archive, "quality.rectification-out-of-order")
    assert_at(problem, archive, qc, "rectification", "verified_by", clause="§4.4")
    assert "verified by the person who did it" in problem.message
    edit(archive, qc, lambda d: d["rectification"].pop("verified_by"))
    [problem] = [p for p in problems(archive) if p.rule == "quality.rectification-out-of-order"]
    assert "names who verified it" in problem.message
    # and an unverified rectification is no passed final inspection: the delivery had none (§4.3)
    assert [p.path for p in problems(archive) if p.rule == "quality.no-final-inspection"] == [f"{dossier('ORD-2025-0001')}/delivery.yaml"]
