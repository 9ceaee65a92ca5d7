"""The last line of defence: log with context, reassure the participant, tell the admins."""

from __future__ import annotations

import contextlib
import logging
import traceback
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.error import NetworkError, TelegramError
from telegram.ext import Application

from bot import notify
from bot.context import SERVICES_KEY, BotContext
from bot.logs import one_line
from core.journey import pseudonym

log = logging.getLogger(__name__)

SORRY = (
    "Sorry — something went wrong on my side. Your answers so far are saved; "
    "send /resume to carry on."
)


# Where our own packages live (a checkout or site-packages): frames there name the bug.
_ROOT = Path(__file__).resolve().parents[2]
_OURS = {"core", "analysis", "bot", "sim", "cli"}


def _our_frame(filename: str) -> bool:
    try:
        parts = Path(filename).resolve().relative_to(_ROOT).parts
    except ValueError:
        return False
    return bool(parts) and parts[0] in _OURS


def error_kind(error: BaseException) -> str:
    """The type, the handler it broke and where it was raised: two bugs are two kinds."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if _our_frame(f.filename)]
    places = [f"{Path(f.filename).stem}.{f.name}" for f in frames[:1] + frames[-1:]]
    where = " → ".join(dict.fromkeys(places))  # one place when they are the same frame
    return f"{type(error).__name__} in {where}" if where else type(error).__name__


async def on_error(update: object, context: BotContext) -> None:
    """Log the failure with the update's ids, tell the participant kindly, report it."""
    user_id = chat_id = update_id = None
    if isinstance(update, Update):
        update_id = update.update_id
        user_id = update.effective_user.id if update.effective_user else None
        chat_id = update.effective_chat.id if update.effective_chat else None
    error = context.error
    if update is None and isinstance(error, NetworkError):
        # Polling hiccups: PTB retries them on its own; one line is enough.
        log.warning("Bot API trouble while polling (retrying): %s", one_line(error))
        return
    log.error(
        "error handling update %s (user %s, chat %s)",
        update_id,
        user_id,
        chat_id,
        exc_info=error,
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
    if error is not None:
        await _tell_admins(context, error, update_id, user_id)


async def _tell_admins(
    context: BotContext, error: BaseException, update_id: int | None, user_id: int | None
) -> None:
    """At most one report per kind of error a minute; the participant only by pseudonym."""
    if SERVICES_KEY not in context.application.bot_data:
        return  # failed before start-up finished: the log line is all there can be
    svc = context.svc
    who = pseudonym(svc.pseudonym_key, user_id) if user_id is not None else "no participant"
    kind = error_kind(error)
    text = (
        f"Error while handling update {update_id} (participant {who}): {one_line(error)[:500]}\n"
        f"Kind: {kind}. The bot carries on; its log has the details. "
        f"Further errors of this kind are not reported for {notify.EVERY_SECONDS:.0f} s."
    )
    await notify.notifier(context.application).report_error(kind, text)


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.add_error_handler(on_error)
