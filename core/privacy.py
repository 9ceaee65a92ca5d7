"""What a participant may do about their data, and how long it is kept: plain functions over
the storage, each one transaction, with no Telegram in sight."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

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
