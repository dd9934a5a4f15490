"""The reports (§3.5, §4.5, §6) and the compliance page: figures over the whole archive."""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal
from functools import partial

from generator.core.problems import Severity
from generator.rules import REGISTRY
from generator.site import escape
from generator.site.compliance import CLAUSES, compliance_map
from generator.site.render.fieldwords import field_name
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

    def compliance(self, page: Page) -> str:
        """Every problem under each clause it cites (whatever layer found it), and the problems that cite none
        in a section of their own: the page's count and its lists always agree."""
        by_clause: dict[str, list] = defaultdict(list)
        unplaced = []
        for problem in self.checked.problems:
            clauses = [c for c in clauses_of(problem) if c in CLAUSES]
            for clause in clauses:
                by_clause[clause].append(problem)
            if not clauses:
                unplaced.append(problem)
        rows = [(coverage, by_clause.get(coverage.clause, [])) for coverage in compliance_map()]
        errors = sum(1 for p in self.checked.problems if p.severity is Severity.ERROR)
        current = sorted(self.checked.problems, key=lambda p: (p.severity is not Severity.ERROR, p.sort_key))  # errors first
        zh = self.language == "zh-Hant"
        return self.render(
            "compliance.md.j2",
            page,
            rows=rows,
            current=current,
            unplaced=unplaced,
            registry=REGISTRY,
            problems_table=lambda problems: self.problems_table(page, problems),
            errors=errors,
            warnings=len(self.checked.problems) - errors,
            title_of=lambda c: c.title_zh if zh else c.title_en,
            rule_title=lambda rule_id: REGISTRY[rule_id].zh if zh else REGISTRY[rule_id].en,
            reason_of=lambda c: c.reason(self.language),
            field_name=partial(field_name, language=self.language),
        )


def clauses_of(problem) -> list[str]:
    """The clauses a problem cites: ``"§2.4, §2.5"`` → ``["§2.4", "§2.5"]``."""
    return [c.strip() for c in (problem.clause or "").split(",") if c.strip()]
