"""One active bot per database: take the lead, or stand by until it is free; stop at once
when it is lost.

The lease is the storage's (`core.storage.leader`): an flock beside an SQLite file, which a
second bot finds held and refuses to start; a session advisory lock in PostgreSQL, which a
second bot waits for without polling Telegram, running jobs or sending anything.

Losing the lease while running ends the process at once, with exit status 7 and no further
request to Telegram. A graceful stop would answer the updates already taken and flush the
outbox, which is what the bot taking over is doing at that moment; stopping at once is as
safe as kill -9, which the bot is built to survive (every answer is committed before it is
acknowledged, and the outbox and its ledger live in the database). The service manager
starts it again, and it stands by.
"""

from __future__ import annotations

import logging
import os
import sys

from bot.exits import ExitStatus
from core.storage import Target
from core.storage.leader import POLL_S, LeadershipLost, Lease, take_lease

log = logging.getLogger("bot.standby")


async def lead(target: Target) -> Lease:
    """Hold the database's lease; while another bot holds it, stand by (one log line)."""
    waited = False

    def standing_by() -> None:
        nonlocal waited
        waited = True
        log.info(
            "standing by: another bot is active on the database %s; this one takes over when "
            "it stops (asking every %.0f s), and until then neither polls Telegram nor sends",
            target,
            POLL_S,
        )

    lease = await take_lease(target, standing_by)
    if waited:
        log.info("taking over: this bot now holds the lock on the database %s", target)
    return lease


async def hold(lease: Lease) -> None:
    """Watch the lease while the bot runs; the moment it is lost, end the process."""
    try:
        await lease.watch()
    except LeadershipLost as exc:
        log.critical(
            "lost the lock on the database (%s): stopping at once, sending nothing more; "
            "start the bot again and it stands by (exit status %d)",
            exc,
            ExitStatus.LEADERSHIP_LOST,
        )
        logging.shutdown()
        sys.stderr.flush()
        os._exit(ExitStatus.LEADERSHIP_LOST)
