"""What needs attention today: the home page's first section, one list per kind of thing waiting, each
count the length of its list (the regulation-depth rules' deadline findings, open disputes, loan requests
awaiting approval, disposals due, and the errors validation found)."""

from __future__ import annotations

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


class AttentionList(RendererBase):
    def attention(self, page: Page) -> list[tuple[str, int, str]]:
        """``(title, count, table)`` for every non-empty group, in order; the count is its table's rows."""
        groups: list[tuple[str, list[list[str]], list[str]]] = []
        where_headers = [page.t("col.where"), page.t("col.message")]
        problems = sorted(self.checked.problems, key=lambda p: p.sort_key)
        errors = [p for p in problems if p.severity is Severity.ERROR]
        groups.append((page.t("attention.errors"), [self._problem_row(page, p) for p in errors], where_headers))
        for rule_id in DEADLINE_GROUPS:
            found = [p for p in problems if p.rule == rule_id and p.attention and p.severity is not Severity.ERROR]
            groups.append((page.t(f"attention.{rule_id}"), [self._problem_row(page, p) for p in found], where_headers))
        groups.append((page.t("attention.disputes"), self._open_disputes(page), [page.t("col.order"), page.t("attention.opened"), page.t("col.note")]))
        loans = [loan for _, loan in self.catalog.loan_models if loan.approved_by is None]
        waiting = [[escape.text(loan.id), self.person(loan.borrower), escape.text(loan.requested_on)] for loan in loans]
        groups.append((page.t("attention.loan-requests"), waiting, [page.t("col.record"), page.t("attention.borrower"), page.t("attention.requested")]))
        due = [self._problem_row(page, p) for p in problems if p.rule == "archive.retention-expired"]
        groups.append((page.t("attention.disposals-due"), due, where_headers))
        return [(title, len(rows), escape.table(headers, rows, "oa-attention")) for title, rows, headers in groups if rows]

    def _problem_row(self, page: Page, problem) -> list[str]:
        linked = self.dossier_of(problem.path)
        where = short_place(problem.path, problem.line)  # the order first: what a manager looks for
        return [escape.link(page.to(dossier_page(linked)), where) if linked else escape.text(where), self.problem_words(problem)]

    def _open_disputes(self, page: Page) -> list[list[str]]:
        rows = []
        for dossier, order in self.orders:
            delivery, settlement = dossier.delivery_model, dossier.settlement_model
            opened = []
            if delivery is not None:
                opened += [(o.raised_on, o.description) for o in delivery.objections if o.status is ObjectionStatus.OPEN]
                if delivery.dispute is not None and delivery.dispute.status is DisputeStatus.OPEN:
                    opened.append((delivery.dispute.opened_on, delivery.dispute.mechanism))
            if settlement is not None:
                opened += [(d.raised_on, d.description) for d in settlement.disputes if d.resolved_on is None]
            rows += [[page.order_link(order.id), escape.text(day), escape.text(what)] for day, what in sorted(opened)]
        return rows
