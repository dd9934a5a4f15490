"""Who did each step (§1.4, §2.2, §2.4, §2.5, §3.3, §6.1): the regulation gives every step to a department.

Companies rename departments, so ``policy.steps`` may give a step to another one; absent, the
regulation's own department is expected — when the organisation has it (a new archive starts with
one department, and is not flagged for the ones it has yet to add).
"""

from __future__ import annotations

from collections.abc import Iterator

from generator.records.catalog import Catalog
from schemas.order import Complexity

from . import E, Finding, W, each_order, each_record, rule
from .intake import EXECUTED

STEPS = {  # step → (the regulation's department, clause, how a message names it, in English and in Chinese)
    "intake": ("sales", "§2.2", "take the order", "接單"),
    "operations_review": ("operations", "§2.4", "do the operations review", "執行運營審核"),
    "finance_review": ("finance", "§2.5", "do the finance review", "執行財務審核"),
    "settlement_plan": ("finance", "§6.1", "draft the settlement plan", "擬定結算方案"),
}
PROJECT_REVIEW = ("sales", "operations", "finance")


def department_for(catalog: Catalog, step: str) -> str | None:
    """The department the policy (or the regulation) gives ``step``, or None when the organisation has no such department."""
    chosen = getattr(catalog.policy.steps, step) if catalog.policy and catalog.policy.steps else None
    department = chosen or STEPS[step][0]
    return department if department in catalog.departments else None


@rule(
    "step.wrong-department",
    ("§1.4", "§2.2", "§2.4", "§2.5", "§6.1"),
    E,
    "Each step is done by the department the regulation gives it to",
    "各步驟由制度指定之部門執行",
)
def wrong_department(catalog: Catalog) -> Iterator[Finding]:
    if catalog.organization is None:
        return
    for entry, step, loc, person_id, _ in _steps(catalog):
        department = department_for(catalog, step)
        person = catalog.people.get(person_id)
        if department is None or person is None or person.department == department:
            continue  # an unknown person is reference.unknown-person
        _, clause, doing, doing_zh = STEPS[step]
        zh = f"{person.id}（{person.department}）不得{doing_zh}：此為 {department} 之職責"
        yield Finding(entry, loc, f"{person.id} ({person.department}) cannot {doing}: it is the work of {department}", clause, zh=zh)


def _steps(catalog: Catalog) -> Iterator[tuple]:
    """``(entry, step, field, person id, date)`` for each step of ``STEPS`` a record names someone for."""
    for _, entry, order in each_order(catalog):
        yield entry, "intake", ("intake", "sales_rep"), order.intake.sales_rep, order.intake.confirmed_on
        for part in ("operations_review", "finance_review"):
            if (review := getattr(order, part)) is not None:
                yield entry, part, (part, "reviewer"), review.reviewer, review.reviewed_on
    for _, entry, settlement in each_record(catalog, "settlement"):
        yield entry, "settlement_plan", ("plan", "drafted_by"), settlement.plan.drafted_by, settlement.plan.drafted_on


@rule(
    "order.project-review-incomplete",
    "§3.3",
    E,
    "The project review of a complex or major order brings together the departments concerned",
    "複雜或重大訂單之專案評審須有相關部門參與",
)
def project_review_incomplete(catalog: Catalog) -> Iterator[Finding]:
    if catalog.organization is None:
        return
    wanted = catalog.policy.project_review_departments if catalog.policy and catalog.policy.project_review_departments else PROJECT_REVIEW
    wanted = [d for d in wanted if d in catalog.departments]
    for _, entry, order in each_order(catalog):
        if order.complexity in (None, Complexity.STANDARD) or order.project_review is None:
            continue
        present = {p.department for pid in order.project_review.participants if (p := catalog.people.get(pid))}
        missing = [d for d in wanted if d not in present]
        if missing:
            yield Finding(
                entry,
                ("project_review", "participants"),
                f"no one of {', '.join(missing)} took part; a project review brings the departments concerned together, one department is not a review",
                zh=f"{'、'.join(missing)} 無人參與；專案評審須集合相關部門，單一部門不構成評審",
            )


@rule("order.complexity-undecided", "§3.3", E, "An order in execution says how complex it is", "執行中之訂單須載明複雜度")
def complexity_undecided(catalog: Catalog) -> Iterator[Finding]:
    for _, entry, order in each_order(catalog):
        if order.complexity is None and order.status in EXECUTED:
            yield Finding(
                entry,
                ("status",),
                "set complexity (standard, complex or major) before execution: skipping the project review must be a decision on record",
                zh="執行前須載明複雜度（standard、complex 或 major）：不做專案評審須為有記錄之決定",
            )


@rule(
    "review.feedback-to-sales",
    ("§2.4", "§2.5"),
    W,
    "The results of the operations and the finance review are fed back to sales",
    "運營與財務審核結果須反饋業務部門",
)
def feedback_to_sales(catalog: Catalog) -> Iterator[Finding]:
    for entry, part, clause, review in _reviews(catalog):
        if review.feedback_to_sales_on is None:
            yield Finding(
                entry,
                (part, "reviewed_on"),
                "no date the result was fed back to sales (feedback_to_sales_on)",
                clause,
                zh="未記錄審核結果反饋業務之日期（feedback_to_sales_on）",
            )


@rule("review.feedback-before-review", ("§2.4", "§2.5"), E, "Review results are fed back after the review", "審核結果於審核後反饋")
def feedback_before_review(catalog: Catalog) -> Iterator[Finding]:
    for entry, part, clause, review in _reviews(catalog):
        if review.feedback_to_sales_on is not None and review.feedback_to_sales_on < review.reviewed_on:
            message = f"fed back to sales on {review.feedback_to_sales_on}, before the review on {review.reviewed_on}"
            zh = f"於 {review.feedback_to_sales_on} 反饋業務，早於審核日 {review.reviewed_on}"
            yield Finding(entry, (part, "feedback_to_sales_on"), message, clause, zh=zh)


def _reviews(catalog: Catalog) -> Iterator[tuple]:
    for _, entry, order in each_order(catalog):
        for part, clause in (("operations_review", "§2.4"), ("finance_review", "§2.5")):
            if (review := getattr(order, part)) is not None:
                yield entry, part, clause, review


@rule("step.after-leaving", "§1.4", E, "Nobody is named for a step dated after they left the company", "離職後之日期不得列其為執行人")
def after_leaving(catalog: Catalog) -> Iterator[Finding]:
    left = {p.id: p.left_on for p in catalog.people.values() if p.left_on is not None}
    if not left:
        return
    named = [(entry, loc, person_id, day) for entry, _, loc, person_id, day in _steps(catalog)]
    named += [(qc, ("inspector",), qc.model.inspector, qc.model.inspected_on) for dossier in catalog.dossiers.values() for qc in dossier.quality]
    for entry, loc, person_id, day in named:
        if person_id in left and day > left[person_id]:
            yield Finding(
                entry,
                loc,
                f"{person_id} left the company on {left[person_id]}, before this step on {day}",
                zh=f"{person_id} 已於 {left[person_id]} 離職，早於此步驟之日期 {day}",
            )
