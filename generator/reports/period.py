"""Report periods: a month (2026-11), a quarter (2026-Q3), a year (2026) or all time.

A period is a closed range of days; ``previous`` is the period of the same length just before it,
so a report can put the two side by side.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

_FORMS = {
    "month": re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$"),
    "quarter": re.compile(r"^(\d{4})-Q([1-4])$"),
    "year": re.compile(r"^(\d{4})$"),
}


@dataclass(frozen=True, order=True)
class Period:
    start: date | None
    end: date | None
    label: str
    """``2026-11``, ``2026-Q3``, ``2026`` or ``all``: also the period's page name."""

    @classmethod
    def parse(cls, text: str) -> Period:
        """``2026-11``, ``2026-Q3``, ``2026`` or ``all``; anything else is a ValueError saying what is allowed."""
        text = text.strip()
        if text == "all":
            return ALL
        if m := _FORMS["month"].match(text):
            return month(int(m.group(1)), int(m.group(2)))
        if m := _FORMS["quarter"].match(text):
            return quarter(int(m.group(1)), int(m.group(2)))
        if m := _FORMS["year"].match(text):
            return year(int(m.group(1)))
        raise ValueError(f"{text!r} is not a period: write a month (2026-11), a quarter (2026-Q3), a year (2026) or all")

    @property
    def kind(self) -> str:
        return "all" if self.start is None else "quarter" if "Q" in self.label else "month" if "-" in self.label else "year"

    def __contains__(self, day: date | None) -> bool:
        return day is not None and (self.start is None or self.start <= day <= self.end)  # type: ignore[operator]

    def previous(self) -> Period | None:
        if self.start is None:
            return None
        before = self.start - timedelta(days=1)
        if self.kind == "month":
            return month(before.year, before.month)
        if self.kind == "quarter":
            return quarter(before.year, (before.month - 1) // 3 + 1)
        return year(before.year)


ALL = Period(None, None, "all")


def month(y: int, m: int) -> Period:
    end = date(y + (m == 12), m % 12 + 1, 1) - timedelta(days=1)
    return Period(date(y, m, 1), end, f"{y}-{m:02d}")


def quarter(y: int, q: int) -> Period:
    first = 3 * (q - 1) + 1
    return Period(date(y, first, 1), month(y, first + 2).end, f"{y}-Q{q}")


def year(y: int) -> Period:
    return Period(date(y, 1, 1), date(y, 12, 31), str(y))


def periods_with(days: list[date]) -> list[Period]:
    """Every month, quarter and year in which something happened (never an empty period), newest first."""
    months = {(day.year, day.month) for day in days}  # a decade of 87,000 days is some 120 months
    found = {p for y, m in months for p in (month(y, m), quarter(y, (m - 1) // 3 + 1), year(y))}
    return sorted(found, key=lambda p: (p.start, p.kind != "year", p.kind != "quarter"), reverse=True)
