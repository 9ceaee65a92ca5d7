"""Running cohorts from the chat: /newcohort, /editcohort, /cancelcohort, /card, /cohorts.

Thin: each handler reads the update, calls core.cohort_dialogue (the dialogue's table)
or core.cohorts, and shows the outcome with cohort_screens. bot.guard decides who may.
"""

from __future__ import annotations

import asyncio
import logging
from functools import partial
from typing import Any

from telegram import CallbackQuery, Chat, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    MessageHandler,
    filters,
)

from bot import cards, replies, scheduler
from bot.context import BotContext
from bot.guard import may_tap, own_cohort, refusal, staff_command
from bot.handlers import add_handlers
from bot.screens import cohorts as screens
from core import callbacks, cohorts, schedule
from core import cohort_dialogue as dialogue
from core.cohort_dialogue import Ask, Cancelled, Created, Edited, Outcome, Problem, Stale
from core.config import Cohort

log = logging.getLogger(__name__)


def _who(update: Update) -> tuple[int, Message]:
    """Who sent a staff command, and the command's message (the guard let them in)."""
    assert update.effective_user is not None and update.effective_message is not None
    return update.effective_user.id, update.effective_message


async def _say(
    context: BotContext, to: Message | int, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Answer a command (quoted in groups, as PTB does), or write to a chat."""
    send = to.reply_text if isinstance(to, Message) else partial(context.bot.send_message, to)
    await send(text, reply_markup=markup)


async def send_card(context: BotContext, chat_id: int, cohort: Cohort) -> None:
    """The deep link, the QR code, and the printable A5 card."""
    config = context.svc.config
    link = cards.join_link(context.bot.username, cohort.code)
    title, tz = config.module_of(cohort).title, config.bot.timezone
    facts = cards.CardFacts(title, cohort.site, cohort.start, cohort.end, cohort.code, link)
    qr, card = await asyncio.gather(
        asyncio.to_thread(cards.qr_png, link), asyncio.to_thread(cards.card_png, facts, tz)
    )
    caption = screens.card_caption(cohort, title, link, tz)
    await context.bot.send_photo(chat_id, qr, caption=caption, filename=f"{cohort.code}-qr.png")
    await context.bot.send_document(
        chat_id, card, filename=f"{cohort.code}-card-A5.png", caption=screens.CARD_FILE
    )


async def show(context: BotContext, to: Message | int, user: int, outcome: Outcome) -> None:
    """Show what a step of a dialogue (or a one-line command) came to."""
    config = context.svc.config
    match outcome:
        case Ask(step, draft):
            await _say(context, to, *screens.ask(step, draft, config))
        case Problem():
            await _say(context, to, screens.problem(outcome, config.bot.timezone))
        case Created(cohort):
            log.info("cohort %s created by user %s", cohort.code, user)
            chat = to.chat_id if isinstance(to, Message) else to
            link = cards.join_link(context.bot.username, cohort.code)
            # The confirmation and the card are messages of their own, not replies.
            await context.bot.send_message(chat, screens.created(cohort, link))
            await send_card(context, chat, cohort)
            await scheduler.reschedule(context.application)
        case Edited(before, after):
            log.info("cohort %s changed by user %s", after.code, user)
            await _say(context, to, screens.edited(before, after, config.bot.timezone))
            await scheduler.reschedule(context.application)
        case Cancelled(had_draft):
            await _say(context, to, screens.cancelled(had_draft))


async def _own(update: Update, context: BotContext, usage: str, what: str) -> Cohort | None:
    """The cohort named by the first argument, if this person runs it; else say so."""
    args, (user, message) = context.args or [], _who(update)
    cohort = own_cohort(context.svc.config, user, args[0], what) if args else None
    if cohort is None:
        await message.reply_text(screens.no_cohort_of_yours(args[0]) if args else usage)
    return cohort


@staff_command
async def card_command(update: Update, context: BotContext) -> None:
    """/card CODE: the join link, QR code and printable card."""
    cohort = await _own(update, context, screens.USAGE_CARD, "/card")
    if cohort is not None:
        await send_card(context, _who(update)[1].chat_id, cohort)


@staff_command
async def newcohort(update: Update, context: BotContext) -> None:
    """/newcohort: the dialogue; with arguments, create it in one go."""
    svc, args, (user, message) = context.svc, context.args or [], _who(update)
    if 0 < len(args) < 3:
        await message.reply_text(screens.USAGE_NEW)
    elif args:
        await show(context, message, user, await dialogue.create_in_one_line(svc, user, args))
    elif message.chat.type != ChatType.PRIVATE:
        await message.reply_text(screens.PRIVATE_DIALOGUE)
    else:
        await show(context, message, user, await dialogue.start_new(svc, user))


@staff_command
async def editcohort(update: Update, context: BotContext) -> None:
    """/editcohort CODE [site …|times …|end …]: change a cohort that has not ended."""
    cohort = await _own(update, context, screens.USAGE_EDIT, "/editcohort")
    if cohort is None:
        return
    svc, line, (user, message) = context.svc, " ".join((context.args or [])[1:]), _who(update)
    if line:
        outcome: Outcome = await dialogue.change_in_one_line(svc, user, cohort.code, line)
    elif message.chat.type != ChatType.PRIVATE:
        await message.reply_text(screens.PRIVATE_DIALOGUE)
        return
    else:
        outcome = await dialogue.start_edit(svc, user, cohort.code)
    await show(context, message, user, outcome)


@staff_command
async def cancelcohort(update: Update, context: BotContext) -> None:
    """/cancelcohort CODE: delete it if nobody joined, else archive it."""
    cohort = await _own(update, context, screens.USAGE_CANCEL, "/cancelcohort")
    if cohort is None:
        return
    svc, (user, message) = context.svc, _who(update)
    skipped = schedule.cancelled_events(svc.config.schedule)
    try:
        outcome = await cohorts.cancel(svc, cohort.code, cohorts.actor(svc, user), skipped)
    except cohorts.CohortError as exc:
        await show(context, message, user, Problem(exc))
        return
    log.info("cohort %s %s by user %s", cohort.code, outcome, user)
    await message.reply_text(screens.cancel_outcome(cohort.code, outcome))
    await scheduler.reschedule(context.application)


@staff_command
async def cancel_dialogue(update: Update, context: BotContext) -> None:
    """/cancel: leave a /newcohort or /editcohort dialogue."""
    user, message = _who(update)
    await show(context, message, user, await dialogue.cancel(context.svc, user))


@staff_command
async def list_cohorts(update: Update, context: BotContext) -> None:
    """/cohorts: the cohorts this person runs, with their state, history and buttons."""
    svc, (user, message) = context.svc, _who(update)
    visible = [e for e in await cohorts.entries(svc) if cohorts.runs(svc.config, user, e.cohort)]
    shown, more = screens.most_relevant(visible, svc.now())
    windows = await cohorts.windows_of(svc, [e.cohort for e in shown])
    text, markup = screens.listing(shown, more, svc.config, svc.now(), windows)
    await message.reply_text(text, reply_markup=markup)


async def dialogue_text(update: Update, context: BotContext) -> None:
    """A line typed by an admin or facilitator: the answer to their dialogue's step, if
    it waits for one; else the line goes on to the other handlers."""
    svc, user, message = context.svc, update.effective_user, update.effective_message
    if user is None or message is None or message.text is None:
        return
    if refusal(svc.config, user.id) is not None:
        return  # a participant's line: the participant handlers read it
    outcome = await dialogue.answer(svc, user.id, dialogue.Typed(message.text))
    if outcome is not None:
        await show(context, message, user.id, outcome)
        raise ApplicationHandlerStop


async def dialogue_button(update: Update, context: BotContext) -> None:
    """A tap in the /newcohort dialogue or under /cohorts."""
    query = update.callback_query
    assert query is not None
    tap = callbacks.decode(query.data)
    if not isinstance(tap, callbacks.CohortTap) or query.message is None:
        await replies.refuse_tap(query)  # a tap without data reaches every patterned handler
        return
    if not await may_tap(query, context.svc.config):
        return
    if tap.button in ("k", "e", "s"):
        await _cohort_button(context, query, query.message.chat, tap)
        return
    user, chat = query.from_user.id, query.message.chat.id
    outcome = await dialogue.answer(context.svc, user, tap)
    stale = isinstance(outcome, Stale)
    await replies.ack(query, screens.STEP_OVER if stale else None, alert=stale)
    if isinstance(query.message, Message) and isinstance(outcome, Created | Cancelled):
        # The message stays as a record, without buttons that no longer do anything.
        await replies.edit(query.message, screens.tapped(query.message.text_html, outcome))
    if outcome is not None and not isinstance(outcome, Cancelled):
        await show(context, chat, user, outcome)


async def _cohort_button(
    context: BotContext, query: CallbackQuery, chat: Chat, tap: callbacks.CohortTap
) -> None:
    """Card, Edit or Status under a cohort of /cohorts."""
    svc, user = context.svc, query.from_user.id
    cohort = own_cohort(svc.config, user, tap.value, f"button {tap.button}")
    if cohort is None:
        await replies.ack(query, screens.NOT_YOURS, alert=True)
        return
    await replies.ack(query)
    if tap.button == "k":
        await send_card(context, chat.id, cohort)
    elif tap.button == "e" and chat.type == ChatType.PRIVATE:
        await show(context, chat.id, user, await dialogue.start_edit(svc, user, cohort.code))
    elif tap.button == "e":
        await context.bot.send_message(chat.id, screens.PRIVATE_DIALOGUE)
    else:
        counts, phase = await cohorts.progress(svc, cohort)
        await context.bot.send_message(chat.id, screens.status(cohort, counts, phase))


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add the cohort commands. A typed line goes to a staff member's dialogue first
    (group -1): if it answers a step, no other handler reads it as a cohort code."""
    typed = filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE
    application.add_handler(MessageHandler(typed, dialogue_text), -1)
    add_handlers(
        application,
        {
            "newcohort": newcohort,
            "editcohort": editcohort,
            "cancelcohort": cancelcohort,
            "card": card_command,
            "cohorts": list_cohorts,
            "cancel": cancel_dialogue,
        },
        taps={callbacks.CohortTap: dialogue_button},
    )
