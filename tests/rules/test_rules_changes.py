"""§7 rules: departmental approval, approvers from the right department, major reviews, verification."""

from __future__ import annotations

from datetime import date, timedelta

from editing import assert_at, dossier, edit, fired, problems, read, write

D3 = dossier("ORD-2026-0003")  # accepted; its change is verified
CR3 = f"{D3}/changes/CR-2026-0003-01.yaml"
D5 = dossier("ORD-2026-0005")  # in progress
CR5 = f"{D5}/changes/CR-2026-0005-01.yaml"

APPROVALS = [
    {"department": "operations", "by": "wang.chienhung", "on": "2026-10-05", "decision": "approved"},
    {"department": "finance", "by": "huang.shuhua", "on": "2026-10-05", "decision": "approved"},
]


def new_change(status="approved", **extra):
    change = {
        "kind": "change_request",
        "schema_version": 1,
        "id": "CR-2026-0005-01",
        "order": "ORD-2026-0005",
        "status": status,
        "title": "新增報表 Add a report",
        "requested_on": "2026-10-01",
        "requested_by": "客戶窗口",
        "recorded_by": "lin.yating",
        "reason": "需求增加",
        "content": "月報表",
        "impact": "費用 +60k",
        "major": False,
        "cost_delta": "60000",
        "assessment": {"by": "lee.chiawei", "on": "2026-10-03", "summary": "可行"},
        "approvals": APPROVALS,
    }
    change.update(extra)
    return change


def test_change_needs_every_policy_department(archive):
    write(archive, CR5, new_change())
    assert fired(archive, "change.missing-approval") == []
    write(archive, CR5, new_change(approvals=APPROVALS[:1]))
    [problem] = fired(archive, "change.missing-approval")
    assert "finance" in problem.message
    assert_at(problem, archive, CR5, "approvals", clause="§7.1")


def test_requested_change_needs_no_approval_yet(archive):
    write(archive, CR5, new_change(status="requested", approvals=[]))
    assert fired(archive, "change.missing-approval") == []


def test_approver_must_work_in_the_department(archive):
    wrong = [APPROVALS[0], {**APPROVALS[1], "by": "lin.yating"}]
    write(archive, CR5, new_change(approvals=wrong))
    [problem] = fired(archive, "change.approver-outside-department")
    assert "lin.yating is in sales, not finance" in problem.message
    assert_at(problem, archive, CR5, "approvals", 1, "by", clause="§7.2")


def test_major_review_covers_the_policy_departments(archive):
    review = {"held_on": "2026-10-04", "departments": ["operations", "sales"], "conclusion": "同意"}
    write(archive, CR5, new_change(major=True, major_review=review))
    [problem] = fired(archive, "change.major-review-incomplete")
    assert "finance" in problem.message
    assert_at(problem, archive, CR5, "major_review", "departments", clause="§7.2")


def test_change_still_open_at_delivery(archive):
    assert fired(archive, "change.unverified-at-delivery") == []
    impl = {"plan": "計劃", "started_on": "2026-08-01", "completed_on": "2026-08-10", "notified": ["lin.yating"]}

    def reopen(data):
        data["status"] = "implemented"
        data["implementation"] = {**data.get("implementation", impl)}
        data.pop("verification", None)

    edit(archive, CR3, reopen)
    [problem] = fired(archive, "change.unverified-at-delivery")
    assert "still implemented" in problem.message
    assert_at(problem, archive, CR3, "status", clause="§7.4")


def test_change_verified_after_delivery(archive):
    delivered = date.fromisoformat(read(archive, f"{D3}/delivery.yaml")["delivered_on"])
    edit(archive, CR3, lambda d: d["verification"].update(on=str(delivered + timedelta(days=1))))
    [problem] = fired(archive, "change.unverified-at-delivery")
    assert_at(problem, archive, CR3, "verification", "on", clause="§7.4")


def test_no_change_after_settlement(archive):
    d1 = dossier("ORD-2025-0001")
    cr = f"{d1}/changes/CR-2025-0001-02.yaml"
    assert fired(archive, "change.after-settlement") == []
    late = new_change(status="requested", id="CR-2025-0001-02", order="ORD-2025-0001", requested_on="2026-11-01", approvals=[])
    late.pop("assessment")
    write(archive, cr, late)
    found = [p for p in problems(archive) if p.rule == "change.after-settlement"]  # the archived order has an open change too
    assert [p.path for p in found] == [cr]
    assert_at(found[0], archive, cr, "requested_on", clause="§7.1")
