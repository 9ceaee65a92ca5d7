"""Starting the bot for real: lead the database, reach the Bot API within a deadline, then
poll until stopped.

First the bot takes the lead of its database (`bot.standby`): at once, or, on PostgreSQL,
after standing by while another bot leads. Only then does it talk to Telegram.

Every way start-up can fail ends in one log line and its own exit status (README, "Exit
statuses"). A server often boots before its network is up, so an unreachable Bot API is
retried with capped exponential backoff until `bot.startup_timeout` has passed; a rejected
token or an unusable database is not transient, so those end at once.

There is one retry loop at start-up, and it is ours (`connect`): it reaches the Bot API
(getMe) and clears any webhook (deleteWebhook), which is all PTB's bootstrap does before
polling. PTB's own loop (`run_polling(bootstrap_retries=...)`) cannot keep our promises:
it has no deadline, so no exit status 4; it waits 1, 1.5, 2.25 … s, retries a timeout at
once, and logs its attempts at DEBUG, so no line per attempt with its wait. So
`run_polling` gets `bootstrap_retries=0`: its bootstrap runs once, on a Bot API just
reached, and a failure there ends start-up with one line (status 4) like any other.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit

from telegram.error import InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application

from bot import standby
from bot.exits import ExitStatus
from bot.logs import one_line
from core.secrets import TOKEN_ENV
from core.storage import DatabaseUnavailable, Target
from core.storage.leader import AnotherBotRuns, Lease

log = logging.getLogger("bot.startup")
T = TypeVar("T")

AnyApp = Application[Any, Any, Any, Any, Any, Any]

FIRST_DELAY = 1.0
MAX_DELAY = 30.0
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "channel_post", "my_chat_member"]


class StartupFailed(Exception):
    """Start-up cannot go on; `str()` is the one line to log."""

    def __init__(self, status: ExitStatus, message: str) -> None:
        super().__init__(message)
        self.status = status


def api_host(base_url: str) -> str:
    """Where the Bot API lives, for messages: scheme and host, never a path (or token)."""
    parts = urlsplit(base_url)
    return f"{parts.scheme}://{parts.netloc}"


def token_rejected(base_url: str) -> StartupFailed:
    # PTB's own message repeats the token: never pass it on.
    return StartupFailed(
        ExitStatus.TOKEN_REJECTED,
        f"the Bot API at {api_host(base_url)} rejected the bot token: check {TOKEN_ENV} "
        "(the token @BotFather gave you) and, if you set it, bot.api_base_url",
    )


async def connect(
    application: AnyApp,
    base_url: str,
    give_up_after: float,
    *,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """`application.initialize()` (getMe) and deleteWebhook, retried while the Bot API is
    unreachable: the start-up's one retry loop."""
    host = api_host(base_url)
    deadline = clock() + give_up_after
    delay = FIRST_DELAY
    attempt = 0
    while True:
        attempt += 1
        try:
            await application.initialize()  # once it has succeeded, a no-op
            await application.bot.delete_webhook()
        except InvalidToken:
            raise token_rejected(base_url) from None
        except (NetworkError, RetryAfter) as exc:  # refused, DNS, timeouts, 5xx, flood control
            left = deadline - clock()
            wait = min(delay, left)
            if isinstance(exc, RetryAfter):
                retry = exc.retry_after
                wait = retry.total_seconds() if isinstance(retry, timedelta) else float(retry)
            if left <= 0 or wait > left:
                raise StartupFailed(
                    ExitStatus.API_UNREACHABLE,
                    f"gave up reaching the Bot API at {host} after {attempt} attempt(s) in "
                    f"{give_up_after:.0f} s (bot.startup_timeout); last error: {one_line(exc)}",
                ) from None
            log.warning(
                "Bot API at %s not reachable (attempt %d: %s); next try in %.0f s",
                host,
                attempt,
                one_line(exc),
                wait,
            )
            await sleep(wait)
            delay = min(delay * 2, MAX_DELAY)
        else:
            if attempt > 1:
                log.info("reached the Bot API at %s on attempt %d", host, attempt)
            return


async def _until_signal(work: Awaitable[T]) -> tuple[bool, T | None]:
    """Await `work`; a SIGINT/SIGTERM meanwhile cancels it. (False, None): stopped by one."""
    loop = asyncio.get_running_loop()
    task = asyncio.ensure_future(work)
    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        loop.add_signal_handler(sig, task.cancel)
    try:
        return True, await task
    except asyncio.CancelledError:
        return False, None
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)


def run(application: AnyApp, base_url: str, give_up_after: float, database: Target) -> ExitStatus:
    """Lead the database (standing by while another bot does), connect within
    `give_up_after` seconds, then poll until SIGINT/SIGTERM; the exit status."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)  # run_polling continues on this same loop
    lease: Lease | None = None
    try:
        leading, lease = loop.run_until_complete(_until_signal(standby.lead(database)))
        if not leading:
            log.info("stopped while standing by")
            return ExitStatus.OK
        connected, _ = loop.run_until_complete(
            _until_signal(connect(application, base_url, give_up_after))
        )
        if not connected:
            log.info("stopped before the Bot API could be reached")
            return ExitStatus.OK
        assert lease is not None
        watching = loop.create_task(standby.hold(lease))
        # connect() was the one retry loop: PTB's bootstrap now runs once, without its own.
        # Network trouble from here on is the updater's: it retries for as long as we run.
        application.run_polling(
            allowed_updates=ALLOWED_UPDATES, bootstrap_retries=0, close_loop=False
        )
        watching.cancel()
        return ExitStatus.OK
    except AnotherBotRuns as exc:
        log.error("cannot start: %s", exc)
        return ExitStatus.DATABASE
    except StartupFailed as failure:
        log.error("cannot start: %s", failure)
        return failure.status
    except DatabaseUnavailable as exc:
        log.error("cannot start: %s", exc)
        return ExitStatus.DATABASE
    except InvalidToken:
        log.error("cannot start: %s", token_rejected(base_url))
        return ExitStatus.TOKEN_REJECTED
    except TelegramError as exc:
        log.error("cannot start: the Bot API failed during start-up: %s", one_line(exc))
        return ExitStatus.API_UNREACHABLE
    finally:
        with contextlib.suppress(Exception):
            if lease is not None:
                loop.run_until_complete(lease.release())
            loop.close()
