"""Who may use the programme team's commands and buttons: one rule for all of them.

Admins may use everything. Facilitators may use the staff commands, on the cohorts they
run, but not the admin-only ones (/report, /export, /open, /close). Everyone else is
refused. A refusal is a kind message, is logged with the user's id, and changes nothing.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import CallbackQuery, Update

from bot import replies
from bot.context import BotContext
from bot.screens import admin as admin_screens
from core import cohorts
from core.config import Cohort, Config

log = logging.getLogger(__name__)

Handler = Callable[[Update, BotContext], Coroutine[Any, Any, None]]


def refusal(config: Config, user: int | None, admins_only: bool = False) -> str | None:
    """Why this person may not use the command or button, or None if they may."""
    role = cohorts.role_of(config, user)
    if role is None:
        return admin_screens.REFUSAL
    if admins_only and role != "admin":
        return admin_screens.ADMINS_ONLY
    return None


def _guard(admins_only: bool) -> Callable[[Handler], Handler]:
    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def guarded(update: Update, context: BotContext) -> None:
            user = update.effective_user.id if update.effective_user else None
            refused = refusal(context.svc.config, user, admins_only)
            if refused is None:
                await handler(update, context)
                return
            message = update.effective_message
            command = (message.text or "?").split()[0][:40] if message else "?"
            log.warning("refused admin command %s from user %s", command, user)
            if message is not None:
                await message.reply_text(refused)

        return guarded

    return decorate


staff_command = _guard(admins_only=False)
"""For admins and facilitators."""
admin_command = _guard(admins_only=True)
"""For admins only."""


async def may_tap(query: CallbackQuery, config: Config, admins_only: bool = False) -> bool:
    """Whether the person who tapped may use the button; if not, they are told so."""
    refused = refusal(config, query.from_user.id, admins_only)
    if refused is None:
        return True
    log.warning("refused button %r from user %s", query.data, query.from_user.id)
    await replies.ack(query, refused, alert=True)
    return False


def own_cohort(config: Config, user: int, code: str, what: str) -> Cohort | None:
    """The cohort with this code if this person runs it: admins all, facilitators theirs."""
    cohort = config.cohort(code)
    if cohort is None:
        return None
    if not cohorts.runs(config, user, cohort):
        log.warning("refused %s of %s from user %s (not theirs)", what, cohort.code, user)
        return None
    return cohort
