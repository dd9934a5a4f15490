"""Report periods: months, quarters, years and all time, each with the one before it."""

from __future__ import annotations

from datetime import date

import pytest

from generator.reports.period import ALL, Period, periods_with


@pytest.mark.parametrize(
    ("text", "kind", "start", "end", "previous"),
    [
        ("2026-11", "month", date(2026, 11, 1), date(2026, 11, 30), "2026-10"),
        ("2026-01", "month", date(2026, 1, 1), date(2026, 1, 31), "2025-12"),
        ("2024-02", "month", date(2024, 2, 1), date(2024, 2, 29), "2024-01"),
        ("2026-Q3", "quarter", date(2026, 7, 1), date(2026, 9, 30), "2026-Q2"),
        ("2026-Q1", "quarter", date(2026, 1, 1), date(2026, 3, 31), "2025-Q4"),
        ("2026", "year", date(2026, 1, 1), date(2026, 12, 31), "2025"),
    ],
)
def test_a_period_knows_its_days_and_the_one_before(text, kind, start, end, previous):
    period = Period.parse(text)
    assert (period.kind, period.start, period.end, period.previous().label) == (kind, start, end, previous)
    assert start in period and end in period and None not in period


def test_all_time_and_bad_periods():
    assert Period.parse("all") is ALL and ALL.previous() is None and date(1999, 1, 1) in ALL
    for bad in ("2026-13", "2026-Q5", "26", "2026/11", ""):
        with pytest.raises(ValueError, match="is not a period"):
            Period.parse(bad)


def test_only_periods_with_activity_and_newest_first():
    labels = [p.label for p in periods_with([date(2026, 11, 3), date(2026, 2, 1)])]
    assert labels == ["2026-11", "2026-Q4", "2026-02", "2026-Q1", "2026"]


def test_many_days_of_one_month_give_its_periods_once():
    days = [date(2025, 12, d) for d in range(1, 32)] + [date(2026, 1, 5), date(2026, 1, 5)]
    labels = [p.label for p in periods_with(days)]
    assert labels == ["2026-01", "2026-Q1", "2026", "2025-12", "2025-Q4", "2025"]
