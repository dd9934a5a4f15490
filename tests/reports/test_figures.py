"""Every figure of the reports, computed by hand on a small archive built for it.

Four orders of 2026 (TWD), as of 2026-11-20:
- A  ORD-2026-0001: due 06-30, an approved change moves it to 07-15 (+60,000); delivered 07-10 — late by
  its first date, on time by the changed one; accepted 07-20; fees 1,260,000 confirmed, one invoice
  1,260,000 + 63,000 tax due 08-24, paid 500,000 on 08-20 (partly paid); two inspections (failed with a
  defect and reworked, satisfaction 2; then passed, satisfaction 5).
- B  ORD-2026-0002: cancelled, budget 500,000.
- C  ORD-2026-0003: forwarded a day late; delivered 08-15 (due 08-31), accepted 08-20; fees 800,000,
  invoice 800,000 + 40,000 due 09-24, paid 790,000 on 09-20, 50,000 written off on 10-01, settled 10-01;
  one inspection, satisfaction 5.
- D  ORD-2026-0004: in progress, a draft settlement plan of 300,000 the client has not confirmed.
Two loans out on 11-20, one past its due date.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from generator.reports.figures import report
from generator.reports.period import Period

D = Decimal


def rows(catalog, key: str, period: str = "2026") -> list[list]:
    return report(catalog, Period.parse(period)).table(key).rows


def named(catalog, key: str, period: str = "2026") -> dict[str, object]:
    return {row[0][1]: row[1] for row in rows(catalog, key, period)}


def test_orders_through_the_steps(catalog):
    assert named(catalog, "flow") == {"Received": 4, "Delivered": 2, "Accepted": 2, "Settled": 1, "Cancelled": 1}
    assert named(catalog, "flow", "2026-Q3") == {"Received": 0, "Delivered": 2, "Accepted": 2, "Settled": 0, "Cancelled": 0}


def test_on_time_counts_the_delivery_date_as_an_approved_change_moved_it(catalog):
    assert rows(catalog, "delivery") == [[2, 2, 0, 1.0]]  # A: 07-10 is after 06-30 but before 07-15


def test_forwarding_within_one_business_day(catalog):
    done, in_time, rate = rows(catalog, "forwarding")[0]
    assert (done, in_time) == (3, 2) and rate == pytest.approx(2 / 3)  # C reached both departments a day late


def test_cycle_times_in_business_days(catalog):
    """Business days after the first day up to the second, on the policy's calendar (2026 holidays here:
    04-03, 04-06, 05-01, 06-19, 09-25, 09-28)."""
    table = {row[0][1]: row[1:] for row in rows(catalog, "cycle_times")}
    # A 03-02 → 07-10: 94 weekdays − 4 holidays = 90; C 05-04 → 08-15 (a Saturday): 74 − 1 = 73
    assert table["Received → delivered"] == [2, 81.5, 90.0]
    # A 07-10 → 07-20: 6; C 08-15 → 08-20: 4
    assert table["Delivered → accepted"] == [2, 5.0, 6.0]
    # C 08-20 → 10-01: 30 weekdays − 2 holidays = 28
    assert table["Accepted → settled"] == [1, 28.0, 28.0]


def test_changes_count_cost_and_shares(catalog):
    assert rows(catalog, "changes") == [["TWD", 1, 0, 1.0, 0.0, D(60000), 0]]


def test_changes_by_their_kind_of_reason(catalog):
    [row] = rows(catalog, "changes_by_reason")
    assert row[1:] == ["TWD", 1, 1.0, 0.0, D(60000), 0] and str(row[0]) == "scope"


def test_quality_with_satisfaction_per_order(catalog):
    figures = named(catalog, "quality")
    assert figures["Inspections"] == 3 and figures["Failed"] == 1 and figures["Failed rate"] == pytest.approx(1 / 3)
    assert figures["Defects"] == 1 and figures["Defects per order inspected"] == 0.5 and figures["Rework"] == 1
    assert figures["Satisfaction (mean per order, 1–5)"] == 4.25  # (2+5)/2 for A, 5 for C; per inspection it would be 4.0
    assert rows(catalog, "defect_types") == [[rows(catalog, "defect_types")[0][0], 1, 1.0, 1.0]]


def test_money_on_one_basis_with_cancelled_orders_and_draft_plans_apart(catalog):
    [row] = rows(catalog, "finance")
    currency, orders, budget, changes, fees, drafts, draft_fees, invoiced, tax, paid, written_off, cancelled, cancelled_budget = row
    assert currency == "TWD" and orders == 3 and budget == D(2_300_000) and changes == D(60_000)
    assert fees == D(2_060_000) and (drafts, draft_fees) == (1, D(300_000))  # D's unconfirmed plan is not in the fees
    assert (invoiced, tax, paid, written_off) == (D(2_060_000), D(103_000), D(1_290_000), D(50_000))
    assert (cancelled, cancelled_budget) == (1, D(500_000))  # B is not in the budget


def test_receivables_age_partly_paid_invoices_and_leave_written_off_ones_out(catalog):
    # As of 11-20: A owes 1,323,000 − 500,000 = 823,000, 88 days past 08-24; C owes nothing (paid + written off).
    assert rows(catalog, "receivables") == [["TWD", D(0), D(0), D(0), D(823_000), D(0), D(823_000)]]
    # As of the end of Q3 (09-30): A 37 days past due; C owes 50,000 (the write-off came on 10-01), 6 days past due.
    assert rows(catalog, "receivables", "2026-Q3") == [["TWD", D(0), D(50_000), D(823_000), D(0), D(0), D(873_000)]]


def test_by_service_and_by_client_add_up_to_the_total(catalog):
    total = rows(catalog, "finance")[0][2]
    assert sum(row[3] for row in rows(catalog, "by_service")) == total == sum(row[3] for row in rows(catalog, "by_client"))


def test_a_period_outside_the_activity_counts_nothing(catalog):
    assert named(catalog, "flow", "2025") == {"Received": 0, "Delivered": 0, "Accepted": 0, "Settled": 0, "Cancelled": 0}
    assert rows(catalog, "delivery", "2025") == [[0, 0, 0, None]]


def test_overdue_invoices_are_listed_longest_first_as_of_the_period_end(catalog):
    assert rows(catalog, "overdue_invoices") == [["ORD-2026-0001", "AB00000001", "TWD", D(823_000), date(2026, 8, 24), 88]]
    q3 = rows(catalog, "overdue_invoices", "2026-Q3")  # on 09-30: A 37 days, C 6 days (written off only on 10-01)
    assert [(r[0], r[3], r[5]) for r in q3] == [("ORD-2026-0001", D(823_000), 37), ("ORD-2026-0003", D(50_000), 6)]


def test_archive_figures(catalog):
    figures = named(catalog, "archive")
    # C was settled on 2026-10-01: its retention (the policy's years from the close) ends long after 2027-11-20
    assert figures == {
        "Records whose retention ends in the next 12 months": 0,
        "Disposals carried out in the period": 0,
        "Records destroyed in the period": 0,
        "Loans out today": 2,  # BR-2026-0001 (due 10-15: overdue) and BR-2026-0002 (due 12-10)
        "Loans overdue today": 1,
    }


def test_what_is_owed_on_any_day_is_what_every_settlement_says(tmp_path):
    """``Facts.owed`` looks only at the settlements billed in the day's month: on every day of a demo archive's
    years, a day past today too, it gives what asking every settlement gives, in the same order."""
    from datetime import timedelta

    from generator.demo.archive import demo_files
    from generator.pipeline import check_archive
    from generator.reports.figures import Facts, outstanding

    for rel, content in demo_files(60, seed=3).items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(content)
    facts = Facts.of(check_archive(tmp_path, date(2026, 11, 20), history=False).catalog)

    def asked_of_all(day: date) -> list[tuple]:
        return [(s, i, a) for first, cleared, s in facts.billed if first <= day and (cleared is None or cleared > day) for i, a in outstanding(s, day)]

    first = min(item[0] for item in facts.billed)
    days = [first + timedelta(days=n) for n in range((facts.today - first).days + 40)]
    owing = [day for day in days if facts.owed(day)]
    assert len(facts.billed) > 20 and len(owing) > 100  # the check below has something to compare
    assert any(cleared is not None and (cleared.year, cleared.month) != (first.year, first.month) for first, cleared, _ in facts.billed)
    assert all(facts.owed(day) == asked_of_all(day) for day in days)


def test_the_days_with_activity_are_those_of_the_orders_the_reports_count(catalog):
    """The site plans a page per period from ``activity_days`` before the reports' facts are worked out (in
    another process): both read the same orders, each step's day, each change, inspection, invoice and payment."""
    from generator.reports.figures import Facts, activity_days

    expected = []
    for f in Facts.of(catalog).orders:
        expected += [d for d in (f.order.intake.received_on, f.delivered, f.accepted, f.settled, f.cancelled) if d]
        expected += [c.requested_on for c in f.dossier.change_models] + [q.inspected_on for q in f.dossier.quality_models]
        settlement = f.dossier.settlement_model
        if settlement is not None:
            expected += [i.issued_on for i in settlement.invoices] + [p.received_on for p in settlement.payments]
    days = activity_days(catalog)
    assert sorted(days) == sorted(expected) and len(Facts.of(catalog).orders) == 4
    assert {date(2026, 8, 20), date(2026, 9, 20), date(2026, 7, 10), date(2026, 8, 15)} <= set(days)  # payments, deliveries
