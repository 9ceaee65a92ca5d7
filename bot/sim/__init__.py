"""A simulated Telegram Bot API for tests, benchmarks and the offline demo.

* ``FakeTelegram`` - the Bot API state machine plus helpers that act as Telegram users.
* ``SimulatedRequest`` - plugs a ``FakeTelegram`` into python-telegram-bot in-process.
* ``BotApiServer`` - the same fake over HTTP on loopback (needs ``aiohttp``, imported lazily
  so in-process use works without it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.sim.telegram import ApiError, FakeTelegram, SimulatedTimeout, StoredFile
from bot.sim.transport import SimulatedRequest

if TYPE_CHECKING:
    from bot.sim.server import BotApiServer

__all__ = [
    "ApiError",
    "BotApiServer",
    "FakeTelegram",
    "SimulatedRequest",
    "SimulatedTimeout",
    "StoredFile",
]


def __getattr__(name: str) -> Any:
    if name == "BotApiServer":
        from bot.sim.server import BotApiServer

        return BotApiServer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
