"""What a participant may do about their data, and how long it is kept: plain functions over
the storage, each one transaction, with no Telegram in sight."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from core.config import Cohort
from core.journey import cohort_windows
from core.questionnaire import FOLLOW_UP
from core.services import Services

log = logging.getLogger(__name__)


async def records_of(svc: Services, telegram_id: int) -> list[dict[str, Any]]:
    """Everything stored about one person, cohort by cohort (what /mydata shows)."""
    async with svc.db.read() as tx:
        return await tx.privacy.records(telegram_id)


async def forget(svc: Services, telegram_id: int) -> tuple[int, int]:
    """Erase everything about one person in one transaction; returns (cohorts, answers)."""
    async with svc.db.write() as tx:
        cohorts, answers = await tx.privacy.erase_person(telegram_id)
    log.info("erased a participant's data: %s cohort(s), %s answer(s)", cohorts, answers)
    return cohorts, answers


async def purge_expired(svc: Services) -> int:
    """Delete the answers of cohorts that ended longer ago than the retention period."""
    days = svc.config.privacy.retain_days
    if days <= 0:
        return 0
    async with svc.db.write() as tx:
        purged = await tx.privacy.purge_ended_before(svc.now() - timedelta(days=days))
    if purged:
        log.info("retention: erased %s participant record(s) older than %s days", purged, days)
    return purged


@dataclass(frozen=True)
class FollowUpChange:
    """A cohort whose follow-up questionnaire someone opted out of, or back into."""

    cohort: Cohort
    title: str


async def choose_follow_ups(svc: Services, telegram_id: int, wanted: bool) -> list[FollowUpChange]:
    """/nofollowup and /followup: every follow-up still to come (or open now) of this
    person's cohorts, off or on again, in one transaction; honoured at once (a follow-up
    half answered stops taking answers). Returns the cohorts it changed."""
    changed: list[FollowUpChange] = []
    now = svc.now()
    async with svc.db.write() as tx:
        for participant in await tx.participants.of(telegram_id):
            cohort = svc.config.cohort(participant.cohort)
            if cohort is None:
                continue
            module = svc.config.module_of(cohort)
            if module.follow_up is None:
                continue
            window = (await cohort_windows(tx, svc, cohort))[FOLLOW_UP]
            if window.closes is not None and window.closes <= now:
                continue  # over: nothing to ask any more
            if await tx.follow_up.opted_out(participant.id) == (not wanted):
                continue
            await tx.follow_up.set_opt_out(participant.id, not wanted, now)
            changed.append(FollowUpChange(cohort, module.title))
    log.info("a participant turned %s %s follow-up(s)", "on" if wanted else "off", len(changed))
    return changed
