"""The real ``Application`` on a simulated Telegram: built, started and stopped one way.

``simulated_app`` builds the bot exactly as ``feedback-bot run`` does, with both of its
request objects answered by a ``FakeTelegram``. ``started`` runs what PTB's
``run_polling`` runs (services opened in ``post_init``, PTB's own polling loop, the update
processor), without blocking, and undoes it in order. ``opened`` only opens the services,
for tests that hand updates to the bot themselves.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from telegram.ext import Application

from bot.app import App, build_application
from core.config import Config
from sim.telegram.api import FakeTelegram
from sim.telegram.transport import SimulatedRequest

AnyApp = Application[Any, Any, Any, Any, Any, Any]


def simulated_app(
    config: Config, fake: FakeTelegram, key: bytes, *, latency: float = 0.0, **options: Any
) -> App:
    """``build_application`` talking to ``fake`` (``options``: clock, rate_limit, ...)."""
    return build_application(
        config,
        fake.token,
        key,
        request=SimulatedRequest(fake, latency=latency),
        get_updates_request=SimulatedRequest(fake, latency=latency),
        **options,
    )


@asynccontextmanager
async def opened(app: AnyApp) -> AsyncIterator[AnyApp]:
    """Initialise the bot and open its services; shut both down afterwards."""
    await app.initialize()
    if app.post_init is not None:
        await app.post_init(app)
    try:
        yield app
    finally:
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)


@asynccontextmanager
async def started(app: AnyApp, poll_timeout: float = 10) -> AsyncIterator[AnyApp]:
    """Run the bot as ``run_polling`` does, but let the caller go on; stop it afterwards."""
    async with opened(app):
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=timedelta(seconds=poll_timeout))
        await app.start()
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()
