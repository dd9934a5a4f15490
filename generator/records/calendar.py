"""Business days on the company's calendar (§2.3 counts its deadline in business days).

A business day is a day that is not a weekend day and not a listed holiday,
or a listed make-up workday (補班日: in Taiwan some Saturdays are workdays to
bridge a long holiday).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class BusinessCalendar:
    weekend: frozenset[int] = frozenset({5, 6})
    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)

    @classmethod
    def from_names(cls, weekend: Iterable[str], holidays: Iterable[date], workdays: Iterable[date]) -> BusinessCalendar:
        return cls(frozenset(WEEKDAYS.index(str(d)) for d in weekend), frozenset(holidays), frozenset(workdays))

    def is_business_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() not in self.weekend and day not in self.holidays

    def add(self, day: date, business_days: int) -> date:
        """The date ``business_days`` business days after ``day`` (``day`` itself not counted)."""
        if len(self.weekend) >= 7 and not self.workdays:
            raise ValueError("the calendar has no business days")
        current = day
        remaining = business_days
        while remaining > 0:
            current += timedelta(days=1)
            if self.is_business_day(current):
                remaining -= 1
        return current

    def between(self, start: date, end: date) -> int:
        """Business days after ``start`` up to and including ``end`` (0 when end <= start)."""
        count = 0
        current = start
        while current < end:
            current += timedelta(days=1)
            if self.is_business_day(current):
                count += 1
        return count
