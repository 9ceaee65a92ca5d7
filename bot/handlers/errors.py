"""The last line of defence: log with context, reassure the participant (or tell the staff
member what failed), tell the admins."""

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
from bot.screens import admin as admin_screens
from core import cohorts
from core.journey import pseudonym

log = logging.getLogger(__name__)

SORRY = (
    "Sorry — something went wrong on my side. Your answers so far are saved; "
    "send /resume to carry on."
)


# Where our own packages live (a checkout or site-packages): frames there name the bug.
_ROOT = Path(__file__).resolve().parents[2]
_OURS = {"core", "analysis", "bot", "sim", "cli"}
# The handler modules of the programme team's commands and buttons (bot/handlers/).
_STAFF_HANDLERS = {"admin.py", "cohorts.py"}


def _parts(filename: str) -> tuple[str, ...]:
    """A frame's file as parts of a path inside our packages; () for anyone else's."""
    try:
        return Path(filename).resolve().relative_to(_ROOT).parts
    except ValueError:
        return ()


def _our_frame(filename: str) -> bool:
    parts = _parts(filename)
    return bool(parts) and parts[0] in _OURS


def _staff_handler_failed(error: BaseException | None) -> bool:
    """Whether the failure broke one of the staff's handlers (a command, a button or a
    dialogue step of theirs), not a participant's: the first handler module it went through
    says which, whoever sent the update."""
    frames = traceback.extract_tb(error.__traceback__) if error is not None else []
    for frame in frames:
        parts = _parts(frame.filename)
        if parts[:2] == ("bot", "handlers"):
            return parts[-1] in _STAFF_HANDLERS
    return False


def _what_failed(update: Update) -> str:
    """What the staff member did, in their words: the command, or the button they tapped."""
    if update.callback_query is not None:
        return "that button"
    message = update.effective_message
    text = message.text if message is not None else None
    if text and text.startswith("/"):
        return text.split()[0].split("@")[0][:40]
    return "your last message"


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
    if isinstance(update, Update) and update.effective_chat:
        text = _apology(update, context, error)
        if text is not None:
            # Each may fail on its own (the query may already be answered); the log has the
            # cause.
            if update.callback_query is not None:
                with contextlib.suppress(TelegramError):
                    await update.callback_query.answer()
            with contextlib.suppress(TelegramError):
                await context.bot.send_message(update.effective_chat.id, text)
    if error is not None:
        await _tell_admins(context, error, update_id, user_id)


def _apology(update: Update, context: BotContext, error: BaseException | None) -> str | None:
    """What the person whose update failed is told in their private chat; None elsewhere
    (in a group the bot says nothing more: a message there is everyone's, and the admins'
    report has it).

    A participant hears that their answers are saved and how to carry on. An admin or
    facilitator whose command, button or dialogue step failed hears what failed, that it
    is logged and reported, and what to try."""
    chat = update.effective_chat
    if chat is None or chat.type != "private":
        return None
    user = update.effective_user
    role = None
    if user is not None and SERVICES_KEY in context.application.bot_data:
        role = cohorts.role_of(context.svc.config, user.id)
    if role is None or not _staff_handler_failed(error):
        return SORRY
    what = _what_failed(update)
    kind = type(error).__name__ if error is not None else "an error"
    if isinstance(error, NetworkError):
        # A timeout may come after Telegram carried the reply out: it may be there.
        return admin_screens.staff_unconfirmed(what, kind)
    return admin_screens.staff_error(what, kind, role == "admin")


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
