"""A cohort's schedule after the module: which events it brings, when each falls due, and
where its summary goes; and the modules' reports for each period (schedule.module_reports).

Plain rules over the config and the database, with no Telegram in them: the bot's
lifecycle (``bot/lifecycle.py``) carries the events out, and the command line cancels them
for an archived cohort. What is due is derived from the cohort's windows and the events
already done, both in the database, so a restart neither loses nor repeats anything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from core.config import Cohort, ScheduleSettings
from core.journey import cohort_windows
from core.periods import Period, last_ended, next_due
from core.questionnaire import FOLLOW_UP, PHASES, Phase
from core.services import Services
from core.windows import Window, Windows

PUSH = "post_push"
SUMMARY = "summary"
DIGEST = "digest:"
# The follow-up's own events, weeks later, for modules that have one.
FOLLOW_UP_PUSH = "follow_up_push"
FOLLOW_UP_SUMMARY = "follow_up_summary"
FOLLOW_UP_REMINDER = "follow_up_reminder_"


def reminder_kind(number: int) -> str:
    return f"reminder_{number}"


def follow_up_reminder_kind(number: int) -> str:
    return f"{FOLLOW_UP_REMINDER}{number}"


def phase_of(kind: str) -> Phase:
    """The questionnaire a push or reminder is about."""
    return FOLLOW_UP if kind.startswith("follow_up_") else "post"


@dataclass(frozen=True)
class Event:
    cohort: str
    kind: str
    due: datetime


def digest_times(
    windows: Windows, schedule: ScheduleSettings, tz: tzinfo, now: datetime
) -> list[datetime]:
    """Today's and tomorrow's digest times that fall while a questionnaire is open."""
    if schedule.daily_digest is None:
        return []
    today = now.astimezone(tz).date()
    moments = [
        datetime.combine(today + timedelta(days=d), schedule.daily_digest, tz) for d in (0, 1)
    ]
    # Around the module only: the follow-up weeks later has a summary of its own.
    return [m for m in moments if any(windows[p].contains(m) for p in PHASES)]


def planned_events(
    cohort: Cohort,
    windows: Windows,
    schedule: ScheduleSettings,
    digests: list[datetime] | None = None,
    *,
    follow_up: bool = False,
) -> list[Event]:
    """Everything a cohort's post questionnaire brings, and its follow-up if the module has
    one, with when each falls due."""
    post = windows["post"]
    events = [Event(cohort.code, PUSH, post.opens)]
    events += [Event(cohort.code, f"{DIGEST}{d.date().isoformat()}", d) for d in digests or []]
    events += _reminders(cohort, post, schedule.reminders, reminder_kind)
    if post.closes is not None:
        events.append(Event(cohort.code, SUMMARY, post.closes))
    if follow_up:
        later = windows[FOLLOW_UP]
        events.append(Event(cohort.code, FOLLOW_UP_PUSH, later.opens))
        delays = schedule.follow_up_reminder_delays()
        events += _reminders(cohort, later, delays, follow_up_reminder_kind)
        if later.closes is not None:
            events.append(Event(cohort.code, FOLLOW_UP_SUMMARY, later.closes))
    return events


def _reminders(
    cohort: Cohort, window: Window, delays: tuple[timedelta, ...], kind: Callable[[int], str]
) -> list[Event]:
    """A questionnaire's reminders that fall while it is open."""
    events = []
    for number, delay in enumerate(delays, start=1):
        due = window.opens + delay
        if window.closes is None or due < window.closes:
            events.append(Event(cohort.code, kind(number), due))
    return events


async def pending_events(svc: Services) -> list[Event]:
    """Events not yet done, for every configured cohort, soonest first."""
    pending: list[Event] = []
    async with svc.db.read() as tx:
        for cohort in svc.config.cohorts.values():
            windows = await cohort_windows(tx, svc, cohort)
            done = await tx.events.done(cohort.code)
            digests = digest_times(windows, svc.config.schedule, svc.config.bot.timezone, svc.now())
            follow_up = svc.config.module_of(cohort).follow_up is not None
            planned = planned_events(
                cohort, windows, svc.config.schedule, digests, follow_up=follow_up
            )
            pending.extend(e for e in planned if e.kind not in done)
    return sorted(pending, key=lambda e: e.due)


def cancelled_events(schedule: ScheduleSettings) -> tuple[str, ...]:
    """The events an archived (cancelled) cohort must never carry out: the pushes, every
    reminder and the summaries, of the post questionnaire and of the follow-up."""
    reminders = (reminder_kind(n) for n in range(1, len(schedule.reminders) + 1))
    later = (
        follow_up_reminder_kind(n) for n in range(1, len(schedule.follow_up_reminder_delays()) + 1)
    )
    return (PUSH, SUMMARY, *reminders, FOLLOW_UP_PUSH, FOLLOW_UP_SUMMARY, *later)


def facilitators_chat(svc: Services, cohort: Cohort) -> int | None:
    """Where the cohort's summary and digests go: its own chat, else the bot's."""
    return cohort.facilitators_chat or svc.config.bot.facilitators_chat


def summary_chats(svc: Services) -> set[int]:
    """Every chat a summary may go to."""
    chats = {c for c in (facilitators_chat(svc, k) for k in svc.config.cohorts.values()) if c}
    if svc.config.bot.facilitators_chat:
        chats.add(svc.config.bot.facilitators_chat)
    return chats


@dataclass(frozen=True)
class ModuleReportDue:
    """A module's report for a period that has ended, not yet carried out."""

    module: str
    period: Period
    due: datetime

    @property
    def batch(self) -> str:
        """The outbox batch its posts go in: one per module and period."""
        return f"module-report:{self.module}:{self.period.label}"


def module_report_chat(svc: Services) -> int | None:
    """Where module reports go: the programme's facilitators' chat (bot.facilitators_chat)."""
    return svc.config.bot.facilitators_chat


async def pending_module_reports(svc: Services) -> list[ModuleReportDue]:
    """Each module's report for the latest period that has ended, if not yet carried out.

    Only the latest: a period whose report was missed while the bot was down for the whole
    of the next one is not posted late (`feedback-bot report --since … --until …` writes it).
    """
    kind = svc.config.schedule.module_reports
    if kind is None:
        return []
    tz = svc.config.bot.timezone
    period = last_ended(svc.now(), kind, tz)
    pending = []
    async with svc.db.read() as tx:
        for module in sorted(svc.config.modules):
            if not await tx.module_reports.done(module, period.label):
                pending.append(ModuleReportDue(module, period, period.due(tz)))
    return pending


def next_module_reports(svc: Services) -> datetime | None:
    """When the next period's module reports fall due (None: module reports are off)."""
    kind = svc.config.schedule.module_reports
    if kind is None:
        return None
    return next_due(svc.now(), kind, svc.config.bot.timezone)
