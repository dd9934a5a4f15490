"""The reports pages (§3.5, §4.5, §6, §7, §8): all time, and a page for each year with activity beside the
year before. Every figure comes from ``generator.reports.figures``, with its definition under its table."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property, partial
from typing import Any

from generator.core.processes import Beside
from generator.pipeline import Checked
from generator.records.catalog import Catalog
from generator.reports import charts, figures
from generator.reports.figures import Facts, Report, Table, activity_days, report
from generator.reports.kept import kept_reports
from generator.reports.output import cell, words
from generator.reports.period import ALL, Period, periods_with
from generator.site import escape
from generator.site.render.pages import Page, Planned, RendererBase, inputs_digest

Trend = list[tuple[Period, int, int, Any]]
"""Quarter by quarter, oldest first: (quarter, orders received, orders delivered, the on-time rate or None)."""


Reports = tuple[dict[Period, Report], Trend, dict[str, str]]
"""Every period's report, the trend, and each report's digest by its period's label (``_plain_digest``)."""


def _every_report(facts: Facts, periods: list[Period]) -> Reports:
    """Every period's report, the trend the summary page draws, and each report's digest: worked out with them, beside
    the build (``reports_beside``) and kept with them (``kept``), where the build's thread worked them out for the pages'
    inputs after a merge at 10,000 orders (0.05 s of it running alone)."""
    reports = {period: report(facts, period) for period in [ALL, *periods]}
    return reports, _trend(facts, periods), {period.label: inputs_digest([_plain(made)]) for period, made in reports.items()}


def _reports_of(catalog: Catalog, periods: list[Period]) -> Reports:
    """Every period's report and the trend, as the last build worked them out where it read the same (``kept``)."""
    return kept_reports(catalog, periods, lambda: _every_report(Facts.of(catalog), periods))


def _trend(facts: Facts, periods: list[Period]) -> Trend:
    """Every quarter from the first active one to the last, the quiet ones too (a trend's axis has no gaps): two
    tables a quarter, not each quarter's whole report."""
    active = sorted((p for p in periods if p.kind == "quarter"), key=lambda p: p.start)
    if len(active) < 2:
        return []
    quarters = [active[-1]]
    while quarters[-1] != active[0]:
        quarters.append(quarters[-1].previous())
    quarters.reverse()
    flows = [dict((r[0][1], r[1]) for r in figures.flow(facts, q).rows) for q in quarters]
    return [(q, f["Received"], f["Delivered"], figures.delivery(facts, q).rows[0][3]) for q, f in zip(quarters, flows, strict=True)]


def reports_beside(checked: Checked) -> None:
    """Every period's report, worked out by a process beside this one (``Beside``) while it goes on: 0.9–1.6 s at
    10,000 orders. The reports read the catalog alone, so the build starts them as soon as the check has it, while
    the check waits for the history's verdict (``plugin``: this process idled there 0.13–0.31 s after a merge at
    10,000 orders, and half a minute in a first build), else the plan does. The process ends once it has them
    (``ends_when_done``): asked for at the plan, half a minute later in a first build, they are in a file by then.
    The periods are read here first, as the plan lists a page per period; the facts every report asks of each order
    are worked out there. Once a check, for every edition."""
    derived = checked.derived
    if "reports" not in derived and "reports beside" not in derived:
        periods = _report_periods(checked)
        checked.catalog.retentions  # noqa: B018 -- here, before the fork: the archive's pages ask for them too, and the process inherits them
        derived["reports beside"] = Beside(partial(_reports_of, checked.catalog, periods), ends_when_done=True)


def _report_periods(checked: Checked) -> list[Period]:
    derived = checked.derived
    if "report_periods" not in derived:
        derived["report_periods"] = periods_with(activity_days(checked.catalog))
    return derived["report_periods"]


