"""Calendar periods of the scheduled module reports: months, quarters and years.

A period is named by a label that sorts and reads well ("2026-03", "2026-Q1", "2026"),
covers whole days in the bot's time zone, and its report falls due on the first day of
the next period at REPORT_TIME.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

REPORT_TIME = time(9, 0)  # local: the morning of the first day of the next period


@dataclass(frozen=True)
class Period:
    """One month, quarter or year: its first and last day, and its label."""

    kind: str  # "monthly", "quarterly" or "yearly"
    first: date
    last: date

    @property
    def label(self) -> str:
        if self.kind == "monthly":
            return f"{self.first:%Y-%m}"
        if self.kind == "quarterly":
            return f"{self.first.year}-Q{(self.first.month - 1) // 3 + 1}"
        return f"{self.first.year}"

    @property
    def words(self) -> str:
        """ "March 2026", "January to March 2026", "2026"."""
        if self.kind == "monthly":
            return f"{self.first:%B %Y}"
        if self.kind == "quarterly":
            return f"{self.first:%B} to {self.last:%B %Y}"
        return f"{self.first.year}"

    def due(self, tz: tzinfo) -> datetime:
        """When its report is posted: REPORT_TIME on the day after it ends."""
        return datetime.combine(self.last + timedelta(days=1), REPORT_TIME, tz)


def period_containing(day: date, kind: str) -> Period:
    """The month, quarter or year `day` falls in."""
    if kind == "monthly":
        first = day.replace(day=1)
        months = 1
    elif kind == "quarterly":
        first = date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
        months = 3
    elif kind == "yearly":
        first = date(day.year, 1, 1)
        months = 12
    else:
        raise ValueError(f"unknown period kind {kind!r}")
    month = first.month - 1 + months
    after = date(first.year + month // 12, month % 12 + 1, 1)
    return Period(kind, first, after - timedelta(days=1))


def last_ended(now: datetime, kind: str, tz: tzinfo) -> Period:
    """The latest period whose report has fallen due by `now`: the one just ended, or the
    one before it early on the first day (before REPORT_TIME)."""
    current = period_containing(now.astimezone(tz).date(), kind)
    previous = period_containing(current.first - timedelta(days=1), kind)
    if previous.due(tz) <= now:
        return previous
    return period_containing(previous.first - timedelta(days=1), kind)


def next_due(now: datetime, kind: str, tz: tzinfo) -> datetime:
    """When the next report falls due after `now`."""
    current = period_containing(now.astimezone(tz).date(), kind)
    previous = period_containing(current.first - timedelta(days=1), kind)
    return previous.due(tz) if previous.due(tz) > now else current.due(tz)


LABEL = re.compile(r"^(\d{4})(?:-(?:Q([1-4])|(0[1-9]|1[0-2])))?$")


def parse_period(text: str) -> Period | None:
    """A period from its label: "2026", "2026-Q1" (or "2026-q1") or "2026-03"; else None."""
    found = LABEL.match(text.strip().upper())
    if found is None:
        return None
    year = int(found[1])
    if found[2]:
        return period_containing(date(year, (int(found[2]) - 1) * 3 + 1, 1), "quarterly")
    if found[3]:
        return period_containing(date(year, int(found[3]), 1), "monthly")
    return period_containing(date(year, 1, 1), "yearly")
