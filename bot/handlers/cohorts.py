"""Running cohorts from the chat: /newcohort, /editcohort, /cancelcohort, /card, /cohorts,
and the facilitators' /status and /remind for their own cohorts.

Admins run every cohort; facilitators (bot.facilitators) only those they created or that
list them. Everyone else is refused, and every refusal is logged. A /newcohort or
/editcohort dialogue is stored in the database, so a restart in the middle loses nothing.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Coroutine
from datetime import datetime
from html import escape
from typing import Any

from telegram import Message, Update
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot import cards, lifecycle, replies, scheduler
from bot import cohort_screens as screens
from bot.context import BotContext
from core import cohorts, flow, schedule
from core.cohorts import CohortError, NewCohort
from core.config import Cohort, Config
from core.dates import DateError, parse_moment, parse_session
from core.services import Services

log = logging.getLogger(__name__)

Handler = Callable[[Update, BotContext], Coroutine[Any, Any, None]]

# Shown in the command menus (bot/app.py): facilitators get these, admins these and more.
FACILITATOR_COMMANDS = {
    "cohorts": "your cohorts, with card, edit and status buttons",
    "newcohort": "create a cohort (dialogue, or in one line)",
    "card": "<code> — join link, QR code and printable card",
    "editcohort": "<code> — change site or times",
    "cancelcohort": "<code> — delete, or archive if people joined",
    "status": "live counts of your open cohorts",
    "remind": "<code> — remind those who have not finished",
}


def _user_id(update: Update) -> int | None:
    return update.effective_user.id if update.effective_user else None


def _refuse_log(update: Update, what: str) -> None:
    log.warning("refused %s from user %s", what, _user_id(update))


def staff_only(handler: Handler) -> Handler:
    """Admins and facilitators only; anyone else is refused, logged, and nothing changes."""

    @functools.wraps(handler)
    async def guarded(update: Update, context: BotContext) -> None:
        if cohorts.role_of(context.svc.config, _user_id(update)) is None:
            message = update.effective_message
            command = (message.text or "?").split()[0][:40] if message else "?"
            _refuse_log(update, f"admin command {command}")
            if message is not None:
                await message.reply_text(screens.REFUSED)
            return
        await handler(update, context)

    return guarded


async def _reply(update: Update, text: str) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(text)


class Usage(CohortError):
    """How to use a command; unlike other problems its text is HTML."""


async def _problem(update: Update, exc: Exception, more: str = "") -> None:
    """Say what is wrong; problems quote what was typed, so they are escaped."""
    await _reply(update, (str(exc) if isinstance(exc, Usage) else escape(str(exc))) + more)


def _may_run(svc: Services, update: Update, cohort: Cohort, what: str) -> bool:
    user = _user_id(update)
    if user is not None and cohorts.runs(svc.config, user, cohort):
        return True
    _refuse_log(update, f"{what} of {cohort.code} (not theirs)")
    return False


async def _cohort_arg(update: Update, context: BotContext, usage: str) -> Cohort | None:
    """The cohort named by the first argument, if it exists and this person runs it."""
    args = context.args or []
    if not args:
        await _reply(update, usage)
        return None
    cohort = context.svc.config.cohort(args[0])
    if cohort is None or not _may_run(context.svc, update, cohort, "access"):
        # The same answer either way: a facilitator learns nothing of others' cohorts.
        await _reply(
            update, f"No cohort of yours has the code {escape(args[0][:20])}. See /cohorts."
        )
        return None
    return cohort


# the join card ----------------------------------------------------------------------------


async def send_card(context: BotContext, chat_id: int, cohort: Cohort) -> None:
    """The deep link, the QR code, and the printable A5 card."""
    svc = context.svc
    link = cards.join_link(context.bot.username, cohort.code)
    title = svc.config.module_of(cohort).title
    tz = svc.config.bot.timezone
    facts = cards.CardFacts(title, cohort.site, cohort.start, cohort.end, cohort.code, link)
    qr, card = await asyncio.gather(
        asyncio.to_thread(cards.qr_png, link), asyncio.to_thread(cards.card_png, facts, tz)
    )
    caption = screens.card_caption(cohort, title, link, tz)
    await context.bot.send_photo(chat_id, qr, caption=caption, filename=f"{cohort.code}-qr.png")
    await context.bot.send_document(
        chat_id,
        card,
        filename=f"{cohort.code}-card-A5.png",
        caption="Printable card (A5, 300 dpi).",
    )


@staff_only
async def card_command(update: Update, context: BotContext) -> None:
    """/card CODE: the join link, QR code and printable card."""
    cohort = await _cohort_arg(update, context, screens.USAGE_CARD)
    if cohort is not None and update.effective_chat is not None:
        await send_card(context, update.effective_chat.id, cohort)


# creating a cohort --------------------------------------------------------------------------


async def _created(update: Update, context: BotContext, cohort: Cohort) -> None:
    assert update.effective_chat is not None
    log.info("cohort %s created by user %s", cohort.code, _user_id(update))
    link = cards.join_link(context.bot.username, cohort.code)
    await context.bot.send_message(update.effective_chat.id, screens.created(cohort, link))
    await send_card(context, update.effective_chat.id, cohort)
    await scheduler.reschedule(context.application)


def _facilitators(svc: Services, user_id: int) -> tuple[int, ...]:
    """A facilitator runs the cohorts they create."""
    return (user_id,) if cohorts.role_of(svc.config, user_id) == "facilitator" else ()


@staff_only
async def newcohort(update: Update, context: BotContext) -> None:
    """/newcohort: the dialogue; with arguments, create it in one go."""
    svc = context.svc
    user = _user_id(update)
    assert user is not None
    args = context.args or []
    if 0 < len(args) < 3:
        await _reply(update, screens.USAGE_NEW)
        return
    if args:
        try:
            new = cohorts.read_one_line(svc.config, args, svc.now())
            cohorts.check_site(new.site)
            cohorts.check_times(new.start, new.end, svc.now())
            code = await cohorts.suggest_code(svc, new.module, new.site, new.start)
            new = NewCohort(
                code, new.module, new.site, new.start, new.end, _facilitators(svc, user)
            )
            cohort = await cohorts.create(svc, new, cohorts.actor(svc, user))
        except (CohortError, DateError) as exc:
            await _problem(update, exc)
            return
        await _created(update, context, cohort)
        return
    if update.effective_chat is None or update.effective_chat.type != "private":
        await _reply(update, screens.PRIVATE_DIALOGUE)
        return
    await cohorts.save_draft(svc, user, "module", {})
    text, markup = screens.ask_module(svc.config)
    assert update.effective_message is not None
    await update.effective_message.reply_text(text, reply_markup=markup)


def _draft_cohort(data: dict[str, str], facilitators: tuple[int, ...]) -> NewCohort:
    return NewCohort(
        data.get("code", ""),
        data["module"],
        data["site"],
        datetime.fromisoformat(data["start"]),
        datetime.fromisoformat(data["end"]),
        facilitators,
    )


async def _confirm(update: Update, svc: Services, user: int, data: dict[str, str]) -> None:
    await cohorts.save_draft(svc, user, "confirm", data)
    new = _draft_cohort(data, ())
    title = svc.config.modules[new.module].title
    text, markup = screens.confirm(
        new.code, title, new.site, new.start, new.end, svc.config.bot.timezone
    )
    assert update.effective_chat is not None
    await update.get_bot().send_message(update.effective_chat.id, text, reply_markup=markup)


async def _take_code(
    update: Update, svc: Services, user: int, data: dict[str, str], code: str
) -> None:
    try:
        code = cohorts.check_code(code)
        if await cohorts.code_taken(svc, code):
            raise CohortError(f"The code {code} is already taken. Type another.")
    except CohortError as exc:
        await _problem(update, exc)
        return
    await _confirm(update, svc, user, {**data, "code": code})


async def dialogue_text(update: Update, context: BotContext) -> None:
    """A typed line from an admin or facilitator in the middle of a dialogue."""
    svc = context.svc
    user = _user_id(update)
    message = update.effective_message
    if user is None or message is None or message.text is None:
        return
    draft = await cohorts.load_draft(svc, user)
    if draft is None or draft[0] in ("module", "confirm"):
        return  # not waiting for text: the line is whatever it would be otherwise
    step, data = draft
    text = message.text.strip()
    try:
        if step == "site":
            data["site"] = cohorts.check_site(text)
            await cohorts.save_draft(svc, user, "times", data)
            await _reply(update, screens.ask_times(data["site"]))
        elif step == "times":
            start, end = parse_session(text, svc.config.bot.timezone, svc.now())
            cohorts.check_times(start, end, svc.now())
            data |= {"start": start.isoformat(), "end": end.isoformat()}
            code = await cohorts.suggest_code(svc, data["module"], data["site"], start)
            await cohorts.save_draft(svc, user, "code", data)
            prompt, markup = screens.ask_code(code)
            await message.reply_text(prompt, reply_markup=markup)
        elif step == "code":
            await _take_code(update, svc, user, data, text)
        elif step == "edit":
            await _apply_edit(update, context, data["code"], text)
            await cohorts.drop_draft(svc, user)  # only once it worked: a mistake can be retyped
    except (CohortError, DateError) as exc:
        await _problem(update, exc)
    raise ApplicationHandlerStop


async def dialogue_button(update: Update, context: BotContext) -> None:
    """A tap in the /newcohort dialogue or under /cohorts."""
    query = update.callback_query
    assert query is not None
    svc = context.svc
    user = query.from_user.id
    if cohorts.role_of(svc.config, user) is None:
        _refuse_log(update, f"cohort button {query.data!r}")
        await replies.ack(query, screens.REFUSED, alert=True)
        return
    tap = flow.decode(query.data)
    assert isinstance(tap, flow.CohortTap)  # the handler's pattern claims only these
    action, value = tap.step, tap.value
    if action in ("k", "e", "s"):
        await _cohort_button(update, context, action, value)
        return
    draft = await cohorts.load_draft(svc, user)
    if action == "n":
        await replies.ack(query)
        if draft is not None:
            await cohorts.drop_draft(svc, user)
        if isinstance(query.message, Message):
            await replies.edit(query.message, screens.cancelled_dialogue())
        return
    expected = {"m": "module", "c": "code", "y": "confirm"}.get(action)
    if draft is None or draft[0] != expected:
        await replies.ack(query, "That step is over. /newcohort starts again.", alert=True)
        return
    await replies.ack(query)
    _, data = draft
    if action == "m":
        try:
            data["module"] = cohorts.check_module(svc.config, value)
        except CohortError as exc:
            await _problem(update, exc)
            return
        await cohorts.save_draft(svc, user, "site", data)
        await _reply(update, screens.ask_site(svc.config.modules[data["module"]].title))
    elif action == "c":
        await _take_code(update, svc, user, data, value)
    else:
        try:
            cohort = await cohorts.create(
                svc, _draft_cohort(data, _facilitators(svc, user)), cohorts.actor(svc, user)
            )
        except CohortError as exc:
            await _problem(update, exc, " Nothing was created; /newcohort starts again.")
            await cohorts.drop_draft(svc, user)
            return
        await cohorts.drop_draft(svc, user)
        if isinstance(query.message, Message) and query.message.text_html:
            # The confirmation stays as a record, without buttons that no longer do anything.
            await replies.edit(query.message, query.message.text_html + "\n\n✅ Created.")
        await _created(update, context, cohort)


async def _cohort_button(update: Update, context: BotContext, action: str, code: str) -> None:
    query = update.callback_query
    assert query is not None and update.effective_chat is not None
    svc = context.svc
    cohort = svc.config.cohort(code)
    if cohort is None or not _may_run(svc, update, cohort, f"button {action}"):
        await replies.ack(query, screens.NOT_YOURS, alert=True)
        return
    await replies.ack(query)
    if action == "k":
        await send_card(context, update.effective_chat.id, cohort)
    elif action == "e":
        await _start_edit(update, context, cohort)
    else:
        await _reply(update, await _status_line(svc, cohort))


# changing and cancelling --------------------------------------------------------------------


async def _start_edit(update: Update, context: BotContext, cohort: Cohort) -> None:
    svc = context.svc
    user = _user_id(update)
    assert user is not None
    found = await cohorts.entry(svc, cohort.code)
    assert found is not None
    await cohorts.save_draft(svc, user, "edit", {"code": cohort.code})
    await _reply(update, screens.ask_edit(found, svc.config.bot.timezone))


async def _apply_edit(update: Update, context: BotContext, code: str, line: str) -> None:
    """Apply `site …`, `times …` or `end …` to a cohort and reschedule its events."""
    svc = context.svc
    user = _user_id(update)
    assert user is not None
    tz = svc.config.bot.timezone
    cohort = svc.config.cohort(code)
    if cohort is None:
        raise CohortError(f"There is no cohort with the code {code}.")
    what, _, rest = line.strip().partition(" ")
    what = what.lower()
    if what == "site":
        before, after = await cohorts.edit(svc, code, cohorts.actor(svc, user), site=rest)
    elif what in ("times", "time", "when"):
        start, end = parse_session(rest, tz, svc.now())
        before, after = await cohorts.edit(
            svc, code, cohorts.actor(svc, user), start=start, end=end
        )
    elif what == "end":
        today = svc.now().astimezone(tz).date()
        end = parse_moment(rest, tz, cohort.end.astimezone(tz).date(), today)
        before, after = await cohorts.edit(svc, code, cohorts.actor(svc, user), end=end)
    else:
        raise Usage(screens.USAGE_EDIT)
    log.info("cohort %s changed by user %s", code, user)
    await _reply(update, screens.edited(before, after, tz))
    await scheduler.reschedule(context.application)


@staff_only
async def editcohort(update: Update, context: BotContext) -> None:
    """/editcohort CODE [site …|times …|end …]: change a cohort that has not ended."""
    cohort = await _cohort_arg(update, context, screens.USAGE_EDIT)
    if cohort is None:
        return
    args = (context.args or [])[1:]
    try:
        if args:
            await _apply_edit(update, context, cohort.code, " ".join(args))
            return
        await cohorts.changeable(context.svc, cohort.code)
        if update.effective_chat is None or update.effective_chat.type != "private":
            await _reply(update, screens.PRIVATE_DIALOGUE)
            return
        await _start_edit(update, context, cohort)
    except (CohortError, DateError) as exc:
        await _problem(update, exc)


@staff_only
async def cancelcohort(update: Update, context: BotContext) -> None:
    """/cancelcohort CODE: delete it if nobody joined, else archive it."""
    cohort = await _cohort_arg(update, context, screens.USAGE_CANCEL)
    if cohort is None:
        return
    svc = context.svc
    user = _user_id(update)
    assert user is not None
    try:
        outcome = await cohorts.cancel(
            svc,
            cohort.code,
            cohorts.actor(svc, user),
            schedule.cancelled_events(svc.config.schedule),
        )
    except CohortError as exc:
        await _problem(update, exc)
        return
    log.info("cohort %s %s by user %s", cohort.code, outcome, user)
    await _reply(update, screens.cancel_outcome(cohort.code, outcome))
    await scheduler.reschedule(context.application)


@staff_only
async def cancel_dialogue(update: Update, context: BotContext) -> None:
    """/cancel: leave a /newcohort or /editcohort dialogue."""
    user = _user_id(update)
    assert user is not None
    had = await cohorts.load_draft(context.svc, user)
    await cohorts.drop_draft(context.svc, user)
    await _reply(update, screens.cancelled_dialogue() if had else "Nothing to cancel.")


# listing and status ----------------------------------------------------------------------------


@staff_only
async def list_cohorts(update: Update, context: BotContext) -> None:
    """/cohorts: the cohorts this person runs, with their state, history and buttons."""
    svc = context.svc
    user = _user_id(update)
    assert user is not None and update.effective_message is not None
    visible = [e for e in await cohorts.entries(svc) if cohorts.runs(svc.config, user, e.cohort)]
    shown, more = screens.most_relevant(visible, svc.now())
    tz = svc.config.bot.timezone
    windows = await cohorts.windows_of(svc, [e.cohort for e in shown])
    phases = {code: screens.windows_line(w, svc.now(), tz) for code, w in windows.items()}
    text, markup = screens.listing(shown, more, svc.config, svc.now(), phases)
    await update.effective_message.reply_text(text, reply_markup=markup)


async def _status_line(svc: Services, cohort: Cohort) -> str:
    counts, phase = await cohorts.progress(svc, cohort)
    return screens.status(cohort, counts, phase)


async def facilitator_status(update: Update, context: BotContext) -> None:
    """/status for a facilitator: their own cohorts only."""
    svc = context.svc
    user = _user_id(update)
    assert user is not None
    lines = [
        await _status_line(svc, c)
        for c in sorted(svc.config.cohorts.values(), key=lambda c: c.start)
        if cohorts.runs(svc.config, user, c)
    ]
    await _reply(
        update,
        "\n".join(["<b>Your cohorts</b>", *lines])
        if lines
        else "You have no cohorts yet. /newcohort makes one.",
    )
    raise ApplicationHandlerStop


async def facilitator_remind(update: Update, context: BotContext) -> None:
    """/remind CODE for a facilitator: only a cohort of theirs."""
    svc = context.svc
    cohort = await _cohort_arg(update, context, "Usage: /remind &lt;cohort&gt;")
    if cohort is not None:
        reminded = await lifecycle.remind_now(context.bot, svc, cohort)
        if reminded is None:
            await _reply(update, f"No questionnaire of <code>{cohort.code}</code> is open.")
        else:
            await _reply(update, f"Reminder sent to {reminded[0]} participant(s) of {cohort.code}.")
    raise ApplicationHandlerStop


def register(application: Application[Any, Any, Any, Any, Any, Any], config: Config) -> None:
    """Add the cohort commands; facilitators' /status and /remind take precedence (group -1)
    over the admin-only ones, which refuse them."""
    facilitators = filters.User(
        user_id=[u for u in config.bot.facilitators if u not in config.bot.admins]
    )
    staff = filters.User(user_id=[*config.bot.admins, *config.bot.facilitators])
    application.add_handler(CommandHandler("status", facilitator_status, facilitators), -1)
    application.add_handler(CommandHandler("remind", facilitator_remind, facilitators), -1)
    application.add_handler(
        MessageHandler(
            filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE & staff, dialogue_text
        ),
        -1,
    )
    application.add_handler(CommandHandler("newcohort", newcohort))
    application.add_handler(CommandHandler("editcohort", editcohort))
    application.add_handler(CommandHandler("cancelcohort", cancelcohort))
    application.add_handler(CommandHandler("card", card_command))
    application.add_handler(CommandHandler("cohorts", list_cohorts))
    application.add_handler(CommandHandler("cancel", cancel_dialogue, staff))
    application.add_handler(
        CallbackQueryHandler(dialogue_button, pattern=flow.taps(flow.CohortTap))
    )
