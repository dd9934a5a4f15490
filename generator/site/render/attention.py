"""What needs attention today: the home page's first section, one list per kind of thing waiting, each
count the length of its list (the regulation-depth rules' deadline findings, open disputes, loan requests
awaiting approval, disposals due, and the errors validation found)."""

from __future__ import annotations

from dataclasses import dataclass

from generator.core.problems import Severity
from generator.site import escape
from generator.site.render.pages import Page, RendererBase, dossier_page, short_place
from schemas.delivery import DisputeStatus, ObjectionStatus

DEADLINE_GROUPS = (
    "order.milestone-overdue",
    "delivery.late",
    "delivery.acceptance-pending",
    "settlement.not-settled",
    "settlement.unpaid-invoice",
    "delivery.objection-open",
    "settlement.dispute-open",
    "order.tracking-gap",
    "order.forwarded-late",
    "delivery.not-notified",
    "settlement.not-notified",
    "loan.overdue",
)
"""The deadline rules, in the order a manager goes through them."""


@dataclass(frozen=True)
class Waiting:
    """What needs attention, gathered once for every edition of a check (no word of it depends on the language):
    the problems of each group, the open disputes ``(order, opened on, what)`` and the loan requests awaiting
    approval ``(loan, borrower, requested on)``."""

    errors: list
    deadlines: list[tuple[str, list]]
    disputes: list[tuple[str, str, str]]
    loans: list[tuple[str, str, str]]
    due: list

    @classmethod
    def of(cls, problems: list, orders: list, loans: list) -> Waiting:
        problems = sorted(problems, key=lambda p: p.sort_key)
        deadlines = [(rule_id, [p for p in problems if p.rule == rule_id and p.attention and p.severity is not Severity.ERROR]) for rule_id in DEADLINE_GROUPS]
        return cls(
            errors=[p for p in problems if p.severity is Severity.ERROR],
            deadlines=deadlines,
            disputes=[row for dossier, order in orders for row in _open_disputes(dossier, order)],
            loans=[(loan.id, loan.borrower, loan.requested_on.isoformat()) for _, loan in loans if loan.approved_by is None],
            due=[p for p in problems if p.rule == "archive.retention-expired"],
        )


class AttentionList(RendererBase):
    @property
    def waiting(self) -> Waiting:
        return self.shared("waiting", lambda: Waiting.of(self.checked.problems, self.orders, self.catalog.loan_models))

    def attention(self, page: Page, waiting: Waiting) -> list[tuple[str, int, str]]:
        """``(title, count, table)`` for every non-empty group, in order; the count is its table's rows."""
        where_headers = [page.t("col.where"), page.t("col.message")]
        groups: list[tuple[str, list[list[str]], list[str]]] = [
            (page.t("attention.errors"), [self._problem_row(page, p) for p in waiting.errors], where_headers)
        ]
        for rule_id, found in waiting.deadlines:
            groups.append((page.t(f"attention.{rule_id}"), [self._problem_row(page, p) for p in found], where_headers))
        disputes = [[page.order_link(order_id), escape.text(day), escape.text(what)] for order_id, day, what in waiting.disputes]
        groups.append((page.t("attention.disputes"), disputes, [page.t("col.order"), page.t("attention.opened"), page.t("col.note")]))
        loans = [[escape.text(loan_id), self.person(borrower), escape.text(day)] for loan_id, borrower, day in waiting.loans]
        groups.append((page.t("attention.loan-requests"), loans, [page.t("col.record"), page.t("attention.borrower"), page.t("attention.requested")]))
        groups.append((page.t("attention.disposals-due"), [self._problem_row(page, p) for p in waiting.due], where_headers))
        return [(title, len(rows), escape.table(headers, rows, "oa-attention")) for title, rows, headers in groups if rows]

    def attention_digest(self, waiting: Waiting) -> list:
        """What ``attention`` shows of ``waiting``, for a page's inputs digest: the borrowers' names with it."""
        deadlines = [(rule_id, self.problems_digest(found)) for rule_id, found in waiting.deadlines]
        borrowers = [self.person(borrower) for _, borrower, _ in waiting.loans]
        return [self.problems_digest(waiting.errors), deadlines, waiting.disputes, waiting.loans, borrowers, self.problems_digest(waiting.due)]

    def _problem_row(self, page: Page, problem) -> list[str]:
        linked = self.dossier_of(problem.path)
        where = short_place(problem.path, problem.line)  # the order first: what a manager looks for
        return [escape.link(page.to(dossier_page(linked)), where) if linked else escape.text(where), self.problem_words(problem)]


def _open_disputes(dossier, order) -> list[tuple[str, str, str]]:
    """An order's open objections and disputes, ``(order, opened on, what)``, oldest first."""
    delivery, settlement = dossier.delivery_model, dossier.settlement_model
    opened = []
    if delivery is not None:
        opened += [(o.raised_on, o.description) for o in delivery.objections if o.status is ObjectionStatus.OPEN]
        if delivery.dispute is not None and delivery.dispute.status is DisputeStatus.OPEN:
            opened.append((delivery.dispute.opened_on, delivery.dispute.mechanism))
    if settlement is not None:
        opened += [(d.raised_on, d.description) for d in settlement.disputes if d.resolved_on is None]
    return [(order.id, str(day), what) for day, what in sorted(opened)]
