"""Admin commands: status, cohorts, open/close, remind, report, export — admins only."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Coroutine
from datetime import datetime
from html import escape
from typing import Any

from telegram import InputMediaPhoto, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from analysis.scope import ScopeError
from bot import lifecycle, outbox, scheduler
from bot.context import BotContext
from bot.handlers import replies
from bot.summaries import export_files, summary_posts
from core import flow
from core.config import Cohort
from core.journey import cohort_windows
from core.questionnaire import PHASES, Phase
from core.services import Services

log = logging.getLogger(__name__)

REFUSAL = "Sorry — this command is only for the programme team."
Handler = Callable[[Update, BotContext], Coroutine[Any, Any, None]]

ADMIN_COMMANDS = {
    "status": "live counts per open cohort",
    "cohorts": "list cohorts and their questionnaires",
    "report": "<cohort|module> [channel] — post the summary",
    "export": "<cohort|module> — answers as CSV and XLSX",
    "open": "<cohort> pre|post — open a questionnaire now",
    "close": "<cohort> pre|post — close a questionnaire now",
    "remind": "<cohort> — remind those who have not finished",
}


def is_admin(svc: Services, user_id: int | None) -> bool:
    return user_id is not None and user_id in svc.config.bot.admins


def admin_only(handler: Handler) -> Handler:
    """Refuse anyone not listed as an admin, log the attempt, and do nothing else."""

    @functools.wraps(handler)
    async def guarded(update: Update, context: BotContext) -> None:
        user = update.effective_user
        if not is_admin(context.svc, user.id if user else None):
            message = update.effective_message
            command = (message.text or "?").split()[0][:40] if message else "?"
            log.warning("refused admin command %s from user %s", command, user.id if user else None)
            if update.effective_message is not None:
                await update.effective_message.reply_text(REFUSAL)
            return
        await handler(update, context)

    return guarded


async def _reply(update: Update, text: str) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(text)


def _when(moment: datetime | None, svc: Services) -> str:
    if moment is None:
        return "until closed"
    return moment.astimezone(svc.config.bot.timezone).strftime("%d %b %H:%M")


@admin_only
async def status(update: Update, context: BotContext) -> None:
    """Live counts for every cohort with a questionnaire open now, by site."""
    svc = context.svc
    now = svc.now()
    by_site: dict[str, list[str]] = {}
    async with svc.db.read() as tx:
        for cohort in svc.config.cohorts.values():
            windows = await cohort_windows(tx, svc, cohort)
            phase = flow.open_phase(windows, now)
            if phase is None:
                continue
            c = await tx.cohort_counts(cohort.code)
            by_site.setdefault(cohort.site, []).append(
                f"<code>{cohort.code}</code> ({phase} open until "
                f"{_when(windows[phase].closes, svc)}): {c['joined']} joined · "
                f"pre {c['pre_submitted']}/{c['pre_started']} submitted/started · "
                f"post {c['post_submitted']}/{c['post_started']}"
            )
    if not by_site:
        await _reply(update, "No questionnaire is open right now. /cohorts lists them all.")
        return
    lines = ["<b>Open cohorts</b>"]
    for site in sorted(by_site):
        lines += ["", f"<b>{escape(site)}</b>", *by_site[site]]
    await _reply(update, "\n".join(lines))


def _cohort_and_phase(svc: Services, args: list[str]) -> tuple[Cohort, Phase] | str:
    if len(args) != 2 or args[1].lower() not in PHASES:
        return "Usage: /open &lt;cohort&gt; pre|post (or /close …)"
    cohort = svc.config.cohort(args[0])
    if cohort is None:
        return f"No cohort with code <code>{escape(args[0][:30])}</code>. See /cohorts."
    phase: Phase = "pre" if args[1].lower() == "pre" else "post"
    return cohort, phase


async def _set_window(update: Update, context: BotContext, opening: bool) -> None:
    svc = context.svc
    parsed = _cohort_and_phase(svc, context.args or [])
    if isinstance(parsed, str):
        await _reply(update, parsed)
        return
    cohort, phase = parsed
    now = svc.now()
    async with svc.db.write() as tx:
        current = (await cohort_windows(tx, svc, cohort))[phase]
        default = flow.default_window(cohort, phase, svc.config.schedule)
        window = (
            flow.opened_window(current, default, phase, svc.config.schedule, now)
            if opening
            else flow.closed_window(current, now)
        )
        admin = update.effective_user.id if update.effective_user else None
        await tx.set_window(cohort.code, phase, window.opens, window.closes, admin, now)
    log.info("admin %s %s %s %s", admin, "opened" if opening else "closed", cohort.code, phase)
    verb = "open until " + _when(window.closes, svc) if opening else "closed"
    await _reply(update, f"The {phase} questionnaire of <code>{cohort.code}</code> is now {verb}.")
    # Opening post pushes it; closing post brings the summary: look at once.
    await scheduler.reschedule(context.application)


@admin_only
async def open_command(update: Update, context: BotContext) -> None:
    """Open a cohort's questionnaire now (stored; survives restarts)."""
    await _set_window(update, context, opening=True)


