"""A cohort's life after the module, carried out: push the post questionnaire, remind,
queue the summary and the digests for the outbox; weeks later, the same for the follow-up.

What falls due when is ``core/schedule.py``'s to say, from the database, so a restart
neither loses nor repeats anything: jobs in PTB's JobQueue only say *when* to look.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import Forbidden, TelegramError

from analysis.posts import follow_up_posts, summary_posts
from analysis.scope import ScopeError, resolve_scope
from bot import outbox
from bot.screens import participant as screens
from core import admin, callbacks, cohorts, schedule
from core.config import Cohort
from core.journey import cohort_windows
from core.privacy import purge_expired
from core.questionnaire import FOLLOW_UP, Phase
from core.schedule import (
    DIGEST,
    FOLLOW_UP_PUSH,
    FOLLOW_UP_SUMMARY,
    PUSH,
    SUMMARY,
    Event,
    ModuleReportDue,
    facilitators_chat,
)
from core.services import Services
from core.storage import PostContent
from core.windows import Window

log = logging.getLogger(__name__)


def begin_button(cohort: Cohort, phase: Phase, label: str) -> InlineKeyboardMarkup:
    data = callbacks.encode(callbacks.Begin(cohort.code, phase))
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data)]])


async def message_participants(
    bot: Bot, svc: Services, cohort: Cohort, kind: str, phase: Phase, text: str, button: str
) -> tuple[int, bool]:
    """Send `text` once to every consenting participant who has not submitted `phase` (the
    follow-up: only those it is for); returns (how many were sent, whether everyone was
    reached)."""
    async with svc.db.read() as tx:
        if phase == FOLLOW_UP:
            targets = await tx.follow_up.targets(cohort.code, kind)
        else:
            targets = await tx.deliveries.reachable(cohort.code, phase, kind)
    markup = begin_button(cohort, phase, button)
    sent = 0
    for participant_id, telegram_id in targets:
        try:
            await bot.send_message(telegram_id, text, reply_markup=markup)
        except Forbidden:
            log.info("participant %s has blocked the bot; not messaged", participant_id)
        except TelegramError as exc:
            # Try again at the next tick; those already reached are recorded.
            log.warning("could not message participant %s: %s", participant_id, exc)
            return sent, False
        else:
            sent += 1
        async with svc.db.write() as tx:
            await tx.deliveries.record(participant_id, kind, svc.now())
    return sent, True


async def push_post(bot: Bot, svc: Services, cohort: Cohort, window: Window) -> bool:
    module = svc.config.module_of(cohort)
    text = screens.post_push(module.title, window.closes, svc.config.bot.timezone)
    _, complete = await message_participants(
        bot, svc, cohort, PUSH, "post", text, screens.START_POST
    )
    return complete


async def push_follow_up(bot: Bot, svc: Services, cohort: Cohort, window: Window) -> bool:
    module = svc.config.module_of(cohort)
    text = screens.follow_up_push(module.title, window.closes, svc.config.bot.timezone)
    _, complete = await message_participants(
        bot, svc, cohort, FOLLOW_UP_PUSH, FOLLOW_UP, text, screens.START_POST
    )
    return complete


def reminder_text(svc: Services, cohort: Cohort, phase: Phase, window: Window) -> str:
    module = svc.config.module_of(cohort)
    tz = svc.config.bot.timezone
    if phase == FOLLOW_UP:
        return screens.follow_up_reminder(module.title, window.closes, tz)
    return screens.reminder(module.title, window.closes, tz)


async def remind(
    bot: Bot, svc: Services, cohort: Cohort, kind: str, phase: Phase, window: Window
) -> bool:
    text = reminder_text(svc, cohort, phase, window)
    _, complete = await message_participants(
        bot, svc, cohort, kind, phase, text, screens.CONTINUE_POST
    )
    return complete


async def respondents(svc: Services, codes: Sequence[str]) -> int:
    """How many people in these cohorts responded (gave at least one answer)."""
    async with svc.db.read() as tx:
        return await tx.status.respondents(codes)


async def queue_summary(svc: Services, cohort: Cohort) -> bool:
    """Compute the cohort's summary (in a worker thread) and queue it, exactly once.

    A cohort nobody responded to gets no summary: four empty charts help no one. The
    event is still marked done, so that it is neither retried nor logged again.
    """
    chat = facilitators_chat(svc, cohort)
    if chat is None:
        log.warning("no facilitators' chat for %s: summary not posted", cohort.code)
        async with svc.db.write() as tx:
            await tx.events.mark(cohort.code, SUMMARY, svc.now())
        return True
    if await respondents(svc, (cohort.code,)) == 0:
        async with svc.db.write() as tx:
            if await tx.events.mark(cohort.code, SUMMARY, svc.now()):
                log.info(
                    "no summary for %s: nobody responded (answers imported later can be "
                    "posted with /report %s channel)",
                    cohort.code,
                    cohort.code,
                )
        return True
    batch = f"summary:{cohort.code}"
    posts = await asyncio.to_thread(
        summary_posts,
        svc.config,
        cohort.code,
        None,
        callbacks.encode(callbacks.Export(cohort.code)),
    )
    now = svc.now()
    async with svc.db.write() as tx:
        if await tx.events.mark(cohort.code, SUMMARY, now):
            await tx.outbox.add_batch(batch, chat, posts, now)
            log.info("summary for %s queued", cohort.code)
    return True


async def queue_follow_up_summary(svc: Services, cohort: Cohort) -> bool:
    """Compute the cohort's follow-up summary (in a worker thread) and queue it, exactly
    once: one message, the charts as one album, the report with its follow-up section.

    As with the summary, a follow-up nobody answered gets no post, only a log line.
    """
    chat = facilitators_chat(svc, cohort)
    async with svc.db.read() as tx:
        answered = await tx.follow_up.respondents(cohort.code)
    if chat is None or answered == 0:
        async with svc.db.write() as tx:
            if await tx.events.mark(cohort.code, FOLLOW_UP_SUMMARY, svc.now()):
                why = "no facilitators' chat" if chat is None else "nobody answered it"
                log.info("no follow-up summary for %s: %s", cohort.code, why)
        return True
    posts = await asyncio.to_thread(
        follow_up_posts, svc.config, cohort.code, callbacks.encode(callbacks.Export(cohort.code))
    )
    now = svc.now()
    async with svc.db.write() as tx:
        if await tx.events.mark(cohort.code, FOLLOW_UP_SUMMARY, now):
            await tx.outbox.add_batch(f"follow-up:{cohort.code}", chat, posts, now)
            log.info("follow-up summary for %s queued", cohort.code)
    return True


async def queue_digest(svc: Services, cohort: Cohort, event: Event, now: datetime) -> bool:
    """A short daily progress post; one that is hours late (the bot was down) is skipped."""
    chat = facilitators_chat(svc, cohort)
    if chat is not None and now - event.due < timedelta(hours=1):
        async with svc.db.read() as tx:
            counts = await tx.status.counts(cohort.code)
        module = svc.config.module_of(cohort)
        text = screens.digest(module.title, cohort.code, cohort.site, counts)
        batch = f"{event.kind}:{cohort.code}"
        await outbox.enqueue(svc, batch, chat, [PostContent("text", text, [])], now)
    async with svc.db.write() as tx:
        await tx.events.mark(cohort.code, event.kind, now)
    return True


async def queue_module_report(svc: Services, report: ModuleReportDue) -> None:
    """A module's report for the period just ended, queued for the programme's chat once.

    Computed in a worker thread over the cohorts that started in the period. A module with
    no cohorts, or nobody who responded, in the period gets nothing; that is recorded too,
    so it is neither retried nor logged again.
    """
    module, period = report.module, report.period
    chat = schedule.module_report_chat(svc)
    try:
        scope = resolve_scope(svc.config, module=module, since=period.first, until=period.last)
        responded = await respondents(svc, scope.codes)
    except ScopeError:
        responded = 0  # no cohort of the module started in the period
    if chat is None or responded == 0:
        async with svc.db.write() as tx:
            if await tx.module_reports.mark(module, period.label, False, svc.now()):
                why = "no facilitators' chat" if chat is None else "nobody responded in it"
                log.info("no %s report for %s, %s: %s", module, period.words, period.label, why)
        return
    marker = callbacks.encode(callbacks.Export(None, module, period.label))
    posts = await asyncio.to_thread(
        summary_posts, svc.config, None, module, marker, period.first, period.last
    )
    now = svc.now()
    async with svc.db.write() as tx:
        if await tx.module_reports.mark(module, period.label, True, now):
            await tx.outbox.add_batch(report.batch, chat, posts, now)
            log.info("%s report for %s queued", module, period.words)


Reporter = Callable[[str], Awaitable[Any]]
PERIOD_WORDS = {
    "monthly": "on the first day of each month",
    "quarterly": "on the first day of each quarter",
    "yearly": "on the first day of each year",
}


async def queue_greetings(svc: Services) -> None:
    """Say hello once in every facilitators' chat the bot has not posted in yet.

    It shows at start-up that the bot may post there (a problem reaches the admins long
    before a summary is due), and it gives the outbox a message of its own to search
    from when a later post times out. A chat with any message of the bot's (a reply to a
    command typed there, say) has both already.
    """
    for chat in sorted(schedule.summary_chats(svc)):
        async with svc.db.read() as tx:
            if await tx.ledger.newest_own(chat) is not None:
                continue
        text = (
            "✅ <b>Module Feedback Bot</b> is connected. Evaluation summaries will be posted "
            "here when each cohort's post-module questionnaire closes, and follow-up "
            "summaries when its follow-up closes weeks later (for cohorts with responses)."
        )
        period = PERIOD_WORDS.get(svc.config.schedule.module_reports or "")
        if period and chat == schedule.module_report_chat(svc):
            text += f" Each module's report across its cohorts follows {period}."
        await outbox.enqueue(svc, f"hello:{chat}", chat, [PostContent("text", text, [])], svc.now())


async def run_due(bot: Bot, svc: Services, report: Reporter | None = None) -> list[Event]:
    """Carry out every event that has fallen due, then send what the outbox holds."""
    done: list[Event] = []
    async with svc.lifecycle_lock:
        await cohorts.refresh(svc)  # picks up cohorts changed from the command line
        await queue_greetings(svc)
        await purge_expired(svc)
        now = svc.now()
        for event in await schedule.pending_events(svc):
            if event.due > now:
                break
            cohort = svc.config.cohorts[event.cohort]
            phase = schedule.phase_of(event.kind)
            async with svc.db.read() as tx:
                window = (await cohort_windows(tx, svc, cohort))[phase]
            summary = event.kind in (SUMMARY, FOLLOW_UP_SUMMARY)
            if event.kind == SUMMARY:
                complete = await queue_summary(svc, cohort)
            elif event.kind == FOLLOW_UP_SUMMARY:
                complete = await queue_follow_up_summary(svc, cohort)
            elif event.kind.startswith(DIGEST):
                complete = await queue_digest(svc, cohort, event, now)
            elif not window.contains(now):
                complete = True  # closed before it could happen: never message late
            elif event.kind == PUSH:
                complete = await push_post(bot, svc, cohort, window)
            elif event.kind == FOLLOW_UP_PUSH:
                complete = await push_follow_up(bot, svc, cohort, window)
            else:
                complete = await remind(bot, svc, cohort, event.kind, phase, window)
            if complete and not summary:
                async with svc.db.write() as tx:
                    await tx.events.mark(cohort.code, event.kind, svc.now())
            if complete:
                done.append(event)
                if not summary:  # the summaries say what they did
                    log.info("%s for %s done", event.kind, event.cohort)
        # After the cohorts' summaries: a module report of a period includes them.
        for due in await schedule.pending_module_reports(svc):
            await queue_module_report(svc, due)
        await outbox.flush(bot, svc, report)
    return done


async def remind_now(bot: Bot, svc: Services, cohort: Cohort) -> tuple[int, bool] | None:
    """/remind: remind everyone who has not submitted the questionnaire open now.

    Returns how many were reminded and whether everyone could be reached; None when no
    questionnaire of the cohort is open.
    """
    found = await admin.open_questionnaire(svc, cohort)
    if found is None:
        return None
    phase, window = found
    kind = admin.manual_reminder_kind(svc.now())
    text = reminder_text(svc, cohort, phase, window)
    return await message_participants(bot, svc, cohort, kind, phase, text, screens.CONTINUE_POST)
