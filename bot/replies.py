"""Answering taps and editing messages without tripping over Telegram's harmless refusals."""

from __future__ import annotations

import logging
from typing import TypeVar

from telegram import CallbackQuery, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest

from bot.screens import participant as screens
from core import callbacks
from core.journey import Refusal

log = logging.getLogger(__name__)

A = TypeVar("A")


async def ack(query: CallbackQuery, text: str | None = None, *, alert: bool = False) -> None:
    """Answer a callback query; a redelivered or late one is "too old", which is harmless."""
    try:
        await query.answer(text, show_alert=alert)
    except BadRequest as exc:
        log.info("callback query %s not answered: %s", query.id, exc)


async def refuse_tap(query: CallbackQuery) -> None:
    """A tap whose data is not the handler's own.

    PTB hands a callback query without data to every patterned handler, so each one says
    the same about it, whichever was registered first.
    """
    await ack(query, screens.refusal_toast(Refusal.INVALID))


async def tapped(update: Update, kind: type[A]) -> tuple[CallbackQuery, A] | None:
    """The tap and its action, when its data decodes to a `kind`; otherwise None, the tap
    refused."""
    query = update.callback_query
    assert query is not None
    action = callbacks.decode(query.data)
    if not isinstance(action, kind):
        await refuse_tap(query)
        return None
    return query, action


async def edit(
    message: Message, text: str, markup: InlineKeyboardMarkup | None = None
) -> Message | None:
    """Edit a message in place; a double tap's identical edit is not an error.

    Returns None when the message cannot be edited (deleted, too old).
    """
    try:
        edited = await message.edit_text(text, reply_markup=markup)
    except BadRequest as exc:
        if "not modified" in str(exc).lower():
            return message
        log.info("could not edit message %s: %s", message.message_id, exc)
        return None
    return edited if isinstance(edited, Message) else message
