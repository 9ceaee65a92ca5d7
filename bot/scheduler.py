"""When to look at the lifecycle: named JobQueue jobs rebuilt from the database."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from telegram.ext import Application, ContextTypes

from bot import lifecycle, notify
from bot.context import services_of
from core import schedule
from core.schedule import pending_events

log = logging.getLogger(__name__)

TICK_SECONDS = 10
EVENT_JOB_PREFIX = "event:"
# Jobs may run late (a busy machine, a suspended laptop): run them anyway, never skip.
JOB_KWARGS = {"misfire_grace_time": None, "coalesce": True}

AnyApp = Application[Any, Any, Any, Any, Any, Any]


async def lifecycle_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Carry out what has fallen due (pushes, reminders, summaries) and flush the outbox."""
    application = context.application
    await lifecycle.run_due(application.bot, services_of(application), notify.reporter(application))


async def reschedule(application: AnyApp) -> None:
    """(Re)create one named job per pending event, plus the safety tick; run overdue work."""
    job_queue = application.job_queue
    if job_queue is None:
        return
    svc = services_of(application)
    for job in job_queue.jobs():
        if job.name and job.name.startswith(EVENT_JOB_PREFIX):
            job.schedule_removal()
    now = svc.now()
    for event in await pending_events(svc):
        when: datetime | float = event.due if event.due > now else 0
        if isinstance(when, datetime):
            # The job queue runs on the real clock; the injected one may run faster (demo).
            when = datetime.now(UTC) + (event.due - now) / svc.clock.speed
        job_queue.run_once(
            lifecycle_job,
            when=when,
            name=f"{EVENT_JOB_PREFIX}{event.cohort}:{event.kind}",
            job_kwargs=JOB_KWARGS,
        )
    # The module reports: at once for a period whose report is owed, then when the next
    # period ends.
    if await schedule.pending_module_reports(svc):
        job_queue.run_once(
            lifecycle_job, when=0, name=f"{EVENT_JOB_PREFIX}module-reports", job_kwargs=JOB_KWARGS
        )
    upcoming = schedule.next_module_reports(svc)
    if upcoming is not None:
        job_queue.run_once(
            lifecycle_job,
            when=datetime.now(UTC) + (upcoming - now) / svc.clock.speed,
            name=f"{EVENT_JOB_PREFIX}module-reports:{upcoming.isoformat()}",
            job_kwargs=JOB_KWARGS,
        )
    if not job_queue.get_jobs_by_name("lifecycle-tick"):
        job_queue.run_repeating(
            lifecycle_job,
            interval=TICK_SECONDS,
            first=TICK_SECONDS,
            name="lifecycle-tick",
            job_kwargs=JOB_KWARGS,
        )
