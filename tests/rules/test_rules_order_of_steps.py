"""The order of steps (§3.1, §7.3, §7.4, §8.3): dates inside records must tell a possible story."""

from __future__ import annotations

from editing import assert_at, dossier, edit, fired, read

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
