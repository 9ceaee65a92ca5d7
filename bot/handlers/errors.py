"""The last line of defence: log with context, reassure the participant, never show a traceback."""

from __future__ import annotations

import contextlib
import logging
import time
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application

from bot import scheduler
from bot.context import BotContext

log = logging.getLogger(__name__)

SORRY = (
    "Sorry — something went wrong on my side. Your answers so far are saved; "
    "send /resume to carry on."
)


async def on_error(update: object, context: BotContext) -> None:
    """Log the failure with the update's ids, then tell the participant kindly."""
    user_id = chat_id = update_id = None
    if isinstance(update, Update):
        update_id = update.update_id
        user_id = update.effective_user.id if update.effective_user else None
        chat_id = update.effective_chat.id if update.effective_chat else None
    log.error(
        "error handling update %s (user %s, chat %s)",
        update_id,
        user_id,
        chat_id,
        exc_info=context.error,
    )
    if (
        isinstance(update, Update)
        and update.effective_chat
        and update.effective_chat.type == "private"
    ):
        # Each may fail on its own (the query may already be answered); the log has the cause.
        if update.callback_query is not None:
            with contextlib.suppress(TelegramError):
                await update.callback_query.answer()
        with contextlib.suppress(TelegramError):
            await context.bot.send_message(update.effective_chat.id, SORRY)


_last_report: dict[str, float] = {}
REPORT_EVERY_SECONDS = 60.0


async def _tell_admins(context: BotContext, update_id: int | None, user_id: int | None) -> None:
    """Report to the admins, at most once a minute per kind of error, without the token."""
    error = context.error
    kind = type(error).__name__
    now = time.monotonic()
    if now - _last_report.get(kind, -REPORT_EVERY_SECONDS) < REPORT_EVERY_SECONDS:
        return
    _last_report[kind] = now
    detail = str(error).replace(context.bot.token, "[REDACTED]")[:500]
    report = scheduler.reporter(context.application)
    await report(f"{kind} while handling update {update_id} (user {user_id}): {detail}")


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.add_error_handler(on_error)
