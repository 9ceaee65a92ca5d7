"""The programme team's commands: /status and /remind for admins and facilitators (on
the cohorts they run), /open, /close, /report, /export and the export button for admins.

Thin: each parses its arguments, calls a plain function of core.admin (or the lifecycle
and the outbox), and shows the result with admin_screens. bot.guard decides who may.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from functools import partial
from html import escape
from typing import Any

from telegram import Update
from telegram.ext import Application

from analysis.posts import export_files, follow_up_posts, summary_posts
from analysis.scope import ScopeError, resolve_scope
from bot import lifecycle, notify, outbox, replies, scheduler
from bot.context import BotContext
from bot.guard import admin_command, may_tap, own_cohort, staff_command
from bot.handlers import add_handlers
from bot.screens import admin as admin_screens
from bot.screens import cohorts as cohort_screens
from core import admin, callbacks, cohorts, schedule
from core.config import Cohort
from core.periods import Period, parse_period
from core.questionnaire import ALL_PHASES, Phase
from core.services import Services
from core.storage import PostContent

log = logging.getLogger(__name__)


async def _reply(update: Update, text: str) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(text)


def _user(update: Update) -> int:
    assert update.effective_user is not None  # the guard let them in
    return update.effective_user.id


@staff_command
async def status(update: Update, context: BotContext) -> None:
    """Live counts for every cohort of this person's with a questionnaire open now, by site."""
    svc, user = context.svc, _user(update)
    open_now = await admin.open_cohorts(svc, user)
    everyone = cohorts.role_of(svc.config, user) == "admin"
    await _reply(update, admin_screens.status(open_now, svc.config.bot.timezone, everyone))


def _cohort_and_phase(svc: Services, args: list[str]) -> tuple[Cohort, Phase] | str:
    # "follow-up" as people type it, "follow_up" as the menu spells it.
    named = args[1].lower().replace("-", "_") if len(args) == 2 else ""
    phase = next((p for p in ALL_PHASES if p == named), None)
    if phase is None:
        return admin_screens.USAGE_WINDOW
    cohort = svc.config.cohort(args[0])
    if cohort is None:
        return admin_screens.unknown_cohort(args[0])
    if phase not in svc.config.module_of(cohort).phases:
        return admin_screens.no_follow_up(cohort.code)
    return cohort, phase


async def _set_window(update: Update, context: BotContext, opening: bool) -> None:
    svc = context.svc
    parsed = _cohort_and_phase(svc, context.args or [])
    if isinstance(parsed, str):
        await _reply(update, parsed)
        return
    cohort, phase = parsed
    user = update.effective_user.id if update.effective_user else None
    window = await admin.set_window(svc, cohort, phase, opening=opening, admin=user)
    tz = svc.config.bot.timezone
    await _reply(update, admin_screens.window_set(cohort.code, phase, window, opening, tz))
    # Opening post pushes it; closing post brings the summary: look at once.
    await scheduler.reschedule(context.application)


@admin_command
async def open_command(update: Update, context: BotContext) -> None:
    """Open a cohort's questionnaire now (stored; survives restarts)."""
    await _set_window(update, context, opening=True)


@admin_command
async def close_command(update: Update, context: BotContext) -> None:
    """Close a cohort's questionnaire now."""
    await _set_window(update, context, opening=False)


@staff_command
async def remind_command(update: Update, context: BotContext) -> None:
    """Remind everyone in a cohort of this person's who has not submitted the open
    questionnaire, now."""
    svc = context.svc
    args = context.args or []
    if len(args) != 1:
        await _reply(update, admin_screens.USAGE_REMIND)
        return
    cohort = own_cohort(svc.config, _user(update), args[0], "/remind")
    if cohort is None:
        await _reply(update, cohort_screens.no_cohort_of_yours(args[0]))
        return
    reminded = await lifecycle.remind_now(context.bot, svc, cohort)
    if reminded is None:
        await _reply(update, admin_screens.none_open(cohort.code))
        return
    sent, complete = reminded
    await _reply(update, admin_screens.reminded(cohort.code, sent, complete))


# How people write the follow-up after a cohort's code in /report.
FOLLOW_UP_WORDS = ("followup", "follow-up", "follow_up")


@admin_command
async def report(update: Update, context: BotContext) -> None:
    """Post a summary here, or with `channel` to the facilitators' chat; a module's for one
    month, quarter or year with a period (`2026-03`, `2026-Q1`, `2026`); a cohort's
    follow-up summary with `followup`."""
    svc = context.svc
    args = context.args or []
    scope = admin.scope_of(svc.config, args[0]) if args else None
    rest = args[1:]
    to_channel = bool(rest) and rest[-1].lower() == "channel"
    if to_channel:
        rest = rest[:-1]
    follow_up = len(rest) == 1 and rest[0].lower() in FOLLOW_UP_WORDS
    period = parse_period(rest[0]) if len(rest) == 1 and not follow_up else None
    if (
        scope is None
        or len(rest) > 1
        or (follow_up and scope[0] is None)
        or (rest and not follow_up and (period is None or scope[1] is None))
    ):
        await _reply(update, admin_screens.USAGE_REPORT)
        return
    cohort_code, module_id = scope
    if cohort_code is not None and follow_up:
        await _follow_up_report(update, context, cohort_code, to_channel)
        return
    since, until = (period.first, period.last) if period else (None, None)
    try:
        codes = resolve_scope(
            svc.config, cohort=cohort_code, module=module_id, since=since, until=until
        ).codes
    except ScopeError as exc:
        await _reply(update, escape(str(exc)))
        return
    if await lifecycle.respondents(svc, codes) == 0:
        name = codes[0] if cohort_code else f"module {module_id}"
        name += f", {period.words}" if period else ""
        await _reply(update, admin_screens.no_responses(name))
        return
    # The button under it exports what the report covers: a period's cohorts, if one is named.
    marker = callbacks.encode(
        callbacks.Export(cohort_code, module_id, period.label if period else None)
    )
    await _post_report(
        update,
        context,
        request=f"report:{cohort_code or module_id}:{period.label if period else 'all'}",
        cohort=svc.config.cohort(cohort_code) if cohort_code else None,
        to_channel=to_channel,
        posts=partial(summary_posts, svc.config, cohort_code, module_id, marker, since, until),
        queued=admin_screens.REPORT_QUEUED,
    )


