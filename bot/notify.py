"""Telling the admins about something to act on, without ever taking the bot down.

One notifier per application sends to `bot.error_chat` (else the first admin). Error
reports are limited to one per kind of error per minute, so a failing handler cannot flood
the admins. When the admins' chat cannot be reached, the notifier logs one warning line per
kind of delivery failure (per minute) and carries on.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Bot
from telegram.ext import Application

from bot.context import services_of
from bot.logs import one_line
from core.secrets import redact

log = logging.getLogger(__name__)

NOTIFIER_KEY = "admin_notifier"
EVERY_SECONDS = 60.0
MAX_LENGTH = 4000  # below Telegram's 4096-character limit for a message

AnyApp = Application[Any, Any, Any, Any, Any, Any]
Reporter = Callable[[str], Awaitable[Any]]


class AdminNotifier:
    """Sends plain-text notes to the admins' chat; never raises."""

    def __init__(
        self,
        bot: Bot,
        chat: int | None,
        secrets: list[str],
        *,
        every: float = EVERY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.bot = bot
        self.chat = chat
        self.secrets = [s for s in secrets if s]
        self.every = every
        self.clock = clock
        self._reported: dict[str, float] = {}
        self._warned: dict[str, float] = {}

    def _due(self, seen: dict[str, float], kind: str) -> bool:
        """True at most once per `every` seconds for each kind (and records it)."""
        now = self.clock()
        last = seen.get(kind)
        if last is not None and now - last < self.every:
            return False
        seen[kind] = now
        return True

    async def send(self, text: str) -> bool:
        """Send `text` to the admins; False if there is no admins' chat or it failed."""
        if self.chat is None:
            log.warning("no admin to tell (set bot.admins or bot.error_chat): %s", text[:200])
            return False
        body = redact(f"⚠️ {text}", self.secrets)[:MAX_LENGTH]
        try:
            await self.bot.send_message(self.chat, body, parse_mode=None)
        except Exception as exc:  # reporting must never take the bot down
            kind = type(exc).__name__
            if self._due(self._warned, kind):
                log.warning(
                    "could not reach the admins' chat %s (%s); the note is dropped",
                    self.chat,
                    one_line(exc),
                )
            else:
                log.debug("could not reach the admins' chat %s again (%s)", self.chat, kind)
            return False
        return True

    async def report_error(self, kind: str, text: str) -> bool:
        """Send an error report unless one of the same kind went out within `every` seconds."""
        if not self._due(self._reported, kind):
            log.debug("not reporting %s again within %.0f s", kind, self.every)
            return False
        return await self.send(text)


def notifier(application: AnyApp) -> AdminNotifier:
    """The application's notifier, made on first use (after the services are open)."""
    existing = application.bot_data.get(NOTIFIER_KEY)
    if isinstance(existing, AdminNotifier):
        return existing
    svc = services_of(application)
    chat = svc.config.bot.error_chat or (svc.config.bot.admins[:1] or [None])[0]
    secrets = [application.bot.token, svc.pseudonym_key.decode(errors="ignore")]
    made = AdminNotifier(application.bot, chat, secrets)
    application.bot_data[NOTIFIER_KEY] = made
    return made


def reporter(application: AnyApp) -> Reporter:
    """Tell the admins (the error chat, else the first admin) about something to act on."""
    return notifier(application).send
