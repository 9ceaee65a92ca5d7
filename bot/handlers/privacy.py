"""What a participant can do about their data: see it all (/mydata), erase it (/forgetme)."""

from __future__ import annotations

import logging
from datetime import timedelta
from html import escape
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.context import BotContext
from bot.handlers import replies
from core.services import Services
from core.storage import parse_utc

log = logging.getLogger(__name__)

MESSAGE_LIMIT = 4000
ERASE, KEEP = "f:y", "f:n"


def _when(svc: Services, stamp: object) -> str:
    if not isinstance(stamp, str):
        return "—"
    return parse_utc(stamp).astimezone(svc.config.bot.timezone).strftime("%d %b %Y %H:%M")


def describe(svc: Services, records: list[dict[str, Any]]) -> list[str]:
    """A plain account of every stored item, split into messages Telegram accepts."""
    if not records:
        return ["Nothing is stored about you."]
    lines = ["<b>What is stored about you</b>"]
    for record in records:
        cohort = svc.config.cohort(str(record["cohort"]))
        module = svc.config.module_of(cohort) if cohort else None
        title = module.title if module else record["cohort"]
        lines += [
            "",
            f"<b>{escape(str(title))}</b> · cohort <code>{escape(str(record['cohort']))}</code>",
            f"Pseudonymous id in reports and exports: <code>{record['pseudonym']}</code>",
            f"Joined {_when(svc, record['joined_at'])}; agreed to the privacy notice "
            f"(version {record['notice_version']}) {_when(svc, record['consented_at'])}",
        ]
        for phase, started, submitted in record["responses"]:
            state = f"submitted {_when(svc, submitted)}" if submitted else "not submitted"
            lines.append(
                f"{phase.capitalize()} questionnaire: started {_when(svc, started)}, {state}"
            )
        for phase, question_id, value, answered in record["answers"]:
            question = module.any_question(question_id) if module else None
            label = question.label if question else question_id
            shown = "<i>skipped</i>" if value is None else escape(str(value))
            lines.append(f"• {phase}: {escape(label)}: {shown} ({_when(svc, answered)})")
        for kind, sent in record["deliveries"]:
            lines.append(f"Message sent to you: {escape(str(kind))} ({_when(svc, sent)})")
    lines += [
        "",
        "Your name, username and Telegram id are not in any report or export. "
        "/forgetme erases all of the above.",
    ]
    return _chunks(lines)


def _chunks(lines: list[str]) -> list[str]:
    messages: list[str] = []
    current = ""
    for line in lines:
        line = line[:MESSAGE_LIMIT]
        if len(current) + len(line) + 1 > MESSAGE_LIMIT:
            messages.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    return [*messages, current] if current else messages


async def mydata(update: Update, context: BotContext) -> None:
    """Show everything stored about the person asking."""
    user, message = update.effective_user, update.effective_message
    assert user is not None and message is not None
    async with context.svc.db.read() as tx:
        records = await tx.personal_records(user.id)
    for text in describe(context.svc, records):
        await message.reply_text(text)


async def forgetme(update: Update, context: BotContext) -> None:
    """Ask for confirmation before erasing everything."""
    message = update.effective_message
    assert message is not None
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton("Erase everything", callback_data=ERASE),
          InlineKeyboardButton("Keep my answers", callback_data=KEEP)]]
    )  # fmt: skip
    await message.reply_text(
        "This erases everything stored about you — every answer in every cohort — and stops "
        "all reminders. Summaries already sent to facilitators cannot be recalled. "
        "Erase now?",
        reply_markup=keyboard,
    )


async def forget_button(update: Update, context: BotContext) -> None:
    """Erase in one transaction, or leave everything as it is."""
    query = update.callback_query
    assert query is not None
    await replies.ack(query)  # too old to answer: act on it all the same
    message = query.message
    if query.data != ERASE:
        if isinstance(message, Message):
            await replies.edit(message, "Nothing was erased.")
        return
    async with context.svc.db.write() as tx:
        cohorts, answers = await tx.erase_person(query.from_user.id)
    log.info("erased a participant's data: %s cohort(s), %s answer(s)", cohorts, answers)
    if cohorts == 0 and isinstance(message, Message) and "erased" in (message.text or ""):
        return  # a second tap on the same button: already done and said
    if isinstance(message, Message):
        await replies.edit(
            message,
            f"Done: everything about you is erased ({answers} answer(s) in {cohorts} "
            "cohort(s)). You will get no more reminders. You can join again any time with a "
            "cohort code.",
        )


async def purge_expired(svc: Services) -> int:
    """Delete the answers of cohorts that ended longer ago than the retention period."""
    days = svc.config.privacy.retain_days
    if days <= 0:
        return 0
    async with svc.db.write() as tx:
        purged = await tx.purge_cohorts_ended_before(svc.now() - timedelta(days=days))
    if purged:
        log.info("retention: erased %s participant record(s) older than %s days", purged, days)
    return purged


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("mydata", mydata, filters=private))
    application.add_handler(CommandHandler("forgetme", forgetme, filters=private))
    application.add_handler(CallbackQueryHandler(forget_button, pattern=r"^f:[yn]$"))
