"""Work plan, tracking and project review of executed orders (§3)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

from generator.records.catalog import Catalog
from schemas import OrderStatus
from schemas.order import Complexity

from . import E, Finding, W, deadlines, each_order, rule, zh_label
from .changes import GOING_AHEAD
from .intake import EXECUTED


@rule("order.missing-work-plan", "§3.1", E, "An executed order has a work plan with tasks and owners", "執行中之訂單須有工作計劃")
def missing_work_plan(catalog: Catalog) -> Iterator[Finding]:
    for _, entry, order in each_order(catalog):
        if order.status in EXECUTED and order.work_plan is None:
            yield Finding(
                entry,
                ("status",),
                f"the order is {order.status.value} but has no work_plan (tasks, milestones, owners)",
                zh=f"訂單為{zh_label(order.status)}，但無工作計劃（work_plan：任務、里程碑、負責人）",
            )


@rule(
    "order.missing-risk-plan",
    "§3.3",
    E,
    "Complex and major orders have a project review and a risk plan",
    "複雜或重大訂單須有專案評審與風險控制",
)
def missing_risk_plan(catalog: Catalog) -> Iterator[Finding]:
    for _, entry, order in each_order(catalog):
        if order.complexity in (None, Complexity.STANDARD) or order.status not in EXECUTED:
            continue
        if order.project_review is None:
            yield Finding(
                entry,
                ("complexity",),
                f"a {order.complexity.value} order needs a project_review before execution",
                zh=f"{zh_label(order.complexity)}訂單執行前須有專案評審（project_review）",
            )
        if not order.risks:
            yield Finding(
                entry,
                ("complexity",),
                f"a {order.complexity.value} order needs a risk plan (risks)",
                zh=f"{zh_label(order.complexity)}訂單須有風險控制計劃（risks）",
            )


@rule("order.milestone-overdue", "§3.2", W, "Milestones of orders in progress are met on time", "執行中訂單之里程碑應如期完成", timely=True)
def milestone_overdue(catalog: Catalog) -> Iterator[Finding]:
    for _, entry, order in each_order(catalog):
        if order.status is not OrderStatus.IN_PROGRESS or order.work_plan is None:
            continue
        for i, milestone in enumerate(order.work_plan.milestones):
            if milestone.done_on is None and milestone.due < catalog.today:
                late = (catalog.today - milestone.due).days
                yield Finding(
                    entry,
                    ("work_plan", "milestones", i, "due"),
                    f"milestone '{milestone.name}' was due on {milestone.due} ({late} days ago)",
                    zh=f"里程碑「{milestone.name}」應於 {milestone.due} 完成（已逾 {late} 天）",
                )


@rule("order.work-before-review", "§3.1", E, "No work is reported before the reviews allowed it", "審核通過前不得執行")
def work_before_review(catalog: Catalog) -> Iterator[Finding]:
    for _, entry, order in each_order(catalog):
        allowed = work_allowed_from(order)
        if allowed is None:
            continue  # order.executed-without-review
        dated = [(("tracking", i, "on"), p.on) for i, p in enumerate(order.tracking)]
        if order.work_plan is not None:
            dated += [(("work_plan", "milestones", i, "done_on"), m.done_on) for i, m in enumerate(order.work_plan.milestones) if m.done_on]
        for loc, day in dated:
            if day < allowed:
                yield Finding(
                    entry,
                    loc,
                    f"work reported on {day}, before the reviews allowed work on {allowed}",
                    zh=f"於 {day} 回報工作，早於審核通過可開始執行之 {allowed}",
                )


@rule(
    "order.plan-after-due",
    "§3.1",
    E,
    "Tasks and milestones end by the delivery date, as approved changes moved it",
    "任務與里程碑不得晚於（經核准變更後之）交付日期",
)
def plan_after_due(catalog: Catalog) -> Iterator[Finding]:
    for dossier, entry, order in each_order(catalog):
        if order.work_plan is None or (due := delivery_due(catalog, dossier)) is None:
            continue
        planned = [(("work_plan", "tasks", i, "due"), t.due) for i, t in enumerate(order.work_plan.tasks)]
        planned += [(("work_plan", "milestones", i, "due"), m.due) for i, m in enumerate(order.work_plan.milestones)]
        for loc, day in planned:
            if day > due:
                yield Finding(
                    entry,
                    loc,
                    f"due on {day}, after the delivery date {due}; move it, or approve a change that moves delivery",
                    zh=f"期限 {day} 晚於交付日期 {due}；請調整，或核准變更以延後交付",
                )


def work_allowed_from(order) -> date | None:
    """The day both reviews were done (§2.4, §2.5), from which work may be reported; None before both."""
    if order.operations_review is None or order.finance_review is None:
        return None
    return max(order.operations_review.reviewed_on, order.finance_review.reviewed_on)


def delivery_due(catalog: Catalog, dossier) -> date | None:
    """The agreed delivery date as the approved changes (§7.1) moved it, in the order they were requested:
    each to its ``new_delivery_due`` when it states one, else by its ``schedule_delta_days``. None while a
    record of the dossier is invalid: a change form that failed validation may have moved the date."""
    if dossier.order_id in catalog.broken_dossiers:
        return None
    due = dossier.order.model.intake.delivery_due
    for change in sorted((c.model for c in dossier.changes if c.model.status in GOING_AHEAD), key=lambda cr: (cr.requested_on, cr.id)):
        due = change.new_delivery_due or due + timedelta(days=change.schedule_delta_days)
    return due


@rule(
    "order.tracking-gap",
    "§3.2",
    W,
    "Orders in execution report progress regularly, and a risk reported is followed up",
    "執行中訂單定期回報，所報風險須有後續",
    timely=True,
)
def tracking_gap(catalog: Catalog) -> Iterator[Finding]:
    interval = deadlines(catalog).tracking_interval_days
    for _, entry, order in each_order(catalog):
        allowed = work_allowed_from(order)
        if order.status is not OrderStatus.IN_PROGRESS or allowed is None:
            continue
        last = order.tracking[-1] if order.tracking else None
        since = last.on if last else allowed
        if (catalog.today - since).days > interval:
            where = ("tracking", len(order.tracking) - 1, "on") if last else ("status",)
            yield Finding(
                entry,
                where,
                f"no progress report for {(catalog.today - since).days} days (since {since}); the policy asks one every {interval}",
                zh=f"已 {(catalog.today - since).days} 天未回報進度（自 {since}）；政策要求每 {interval} 天回報",
            )
        if last is not None and last.quality.value != "on_track":
            yield Finding(
                entry,
                ("tracking", len(order.tracking) - 1, "quality"),
                f"the last progress report says {last.quality.value}: report how it was handled",
                zh=f"最近一次進度回報為「{zh_label(last.quality)}」：請回報處理情形",
            )
