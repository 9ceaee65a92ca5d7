"""Wiring: builds the PTB Application from the config; opens and closes services."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from types import ModuleType
from typing import Any

from telegram import BotCommand, BotCommandScopeChat, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes, Defaults
from telegram.request import BaseRequest, HTTPXRequest

from bot import scheduler
from bot.context import SERVICES_KEY, BotContext
from bot.handlers import admin, cohorts, errors, participant, privacy
from bot.ledger import LedgerRequest
from bot.processor import PerUserUpdateProcessor
from bot.screens import admin as admin_screens
from bot.screens import cohorts as cohort_screens
from core import cohorts as catalogue
from core import storage
from core.config import Config
from core.services import Clock, Services, SystemClock
from core.storage import Database, Target

App = Application[Any, BotContext, Any, Any, Any, Any]
log = logging.getLogger(__name__)


async def sync_cohorts(db: Database, config: Config) -> None:
    """Mirror the configured cohorts into the database, where answers refer to them."""
    async with db.write() as tx:
        for cohort in config.cohorts.values():
            await tx.cohorts.upsert(
                cohort.code, cohort.module, cohort.site, cohort.start, cohort.end
            )


PARTICIPANT_COMMANDS = [
    BotCommand("resume", "carry on with your questionnaire"),
    BotCommand("help", "how this works"),
    BotCommand("mydata", "see what is stored about you"),
    BotCommand("nofollowup", "no follow-up questionnaire weeks later"),
    BotCommand("forgetme", "erase everything stored about you"),
    BotCommand("start", "join with a cohort code"),
]


async def set_command_menus(application: App, config: Config) -> None:
    """Participants see their commands; facilitators and admins also see their own."""
    staff = {**cohort_screens.MENU, **admin_screens.MENU}
    admin_menu = PARTICIPANT_COMMANDS + [BotCommand(n, d) for n, d in staff.items()]
    facilitator_menu = PARTICIPANT_COMMANDS + [
        BotCommand(n, d) for n, d in cohort_screens.MENU.items()
    ]
    menus: list[tuple[list[BotCommand], int | None]] = [(PARTICIPANT_COMMANDS, None)]
    menus += [(facilitator_menu, u) for u in config.bot.facilitators if u not in config.bot.admins]
    menus += [(admin_menu, u) for u in config.bot.admins]
    for commands, user_id in menus:
        try:
            scope = BotCommandScopeChat(user_id) if user_id is not None else None
            await application.bot.set_my_commands(commands, scope=scope)
        except TelegramError as exc:
            # Someone who never opened a chat with the bot makes this fail; not fatal, and
            # it does not keep the others from their menus.
            log.warning("could not set the command menu of %s: %s", user_id or "everyone", exc)


def build_application(
    config: Config,
    token: str,
    pseudonym_key: bytes,
    *,
    clock: Clock | None = None,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    rate_limit: bool = True,
    open_database: Callable[[Target], Awaitable[Database]] = storage.open_database,
) -> App:
    """Build the bot; pass request objects to talk to a simulated Bot API instead of HTTP,
    and ``open_database`` to measure the database (a benchmark's instrumented subclass)."""
    # Every call but getUpdates goes through the ledger, which records the bot's messages in
    # groups and channels (bot/ledger.py); 256 connections is what PTB's builder would give.
    ledger = LedgerRequest(request or HTTPXRequest(connection_pool_size=256))

    async def open_services(application: App) -> None:
        db = await open_database(config.bot.database)
        await sync_cohorts(db, config)
        services = Services(config, db, pseudonym_key, clock or SystemClock())
        await catalogue.refresh(services)  # cohorts made from the chat or the command line
        application.bot_data[SERVICES_KEY] = services
        ledger.attach(db)
        await set_command_menus(application, config)
        # Jobs are not persisted: rebuild them from the database; overdue ones run now.
        await scheduler.reschedule(application)

    async def close_services(application: App) -> None:
        services: Services | None = application.bot_data.pop(SERVICES_KEY, None)
        ledger.attach(None)
        if services is not None:
            await services.db.close()

    builder: Any = (
        ApplicationBuilder()
        .token(token)
        .base_url(config.bot.api_base_url)
        .base_file_url(config.bot.api_base_file_url)
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .context_types(ContextTypes(context=BotContext))
        .concurrent_updates(PerUserUpdateProcessor())
        .post_init(open_services)
        .post_shutdown(close_services)
    )
    if rate_limit:
        # Retries on flood control instead of raising RetryAfter (PTB's default is 0).
        builder = builder.rate_limiter(AIORateLimiter(max_retries=3))
    builder = builder.request(ledger)
    if request is not None:
        builder = builder.get_updates_request(get_updates_request or request)
    application: App = builder.build()
    register_handlers(application)
    cohorts.register(application)
    errors.register(application)
    return application


# Any order works: every callback handler claims only the taps its pattern= decodes.
HANDLER_MODULES = (admin, privacy, participant)


def register_handlers(application: App, modules: Sequence[ModuleType] = HANDLER_MODULES) -> None:
    """Add the update handlers of each module."""
    for module in modules:
        module.register(application)
