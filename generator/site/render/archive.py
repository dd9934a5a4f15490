"""The archive pages (§8): records by year and kind, retention and disposals due, the disposal log, the borrowing register."""

from __future__ import annotations

from collections import Counter
from datetime import date

from generator.records.catalog import retention_until
from generator.site import escape
from generator.site.render.pages import ARCHIVE_PAGES, KIND_ORDER, Page, RendererBase, record_date


class ArchivePages(RendererBase):
    def _archive_page(self, path: str) -> str:
        """One archive page, alone: a worker that renders one of them makes no other (the retention page walks
        every record's retention; making all four in each worker that took one cost 2.3 s of CPU a merge build)."""
        return getattr(self, _MAKERS[path])(Page(path, self.language))

    def archive_pages(self) -> dict[str, str]:
        return {path: self._archive_page(path) for path in ARCHIVE_PAGES}

    def _archive_index(self, page: Page) -> str:
        counts: Counter[tuple[int, str]] = Counter()
        for entry in self.catalog.entries:
            model = entry.model
            day = record_date(entry.kind, model)
            if day is not None:
                counts[(day.year, entry.kind)] += 1
        years = sorted({y for y, _ in counts}, reverse=True)
        kinds = [k for k in KIND_ORDER if any(kk == k for _, kk in counts)]
        rows = [[escape.text(year)] + [escape.text(counts.get((year, k), 0)) for k in kinds] for year in years]
        headers = [page.t("filter.year"), *(page.t(f"kind.{k}") for k in kinds)]
        return self.render("archive.md.j2", page, table=escape.table(headers, rows))

    def _retention(self, page: Page) -> str:
        due, upcoming = [], []
        horizon = date(self.catalog.today.year + 1, self.catalog.today.month, min(self.catalog.today.day, 28))
        for entry in self.catalog.entries:
            until = retention_until(self.catalog, entry)
            if until is None:
                continue
            row = [escape.text(getattr(entry.model, "id", entry.path)), escape.text(page.t(f"kind.{entry.kind}")), escape.text(until)]
            if until < self.catalog.today:
                due.append((until, row))
            elif until <= horizon:
                upcoming.append((until, row))
        headers = [page.t("col.record"), page.t("col.kind"), page.t("col.retention")]
        return self.render(
            "retention.md.j2",
            page,
            due=escape.table(headers, [r for _, r in sorted(due, key=lambda x: x[0])]),
            upcoming=escape.table(headers, [r for _, r in sorted(upcoming, key=lambda x: x[0])]),
            due_count=len(due),
        )

    def _disposals(self, page: Page) -> str:
        rows = []
        for _, disposal in sorted(self.catalog.disposal_models, key=lambda x: x[1].id, reverse=True):
            approvals = ", ".join(f"{self._person_name(a.by)} ({a.on})" for a in disposal.approvals)
            rows.append(
                [
                    escape.text(disposal.id),
                    escape.text(disposal.proposed_on),
                    escape.text(disposal.destroyed_on or "—"),
                    escape.text(len(disposal.items)),
                    escape.text(approvals),
                    escape.text(disposal.reason),
                ]
            )
        headers = [page.t(k) for k in ("col.record", "col.date", "col.destroyed", "col.items", "col.approved_by", "field.reason")]
        return self.render("simple.md.j2", page, title=page.t("archive.disposals"), body=escape.table(headers, rows))

    def _borrowing(self, page: Page) -> str:
        today = self.catalog.today
        out_now, overdue, all_rows = [], [], []
        for _, loan in sorted(self.catalog.loan_models, key=lambda x: x[1].id, reverse=True):
            records = " ".join(page.order_link(r) if r in self.catalog.dossiers else escape.text(r) for r in loan.records)
            row = [
                escape.text(loan.id),
                self.person(loan.borrower),
                escape.text(self._department_name(loan.department)),
                records,
                escape.text(loan.borrowed_on or "—"),
                escape.text(loan.due_on or "—"),
                escape.text(loan.returned_on or "—"),
                self.person(loan.approved_by) if loan.approved_by else escape.text(page.t("archive.awaiting_approval").format(day=loan.requested_on)),
                escape.text(loan.purpose),
            ]
            all_rows.append(row)
            if loan.borrowed_on and not loan.returned_on:
                (overdue if loan.due_on and loan.due_on < today else out_now).append(row)
        headers = [
            page.t(k)
            for k in (
                "col.record",
                "col.borrower",
                "col.department",
                "col.records",
                "col.date",
                "col.due_back",
                "col.returned",
                "col.approved_by",
                "col.purpose",
            )
        ]
        return self.render(
            "borrowing.md.j2",
            page,
            overdue=escape.table(headers, overdue),
            current=escape.table(headers, out_now),
            register=escape.table(headers, all_rows),
            overdue_count=len(overdue),
        )


_MAKERS = {
    "archive/index.md": "_archive_index",
    "archive/retention.md": "_retention",
    "archive/disposals.md": "_disposals",
    "archive/borrowing.md": "_borrowing",
}
assert list(_MAKERS) == list(ARCHIVE_PAGES)
