"""Who did each step (§1.4, §2.2, §2.4, §2.5, §3.3, §6.1): the department the regulation (or the policy) gives it to."""

from __future__ import annotations

from editing import assert_at, dossier, edit, fired, read

O5 = f"{dossier('ORD-2026-0005')}/order.yaml"  # in progress
O6 = f"{dossier('ORD-2026-0006')}/order.yaml"  # complex, in progress
ST3 = f"{dossier('ORD-2026-0003')}/settlement.yaml"


def test_each_review_is_done_by_its_department(archive):
    assert fired(archive, "step.wrong-department") == []
    edit(archive, O5, lambda d: d["operations_review"].update(reviewer="huang.shuhua"))  # finance's head
    edit(archive, O5, lambda d: d["finance_review"].update(reviewer="wang.chienhung"))  # operations' head
    found = sorted(fired(archive, "step.wrong-department"), key=lambda p: p.line)
    assert len(found) == 2
    assert_at(found[0], archive, O5, "operations_review", "reviewer", clause="§2.4")
    assert "huang.shuhua (finance) cannot do the operations review: it is the work of operations" in found[0].message
    assert_at(found[1], archive, O5, "finance_review", "reviewer", clause="§2.5")


def test_the_sales_rep_is_of_sales_and_finance_drafts_the_settlement(archive):
    edit(archive, O5, lambda d: d["intake"].update(sales_rep="wu.shufen"))
    edit(archive, ST3, lambda d: d["plan"].update(drafted_by="chen.yichun"))
    found = {p.path: p for p in fired(archive, "step.wrong-department")}
    assert_at(found[O5], archive, O5, "intake", "sales_rep", clause="§2.2")
    assert_at(found[ST3], archive, ST3, "plan", "drafted_by", clause="§6.1")


def test_the_policy_may_give_a_step_to_another_department(archive):
    edit(archive, "records/policy.yaml", lambda d: d.update(steps={"operations_review": "tech_support"}))
    found = fired(archive, "step.wrong-department")
    assert {p.path for p in found} >= {O5} and all("tech_support" in p.message for p in found if "operations review" in p.message)


def test_a_project_review_needs_every_department_concerned(archive):
    review = read(archive, O6)["project_review"]
    assert fired(archive, "order.project-review-incomplete") == []
    edit(archive, O6, lambda d: d["project_review"].update(participants=[review["participants"][0]]))
    [problem] = fired(archive, "order.project-review-incomplete")
    assert_at(problem, archive, O6, "project_review", "participants", clause="§3.3")
    assert "took part; a project review brings the departments concerned together" in problem.message


def test_an_executed_order_must_say_how_complex_it_is(archive):
    assert read(archive, O5).get("complexity") == "standard"
    edit(archive, O5, lambda d: d.pop("complexity"))
    [problem] = fired(archive, "order.complexity-undecided")
    assert_at(problem, archive, O5, "status", clause="§3.3")


def test_the_review_results_go_back_to_sales(archive):
    assert fired(archive, "review.feedback-to-sales") == []
    edit(archive, O5, lambda d: d["operations_review"].pop("feedback_to_sales_on"))
    [problem] = fired(archive, "review.feedback-to-sales")
    assert str(problem.severity) == "warning"
    assert_at(problem, archive, O5, "operations_review", "reviewed_on", clause="§2.4")
    edit(archive, O5, lambda d: d["finance_review"].update(feedback_to_sales_on="2020-01-01"))
    [problem] = fired(archive, "review.feedback-before-review")
    assert "before the review" in problem.message
    assert_at(problem, archive, O5, "finance_review", "feedback_to_sales_on", clause="§2.5")


def test_nobody_does_a_step_after_leaving_the_company(archive):
    reviewer = read(archive, O5)["operations_review"]["reviewer"]
    edit(archive, "records/organization.yaml", lambda d: next(p for p in d["people"] if p["id"] == reviewer).update(active=False, left_on="2026-01-31"))
    [problem] = [p for p in fired(archive, "step.after-leaving") if p.path == O5]
    assert_at(problem, archive, O5, "operations_review", "reviewer", clause="§1.4")
    assert f"{reviewer} left the company on 2026-01-31" in problem.message
