"""The typed callback context every handler receives."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application, CallbackContext, ExtBot

from core.services import Services

SERVICES_KEY = "services"


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[str, Any]]):
    """Gives handlers the application's services by name instead of raw dict lookups."""

    @property
    def svc(self) -> Services:
        services: Services = self.application.bot_data[SERVICES_KEY]
        return services


def services_of(application: Application[Any, Any, Any, Any, Any, Any]) -> Services:
    services: Services = application.bot_data[SERVICES_KEY]
    return services
