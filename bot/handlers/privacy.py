"""What a participant can do about their data: see it all (/mydata), erase it (/forgetme),
say no (or yes again) to follow-up questionnaires (/nofollowup, /followup)."""

from __future__ import annotations

from typing import Any

from telegram import Message, Update
from telegram.ext import Application, filters

from bot import replies
from bot.context import BotContext
from bot.handlers import add_handlers
from bot.screens import privacy as privacy_screens
from core import callbacks, privacy


async def mydata(update: Update, context: BotContext) -> None:
    """Show everything stored about the person asking."""
    user, message = update.effective_user, update.effective_message
    assert user is not None and message is not None
    stored = await privacy.records_of(context.svc, user.id)
    for text in privacy_screens.records(context.svc.config, stored):
        await message.reply_text(text)


async def forgetme(update: Update, context: BotContext) -> None:
    """Ask for confirmation before erasing everything."""
    message = update.effective_message
    assert message is not None
    text, keyboard = privacy_screens.forget_question()
    await message.reply_text(text, reply_markup=keyboard)


async def forget_button(update: Update, context: BotContext) -> None:
    """Erase in one transaction, or leave everything as it is."""
    tap = await replies.tapped(update, callbacks.Forget)
    if tap is None:
        return
    query, action = tap
    await replies.ack(query)  # too old to answer: act on it all the same
    message = query.message
    if not action.erase:
        if isinstance(message, Message):
            await replies.edit(message, privacy_screens.kept())
        return
    cohorts, answers = await privacy.forget(context.svc, query.from_user.id)
    if cohorts == 0 and isinstance(message, Message) and "erased" in (message.text or ""):
        return  # a second tap on the same button: already done and said
    if isinstance(message, Message):
        await replies.edit(message, privacy_screens.erased(cohorts, answers))


async def nofollowup(update: Update, context: BotContext) -> None:
    """No follow-up questionnaires, from now on."""
    await _choose_follow_ups(update, context, wanted=False)


async def followup(update: Update, context: BotContext) -> None:
    """Follow-up questionnaires after all."""
    await _choose_follow_ups(update, context, wanted=True)


async def _choose_follow_ups(update: Update, context: BotContext, *, wanted: bool) -> None:
    user, message = update.effective_user, update.effective_message
    assert user is not None and message is not None
    changed = await privacy.choose_follow_ups(context.svc, user.id, wanted)
    await message.reply_text(privacy_screens.follow_ups_chosen(changed, wanted))


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    add_handlers(
        application,
        {"nofollowup": nofollowup, "followup": followup, "mydata": mydata, "forgetme": forgetme},
        only=filters.ChatType.PRIVATE,
        taps={callbacks.Forget: forget_button},
    )
