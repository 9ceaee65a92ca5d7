"""When a questionnaire is open: the configured windows, and an admin's /open and /close.

Pure functions: the stored overrides are read by the caller (`core.journey.cohort_windows`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.config import Cohort, ScheduleSettings
from core.questionnaire import ALL_PHASES, FOLLOW_UP, Phase


@dataclass(frozen=True)
class Window:
    """When a questionnaire is open; closes None means until an admin closes it."""

    opens: datetime
    closes: datetime | None

    def contains(self, now: datetime) -> bool:
        return self.opens <= now and (self.closes is None or now < self.closes)


def default_window(cohort: Cohort, phase: Phase, schedule: ScheduleSettings) -> Window:
    """From the config: pre before and during the module, post for a while after it, the
    follow-up weeks later (for modules that have one)."""
    if phase == "pre":
        return Window(cohort.start - schedule.pre_opens_before, cohort.end)
    if phase == FOLLOW_UP:
        opens = cohort.end + schedule.follow_up_after
        return Window(opens, opens + schedule.follow_up_open_for)
    return Window(cohort.end, cohort.end + schedule.post_open_for)


Windows = dict[Phase, Window]


def windows_for(
    cohort: Cohort,
    schedule: ScheduleSettings,
    overrides: dict[str, tuple[datetime, datetime | None]],
) -> Windows:
    """The configured windows, with an admin's /open or /close taking precedence."""
    result: Windows = {}
    for phase in ALL_PHASES:
        override = overrides.get(phase)
        result[phase] = Window(*override) if override else default_window(cohort, phase, schedule)
    return result


def open_phase(windows: Windows, now: datetime) -> Phase | None:
    """The phase anyone joined answers now: post once it is open, else pre. (The follow-up
    is not among them: it is for those who submitted post; see `core.journey`.)"""
    for phase in ("post", "pre"):
        if windows[phase].contains(now):
            return phase
    return None


def staff_open_phase(windows: Windows, now: datetime, follow_up: bool) -> Phase | None:
    """The cohort's questionnaire open now, as staff see it (/status, /remind): its
    follow-up (`follow_up`: the module has one) before the others, which an admin may have
    kept open that long."""
    if follow_up and windows[FOLLOW_UP].contains(now):
        return FOLLOW_UP
    return open_phase(windows, now)


def next_opening(windows: Windows, now: datetime) -> datetime | None:
    """When a questionnaire that is not open yet opens next; None if none will."""
    ahead = [w.opens for w in windows.values() if w.opens > now]
    return min(ahead, default=None)


def opened_window(
    current: Window, default: Window, phase: Phase, schedule: ScheduleSettings, now: datetime
) -> Window:
    """The window after an admin's /open: open now, until the configured close if that is
    still ahead, else for the usual period (post) or until closed (pre)."""
    del current
    if default.closes is not None and default.closes > now:
        return Window(now, default.closes)
    if phase == "post":
        return Window(now, now + schedule.post_open_for)
    if phase == FOLLOW_UP:
        return Window(now, now + schedule.follow_up_open_for)
    return Window(now, None)


def closed_window(current: Window, now: datetime) -> Window:
    """The window after an admin's /close: closed from now on."""
    return Window(min(current.opens, now), now)