async def _follow_up_report(
    update: Update, context: BotContext, code: str, to_channel: bool
) -> None:
    """`/report CODE followup [channel]`: the cohort's follow-up summary again, here or
    to the facilitators' chat, in the shape it was posted in when the follow-up closed."""
    svc = context.svc
    cohort = svc.config.cohorts[code]
    if svc.config.module_of(cohort).follow_up is None:
        await _reply(update, admin_screens.no_follow_up(code))
        return
    async with svc.db.read() as tx:
        answered = await tx.follow_up.respondents(code)
    if answered == 0:
        await _reply(update, admin_screens.no_follow_up_answers(code))
        return
    marker = callbacks.encode(callbacks.Export(code))
    await _post_report(
        update,
        context,
        request=f"report:{code}:follow-up",
        cohort=cohort,
        to_channel=to_channel,
        posts=partial(follow_up_posts, svc.config, code, marker),
        queued=admin_screens.FOLLOW_UP_QUEUED,
    )


async def _post_report(
    update: Update,
    context: BotContext,
    *,
    request: str,
    cohort: Cohort | None,
    to_channel: bool,
    posts: Callable[[], list[PostContent]],
    queued: str,
) -> None:
    """Send a summary's posts here, or queue them once for the facilitators' chat.

    `request` names what is asked for; each asking is posted once, named by the command
    message that asked (so the same update handed over twice is stored once).
    `posts` computes them (blocking: run in a worker thread, after the cheap checks)."""
    svc = context.svc
    chat, message = update.effective_chat, update.effective_message
    assert chat is not None and message is not None
    target = None
    if to_channel:
        target = (
            schedule.facilitators_chat(svc, cohort) if cohort else svc.config.bot.facilitators_chat
        )
        if target is None:
            await _reply(update, admin_screens.NO_FACILITATORS_CHAT)
            return
    try:
        made = await asyncio.to_thread(posts)
    except ScopeError as exc:
        await _reply(update, escape(str(exc)))
        return
    if target is None:
        unconfirmed = await outbox.send_now(context.bot, chat.id, made)
        if unconfirmed:
            parts = [post.kind for post in unconfirmed]
            asked = " ".join(context.args or [])
            await _reply(update, admin_screens.report_unconfirmed(parts, asked))
        return
    batch = outbox.request_batch(request, chat.id, message.message_id)
    await outbox.enqueue(svc, batch, target, made, svc.now())
    await _reply(update, queued)
    await lifecycle.run_due(context.bot, svc, notify.reporter(context.application))


async def _send_exports(
    context: BotContext,
    chat_id: int,
    cohort: str | None,
    module: str | None,
    period: Period | None = None,
) -> None:
    """The answers of a scope as CSV and XLSX documents, each captioned with what it covers."""
    config = context.svc.config
    since, until = (period.first, period.last) if period else (None, None)
    try:
        scope = resolve_scope(config, cohort=cohort, module=module, since=since, until=until)
    except ScopeError as exc:  # the cohorts have changed since the button was posted
        await context.bot.send_message(chat_id, escape(str(exc)))
        return
    files = await asyncio.to_thread(export_files, config, cohort, module, since, until)
    title = config.modules[scope.module].title
    caption = admin_screens.export_caption(title, scope.label, scope.codes)
    for name, data in files:
        await context.bot.send_document(chat_id, data, filename=name, caption=caption)


@admin_command
async def export(update: Update, context: BotContext) -> None:
    """Send the answers as CSV and XLSX documents; a module's for one month, quarter or year
    with a period, as /report takes it."""
    args = context.args or []
    scope = admin.scope_of(context.svc.config, args[0]) if len(args) in (1, 2) else None
    period = parse_period(args[1]) if len(args) == 2 else None
    if scope is None or (len(args) == 2 and (period is None or scope[1] is None)):
        await _reply(update, admin_screens.USAGE_EXPORT)
        return
    assert update.effective_chat is not None
    await _send_exports(context, update.effective_chat.id, *scope, period)


async def export_button(update: Update, context: BotContext) -> None:
    """The 📥 button under a summary: admins get the exports in a private chat."""
    tap = await replies.tapped(update, callbacks.Export)
    if tap is None:
        return
    query, action = tap
    if not await may_tap(query, context.svc.config, admins_only=True):
        return
    await replies.ack(query, admin_screens.EXPORT_STARTED)
    period = parse_period(action.period) if action.period else None
    try:
        await _send_exports(context, query.from_user.id, action.cohort, action.module, period)
    except Exception:
        log.exception("export for admin %s failed", query.from_user.id)
        raise


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add the programme team's commands (usable in any chat)."""
    add_handlers(
        application,
        {
            "status": status,
            "open": open_command,
            "close": close_command,
            "remind": remind_command,
            "report": report,
            "export": export,
        },
        taps={callbacks.Export: export_button},
    )
