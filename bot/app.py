"""Wiring: builds the PTB Application from the config; opens and closes services."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from telegram import LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes, Defaults
from telegram.request import BaseRequest

from bot.config import Config
from bot.context import SERVICES_KEY, BotContext
from bot.handlers import errors, participant
from bot.journey import Services, utc_now
from bot.processor import PerUserUpdateProcessor
from bot.storage import Database

App = Application[Any, BotContext, Any, Any, Any, Any]


async def sync_cohorts(db: Database, config: Config) -> None:
    """Mirror the configured cohorts into the database, where answers refer to them."""
    async with db.write() as tx:
        for cohort in config.cohorts.values():
            await tx.upsert_cohort(
                cohort.code, cohort.module, cohort.site, cohort.start, cohort.end
            )


def build_application(
    config: Config,
    token: str,
    pseudonym_key: bytes,
    *,
    clock: Callable[[], datetime] = utc_now,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    rate_limit: bool = True,
) -> App:
    """Build the bot; pass request objects to talk to a simulated Bot API instead of HTTP."""

    async def open_services(application: App) -> None:
        db = await Database.open(config.bot.database)
        await sync_cohorts(db, config)
        application.bot_data[SERVICES_KEY] = Services(config, db, pseudonym_key, clock)

    async def close_services(application: App) -> None:
        services: Services | None = application.bot_data.pop(SERVICES_KEY, None)
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
    if request is not None:
        builder = builder.request(request).get_updates_request(get_updates_request or request)
    application: App = builder.build()
    participant.register(application)
    errors.register(application)
    return application