@admin_only
async def close_command(update: Update, context: BotContext) -> None:
    """Close a cohort's questionnaire now."""
    await _set_window(update, context, opening=False)


@admin_only
async def remind_command(update: Update, context: BotContext) -> None:
    """Remind everyone who has not submitted the open questionnaire, now."""
    svc = context.svc
    args = context.args or []
    cohort = svc.config.cohort(args[0]) if len(args) == 1 else None
    if cohort is None:
        await _reply(update, "Usage: /remind &lt;cohort&gt; — see /cohorts for the codes.")
        return
    async with svc.db.read() as tx:
        windows = await cohort_windows(tx, svc, cohort)
    phase = flow.open_phase(windows, svc.now())
    if phase is None:
        await _reply(update, f"No questionnaire of <code>{cohort.code}</code> is open.")
        return
    kind = f"manual_{svc.now().strftime('%Y%m%dT%H%M%S')}"
    text = lifecycle.reminder_text(svc, cohort, windows[phase])
    sent, complete = await lifecycle.message_participants(
        context.bot, svc, cohort, kind, phase, text, "Continue ▶"
    )
    note = "" if complete else " (some could not be reached; try again later)"
    await _reply(
        update, f"Reminder sent to {sent} participant(s) of <code>{cohort.code}</code>{note}."
    )


def _scope_args(svc: Services, args: list[str]) -> tuple[str | None, str | None] | None:
    if not args:
        return None
    name = args[0]
    if svc.config.cohort(name) is not None:
        return name, None
    if name in svc.config.modules:
        return None, name
    return None


@admin_only
async def report(update: Update, context: BotContext) -> None:
    """Post a summary here, or with `channel` to the facilitators' chat."""
    svc = context.svc
    args = context.args or []
    scope = _scope_args(svc, args)
    to_channel = len(args) == 2 and args[1].lower() == "channel"
    if scope is None or len(args) > 2 or (len(args) == 2 and not to_channel):
        await _reply(update, "Usage: /report &lt;cohort|module&gt; [channel]")
        return
    cohort_code, module_id = scope
    marker = lifecycle.export_marker(cohort_code, module_id)
    try:
        posts = await asyncio.to_thread(summary_posts, svc.config, cohort_code, module_id, marker)
    except ScopeError as exc:
        await _reply(update, escape(str(exc)))
        return
    chat = update.effective_chat
    assert chat is not None
    if to_channel:
        cohort = svc.config.cohort(cohort_code) if cohort_code else None
        target = (
            lifecycle.facilitators_chat(svc, cohort) if cohort else svc.config.bot.facilitators_chat
        )
        if target is None:
            await _reply(update, "No facilitators' chat is configured.")
            return
        batch = f"report:{cohort_code or module_id}:{svc.now().isoformat()}"
        await outbox.enqueue(svc, batch, target, posts, svc.now())
        await _reply(update, "The summary is on its way to the facilitators' chat.")
        await lifecycle.run_due(context.bot, svc, scheduler.reporter(context.application))
        return
    for post in posts:
        if post.kind == "text":
            markup = outbox.export_button(post.marker) if post.marker else None
            await context.bot.send_message(chat.id, post.body, reply_markup=markup)
        else:
            media = [
                InputMediaPhoto(data, filename=name, caption=post.body if i == 0 else None)
                for i, (name, data) in enumerate(post.files)
            ]
            await context.bot.send_media_group(chat.id, media)


async def _send_exports(
    context: BotContext, chat_id: int, cohort: str | None, module: str | None
) -> None:
    files = await asyncio.to_thread(export_files, context.svc.config, cohort, module)
    for name, data in files:
        await context.bot.send_document(chat_id, data, filename=name)


@admin_only
async def export(update: Update, context: BotContext) -> None:
    """Send the answers as CSV and XLSX documents."""
    scope = _scope_args(context.svc, context.args or [])
    if scope is None or len(context.args or []) != 1:
        await _reply(update, "Usage: /export &lt;cohort|module&gt;")
        return
    assert update.effective_chat is not None
    await _send_exports(context, update.effective_chat.id, *scope)


async def export_button(update: Update, context: BotContext) -> None:
    """The 📥 button under a summary: admins get the exports in a private chat."""
    query = update.callback_query
    assert query is not None
    scope = lifecycle.parse_export_marker(query.data or "")
    if not is_admin(context.svc, query.from_user.id) or scope is None:
        log.warning("refused export button from user %s", query.from_user.id)
        await replies.ack(query, REFUSAL, alert=True)
        return
    await replies.ack(query, "Sending the exports to you privately…")
    try:
        await _send_exports(context, query.from_user.id, *scope)
    except Exception:
        log.exception("export for admin %s failed", query.from_user.id)
        raise


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add the admin commands (usable in any chat, by admins only)."""
    application.add_handler(CommandHandler("status", status))
    application.add_handler(CommandHandler("open", open_command))
    application.add_handler(CommandHandler("close", close_command))
    application.add_handler(CommandHandler("remind", remind_command))
    application.add_handler(CommandHandler("report", report))
    application.add_handler(CommandHandler("export", export))
    application.add_handler(CallbackQueryHandler(export_button, pattern=r"^x:"))
