"""The reports (§3.5, §4.5, §6): figures over the whole archive."""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal

from generator.site import escape
from generator.site.render.pages import Page, RendererBase


class ReportPages(RendererBase):
    def reports(self, page: Page) -> str:
        by_year: dict[int, list] = defaultdict(list)
        for dossier, order in self.orders:
            delivery = dossier.delivery_model
            if delivery is not None:
                by_year[delivery.delivered_on.year].append(delivery.delivered_on <= order.intake.delivery_due)
        delivery_rows = [[escape.text(y), escape.text(len(v)), escape.text(f"{sum(v) / len(v):.0%}")] for y, v in sorted(by_year.items())]
        inspections = [q for d in self.catalog.dossiers.values() for q in d.quality_models]
        failed = [q for q in inspections if q.result.value == "fail"]
        defects = Counter(defect.type for q in inspections for defect in q.defects)
        actions = Counter(q.rectification.action for q in inspections if q.rectification)
        complaints = sum(len(q.complaints) for q in inspections)
        scores = [q.satisfaction for q in inspections if q.satisfaction]
        quality_rows = [
            [
                escape.text(page.t("reports.defect_rate")),
                escape.text(f"{len(failed)} / {len(inspections)}" + (f" ({len(failed) / len(inspections):.1%})" if inspections else "")),
            ],
            [escape.text(page.t("reports.complaints")), escape.text(complaints)],
            [escape.text(page.t("reports.satisfaction")), escape.text(f"{sum(scores) / len(scores):.2f} / 5" if scores else "—")],
        ]
        defect_rows = [[escape.text(self.label(k)), escape.text(v)] for k, v in defects.most_common()]
        action_rows = [[escape.text(self.label(k)), escape.text(v)] for k, v in actions.most_common()]
        money_by_year: dict[tuple[int, str], list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0), Decimal(0)])
        ageing: Counter[str] = Counter()
        for dossier, order in self.orders:
            key = (order.intake.received_on.year, order.intake.currency.value)
            money_by_year[key][0] += order.intake.budget
            settlement = dossier.settlement_model
            if settlement is not None:
                money_by_year[key][1] += settlement.plan.total
                money_by_year[key][2] += settlement.paid
                paid_invoices = {p.invoice for p in settlement.payments}
                for invoice in settlement.invoices:
                    if invoice.number not in paid_invoices:
                        days = (self.catalog.today - (invoice.due_on or invoice.issued_on)).days
                        bucket = "not due" if days < 0 else "0–30" if days <= 30 else "31–90" if days <= 90 else "> 90"
                        ageing[f"{bucket} {settlement.currency.value}"] += invoice.total
        finance_rows = [
            [escape.text(y), escape.text(c), escape.money(v[0]), escape.money(v[1]), escape.money(v[2])] for (y, c), v in sorted(money_by_year.items())
        ]
        ageing_rows = [[escape.text(k), escape.money(v)] for k, v in sorted(ageing.items())]
        return self.render(
            "reports.md.j2",
            page,
            delivery=escape.table([page.t("col.date"), page.t("col.count"), page.t("reports.on_time")], delivery_rows),
            quality=escape.table([page.t("col.value"), page.t("col.count")], quality_rows),
            defects=escape.table([page.t("col.defect"), page.t("col.count")], defect_rows),
            actions=escape.table([page.t("col.action"), page.t("col.count")], action_rows),
            finance=escape.table(
                [page.t("col.date"), page.t("field.currency"), page.t("totals.budget"), page.t("totals.settled"), page.t("totals.paid")], finance_rows
            ),
            ageing=escape.table([page.t("col.value"), page.t("col.amount")], ageing_rows),
        )
