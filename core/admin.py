"""What the programme team's commands do, as plain functions over the storage (no Telegram).

Like the participant journey, each function reads or changes the database in one
transaction and returns plain data; the admin handlers only parse arguments and show it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from core.cohorts import runs
from core.config import Cohort, Config
from core.journey import cohort_windows
from core.questionnaire import Phase
from core.services import Services
from core.windows import Window, closed_window, default_window, opened_window, staff_open_phase

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OpenCohort:
    """A cohort with a questionnaire open now, and how far its participants have got."""

    cohort: Cohort
    phase: Phase
    closes: datetime | None
    counts: dict[str, int]


async def open_cohorts(svc: Services, user: int) -> list[OpenCohort]:
    """Every cohort this person runs (admins: all) with a questionnaire open now, in the
    config's order (/status)."""
    now = svc.now()
    found: list[OpenCohort] = []
    mine = [c for c in svc.config.cohorts.values() if runs(svc.config, user, c)]
    async with svc.db.read() as tx:
        for cohort in mine:
            windows = await cohort_windows(tx, svc, cohort)
            follow_up = svc.config.module_of(cohort).follow_up is not None
            phase = staff_open_phase(windows, now, follow_up)
            if phase is not None:
                counts = await tx.status.counts(cohort.code)
                found.append(OpenCohort(cohort, phase, windows[phase].closes, counts))
    return found


async def set_window(
    svc: Services, cohort: Cohort, phase: Phase, *, opening: bool, admin: int | None
) -> Window:
    """Open or close a questionnaire now (/open, /close); stored, so it survives restarts."""
    now = svc.now()
    async with svc.db.write() as tx:
        current = (await cohort_windows(tx, svc, cohort))[phase]
        default = default_window(cohort, phase, svc.config.schedule)
        window = (
            opened_window(current, default, phase, svc.config.schedule, now)
            if opening
            else closed_window(current, now)
        )
        await tx.windows.set(cohort.code, phase, window.opens, window.closes, admin, now)
    log.info("admin %s %s %s %s", admin, "opened" if opening else "closed", cohort.code, phase)
    return window


async def open_questionnaire(svc: Services, cohort: Cohort) -> tuple[Phase, Window] | None:
    """The questionnaire of the cohort open now, with its window; None if none is (/remind)."""
    async with svc.db.read() as tx:
        windows = await cohort_windows(tx, svc, cohort)
    follow_up = svc.config.module_of(cohort).follow_up is not None
    phase = staff_open_phase(windows, svc.now(), follow_up)
    return None if phase is None else (phase, windows[phase])


def manual_reminder_kind(now: datetime) -> str:
    """The delivery kind of a /remind: its own each time, so each one reaches everyone."""
    return f"manual_{now.strftime('%Y%m%dT%H%M%S')}"


def scope_of(config: Config, name: str) -> tuple[str | None, str | None] | None:
    """(cohort, module) named by a /report or /export argument; None if it names neither."""
    cohort = config.cohort(name)
    if cohort is not None:
        return cohort.code, None
    if name in config.modules:
        return None, name
    return None
