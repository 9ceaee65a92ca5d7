"""The room benchmark's baseline: a bare PTB bot that only answers the tap and edits the message.

Concurrent updates, one callback handler, screens of about the size of ours with buttons in
our callback data (so the same simulated participants drive it), the same rate limiter, no
storage and no logic: what python-telegram-bot itself costs.
"""

from __future__ import annotations

import asyncio
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
)

from benchmarks.room_people import CODE, QUESTIONS
from bot.screens import participant as screens
from core import flow
from sim.telegram.api import FakeTelegram
from sim.telegram.transport import SimulatedRequest

AnyApp = Application[Any, Any, Any, Any, Any, Any]


def bare_screen(step: int) -> tuple[str, InlineKeyboardMarkup | None]:
    """Screens of about the size of ours, their buttons in our callback data."""

    def button(text: str, action: flow.Action) -> InlineKeyboardButton:
        return InlineKeyboardButton(text, callback_data=flow.encode(action))

    if step == 0:
        text = f"<b>Risk Support</b> · London · <code>{CODE}</code>\n\n" + "• I store it.\n" * 5
        agree, decline = flow.Consent(CODE, True), flow.Consent(CODE, False)
        return text, InlineKeyboardMarkup([[button(screens.AGREE, agree), button("No", decline)]])
    if step <= QUESTIONS:
        question = f"q{step}"
        text = f"<b>Question {step} of {QUESTIONS}</b>\n\nHow confident do you feel? " * 2
        values = [button(v, flow.Answer(CODE, "pre", question, v)) for v in "12345"]
        back = button(screens.BACK, flow.Back(CODE, "pre", question))
        skip = button(screens.SKIP, flow.Answer(CODE, "pre", question, flow.SKIP))
        return text, InlineKeyboardMarkup([values, [back, skip]])
    if step == QUESTIONS + 1:
        text = "<b>Your pre-module answers</b>\n\n" + "".join(
            f"{n}. Item: <b>3</b>\n" for n in "12345678"
        )
        nav = [
            button(screens.BACK, flow.Back(CODE, "pre", "")),
            button(screens.SUBMIT, flow.Submit(CODE, "pre")),
        ]
        return text, InlineKeyboardMarkup([nav])
    return "✅ Thank you! Your answers are submitted.", None


async def bare_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    text, markup = bare_screen(0)
    await update.effective_message.reply_text(text, reply_markup=markup)


async def bare_tap(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    action = flow.decode(query.data)
    step = int(action.question[1:]) if isinstance(action, flow.Answer) else 0
    step = QUESTIONS + 1 if isinstance(action, flow.Submit) else step
    text, markup = bare_screen(step + 1)
    # A double tap's identical edit is refused ("not modified"): ignore it, as any bot must.
    await asyncio.gather(
        query.answer(), query.edit_message_text(text, reply_markup=markup), return_exceptions=True
    )


def build_bare(token: str, fake: FakeTelegram, latency: float, rate_limit: bool) -> AnyApp:
    builder: Any = ApplicationBuilder().token(token).concurrent_updates(512)
    builder = builder.defaults(Defaults(parse_mode=ParseMode.HTML))
    builder = builder.request(SimulatedRequest(fake, latency=latency))
    builder = builder.get_updates_request(SimulatedRequest(fake, latency=latency))
    if rate_limit:
        builder = builder.rate_limiter(AIORateLimiter(max_retries=3))
    app: AnyApp = builder.build()
    app.add_handler(CommandHandler("start", bare_start))
    app.add_handler(CallbackQueryHandler(bare_tap))
    return app
