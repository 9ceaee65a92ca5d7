"""Participant flow: join, consent, answer, go back, review, submit, resume — private chats only."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from telegram import CallbackQuery, Message, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot import replies
from bot.context import BotContext
from bot.handlers import add_handlers
from bot.screens import admin as admin_screens
from bot.screens import cohorts as cohort_screens
from bot.screens import participant as screens
from core import callbacks, cohorts, journey
from core.config import CODE_PATTERN
from core.journey import Outcome, Refusal, View

log = logging.getLogger(__name__)

PRIVATE = filters.ChatType.PRIVATE
# Anything a person can send that is not plain text: it never answers a question.
NOT_TEXT = PRIVATE & ~filters.TEXT & ~filters.StatusUpdate.ALL & filters.UpdateType.MESSAGE


async def _send_view(
    context: BotContext, chat_id: int, view: View, preface: str | None = None
) -> None:
    """Show the current step as a new message and retire the keyboard of the previous one."""
    text, markup = screens.step_screen(view)
    if preface:
        text = f"<i>{preface}</i>\n\n{text}"
    sent = await context.bot.send_message(chat_id, text, reply_markup=markup)
    _remember_shown(context, sent.message_id, text)
    previous = view.message_id
    if previous is not None and previous != sent.message_id:
        # Already without buttons, deleted by the user, or too old: nothing to tidy.
        with contextlib.suppress(TelegramError):
            await context.bot.edit_message_reply_markup(chat_id, previous, reply_markup=None)
    await journey.remember_message(context.svc, view, sent.message_id)


SHOWN = "shown"


def _remember_shown(context: BotContext, message_id: int, text: str) -> None:
    """What the live message shows, so a double tap need not repeat an identical edit.

    Memory only: after a restart it is empty, and the first stale tap refreshes the message.
    """
    if context.chat_data is not None:
        context.chat_data[SHOWN] = (message_id, text)


def _already_shown(context: BotContext, message_id: int, view: View) -> bool:
    shown = context.chat_data.get(SHOWN) if context.chat_data is not None else None
    return shown == (message_id, screens.step_screen(view)[0])


async def _show_in_place(context: BotContext, message: Message, view: View) -> None:
    text, markup = screens.step_screen(view)
    edited = await replies.edit(message, text, markup)
    if edited is None:
        await _send_view(context, message.chat_id, view)
        return
    _remember_shown(context, message.message_id, text)
    if view.message_id != message.message_id:
        # Another message was the live one (say /resume raced this tap): retire its buttons.
        if view.message_id is not None:
            with contextlib.suppress(TelegramError):
                await context.bot.edit_message_reply_markup(
                    message.chat_id, view.message_id, reply_markup=None
                )
        await journey.remember_message(context.svc, view, message.message_id)


async def _explain_refusal(
    update: Update, context: BotContext, outcome: Outcome, code: str
) -> None:
    """Reply to a join or resume that could not go ahead."""
    message = update.effective_message
    assert message is not None
    if outcome.refusal is Refusal.UNKNOWN_CODE:
        await message.reply_text(screens.unknown_code(code))
    elif outcome.refusal is Refusal.NOT_OPEN and outcome.cohort is not None:
        opens = outcome.opens
        local = opens.astimezone(context.svc.config.bot.timezone) if opens else None
        when = local.strftime("%d %B %Y at %H:%M") if local else None
        await message.reply_text(screens.not_open(outcome.cohort, when))
    else:
        await message.reply_text(screens.nothing_to_resume())


async def _join(update: Update, context: BotContext, code: str) -> None:
    user = update.effective_user
    message = update.effective_message
    assert user is not None and message is not None
    outcome = await journey.request_join(context.svc, user.id, code)
    if not outcome.ok:
        await _explain_refusal(update, context, outcome, code)
        return
    if outcome.view is not None:
        await _send_view(context, message.chat_id, outcome.view)
        return
    assert outcome.cohort is not None
    config = context.svc.config
    module = config.module_of(outcome.cohort)
    after = config.schedule.follow_up_after if module.follow_up is not None else None
    text, markup = screens.privacy_notice(
        outcome.cohort, module.title, config.bot.privacy_contact, after
    )
    await message.reply_text(text, reply_markup=markup)


async def _resume(update: Update, context: BotContext) -> None:
    user = update.effective_user
    message = update.effective_message
    assert user is not None and message is not None
    outcome = await journey.resume(context.svc, user.id)
    if outcome.view is not None:
        await _send_view(context, message.chat_id, outcome.view)
    elif outcome.refusal is Refusal.NOT_JOINED:
        await message.reply_text(screens.welcome())
    else:
        await _explain_refusal(update, context, outcome, "")


async def start(update: Update, context: BotContext) -> None:
    """Join with a deep-link code, or carry on, or ask for a code."""
    if context.args:
        await _join(update, context, context.args[0][:64])
    else:
        await _resume(update, context)


async def resume_command(update: Update, context: BotContext) -> None:
    """Continue at the first unanswered question."""
    await _resume(update, context)


async def help_command(update: Update, context: BotContext) -> None:
    """Explain how the bot works; to admins and facilitators, their commands too."""
    assert update.effective_message is not None
    config = context.svc.config
    text = screens.help_text(config.bot.privacy_contact)
    role = cohorts.role_of(config, update.effective_user.id if update.effective_user else None)
    if role is not None:
        admin = role == "admin"
        menu = {**cohort_screens.MENU, **admin_screens.MENU} if admin else cohort_screens.MENU
        text += "\n\n" + admin_screens.staff_help(menu, admin)
    await update.effective_message.reply_text(text)


async def text_message(update: Update, context: BotContext) -> None:
    """A typed message: a free-text answer, or a cohort code, or a nudge to the buttons."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None and message.text is not None
    outcome = await journey.answer_text(context.svc, user.id, message.text)
    if outcome.ok and outcome.view is not None:
        await _after_text_answer(context, message.chat_id, outcome)
        return
    view = outcome.view
    if outcome.refusal is Refusal.TOO_LONG and view is not None:
        await message.reply_text(
            screens.too_long(len(message.text.strip()), view.step.question.max_length)
        )
        return
    if outcome.refusal is Refusal.EMPTY and view is not None:
        await message.reply_text(screens.text_only(view.step.question.max_length))
        return
    candidate = message.text.strip()
    if view is None or view.step.kind == "done":
        # Not in a questionnaire: a typed line is most likely a cohort code.
        if CODE_PATTERN.match(candidate):
            await _join(update, context, candidate)
        else:
            await message.reply_text(screens.welcome())
        return
    # In a questionnaire whose current step wants a button: show it again at the bottom.
    if CODE_PATTERN.match(candidate) and context.svc.config.cohort(candidate) is not None:
        await _join(update, context, candidate)
        return
    await _send_view(context, message.chat_id, view, preface=screens.use_buttons())