class ReportPages(RendererBase):
    @cached_property
    def report_periods(self) -> list[Period]:
        """Every year, quarter and month with something to report, newest first: a period with no activity gets
        no page. (170 pages a language for a decade at 10,000 orders; see ``bench/README.md`` for their cost.)"""
        return _report_periods(self.checked)

    def start_reports(self) -> None:
        """The reports worked out beside while the plan goes on, unless the build started them already (``reports_beside``)."""
        reports_beside(self.checked)

    @cached_property
    def _reports(self) -> Reports:
        """Every period's report and the trend, had before the page workers fork (``settle_reports``) and shared by both editions
        (a report holds both languages' words), where each worker working out the periods of the pages it took, and
        the periods before them, had spent 12 s of CPU over a build's two editions at 10,000 orders."""
        beside = self.checked.derived.pop("reports beside", None)
        return self.shared("reports", beside.result if beside is not None else partial(_reports_of, self.catalog, self.report_periods))

    def settle_reports(self) -> None:
        """The reports in this process, before it forks the workers that render their pages."""
        self._reports  # noqa: B018

    def reports_ready(self) -> bool:
        """Whether ``settle_reports`` would return at once: the reports had here, or the process beside done."""
        beside = self.checked.derived.get("reports beside")
        return beside is None or beside.ready()

    def _report(self, period: Period) -> Report:
        return self._reports[0][period]

    def report_plan(self) -> list[tuple[str, Callable[[], str]]]:
        plan: list[tuple[str, Callable[[], str]]] = [("reports.md", Planned.of(self.reports, self._summary_inputs, Page("reports.md", self.language)))]
        for period in self.report_periods:
            page = Page(f"reports/{period.label}.md", self.language)
            plan.append((page.path, Planned.of(self.period_report, self.period_report_inputs, page, period)))
        return plan

    def period_report_inputs(self, page: Page, period: Period) -> str:
        """A digest of everything ``period_report`` reads (``Planned``): the page, its language and the two reports
        it shows. A merge changes the figures of a few periods, if any, and the other period pages are not rendered
        again (they were about a quarter of a merge's rendering at 10,000 orders, 170 pages an edition)."""
        now, before = self._shown(period)
        return inputs_digest([page.path, self.language, self._plain_digest(now), self._plain_digest(before) if before is not None else None])

    def _plain_digest(self, report: Report) -> str:
        """``_plain(report)``'s digest, worked out with the reports (``_every_report``), once for both editions."""
        return self._reports[2][report.period.label]

    def _summary_inputs(self, page: Page) -> str:
        """A digest of everything ``reports`` reads (``Planned``): the periods with a page, the trend and the report of
        all time. Its worker walked every order's facts for the trend (100 MB of them copied into it at 10,000 orders)."""
        periods = [(p.kind, p.label) for p in self.report_periods]
        trend = [(q.label, received, delivered, _plain_value(rate)) for q, received, delivered, rate in self._reports[1]]
        return inputs_digest([page.path, self.language, periods, trend, self._plain_digest(self._report(ALL))])

    def _shown(self, period: Period) -> tuple[Report, Report | None]:
        """The period's report, and the previous period's when that has a page too (shown beside it)."""
        previous = period.previous()
        before = self._report(previous) if previous is not None and previous in self.report_periods else None
        return self._report(period), before

    def reports(self, page: Page) -> str:
        tables = [*self._trends(), *self._tables(self._report(ALL))]
        return self.render("reports.md.j2", page, title=page.t("site.reports"), periods=self._period_table(page), tables=tables)

    def _period_table(self, page: Page) -> str:
        """A row a year, newest first: the year's page, then its quarters' and months' pages, oldest first."""

        def links(kind: str, year: str) -> str:
            shown = sorted(p.label for p in self.report_periods if p.kind == kind and p.label[:4] == year)
            return " ".join(escape.link(page.to(f"reports/{label}.md"), label[5:]) for label in shown)

        years = [p.label for p in self.report_periods if p.kind == "year"]
        rows = [[escape.link(page.to(f"reports/{y}.md"), y), links("quarter", y), links("month", y)] for y in years]
        headers = [page.t("reports.year"), page.t("reports.quarters"), page.t("reports.months")]
        return escape.table(headers, rows, "oa-periods") if rows else ""

    def _trends(self) -> list[tuple[str, str, str]]:
        """Quarter by quarter, oldest first: orders received and delivered, and the on-time rate — with the
        figures in a table under the chart."""
        trend = self._reports[1]
        if not trend:
            return []
        lang, zh = self.language, self.language == "zh-Hant"
        labels = [q.label for q, _, _, _ in trend]
        received, delivered = ("接單", "交付") if zh else ("Received", "Delivered")
        counts = charts.lines(labels, {received: [r for _, r, _, _ in trend], delivered: [d for _, _, d, _ in trend]}, received + " / " + delivered)
        rate_name = "準時率" if zh else "On-time rate"
        rates = charts.lines(labels, {rate_name: [float(rate) if rate is not None else None for *_, rate in trend]}, rate_name, percent=True)
        headers = ["期間" if zh else "Period", received, delivered, rate_name]
        rows = [[escape.text(q.label), escape.text(r), escape.text(d), escape.text(cell(rate, lang))] for q, r, d, rate in trend]
        note = "每季之訂單流量與準時交付率，定義同下方各表。" if zh else "Orders and on-time delivery quarter by quarter, as the tables below define them."
        return [(("趨勢（每季）" if zh else "Trends by quarter"), counts + rates + escape.unsearched(escape.table(headers, rows, "oa-report")), note)]

    def period_report(self, page: Page, period: Period) -> str:
        tables = self._tables(*self._shown(period))
        title = f"{page.t('site.reports')} {period.label}"
        back = escape.link(page.to("reports.md"), page.t("reports.all_time"))
        return self.render("reports.md.j2", page, title=title, periods=f"<p>{back}</p>", tables=tables)

    def _tables(self, now: Report, before: Report | None = None) -> list[tuple[str, str, str]]:
        """(title, table, definition) for each table; with ``before``, the previous period beside: a column of
        its own for a list of figures, else its rows under this period's, each row naming its period."""
        out = []
        for table in now.tables:
            old = before.table(table.key) if before is not None else None
            shown = self._chart(table) + self._table(table, now.period, old, before.period if before else None)
            out.append((words(table.title, self.language), shown, words(table.note, self.language)))
        return out

    def _table(self, table: Table, period: Period, old: Table | None, previous: Period | None) -> str:
        lang = self.language
        headers = [words(c, lang) for c in table.columns]
        rows = [[escape.text(cell(v, lang)) for v in row] for row in table.rows]
        if old is not None and len(table.columns) == 2 and [r[0] for r in old.rows] == [r[0] for r in table.rows]:
            headers = [headers[0], f"{headers[1]} {period.label}", f"{headers[1]} {previous.label}"]
            rows = [[*row, escape.text(cell(o[1], lang))] for row, o in zip(rows, old.rows, strict=True)]
        elif old is not None:
            headers = [self._period_word(), *headers]
            rows = [[escape.text(period.label), *row] for row in rows]
            rows += [[escape.text(previous.label), *(escape.text(cell(v, lang)) for v in row)] for row in old.rows]
        if not rows:
            return f'<p class="oa-empty">{escape.text(self.t_none())}</p>'
        # the figures are read and not searched: a report is found by its title, its tables' titles and their
        # definitions, where its numbers answered a query for any count or amount (and a changed figure indexed
        # its year's report pages again)
        return escape.unsearched(escape.table(headers, rows, "oa-report"))

    def _chart(self, table: Table) -> str:
        """A picture where people would rather look than read: the defect Pareto and the receivables ageing."""
        lang = self.language
        if table.key == "defect_types" and table.rows:
            labels = [cell(r[0], lang) for r in table.rows]
            shown = [f"{r[1]} ({cell(r[3], lang)})" for r in table.rows]  # count, and the cumulative share
            return charts.bars(labels, [r[1] for r in table.rows], words(table.title, lang), shown)
        if table.key == "receivables" and table.rows:
            buckets = [words(c, lang) for c in table.columns[1:-1]]
            segments = {b: [float(r[1 + i]) for r in table.rows] for i, b in enumerate(buckets)}
            return charts.stacked([r[0] for r in table.rows], segments, words(table.title, lang))
        return ""

    def _period_word(self) -> str:
        return "期間" if self.language == "zh-Hant" else "Period"

    def t_none(self) -> str:
        return "期間內無資料" if self.language == "zh-Hant" else "Nothing in this period"


def _plain(report: Report) -> tuple:
    """A report as plain values for a digest (``inputs_digest``): each figure with its type, as a share (``Rate``)
    is shown otherwise than a number of the same value."""
    period = report.period
    tables = [(t.key, t.title, t.note, t.columns, [[_plain_value(v) for v in row] for row in t.rows]) for t in report.tables]
    return (period.label, str(period.start), str(period.end), report.today.isoformat(), tables)


def _plain_value(value: Any) -> Any:
    return value if value is None or type(value) in (str, int) else (type(value).__name__, str(value))
