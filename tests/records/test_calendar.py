"""Business days: weekends, holidays and make-up workdays."""

from __future__ import annotations

from datetime import date

from generator.records.calendar import BusinessCalendar

TW = BusinessCalendar.from_names(
    ["saturday", "sunday"],
    [date(2026, 2, 16), date(2026, 2, 17), date(2026, 2, 18), date(2026, 2, 19), date(2026, 2, 20)],
    [date(2026, 2, 7)],
)


def test_next_business_day_skips_the_weekend():
    assert TW.add(date(2026, 1, 9), 1) == date(2026, 1, 12)  # Friday → Monday


def test_next_business_day_skips_a_holiday_week():
    assert TW.add(date(2026, 2, 13), 1) == date(2026, 2, 23)  # Friday before 春節 → the Monday after


def test_make_up_workday_counts():
    assert TW.is_business_day(date(2026, 2, 7))  # a Saturday 補班日
    assert TW.add(date(2026, 2, 6), 1) == date(2026, 2, 7)


def test_between_counts_business_days_after_start():
    assert TW.between(date(2026, 1, 9), date(2026, 1, 12)) == 1
    assert TW.between(date(2026, 2, 13), date(2026, 2, 23)) == 1
    assert TW.between(date(2026, 1, 12), date(2026, 1, 12)) == 0
    assert TW.between(date(2026, 1, 12), date(2026, 1, 5)) == 0