async def _after_text_answer(context: BotContext, chat_id: int, outcome: Outcome) -> None:
    view = outcome.view
    assert view is not None and outcome.answered is not None
    previous = view.message_id
    text, markup = screens.step_screen(view)
    sent = await context.bot.send_message(chat_id, text, reply_markup=markup)
    if previous is not None:
        # The old question becomes a record of the answer, so the chat reads naturally.
        stub = screens.answered_stub(outcome.answered, view.answers.get(outcome.answered.id))
        with contextlib.suppress(TelegramError):  # deleted or too old: the new one matters
            await context.bot.edit_message_text(stub, chat_id, previous)
    await journey.remember_message(context.svc, view, sent.message_id)


async def non_text_message(update: Update, context: BotContext) -> None:
    """Stickers, photos, voice and files never answer a question: say what is expected."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    view = await journey.current_view(context.svc, user.id)
    if view is None or view.step.kind == "done":
        await message.reply_text(screens.welcome())
    elif view.step.kind == "question" and view.step.question.kind == "text":
        await message.reply_text(screens.text_only(view.step.question.max_length))
    else:
        await message.reply_text(screens.use_buttons())


async def button(update: Update, context: BotContext) -> None:
    """A tap on an inline button: validated against the stored state, then acted on."""
    query = update.callback_query
    assert query is not None
    action = callbacks.decode(query.data)
    message = query.message
    if (
        not isinstance(action, callbacks.ParticipantAction)
        or not isinstance(message, Message)
        or message.chat.type != "private"
    ):
        await replies.refuse_tap(query)
        return
    svc = context.svc
    user_id = query.from_user.id
    if isinstance(action, callbacks.Consent):
        if not action.agreed:
            await _decline(context, query, message, action.cohort)
            return
        outcome = await journey.give_consent(svc, user_id, action.cohort)
    elif isinstance(action, callbacks.Answer):
        outcome = await journey.answer_button(svc, user_id, action)
    elif isinstance(action, callbacks.Back):
        outcome = await journey.go_back(svc, user_id, action)
    elif isinstance(action, callbacks.Submit):
        outcome = await journey.submit(svc, user_id, action)
    elif isinstance(action, callbacks.FollowUpChoice):
        outcome = await journey.choose_follow_up(svc, user_id, action)
    else:
        outcome = await journey.begin(svc, user_id, action)
    if not outcome.ok or outcome.view is None:
        refusal = outcome.refusal or Refusal.INVALID
        view = outcome.view
        if (
            view is not None
            and view.message_id in (None, message.message_id)
            and not _already_shown(context, message.message_id, view)
        ):
            # The tapped message is the live one but shows an old step (say the bot was
            # restarted between storing an answer and editing): bring it up to date.
            await asyncio.gather(
                replies.ack(query, screens.refusal_toast(refusal)),
                _show_in_place(context, message, view),
            )
        else:
            await replies.ack(query, screens.refusal_toast(refusal))
        return
    # The answer is committed; acknowledging the tap and showing the next step can overlap.
    await asyncio.gather(replies.ack(query), _show_in_place(context, message, outcome.view))


async def _decline(context: BotContext, query: CallbackQuery, message: Message, code: str) -> None:
    """'No thanks' keeps nothing — also when it comes right after an 'I agree'."""
    view = await journey.decline(context.svc, query.from_user.id, code)
    if view is None:
        await asyncio.gather(replies.ack(query), replies.edit(message, screens.declined(code)))
        return
    # They agreed and have already answered: keep the answers, say how to erase them.
    await asyncio.gather(
        replies.ack(query, screens.already_agreed(), alert=True),
        _show_in_place(context, message, view),
    )


async def unknown_button(update: Update, context: BotContext) -> None:
    """A tap whose data means nothing to the bot (forged, or from an old version)."""
    assert update.callback_query is not None
    await replies.refuse_tap(update.callback_query)


async def group_start(update: Update, context: BotContext) -> None:
    """In a group, point people to the private chat instead of collecting answers there."""
    assert update.effective_message is not None
    await update.effective_message.reply_text(screens.private_only(context.bot.username))


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add the participant handlers."""
    add_handlers(
        application,
        {"start": start, "resume": resume_command, "help": help_command},
        only=PRIVATE,
        taps={callbacks.ParticipantAction: button},
    )
    application.add_handler(
        CommandHandler(["start", "resume"], group_start, filters=filters.ChatType.GROUPS)
    )
    application.add_handler(CallbackQueryHandler(unknown_button, pattern=callbacks.undecodable))
    application.add_handler(
        MessageHandler(
            PRIVATE & filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND, text_message
        )
    )
    application.add_handler(MessageHandler(NOT_TEXT, non_text_message))
