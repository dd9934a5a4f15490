"""The archive pages (§8): records by year and kind, retention and disposals due, the disposal log, the borrowing register."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date
from functools import partial

from generator.site import escape
from generator.site.render.pages import KIND_ORDER, Page, Planned, RendererBase, inputs_digest, record_date


class ArchivePages(RendererBase):
    def archive_plan(self) -> list[tuple[str, Planned]]:
        """The archive pages, each with the digest of what it reads. The records by year and the retention are
        worked out here once for both editions (a worker that walked every record for them wrote into each
        one's memory, copying tens of megabytes of the archive at 10,000 orders); the disposal log and the
        borrowing register are short, and their own Markdown is their digest."""
        plan = [
            ("archive/index.md", Planned.of(self._archive_index, self.plain_inputs, Page("archive/index.md", self.language), self._record_counts)),
            ("archive/retention.md", Planned.of(self._retention, self.plain_inputs, Page("archive/retention.md", self.language), self._retention_due)),
        ]
        for path, make in (("archive/disposals.md", self._disposals), ("archive/borrowing.md", self._borrowing)):
            plan.append((path, Planned.of(make, partial(self._own_markdown, make), Page(path, self.language))))
        return plan

    def _own_markdown(self, make: Callable[[Page], str], page: Page) -> str:
        return inputs_digest([page.path, self.language, make(page)])

    @property
    def _record_counts(self) -> list[tuple[tuple[int, str], int]]:
        """How many records of each kind are dated in each year, ``((year, kind), count)``, for every edition."""
        return self.shared("record counts", self._count_records)

    def _count_records(self) -> list[tuple[tuple[int, str], int]]:
        counts: Counter[tuple[int, str]] = Counter()
        for entry in self.catalog.entries:
            day = record_date(entry.kind, entry.model)
            if day is not None:
                counts[(day.year, entry.kind)] += 1
        return sorted(counts.items())

    def _archive_index(self, page: Page, counted: list[tuple[tuple[int, str], int]]) -> str:
        counts = dict(counted)
        years = sorted({y for y, _ in counts}, reverse=True)
        kinds = [k for k in KIND_ORDER if any(kk == k for _, kk in counts)]
        rows = [[escape.text(year)] + [escape.text(counts.get((year, k), 0)) for k in kinds] for year in years]
        headers = [page.t("filter.year"), *(page.t(f"kind.{k}") for k in kinds)]
        return self.render("archive.md.j2", page, table=escape.table(headers, rows))

    @property
    def _retention_due(self) -> tuple[list, list]:
        """The records whose retention has ended and those whose retention ends within a year, each
        ``(until, record, kind)`` in the order the page lists them, for every edition."""
        return self.shared("retention due", self._find_retention_due)

    def _find_retention_due(self) -> tuple[list, list]:
        today = self.catalog.today
        horizon = date(today.year + 1, today.month, min(today.day, 28))
        due, upcoming = [], []
        for entry, until in self.catalog.retentions:  # most end later: a row made of each was half the time
            if until <= horizon:
                (due if until < today else upcoming).append((str(until), str(getattr(entry.model, "id", entry.path)), entry.kind))
        return sorted(due, key=lambda r: r[0]), sorted(upcoming, key=lambda r: r[0])

    def _retention(self, page: Page, listed: tuple[list, list]) -> str:
        due, upcoming = listed
        headers = [page.t("col.record"), page.t("col.kind"), page.t("col.retention")]

        def rows(found: list) -> list[list[str]]:
            return [[escape.text(record), escape.text(page.t(f"kind.{kind}")), escape.text(until)] for until, record, kind in found]

        return self.render("retention.md.j2", page, due=escape.table(headers, rows(due)), upcoming=escape.table(headers, rows(upcoming)), due_count=len(due))

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
