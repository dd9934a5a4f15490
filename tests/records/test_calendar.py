"""Business days: weekends, holidays and make-up workdays."""

from __future__ import annotations

from datetime import date, timedelta

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


def test_counting_business_days_agrees_with_walking_them_day_by_day():
    """``between`` counts weeks at once; a walk over every day is the reference it must agree with."""
    import random

    rng = random.Random(5)
    days = [date(2026, 1, 1) + timedelta(days=rng.randrange(400)) for _ in range(60)]
    for weekend in (frozenset({5, 6}), frozenset({6}), frozenset({4, 5})):
        holidays = frozenset(days[:40])
        workdays = frozenset(days[30:])  # some are holidays too: a make-up workday wins
        calendar = BusinessCalendar(weekend, holidays, workdays)
        for _ in range(300):
            start = date(2025, 12, 1) + timedelta(days=rng.randrange(450))
            end = start + timedelta(days=rng.randrange(-3, 200))
            walked = sum(1 for n in range(1, (end - start).days + 1) if calendar.is_business_day(start + timedelta(days=n)))
            assert calendar.between(start, end) == walked, (weekend, start, end)
