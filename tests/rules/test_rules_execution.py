"""§3 rules: work plan, risk plan of complex orders, overdue milestones."""

from __future__ import annotations

from datetime import date

from editing import assert_at, dossier, edit, fired, read

O5 = f"{dossier('ORD-2026-0005')}/order.yaml"
O6 = f"{dossier('ORD-2026-0006')}/order.yaml"  # complex, in progress


def test_executed_order_needs_a_work_plan(archive):
    assert fired(archive, "order.missing-work-plan") == []
    edit(archive, O5, lambda d: d.pop("work_plan"))
    [problem] = fired(archive, "order.missing-work-plan")
    assert_at(problem, archive, O5, "status", clause="§3.1")


def test_complex_order_needs_project_review_and_risks(archive):
    assert read(archive, O6)["complexity"] in ("complex", "major")
    assert fired(archive, "order.missing-risk-plan") == []
    edit(archive, O6, lambda d: (d.pop("project_review"), d.pop("risks")))
    found = fired(archive, "order.missing-risk-plan")
    assert sorted(p.message.split(" needs ")[1] for p in found) == ["a project_review before execution", "a risk plan (risks)"]
    assert_at(found[0], archive, O6, "complexity", clause="§3.3")


def test_overdue_milestone_is_a_warning(archive):
    edit(archive, O5, lambda d: d["work_plan"]["milestones"][-1].update(due="2026-11-01"))
    [problem] = fired(archive, "order.milestone-overdue")
    assert str(problem.severity) == "warning"
    assert_at(problem, archive, O5, "work_plan", "milestones", 1, "due", clause="§3.2")
    assert fired(archive, "order.milestone-overdue", today=date(2026, 10, 31)) == []
