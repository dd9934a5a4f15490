"""Business days on the company's calendar (§2.3 counts its deadline in business days).

A business day is a day that is not a weekend day and not a listed holiday,
or a listed make-up workday (補班日: in Taiwan some Saturdays are workdays to
bridge a long holiday).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
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
        """Business days after ``start`` up to and including ``end`` (0 when end <= start)."""
        count = 0
        current = start
        while current < end:
            current += timedelta(days=1)
            if self.is_business_day(current):
                count += 1
        return count


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
