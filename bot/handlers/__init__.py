"""What answers updates: one module a feature, each with a `register(application)`."""

from __future__ import annotations

from collections.abc import Mapping
from types import UnionType
from typing import Any

from telegram.ext import Application, BaseHandler, CallbackQueryHandler, CommandHandler
from telegram.ext.filters import BaseFilter

from bot.guard import Handler
from core import callbacks


def add_handlers(
    application: Application[Any, Any, Any, Any, Any, Any],
    commands: Mapping[str, Handler],
    *,
    only: BaseFilter | None = None,
    taps: Mapping[type | UnionType, Handler] | None = None,
) -> None:
    """Add a module's commands (name: handler), answered in the chats `only` lets through
    (every chat if None), and its buttons: each handler in `taps` gets the taps whose data
    decodes to its kind of action, and no others, so the order of registration does not
    matter."""
    added: list[BaseHandler[Any, Any, Any]] = [
        CommandHandler(name, handler, filters=only) for name, handler in commands.items()
    ]
    added += [
        CallbackQueryHandler(handler, pattern=callbacks.taps(kind))
        for kind, handler in (taps or {}).items()
    ]
    application.add_handlers(added)
