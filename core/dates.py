"""Forgiving reading of a day and its times as people type them: "2 Apr 9:30–16:30"."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

EXAMPLES = "“2 Apr 9:30–16:30” or “2026-04-02 09:30 16:30”"

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<month>[a-z]{3,9})\.?"
_ORDINAL = r"(?:st|nd|rd|th)?"
_DATES = (
    re.compile(r"\b(?P<year>\d{4})-(?P<mon>\d{1,2})-(?P<day>\d{1,2})\b"),
    re.compile(r"\b(?P<day>\d{1,2})/(?P<mon>\d{1,2})(?:/(?P<year>\d{2}|\d{4}))?\b"),
    re.compile(r"\b(?P<day>\d{1,2})\.(?P<mon>\d{1,2})\.(?P<year>\d{4})\b"),
    re.compile(
        rf"(?<![:.\d])(?P<day>\d{{1,2}}){_ORDINAL}\s+(?:of\s+)?{_MONTH}(?:\s+(?P<year>\d{{4}}))?\b"
    ),
    re.compile(
        rf"\b{_MONTH}\s+(?P<day>\d{{1,2}})(?![:.]\d){_ORDINAL}(?:,?\s+(?P<year>\d{{4}}))?\b"
    ),
)
_RELATIVE = re.compile(r"\b(?P<word>yesterday|today|tomorrow)\b(?!-)")
_OFFSETS = {"yesterday": -1, "today": 0, "tomorrow": 1}
_WEEKDAY = re.compile(r"\b(mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)[a-z]*\b\.?,?")
_TIME = re.compile(r"\b(?P<h>\d{1,2})(?:[:.h](?P<m>\d{2}))?\s*(?P<ampm>am|pm)?\b")
_SEPARATORS = re.compile(r"\s*(?:–|—|-|\bto\b|\buntil\b|\btill\b)\s*")


class DateError(ValueError):
    """What was typed is not a day and times we can read; the message says what is expected."""


def _clean(text: str) -> str:
    return " ".join(text.lower().replace(",", " ").split())


def _year_for(day: int, month: int, today: date) -> int:
    """A date typed without a year means its next occurrence (today counts)."""
    try:
        this_year = date(today.year, month, day)
    except ValueError:
        return today.year + 1  # 29 Feb in a common year: the next year may be a leap year
    return today.year if this_year >= today else today.year + 1


def parse_day(text: str, today: date) -> tuple[date, str]:
    """The date in `text` and what is left of the text once it is taken out."""
    cleaned = _WEEKDAY.sub(" ", _clean(text))
    relative = _RELATIVE.search(cleaned)
    if relative:
        offset = _OFFSETS[relative["word"]]
        rest = cleaned[: relative.start()] + " " + cleaned[relative.end() :]
        return today + timedelta(days=offset), rest
    for pattern in _DATES:
        match = pattern.search(cleaned)
        if match is None:
            continue
        groups = match.groupdict()
        if groups.get("month") is not None:
            month = _MONTHS.get(groups["month"])
            if month is None:
                continue
        else:
            month = int(groups["mon"])
        day = int(groups["day"])
        year_text = groups.get("year")
        if year_text is None:
            year = _year_for(day, month, today) if 1 <= month <= 12 else today.year
        else:
            year = int(year_text) + (2000 if len(year_text) == 2 else 0)
        try:
            found = date(year, month, day)
        except ValueError:
            raise DateError(f"There is no such day as {match[0]!r}. Try {EXAMPLES}.") from None
        return found, cleaned[: match.start()] + " " + cleaned[match.end() :]
    raise DateError(f"I could not find a date in that. Try {EXAMPLES}.")


def parse_times(text: str) -> list[time]:
    """Every clock time in `text`, in order: "9:30", "09.30", "16h30", "9am", "4:30 pm"."""
    times = []
    for match in _TIME.finditer(_SEPARATORS.sub(" ", _clean(text))):
        hour, minute, ampm = int(match["h"]), int(match["m"] or 0), match["ampm"]
        if match["m"] is None and ampm is None:
            raise DateError(f"Is {match[0]!r} a time? Write times like 9:30 or 16:30.")
        if ampm is not None:
            if not 1 <= hour <= 12:
                raise DateError(f"{match[0]!r} is not a time. Write times like 9:30 or 16:30.")
            hour = hour % 12 + (12 if ampm == "pm" else 0)
        if hour > 23 or minute > 59:
            raise DateError(f"{match[0]!r} is not a time. Write times like 9:30 or 16:30.")
        times.append(time(hour, minute))
    return times


def parse_session(text: str, tz: ZoneInfo, now: datetime) -> tuple[datetime, datetime]:
    """A day with a start and an end time, read in `tz`; DateError says what is wrong."""
    day, rest = parse_day(text, now.astimezone(tz).date())
    times = parse_times(rest)
    if len(times) != 2:
        raise DateError(f"Give the day with a start and an end time, e.g. {EXAMPLES}.")
    start, end = (datetime.combine(day, t, tz) for t in times)
    return start, end


def parse_moment(text: str, tz: ZoneInfo, default_day: date, today: date) -> datetime:
    """One time, on the day given or else on `default_day` (for "end 17:00")."""
    try:
        day, rest = parse_day(text, today)
    except DateError:
        day, rest = default_day, text
    times = parse_times(rest)
    if len(times) != 1:
        raise DateError("Give one time, e.g. “17:00” or “3 Apr 17:00”.")
    return datetime.combine(day, times[0], tz)
