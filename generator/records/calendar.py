"""Business days on the company's calendar (§2.3 counts its deadline in business days).

A business day is a day that is not a weekend day and not a listed holiday,
or a listed make-up workday (補班日: in Taiwan some Saturdays are workdays to
bridge a long holiday).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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
        """Business days after ``start`` up to and including ``end`` (0 when end <= start).

        Counted, not walked: whole weeks at once, the days left over one by one, then the holidays that
        fall on a working weekday and the make-up workdays that fall on a weekend day, found by bisection
        (the reports count the business days of every step of every order)."""
        if end <= start:
            return 0
        weeks, rest = divmod((end - start).days, 7)
        first = start.weekday()
        count = weeks * (7 - len(self.weekend)) + sum(1 for i in range(1, rest + 1) if (first + i) % 7 not in self.weekend)
        (holidays, off), (workdays, on) = self._counted
        count -= off[bisect_right(holidays, end)] - off[bisect_right(holidays, start)]
        count += on[bisect_right(workdays, end)] - on[bisect_right(workdays, start)]
        return count

    @cached_property
    def _counted(self) -> tuple[tuple[list[date], list[int]], tuple[list[date], list[int]]]:
        """The holidays and the make-up workdays, sorted, each with how many of those up to it change the count:
        a holiday on a working weekday that is not also a workday takes a day off, a workday on a weekend day
        adds one. A span then costs four bisections, however many holidays it holds (a report counts the
        business days of three steps of every order: 30,000 spans at 10,000 orders, most of a year or more)."""

        def running(days: list[date], counts) -> list[int]:
            totals = [0]
            for day in days:
                totals.append(totals[-1] + counts(day))
            return totals

        holidays, workdays = sorted(self.holidays), sorted(self.workdays)
        off = running(holidays, lambda day: day.weekday() not in self.weekend and day not in self.workdays)
        on = running(workdays, lambda day: day.weekday() in self.weekend)
        return (holidays, off), (workdays, on)


DEFAULT_TIME_ZONE = "Asia/Taipei"


def archive_today(root: Path, now: datetime | None = None) -> date:
    """What day it is for the archive: now, in the time zone its policy names (default Asia/Taipei), so that
    every rule and page judges the same day wherever the machine stands and whatever its own zone."""
    from generator.records.layout import RECORDS_DIR
    from generator.records.safeyaml import parse

    zone = DEFAULT_TIME_ZONE
    try:
        data, _ = parse((root / RECORDS_DIR / "policy.yaml").read_bytes(), "policy.yaml")
    except OSError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("time_zone"), str):
        zone = data["time_zone"]
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):  # the schema reports it; the day is still the company's
        tz = ZoneInfo(DEFAULT_TIME_ZONE)
    return (now or datetime.now(UTC)).astimezone(tz).date()
